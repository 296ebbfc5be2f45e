from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.models import Unit
from reports import periods, wording
from reports.tally import tally


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
            day = periods.parse_day(options["date"]) if options["date"] else timezone.localdate() - timedelta(days=1)
        except periods.PeriodError as exc:
            raise CommandError(str(exc)) from exc
        week = tally(periods.week_ending(day), scope=scope, by_field=False)
        to_date = tally(periods.year_to_date(day), scope=scope, by_field=False)
        if options["output"]:
            from reports import docx

            document = docx.letter(week, subject=f"V/v báo cáo kết quả giải quyết TTHC {week.period.label}")
            document.save(options["output"])
            self.stdout.write(f"Đã ghi {options['output']}")
            return
        self.stdout.write(f"TRONG TUẦN ({week.period.range_text})\n")
        self.stdout.write(wording.text(week) + "\n\n")
        self.stdout.write(f"LŨY KẾ ({to_date.period.range_text})\n")
        self.stdout.write(wording.summary(to_date) + "\n")
