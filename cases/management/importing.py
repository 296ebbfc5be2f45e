"""What every import and export command does: its arguments, validate, report, write (or not), exit non-zero
when refused; an export's scope (a unit and the units below it, a period of receipt)."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from cases.catalogue.models import Unit
from cases.core.formats import number

MAX_PRINTED_WARNINGS = 200


def add_import_arguments(parser, skip_invalid=True, user=False):
    parser.add_argument("file")
    parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và báo cáo, không ghi.")
    if skip_invalid:
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Nhập các dòng hợp lệ; các dòng lỗi ghi ra <tên>.loi.csv (hoặc .loi.xlsx) bên cạnh tệp.",
        )
    if user:
        parser.add_argument("--user", help="Tên đăng nhập của người nhập (ghi vào diễn biến hồ sơ).")


def importing_user(username):
    """The account named by --user (None without it)."""
    if not username:
        return None
    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise CommandError(f"Không có người dùng {username}.")
    return found


def run_import(command, importer, path, *, dry_run=False, skip_invalid=False):
    """What every import command does: validate, report, write (or not), exit non-zero when refused."""
    result = importer.validate()
    shown = result.warnings[:MAX_PRINTED_WARNINGS]
    for warning in shown:
        command.stdout.write(command.style.WARNING(f"Cảnh báo — {warning}"))
    if len(result.warnings) > len(shown):
        command.stdout.write(command.style.WARNING(f"… và {number(len(result.warnings) - len(shown))} cảnh báo khác."))
    refused_whole = bool(result.errors) and (not skip_invalid or importer.sheet is None or not importer.validated)
    if refused_whole:
        result.created = result.updated = result.unchanged = 0
        result.refused = result.rows_read
        problems = "\n".join(result.errors)
        raise CommandError(
            f"Tệp bị từ chối, không ghi gì ({number(len(result.errors))} lỗi):\n{problems}\n{result.summary()}"
        )
    if result.errors:
        for error in result.errors:
            command.stderr.write(f"Bỏ qua — {error}")
        rejected = importer.rejected_path(path)
        if not dry_run:
            importer.write_rejected(rejected)
            command.stdout.write(f"Các dòng bị từ chối đã ghi vào {rejected} (cột «loi»).")
    if dry_run:
        command.stdout.write("Chạy thử (--dry-run): không ghi gì.")
    else:
        importer.write()
        if not result.written:
            raise CommandError("\n".join(result.errors[-1:]) + "\n" + result.summary())
    command.stdout.write(command.style.SUCCESS(result.summary()) if result.written else result.summary())
    return result


# --- exports ---------------------------------------------------------------------------------------------------
def parse_day(text):
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CommandError(f"Ngày «{text}» không đọc được (dùng dd/mm/yyyy hoặc yyyy-mm-dd).")


def add_export_arguments(parser, unit_help):
    parser.add_argument("file")
    parser.add_argument("--unit", help=unit_help)
    parser.add_argument("--from", dest="date_from", type=parse_day, help="Từ ngày tiếp nhận (dd/mm/yyyy).")
    parser.add_argument("--to", dest="date_to", type=parse_day, help="Đến ngày tiếp nhận (dd/mm/yyyy).")


def export_scope(file, unit, date_from, date_to):
    """The unit --unit names (None without it), once the file's name and the period are checked."""
    if not file.lower().endswith((".csv", ".xlsx")):
        raise CommandError("Tên tệp phải có đuôi .csv hoặc .xlsx.")
    scope = None
    if unit:
        scope = Unit.objects.filter(code=unit).first()
        if scope is None:
            raise CommandError(f"Không có đơn vị {unit}.")
    if date_from and date_to and date_from > date_to:
        raise CommandError("--from phải trước --to.")
    return scope
