"""python manage.py seed_demo [--dossiers N] [--seed S] [--if-empty] [--months 24] [--as-of DATE]"""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from cases.catalogue.models import Procedure, Unit
from cases.core.formats import number
from cases.desk.models import Dossier
from demo import generator as demo


def parse_as_of(value):
    """dd/mm/yyyy, yyyy-mm-dd, or an ISO date and time; a date means 00:00 of that day."""
    value = value.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    for pattern in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return timezone.make_aware(datetime.strptime(value, pattern))
        except ValueError:
            continue
    raise CommandError(f"Ngày tính đến «{value}» không hợp lệ (dùng dd/mm/yyyy hoặc yyyy-mm-dd).")


class Command(BaseCommand):
    help = (
        "Tạo hồ sơ mẫu (giống thật, tất định) cho mọi đơn vị trong các tháng trước ngày tính đến. "
        "Cùng số hồ sơ, hạt giống và ngày tính đến cho cùng dữ liệu."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, default=20_000, help="số hồ sơ (mặc định 20.000)")
        parser.add_argument("--seed", type=int, default=1, help="hạt giống ngẫu nhiên (mặc định 1)")
        parser.add_argument("--months", type=int, default=24, help="số tháng dữ liệu (mặc định 24)")
        parser.add_argument(
            "--as-of", dest="as_of", default=None,
            help="dữ liệu dừng lúc 00:00 ngày này (dd/mm/yyyy; mặc định hôm nay, nên kết quả phụ thuộc ngày chạy)",
        )  # fmt: skip
        parser.add_argument("--if-empty", action="store_true", help="không làm gì nếu đã có hồ sơ")
        parser.add_argument("--batch-size", type=int, default=5000, help="số hồ sơ mỗi lần ghi (mặc định 5.000)")
        parser.add_argument(
            "--method", choices=["copy", "bulk_create"], default=None,
            help="cách ghi: copy (PostgreSQL, mặc định ở đó) hoặc bulk_create",
        )  # fmt: skip

    def handle(self, *args, **options):
        count, months = options["dossiers"], options["months"]
        if count < 0:
            raise CommandError("Số hồ sơ phải là số không âm.")
        if months < 1:
            raise CommandError("Số tháng phải từ 1 trở lên.")
        as_of = parse_as_of(options["as_of"]) if options["as_of"] else None
        now = timezone.now()
        if as_of is not None:
            moment = as_of if isinstance(as_of, datetime) else timezone.make_aware(datetime.combine(as_of, time.min))
            if moment > now:
                raise CommandError(f"Ngày tính đến {timezone.localtime(moment):%d/%m/%Y %H:%M} ở tương lai.")
        method = options["method"]
        if method == "copy" and connection.vendor != "postgresql":
            raise CommandError("Cách ghi copy chỉ dùng được với PostgreSQL.")
        if not (options["if_empty"] and Dossier.objects.exists()):
            if not Unit.objects.exists():
                raise CommandError("Chưa có đơn vị nào. Hãy chạy «python manage.py load_fixtures» trước.")
            if not Procedure.objects.filter(active=True).exists():
                raise CommandError("Chưa có thủ tục hành chính nào. Hãy chạy «python manage.py load_fixtures» trước.")

        def progress(done, seconds):
            self.stdout.write(f"  … {number(done)} hồ sơ sau {number(seconds, 1)} giây")

        try:
            summary = demo.seed(
                count, seed=options["seed"], as_of=as_of, months=months, if_empty=options["if_empty"],
                batch_size=options["batch_size"], method=method, progress=progress if count >= 200_000 else None,
            )  # fmt: skip
        except demo.NothingToSeed as problem:
            raise CommandError(str(problem)) from None
        # Fresh statistics after a bulk load, or the planner reads the reports' indexes from stale estimates.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(demo.summary_text(summary))
