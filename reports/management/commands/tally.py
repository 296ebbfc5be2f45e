from django.core.management.base import BaseCommand, CommandError

from reports.documents import docx, xlsx
from reports.documents.tally_json import as_json
from reports.figures import wording
from reports.figures.tally import tally
from reports.management.options import add_period_and_unit, period_and_scope, write_text


class Command(BaseCommand):
    help = "Số liệu tiếp nhận, giải quyết hồ sơ của một đơn vị (và các đơn vị trực thuộc) trong một kỳ."

    def add_arguments(self, parser):
        add_period_and_unit(parser)
        parser.add_argument("--format", choices=["text", "json", "xlsx", "docx"], default="text")
        parser.add_argument("--output", help="tệp kết quả; mặc định: màn hình (text, json)")

    def handle(self, *args, **options):
        period, scope = period_and_scope(options)
        result = tally(period, scope=scope)
        fmt = options["format"]
        if fmt in ("xlsx", "docx"):
            if not options["output"]:
                raise CommandError(f"Định dạng {fmt} cần --output TỆP.")
            (xlsx if fmt == "xlsx" else docx).write(result, options["output"])
            self.stdout.write(f"Đã ghi {options['output']}")
            return
        content = as_json(result) if fmt == "json" else wording.text(result) + "\n"
        write_text(self, content, options["output"])
