from django.core.management.base import BaseCommand

from cases.exchange.processes import ProcessImporter
from cases.management.importing import add_import_arguments, run_import


class Command(BaseCommand):
    help = (
        "Nhập quy trình nội bộ từ tệp CSV/XLSX, mỗi dòng một bước (ma_thu_tuc, ma_don_vi, buoc, ten_buoc, "
        "thuc_hien, thoi_gian_gio). Quy trình của một thủ tục (và đơn vị) được thay bằng đúng các dòng trong tệp."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, file, dry_run, skip_invalid, **options):
        importer = ProcessImporter(file, keep_rejected=skip_invalid)
        run_import(self, importer, file, dry_run=dry_run, skip_invalid=skip_invalid)
