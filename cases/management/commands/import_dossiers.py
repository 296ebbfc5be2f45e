from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cases.exchange.dossiers import DossierImporter
from cases.management.importing import run_import


class Command(BaseCommand):
    help = (
        "Nhập hồ sơ từ tệp CSV/XLSX. Mã hồ sơ đã có thì cập nhật hồ sơ đó. Tệp có dòng lỗi bị từ chối cả tệp, "
        "trừ khi dùng --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và báo cáo, không ghi.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Nhập các dòng hợp lệ; các dòng lỗi ghi ra <tên>.loi.csv (hoặc .loi.xlsx) bên cạnh tệp.",
        )
        parser.add_argument("--user", help="Tên đăng nhập của người nhập (ghi vào diễn biến hồ sơ).")

    def handle(self, *args, file, dry_run, skip_invalid, user, **options):
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"Không có người dùng {user}.")
        importer = DossierImporter(file, user=by, keep_rejected=skip_invalid)
        run_import(self, importer, file, dry_run=dry_run, skip_invalid=skip_invalid)
