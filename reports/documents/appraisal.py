"""The appraisal workbook for Nội vụ: sheets "Đơn vị", "Cán bộ" and "Cách xếp loại", written row by row from an
Appraisal (cases.followup.appraisal) in write-only mode, so a province fits in memory."""

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from cases.catalogue.models import Level
from cases.core import safe
from cases.core.formats import RATE_DIGITS, RATE_FORMAT, percent_limit
from reports.documents.styles import BODY, BOLD, FONT_NAME, HEAD_FILL, ITALIC, TITLE


def _noop(percent_done, message):
    pass


BAD_FILL = PatternFill("solid", fgColor="F8CBAD")
BAD_FONT = Font(name=FONT_NAME, size=11, color="9C0006", bold=True)
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
CENTER = Alignment(horizontal="center", vertical="center")
CHARS_PER_WIDTH = 1.3
LINE_HEIGHT = 15
COUNT_FORMAT = "#,##0"
HEADER_ROW = 4
PAPER_A4 = "9"  # Worksheet.PAPERSIZE_A4; write-only sheets lack the constant

# (header, width, kind) — kind: text, count, rate. The value of each column comes from the row functions below.
UNIT_COLUMNS = [
    ("STT", 5, "count"),
    ("Mã đơn vị", 11, "text"),
    ("Tên đơn vị", 32, "text"),
    ("Cấp", 7, "text"),
    ("Hồ sơ tiếp nhận (kể cả kỳ trước chuyển qua)", 11, "count"),
    ("Hồ sơ đã giải quyết", 9, "count"),
    ("Giải quyết đúng hạn (kể cả trước hạn)", 10, "count"),
    ("Tỷ lệ đúng hạn", 9, "rate"),
    ("Giải quyết quá hạn", 9, "count"),
    ("Đang giải quyết quá hạn (cuối kỳ)", 10, "count"),
    ("Tiếp nhận trong kỳ", 9, "count"),
    ("Tiếp nhận trực tuyến", 9, "count"),
    ("Tỷ lệ trực tuyến", 9, "rate"),
    ("Hồ sơ đã số hóa", 9, "count"),
    ("Tỷ lệ số hóa", 9, "rate"),
    ("Phiếu xin lỗi phải lập (hồ sơ quá hạn)", 11, "count"),
    ("Phiếu xin lỗi đã lập", 9, "count"),
    ("Giải trình phải nộp", 9, "count"),
    ("Giải trình đã nộp", 9, "count"),
    ("Số đánh giá hài lòng", 9, "count"),
    ("Tỷ lệ hài lòng", 9, "rate"),
    ("Xếp loại", 22, "text"),
]
OFFICIAL_COLUMNS = [
    ("STT", 6, "count"),
    ("Họ và tên", 26, "text"),
    ("Tên đăng nhập", 18, "text"),
    ("Đơn vị", 30, "text"),
    ("Hồ sơ đã giải quyết", 11, "count"),
    ("Giải quyết đúng hạn (kể cả trước hạn)", 12, "count"),
    ("Giải quyết quá hạn", 10, "count"),
    ("Tỷ lệ đúng hạn", 10, "rate"),
    ("Đang giải quyết quá hạn (cuối kỳ)", 11, "count"),
    ("Số đánh giá hài lòng", 9, "count"),
    ("Tỷ lệ hài lòng", 9, "rate"),
    ("Xếp loại", 24, "text"),
]
# Columns (letters) of the rates coloured when below target: (sheet, column letter, setting name).
UNIT_ON_TIME_COLUMN, UNIT_ONLINE_COLUMN, OFFICIAL_ON_TIME_COLUMN = "H", "M", "H"

LEVEL_SHORT = {Level.PROVINCE: "Tỉnh", Level.DISTRICT: "Huyện", Level.COMMUNE: "Xã"}


def _fraction(rate_value):
    """A percentage from tally (97.51) as the fraction a '0.00%' cell shows as 97,51%."""
    return None if rate_value is None else round(rate_value / 100, RATE_DIGITS + 2)


