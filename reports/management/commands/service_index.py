from django.core.management.base import BaseCommand, CommandError

from reports.documents import service_index as documents
from reports.figures.service_index import service_index
from reports.management.options import add_period_and_unit, period_and_scope, write_text


class Command(BaseCommand):
    help = "Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg) của các đơn vị trong một kỳ."

    def add_arguments(self, parser):
        add_period_and_unit(parser)
        parser.add_argument("--format", choices=["json", "xlsx"], default="json")
        parser.add_argument("--output", help="tệp kết quả; mặc định: màn hình (json)")

    def handle(self, *args, **options):
        period, scope = period_and_scope(options)
        index = service_index(period, scope=scope)
        if options["format"] == "xlsx":
            if not options["output"]:
                raise CommandError("Định dạng xlsx cần --output TỆP.")
            documents.write(index, options["output"])
            self.stdout.write(f"Đã ghi {options['output']}")
            return
        content = documents.as_json(index)
        write_text(self, content, options["output"])
