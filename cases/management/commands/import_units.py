from django.core.management.base import BaseCommand

from cases.exchange.catalogue import UnitImporter
from cases.management.importing import run_import


class Command(BaseCommand):
    help = "Nhập đơn vị từ tệp CSV/XLSX (ma_don_vi, ten_don_vi, cap, ma_don_vi_cha)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi.")

    def handle(self, *args, file, dry_run, **options):
        run_import(self, UnitImporter(file), file, dry_run=dry_run)
