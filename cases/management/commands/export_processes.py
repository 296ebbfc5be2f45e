from django.core.management.base import BaseCommand, CommandError

from cases.core.formats import number
from cases.exchange.processes import export_processes


class Command(BaseCommand):
    help = "Xuất các quy trình nội bộ đang áp dụng ra CSV hoặc XLSX (theo đuôi tệp), đúng các cột của tệp nhập."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        if not file.lower().endswith((".csv", ".xlsx")):
            raise CommandError("Tên tệp phải có đuôi .csv hoặc .xlsx.")
        count = export_processes(file)
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {number(count)} bước quy trình ra {file}."))
