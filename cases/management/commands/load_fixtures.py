from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from cases.exchange.catalogue import ProcedureImporter, UnitImporter
from cases.exchange.processes import ProcessImporter
from cases.management.importing import run_import


class Command(BaseCommand):
    help = (
        "Nạp danh mục đơn vị, thủ tục và quy trình nội bộ mẫu (fixtures/units.csv, procedures.csv, processes.csv). "
        "Chạy lại không đổi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "fixtures"), help="Thư mục chứa các tệp.")

    def handle(self, *args, dir, **options):
        folder = Path(dir)
        for label, importer_class, name in (
            ("Đơn vị", UnitImporter, "units.csv"),
            ("Thủ tục", ProcedureImporter, "procedures.csv"),
            ("Quy trình nội bộ", ProcessImporter, "processes.csv"),
        ):
            self.stdout.write(f"{label}: {folder / name}")
            run_import(self, importer_class(folder / name), folder / name)
