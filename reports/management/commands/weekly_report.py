from django.core.management.base import BaseCommand, CommandError

from cases.catalogue.models import Unit
from reports.documents import weekly
from reports.figures import periods


class Command(BaseCommand):
    help = "Báo cáo tuần (thứ Sáu, trước 10 giờ): số liệu 7 ngày qua và lũy kế từ đầu năm."

    def add_arguments(self, parser):
        parser.add_argument("--unit", help="mã đơn vị; mặc định: toàn hệ thống")
        parser.add_argument("--date", help="ngày cuối của tuần (dd/mm/yyyy); mặc định: hôm qua")
        parser.add_argument("--output", help="ghi ra tệp .docx thay vì màn hình")

    def handle(self, *args, **options):
        scope = None
        if options["unit"]:
            scope = Unit.objects.filter(code=options["unit"]).first()
            if scope is None:
                raise CommandError(f"Không có đơn vị mã «{options['unit']}».")
        try:
            day = periods.parse_day(options["date"]) if options["date"] else weekly.default_day()
        except periods.PeriodError as exc:
            raise CommandError(str(exc)) from exc
        week, to_date = weekly.tallies(day, scope)
        if options["output"]:
            weekly.write_letter(week, options["output"])
            self.stdout.write(f"Đã ghi {options['output']}")
            return
        self.stdout.write(weekly.text(week, to_date), ending="")
