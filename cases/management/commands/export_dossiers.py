from django.core.management.base import BaseCommand

from cases.core.formats import number
from cases.exchange.export import export_dossiers, export_queryset
from cases.management.importing import add_export_arguments, export_scope


class Command(BaseCommand):
    help = (
        "Xuất hồ sơ ra CSV hoặc XLSX (theo đuôi tệp), đúng các cột của tệp nhập. --unit: đơn vị và mọi đơn vị "
        "trực thuộc; --from/--to: theo ngày tiếp nhận, tính cả hai ngày."
    )

    def add_arguments(self, parser):
        add_export_arguments(parser, "Mã đơn vị (gồm cả các đơn vị trực thuộc).")

    def handle(self, *args, file, unit, date_from, date_to, **options):
        scope = export_scope(file, unit, date_from, date_to)
        count = export_dossiers(file, export_queryset(scope, date_from, date_to))
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {number(count)} hồ sơ ra {file}."))
