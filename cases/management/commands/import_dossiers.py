from django.core.management.base import BaseCommand

from cases.exchange.dossiers import DossierImporter
from cases.management.importing import add_import_arguments, importing_user, run_import


class Command(BaseCommand):
    help = (
        "Nhập hồ sơ từ tệp CSV/XLSX. Mã hồ sơ đã có thì cập nhật hồ sơ đó. Tệp có dòng lỗi bị từ chối cả tệp, "
        "trừ khi dùng --skip-invalid."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser, user=True)

    def handle(self, *args, file, dry_run, skip_invalid, user, **options):
        importer = DossierImporter(file, user=importing_user(user), keep_rejected=skip_invalid)
        run_import(self, importer, file, dry_run=dry_run, skip_invalid=skip_invalid)
