"""The register (Sổ theo dõi hồ sơ, Mẫu 07 of 2025 / Mẫu 06 of 2018) as a workbook: A4 landscape, one row a dossier,
written row by row in write-only mode (a province's year fits in memory); every cell safe (cases.core.safe)."""

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from cases.core import safe
from reports.documents.styles import BODY, BOLD, BOX, CENTER, ITALIC, TITLE, WRAP_LEFT, titled_sheet

FORM = "Mẫu số 07 (Mẫu số 06 theo Thông tư 01/2018/TT-VPCP)"
TITLE_TEXT = "SỔ THEO DÕI HỒ SƠ"
HEADER_ROW = 5
MOMENT_FORMAT = "dd/mm/yyyy hh:mm"
# (header, width, value of a RegisterRow)
COLUMNS = [
    ("STT", 6, lambda row: row.number),
    ("Mã hồ sơ", 20, lambda row: row.code),
    ("Tên thủ tục hành chính", 34, lambda row: row.procedure),
    ("Số lượng hồ sơ (bộ)", 8, lambda row: 1),
    ("Tên cá nhân, tổ chức", 20, lambda row: row.applicant),
    ("Địa chỉ, số điện thoại", 24, lambda row: row.address_phone),
    ("Cơ quan chủ trì giải quyết", 22, lambda row: row.unit),
    ("Ngày nhận hồ sơ", 15, lambda row: row.received_at),
    ("Ngày hẹn trả kết quả", 15, lambda row: row.due_at),
    ("Ngày chuyển hồ sơ đến cơ quan giải quyết", 15, lambda row: row.handed_at),
    ("Ngày nhận kết quả từ cơ quan giải quyết", 15, lambda row: row.resolved_at),
    ("Ngày trả kết quả cho cá nhân, tổ chức", 15, lambda row: row.returned_at),
    ("Ký nhận", 12, lambda row: None),
    ("Ghi chú", 26, lambda row: row.note),
]
CHARS_PER_WIDTH = 1.2
LINE_HEIGHT = 15


def _local(value):
    """A moment as the naive local date-time a spreadsheet shows (dd/mm/yyyy hh:mm in Vietnam)."""
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def _lines(text, width):
    return max(1, -(-len(str(text or "")) // int(width * CHARS_PER_WIDTH)))


def workbook(scope_name, period, rows):
    book = Workbook(write_only=True)
    titles = [(scope_name.upper(), BOLD), (TITLE_TEXT, TITLE), (FORM, ITALIC), (f"Kỳ: {period.range_text}", ITALIC)]
    sheet = titled_sheet(book, "Sổ theo dõi hồ sơ", COLUMNS, titles, f"C{HEADER_ROW + 1}", title_alignment=CENTER)
    last = get_column_letter(len(COLUMNS))
    count = 0
    for row in rows:
        cells, lines = [], 1
        for _, width, value_of in COLUMNS:
            value = value_of(row)
            if hasattr(value, "tzinfo"):
                cell = safe.cell(sheet, _local(value))
                cell.number_format = MOMENT_FORMAT
                cell.alignment = CENTER
            else:
                cell = safe.cell(sheet, value)
                if isinstance(value, str):
                    cell.alignment = WRAP_LEFT
                    lines = max(lines, _lines(value, width))
                else:
                    cell.alignment = CENTER
            cell.font, cell.border = BODY, BOX
            cells.append(cell)
        count += 1
        if lines > 1:
            # Office software does not grow a row for text wrapped by a program: give it the height now.
            sheet.row_dimensions[HEADER_ROW + count].height = LINE_HEIGHT * lines
        sheet.append(cells)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + count}"
    book.properties.title = f"Sổ theo dõi hồ sơ — {scope_name} — {period.range_text}"
    book.properties.creator = "Cổng Một cửa"
    return book