def unit_values(index, item):
    c = item.counters
    return [
        index,
        item.unit.code,
        item.unit.label,
        LEVEL_SHORT.get(item.unit.level, item.unit.level),
        c.received_total,
        c.resolved_total,
        item.timely,
        _fraction(c.on_time_rate),
        c.resolved_late,
        c.in_progress_overdue,
        c.received_in_period,
        c.received_online,
        _fraction(c.online_rate),
        item.digitized,
        _fraction(item.digitized_rate),
        item.apologies_owed,
        item.apologies_issued,
        item.explanations_owed,
        item.explanations_answered,
        item.satisfaction.rated,
        _fraction(item.satisfaction.rate),
        item.rating,
    ]


def official_values(index, item):
    return [
        index,
        item.full_name,
        item.username,
        item.unit.label,
        item.handled,
        item.timely,
        item.late,
        _fraction(item.on_time_rate),
        item.overdue,
        item.satisfaction.rated,
        _fraction(item.satisfaction.rate),
        item.rating,
    ]


def _scope_name(scope):
    return scope.name if scope is not None else "Toàn hệ thống"


def _sheet(book, title, columns, heading, subtitle, freeze):
    """A write-only sheet with its widths, frozen header, print setup and the three title rows and the header."""
    sheet = book.create_sheet(title)
    for index, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = freeze
    _print_setup(sheet)
    last = get_column_letter(len(columns))
    for row, (text, font) in enumerate(
        [(heading, TITLE), (subtitle, ITALIC), (_targets_text(), ITALIC)],
        start=1,
    ):
        cell = safe.cell(sheet, text)
        cell.font = font
        sheet.append([cell])
        sheet.merged_cells.add(f"A{row}:{last}{row}")
    header = []
    for text, _, _ in columns:
        cell = safe.cell(sheet, text)
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD_FILL, WRAP_CENTER, BOX
        header.append(cell)
    sheet.row_dimensions[HEADER_ROW].height = 64
    sheet.append(header)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    return sheet


def _print_setup(sheet):
    """A4 landscape, fitted to the width; set before the first row (a write-only sheet writes its head then)."""
    sheet.page_setup.paperSize = PAPER_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left, sheet.page_margins.right = 0.79, 0.59
    sheet.page_margins.top, sheet.page_margins.bottom = 0.79, 0.79
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.center.font = FONT_NAME


def _targets_text():
    return (
        f"Chỉ tiêu: tỷ lệ đúng hạn từ {percent_limit(settings.TARGET_ON_TIME_RATE)}, tỷ lệ trực tuyến từ"
        f" {percent_limit(settings.TARGET_ONLINE_RATE)} (ô tô đỏ: dưới chỉ tiêu). Xếp loại theo trang «Cách xếp loại»."
    )


