import json
import sys

from django.core.management.base import BaseCommand, CommandError

from cases.models import Unit
from reports import periods, wording
from reports.tally import tally


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
            from reports import docx, xlsx

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


def as_json(result):
    """The machine-readable form of EXCHANGE_FORMAT.md (`tally --format json`)."""
    scope = result.scope
    document = {
        "period": {"from": result.period.start.isoformat(), "to": result.period.end.isoformat()},
        "scope": {"code": scope.code, "name": scope.name} if scope else {"code": None, "name": "Toàn hệ thống"},
        "totals": result.totals.as_dict(),
        "units": [
            {
                "code": row.unit.code,
                "name": row.unit.name,
                "level": row.unit.level,
                "parent": row.unit.parent.code if row.unit.parent_id else None,
                **row.counters.as_dict(),
            }
            for row in result.units
        ],
        "text": wording.text(result),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
