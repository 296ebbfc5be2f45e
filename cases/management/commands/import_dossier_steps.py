from django.core.management.base import BaseCommand

from cases.exchange.dossier_steps import DossierStepImporter
from cases.management.importing import add_import_arguments, importing_user, run_import


class Command(BaseCommand):
    help = (
        "Nhập các bước xử lý của hồ sơ từ tệp CSV/XLSX, mỗi dòng một bước theo thứ tự. Các dòng của một hồ sơ "
        "thay toàn bộ các bước đã có của hồ sơ đó. Tệp có dòng lỗi bị từ chối cả tệp, trừ khi dùng --skip-invalid "
        "(khi đó hồ sơ có dòng lỗi bị bỏ qua cả hồ sơ)."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser, user=True)

    def handle(self, *args, file, dry_run, skip_invalid, user, **options):
        importer = DossierStepImporter(file, user=importing_user(user), keep_rejected=skip_invalid)
        run_import(self, importer, file, dry_run=dry_run, skip_invalid=skip_invalid)
