"""The options every report command shares: --from, --to and --unit, read the same way."""

from django.core.management.base import CommandError

from cases.catalogue.models import Unit
from reports.figures import periods


def add_period_and_unit(parser):
    parser.add_argument("--from", dest="start", required=True, help="ngày bắt đầu (dd/mm/yyyy hoặc yyyy-mm-dd)")
    parser.add_argument("--to", dest="end", required=True, help="ngày kết thúc, tính cả ngày này")
    parser.add_argument("--unit", help="mã đơn vị (và các đơn vị trực thuộc); mặc định: toàn hệ thống")


def period_and_scope(options):
    """(period, unit or None) from the options; a wrong date or an unknown unit code is a CommandError."""
    try:
        period = periods.date_range(periods.parse_day(options["start"]), periods.parse_day(options["end"]))
    except periods.PeriodError as exc:
        raise CommandError(str(exc)) from exc
    scope = None
    if options["unit"]:
        scope = Unit.objects.filter(code=options["unit"]).first()
        if scope is None:
            raise CommandError(f"Không có đơn vị mã «{options['unit']}».")
    return period, scope


def write_text(command, content, output):
    """Text output to a file (UTF-8) when asked, otherwise to the screen."""
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(content)
        command.stdout.write(f"Đã ghi {output}")
    else:
        command.stdout.write(content, ending="")
