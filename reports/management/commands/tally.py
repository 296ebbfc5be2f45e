import sys

from django.core.management.base import BaseCommand, CommandError

from cases.catalogue.models import Unit
from reports.documents import docx, xlsx
from reports.documents.tally_json import as_json
from reports.figures import periods, wording
from reports.figures.tally import tally


class Command(BaseCommand):
    help = "Số liệu tiếp nhận, giải quyết hồ sơ của một đơn vị (và các đơn vị trực thuộc) trong một kỳ."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="ngày bắt đầu (dd/mm/yyyy hoặc yyyy-mm-dd)")
        parser.add_argument("--to", dest="end", required=True, help="ngày kết thúc, tính cả ngày này")
        parser.add_argument("--unit", help="mã đơn vị; mặc định: toàn hệ thống")
        parser.add_argument("--format", choices=["text", "json", "xlsx", "docx"], default="text")
        parser.add_argument("--output", help="tệp kết quả; mặc định: màn hình (text, json)")

    def handle(self, *args, **options):
        try:
            period = periods.date_range(periods.parse_day(options["start"]), periods.parse_day(options["end"]))
        except periods.PeriodError as exc:
            raise CommandError(str(exc)) from exc
        scope = None
        if options["unit"]:
            scope = Unit.objects.filter(code=options["unit"]).first()
            if scope is None:
                raise CommandError(f"Không có đơn vị mã «{options['unit']}».")
        result = tally(period, scope=scope)
        fmt = options["format"]
        if fmt in ("xlsx", "docx"):
            if not options["output"]:
                raise CommandError(f"Định dạng {fmt} cần --output TỆP.")
            (xlsx if fmt == "xlsx" else docx).write(result, options["output"])
            self.stdout.write(f"Đã ghi {options['output']}")
            return
        content = as_json(result) if fmt == "json" else wording.text(result) + "\n"
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(content)
            self.stdout.write(f"Đã ghi {options['output']}")
        else:
            sys.stdout.write(content)