def _lines(text, width):
    """How many lines a wrapped text takes in a column of this width (Times New Roman 11)."""
    return -(-len(text) // int(width * CHARS_PER_WIDTH)) if text else 1


def _append_rows(sheet, columns, rows):
    kinds = [kind for _, _, kind in columns]
    widths = [width for _, width, _ in columns]
    count = 0
    for values in rows:
        cells, lines = [], 1
        for value, kind, width in zip(values, kinds, widths, strict=True):
            cell = safe.cell(sheet, value)
            cell.font, cell.border = BODY, BOX
            if kind == "count":
                cell.number_format = COUNT_FORMAT
            elif kind == "rate":
                cell.number_format = RATE_FORMAT
            else:
                cell.alignment = WRAP_LEFT
                lines = max(lines, _lines(value, width))
            cells.append(cell)
        cells[0].alignment = CENTER
        count += 1
        if lines > 1:
            # Office software does not grow a row for text wrapped by a program: give it the height now.
            sheet.row_dimensions[HEADER_ROW + count].height = LINE_HEIGHT * lines
        sheet.append(cells)
    return count


def _finish(sheet, columns, count, coloured):
    last_row = HEADER_ROW + count
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{max(last_row, HEADER_ROW)}"
    if not count:
        return
    for letter, target in coloured:
        first = f"{letter}{HEADER_ROW + 1}"
        # ISNUMBER: an empty rate (nothing to divide by) is not below target, though Excel compares it as 0.
        rule = FormulaRule(formula=[f"AND(ISNUMBER({first}),{first}<{target / 100:.4f})"], fill=BAD_FILL, font=BAD_FONT)
        sheet.conditional_formatting.add(f"{letter}{HEADER_ROW + 1}:{letter}{last_row}", rule)


RULE_WIDTH = 120


def _rule_sheet(book, appraisal):
    sheet = book.create_sheet("Cách xếp loại")
    sheet.column_dimensions["A"].width = RULE_WIDTH
    _print_setup(sheet)
    lines = [
        ("CÁCH XẾP LOẠI", TITLE),
        (f"{_scope_name(appraisal.scope)} — kỳ đánh giá {appraisal.period.range_text}", ITALIC),
        ("", BODY),
        ("Các mức xếp loại (do quản trị hệ thống đặt cho toàn cổng):", BOLD),
        *[(line, BODY) for line in appraisal.rule_lines],
        ("", BODY),
        *[(f"- {note}", BODY) for note in appraisal.rule_notes],
        ("", BODY),
        ("Cách tính số liệu:", BOLD),
        ("- Tỷ lệ đúng hạn = (số hồ sơ giải quyết trước hạn + đúng hạn) / số hồ sơ đã giải quyết trong kỳ.", BODY),
        ("- Tỷ lệ trực tuyến = số hồ sơ tiếp nhận trực tuyến / số hồ sơ tiếp nhận trong kỳ.", BODY),
        (
            "- Tỷ lệ số hóa = số hồ sơ tiếp nhận trong kỳ đã số hóa thành phần hồ sơ / số hồ sơ tiếp nhận trong kỳ.",
            BODY,
        ),
        ("- Phiếu xin lỗi phải lập = số hồ sơ giải quyết quá hạn hoặc đang quá hạn vào ngày cuối kỳ.", BODY),
        (
            "- Giải trình phải nộp = số yêu cầu giải trình gửi đơn vị cho khoảng thời gian trùng với kỳ đánh giá, đã"
            " quá hạn gửi hoặc đã được trả lời; yêu cầu còn trong hạn chưa tính.",
            BODY,
        ),
        ("- Số hồ sơ của cán bộ: theo người xử lý ghi trên hồ sơ; cùng cách phân loại với Biểu II.06a.", BODY),
        ("", BODY),
        (f"Lập lúc {timezone.localtime():%H:%M ngày %d/%m/%Y} từ Cổng Một cửa.", ITALIC),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = safe.cell(sheet, text)
        cell.font, cell.alignment = font, Alignment(wrap_text=True, vertical="top")
        if _lines(text, RULE_WIDTH) > 1:
            sheet.row_dimensions[row].height = LINE_HEIGHT * _lines(text, RULE_WIDTH)
        sheet.append([cell])


def workbook(appraisal, progress=_noop):
    """Sheets "Đơn vị", "Cán bộ", "Cách xếp loại", written row by row (write-only: a province fits in memory)."""
    book = Workbook(write_only=True)
    scope, period = _scope_name(appraisal.scope), appraisal.period
    units = _sheet(
        book,
        "Đơn vị",
        UNIT_COLUMNS,
        f"KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH PHỤC VỤ ĐÁNH GIÁ, XẾP LOẠI — {scope.upper()}",
        f"Kỳ đánh giá: {period.range_text}",
        "D5",
    )
    count = _append_rows(units, UNIT_COLUMNS, (unit_values(i, u) for i, u in enumerate(appraisal.units, start=1)))
    _finish(
        units,
        UNIT_COLUMNS,
        count,
        [(UNIT_ON_TIME_COLUMN, settings.TARGET_ON_TIME_RATE), (UNIT_ONLINE_COLUMN, settings.TARGET_ONLINE_RATE)],
    )
    progress(60, "Đang ghi trang cán bộ")
    officials = _sheet(
        book,
        "Cán bộ",
        OFFICIAL_COLUMNS,
        f"KẾT QUẢ GIẢI QUYẾT HỒ SƠ CỦA TỪNG CÁN BỘ — {scope.upper()}",
        f"Kỳ đánh giá: {period.range_text}. Hồ sơ tính cho người xử lý ghi trên hồ sơ.",
        "C5",
    )
    rows = (official_values(i, o) for i, o in enumerate(appraisal.officials, start=1))
    count = _append_rows(officials, OFFICIAL_COLUMNS, rows)
    _finish(officials, OFFICIAL_COLUMNS, count, [(OFFICIAL_ON_TIME_COLUMN, settings.TARGET_ON_TIME_RATE)])
    _rule_sheet(book, appraisal)
    book.properties.title = f"Đánh giá, xếp loại — {scope} — {period.range_text}"
    book.properties.creator = "Cổng Một cửa"
    return book
