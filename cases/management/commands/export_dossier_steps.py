from django.core.management.base import BaseCommand

from cases.core.formats import number
from cases.exchange.dossier_steps import export_dossier_steps
from cases.management.importing import add_export_arguments, export_scope


class Command(BaseCommand):
    help = (
        "Xuất các bước xử lý của hồ sơ ra CSV hoặc XLSX (theo đuôi tệp), đúng các cột của tệp nhập. --unit: hồ sơ "
        "của đơn vị và mọi đơn vị trực thuộc, với mọi bước của hồ sơ (kể cả bước liên thông ở đơn vị khác); "
        "--from/--to: theo ngày tiếp nhận hồ sơ, tính cả hai ngày."
    )

    def add_arguments(self, parser):
        add_export_arguments(parser, "Mã đơn vị tiếp nhận hồ sơ (gồm cả các đơn vị trực thuộc).")

    def handle(self, *args, file, unit, date_from, date_to, **options):
        scope = export_scope(file, unit, date_from, date_to)
        count = export_dossier_steps(file, scope, date_from, date_to)
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {number(count)} bước xử lý ra {file}."))
