from django.core.management.base import BaseCommand

from cases.core.formats import number
from cases.followup.digests import send_digests
from cases.management.commands.flag_overdue import parse_moment


class Command(BaseCommand):
    help = "Gửi thư nhắc việc đầu ngày làm việc cho cán bộ Một cửa (đến hạn hôm nay, ngày làm việc tiếp theo, quá hạn)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="thời điểm gửi (dd/mm/yyyy HH:MM); mặc định: bây giờ")

    def handle(self, *args, **options):
        sent = send_digests(parse_moment(options["at"]) if options["at"] else None)
        self.stdout.write(f"Đã gửi {number(sent)} thư nhắc việc.")
