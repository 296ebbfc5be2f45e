from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError

from cases.catalogue.models import Unit
from cases.core.formats import number
from cases.exchange.export import export_dossiers, export_queryset


def parse_day(text):
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CommandError(f"Ngày «{text}» không đọc được (dùng dd/mm/yyyy hoặc yyyy-mm-dd).")


class Command(BaseCommand):
    help = (
        "Xuất hồ sơ ra CSV hoặc XLSX (theo đuôi tệp), đúng các cột của tệp nhập. --unit: đơn vị và mọi đơn vị "
        "trực thuộc; --from/--to: theo ngày tiếp nhận, tính cả hai ngày."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--unit", help="Mã đơn vị (gồm cả các đơn vị trực thuộc).")
        parser.add_argument("--from", dest="date_from", type=parse_day, help="Từ ngày tiếp nhận (dd/mm/yyyy).")
        parser.add_argument("--to", dest="date_to", type=parse_day, help="Đến ngày tiếp nhận (dd/mm/yyyy).")

    def handle(self, *args, file, unit, date_from: date | None, date_to: date | None, **options):
        if not file.lower().endswith((".csv", ".xlsx")):
            raise CommandError("Tên tệp phải có đuôi .csv hoặc .xlsx.")
        scope = None
        if unit:
            scope = Unit.objects.filter(code=unit).first()
            if scope is None:
                raise CommandError(f"Không có đơn vị {unit}.")
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from phải trước --to.")
        count = export_dossiers(file, export_queryset(scope, date_from, date_to))
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {number(count)} hồ sơ ra {file}."))
