from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.figures import periods
from reports.figures.freeze import FreezeRefused, freeze, freeze_closed_months
from reports.models import FreezeKind


def _month(text):
    try:
        moment = datetime.strptime(text, "%m/%Y")
    except ValueError as exc:
        raise CommandError(f"Tháng «{text}» không đọc được (dùng mm/yyyy).") from exc
    return moment.year, moment.month


class Command(BaseCommand):
    help = "Chốt số liệu: lưu số liệu của kỳ đã kết thúc để báo cáo kỳ đó không thay đổi về sau."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--month", help="tháng mm/yyyy")
        group.add_argument("--stat-month", help="kỳ thống kê tháng mm/yyyy (15 tháng trước đến 14)")
        group.add_argument("--closed", action="store_true", help="mọi tháng đã kết thúc chưa chốt")
        parser.add_argument("--reason", default="", help="lý do chốt lại (bắt buộc khi kỳ đã chốt)")

    def handle(self, *args, **options):
        try:
            if options["closed"]:
                done = freeze_closed_months()
                self.stdout.write(f"Đã chốt {len(done)} tháng.")
                return
            if options["month"]:
                period, kind = periods.month(*_month(options["month"])), FreezeKind.MONTH
            else:
                period, kind = periods.statistical_month(*_month(options["stat_month"])), FreezeKind.STAT_MONTH
            created = freeze(period, kind=kind, reason=options["reason"])
        except (FreezeRefused, periods.PeriodError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Đã chốt số liệu {period.label} lúc {timezone.localtime(created.frozen_at):%H:%M %d/%m/%Y}"
            f" ({created.figures.count()} dòng)."
        )
