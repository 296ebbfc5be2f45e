"""Bring new public holidays and make-up working days from the `holidays` package into the calendar tables."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.catalogue.calendar import sync_calendar
from cases.core.formats import number


class Command(BaseCommand):
    help = "Thêm ngày nghỉ lễ, ngày làm bù theo lịch nhà nước (gói holidays); giữ nguyên chỉnh sửa của quản trị viên."

    def add_arguments(self, parser):
        first, last = settings.CALENDAR_YEARS
        parser.add_argument("--from-year", type=int, default=first, help=f"Từ năm (mặc định {first}).")
        parser.add_argument("--to-year", type=int, default=last, help=f"Đến năm (mặc định {last}).")

    def handle(self, *args, from_year, to_year, **options):
        if from_year > to_year:
            raise CommandError(f"Năm bắt đầu {from_year} sau năm kết thúc {to_year}.")
        holidays_added, workdays_added = sync_calendar(from_year, to_year)
        years = f"năm {from_year}" if from_year == to_year else f"các năm {from_year}–{to_year}"
        self.stdout.write(
            f"Đã thêm {number(holidays_added)} ngày nghỉ lễ và {number(workdays_added)} ngày làm bù cho {years}."
        )
