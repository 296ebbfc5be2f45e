from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.core.formats import number
from cases.desk.outcome import local_tz
from cases.followup.overdue import flag_overdue


def parse_moment(text):
    """dd/mm/yyyy [HH:MM] or ISO; a bare day means its first moment (overdue = due before that day)."""
    text = (text or "").strip()
    for pattern in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return moment.replace(tzinfo=local_tz()) if "%H" in pattern else datetime.combine(moment, time.min, local_tz())
    raise CommandError(f"Thời điểm «{text}» không đọc được (dùng dd/mm/yyyy hoặc dd/mm/yyyy HH:MM).")


class Command(BaseCommand):
    help = "Gắn cờ quá hạn: hồ sơ đang giải quyết đã qua ngày hẹn trả (một câu lệnh UPDATE; chạy lại không ghi trùng)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="tính đến thời điểm (dd/mm/yyyy [HH:MM]); mặc định: bây giờ")

    def handle(self, *args, **options):
        as_of = parse_moment(options["as_of"]) if options["as_of"] else timezone.now()
        result = flag_overdue(as_of)
        self.stdout.write(f"{number(result.total)} hồ sơ quá hạn (mới: {number(result.new)})")
