from django.core.management.base import BaseCommand

from cases.exchange.catalogue import ProcedureImporter
from cases.management.importing import run_import


class Command(BaseCommand):
    help = (
        "Nhập danh mục thủ tục hành chính từ tệp CSV/XLSX (ma_thu_tuc, ten_thu_tuc, linh_vuc, thoi_han_ngay, muc_do)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi.")

    def handle(self, *args, file, dry_run, **options):
        run_import(self, ProcedureImporter(file), file, dry_run=dry_run)
