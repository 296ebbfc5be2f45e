from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.catalogue.models import Unit
from reports.documents import official
from reports.figures import periods


def period_and_scope(options):
    """The period from --from/--to (dd/mm/yyyy or ISO) and the unit from --unit (everything without it)."""
    try:
        period = periods.date_range(periods.parse_day(options["start"]), periods.parse_day(options["end"]))
        period.up_to(timezone.localdate())  # a period that has not begun has no figures
    except periods.PeriodError as exc:
        raise CommandError(str(exc)) from exc
    scope = None
    if options["unit"]:
        scope = Unit.objects.select_related("parent").filter(code=options["unit"]).first()
        if scope is None:
            raise CommandError(f"Không có đơn vị mã «{options['unit']}».")
    return period, scope


def add_period_arguments(parser):
    parser.add_argument("--from", dest="start", required=True, help="ngày bắt đầu (dd/mm/yyyy hoặc yyyy-mm-dd)")
    parser.add_argument("--to", dest="end", required=True, help="ngày kết thúc, tính cả ngày này")
    parser.add_argument("--unit", help="mã đơn vị báo cáo; mặc định: toàn hệ thống")
    parser.add_argument("--output", required=True, help="tệp .xlsx sẽ ghi")


class Command(BaseCommand):
    help = "Biểu II.06a (Thông tư 01/2020/TT-VPCP): tình hình, kết quả giải quyết TTHC theo lĩnh vực và theo đơn vị."

    def add_arguments(self, parser):
        add_period_arguments(parser)
        parser.add_argument("--receiving", help="đơn vị nhận báo cáo; mặc định: văn phòng của cấp trên")

    def handle(self, *args, **options):
        period, scope = period_and_scope(options)
        official.write(period, options["output"], scope=scope, receiving=options["receiving"])
        self.stdout.write(f"Đã ghi {options['output']}")
