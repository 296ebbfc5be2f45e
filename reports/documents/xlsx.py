"""The tally as a spreadsheet: one row per unit with the columns of Biểu II.06a and the two rates, and the
letter's text on a second sheet. Both print on A4 as they look on screen: every row is given its height (office
software does not grow a row for text a program wrapped), every column its width, every figure its border.
"""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from cases.core import safe
from cases.core.formats import RATE_DIGITS, RATE_FORMAT
from reports.documents.styles import BODY, BOLD, FONT_NAME, HEAD_FILL, ITALIC, TITLE
from reports.figures import wording

# (counter, header) in the order of Biểu II.06a: received, resolved, open; then the two rates.
COLUMNS = [
    ("received_total", "Tổng số hồ sơ tiếp nhận"),
    ("received_online", "Trực tuyến"),
    ("received_direct_or_postal", "Trực tiếp, bưu chính"),
    ("carried_over", "Kỳ trước chuyển qua"),
    ("resolved_total", "Tổng số đã giải quyết"),
    ("resolved_early", "Trước hạn"),
    ("resolved_on_time", "Đúng hạn"),
    ("resolved_late", "Quá hạn"),
    ("in_progress_total", "Tổng số đang giải quyết"),
    ("in_progress_within_deadline", "Trong hạn"),
    ("in_progress_overdue", "Quá hạn"),
    ("on_time_rate", "Tỷ lệ đúng hạn"),
    ("online_rate", "Tỷ lệ trực tuyến"),
]
RATES = {"on_time_rate", "online_rate"}

TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
LEFT = Alignment(horizontal="left", vertical="center")
COUNT_FORMAT = "#,##0"

HEADER_ROW = 4
NAME_WIDTH, LEVEL_WIDTH, FIGURE_WIDTH = 34, 11, 11
# Times New Roman 11 fits about this many characters per unit of column width; one line is this many points high.
CHARS_PER_WIDTH = 1.15
LINE_HEIGHT = 15
TEXT_WIDTH = 70  # the text sheet's one column: A4 portrait inside the margins (LibreOffice prints 85 too wide)
TEXT_FONT = Font(name=FONT_NAME, size=13)
TEXT_LINE_HEIGHT = 18
TEXT_CHARS_PER_WIDTH = 1.0  # 13 pt: about 80 characters a line at width 70; counted short, so rows err tall


def value(counters, key):
    """The cell's value: a count, or a rate as the fraction a RATE_FORMAT cell shows (97.51 → 0.9751)."""
    found = getattr(counters, key)
    if key in RATES and found is not None:
        return round(found / 100, RATE_DIGITS + 2)
    return found


def lines(text, width, chars_per_width=CHARS_PER_WIDTH):
    """How many lines a wrapped text takes in a column this wide."""
    per_line = max(int(width * chars_per_width), 1)
    return max(1, *(-(-len(part) // per_line) for part in str(text or "").split("\n")))


def _put(sheet, row, column, text, font=BODY, alignment=None, number_format=None, border=BOX, fill=None):
    """Every cell of this workbook is written here (one place for the values' safety and their look)."""
    cell = safe.as_text_cell(sheet.cell(row=row, column=column, value=safe.xml_text(text)))  # never a formula
    cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    if border is not None:
        cell.border = border
    if fill is not None:
        cell.fill = fill
    return cell


def _print_setup(sheet, landscape):
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left, sheet.page_margins.right = 0.79, 0.59
    sheet.page_margins.top, sheet.page_margins.bottom = 0.79, 0.79
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.center.font = FONT_NAME


def _figures_sheet(book, tally):
    sheet = book.active
    sheet.title = "Tổng hợp"
    _print_setup(sheet, landscape=True)
    scope = tally.scope.name if tally.scope else "Toàn hệ thống"
    codes = [row.unit.code for row in tally.units]
    code_width = max(10, *(len(code) * 1.2 + 2 for code in codes)) if codes else 10
    widths = [code_width, NAME_WIDTH, LEVEL_WIDTH] + [FIGURE_WIDTH] * len(COLUMNS)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(len(widths))
    titles = [
        (f"KẾT QUẢ GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH — {scope.upper()}", TITLE, 22),
        (f"Kỳ báo cáo: {tally.period.range_text}", ITALIC, LINE_HEIGHT + 2),
        ("Đơn vị tính: Số hồ sơ TTHC", ITALIC, LINE_HEIGHT + 2),
    ]
    for row, (text, font, height) in enumerate(titles, start=1):
        _put(sheet, row, 1, text, font=font, border=None, alignment=LEFT)
        sheet.merge_cells(f"A{row}:{last}{row}")
        sheet.row_dimensions[row].height = height

    headers = ["Mã đơn vị", "Tên đơn vị", "Cấp"] + [header for _, header in COLUMNS]
    for column, text in enumerate(headers, start=1):
        _put(sheet, HEADER_ROW, column, text, font=BOLD, alignment=WRAP_CENTER, fill=HEAD_FILL)
    tallest = max(lines(text, width) for text, width in zip(headers, widths, strict=True))
    sheet.row_dimensions[HEADER_ROW].height = LINE_HEIGHT * tallest + 6

    def figures(row, counters, font, fill):
        for offset, (key, _) in enumerate(COLUMNS, start=4):
            rate = key in RATES
            _put(sheet, row, offset, value(counters, key), font=font, fill=fill,
                 number_format=RATE_FORMAT if rate else COUNT_FORMAT, alignment=RIGHT)  # fmt: skip

    row = HEADER_ROW
    for row, unit_row in enumerate(tally.units, start=HEADER_ROW + 1):
        unit = unit_row.unit
        _put(sheet, row, 1, unit.code, alignment=LEFT)
        _put(sheet, row, 2, unit.label, alignment=WRAP_LEFT)
        _put(sheet, row, 3, wording.level_label(unit.level), alignment=WRAP_LEFT)
        figures(row, unit_row.counters, BODY, None)
        height = max(lines(unit.label, NAME_WIDTH), lines(wording.level_label(unit.level), LEVEL_WIDTH))
        sheet.row_dimensions[row].height = LINE_HEIGHT * height + 3
    total = row + 1
    _put(sheet, total, 1, "", fill=TOTAL_FILL)
    _put(sheet, total, 2, "Tổng cộng", font=BOLD, fill=TOTAL_FILL, alignment=WRAP_LEFT)
    _put(sheet, total, 3, "", fill=TOTAL_FILL)
    figures(total, tally.totals, BOLD, TOTAL_FILL)
    sheet.row_dimensions[total].height = LINE_HEIGHT + 3

    sheet.freeze_panes = f"D{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{total - 1}"
    return sheet


def _text_sheet(book, tally):
    """The letter's paragraphs, one a row, each row as high as its wrapped text."""
    sheet = book.create_sheet("Nội dung")
    _print_setup(sheet, landscape=False)
    sheet.column_dimensions["A"].width = TEXT_WIDTH
    for row, paragraph in enumerate(wording.paragraphs(tally), start=1):
        _put(sheet, row, 1, paragraph, font=TEXT_FONT, alignment=TOP_LEFT, border=None)
        sheet.row_dimensions[row].height = TEXT_LINE_HEIGHT * lines(paragraph, TEXT_WIDTH, TEXT_CHARS_PER_WIDTH) + 8
    return sheet


def workbook(tally):
    book = Workbook()
    _figures_sheet(book, tally)
    _text_sheet(book, tally)
    scope = tally.scope.name if tally.scope else "Toàn hệ thống"
    book.properties.title = f"Kết quả giải quyết hồ sơ TTHC — {scope} — {tally.period.range_text}"
    book.properties.creator = "Cổng Một cửa"
    return safe.harden(book)


def write(tally, path):
    workbook(tally).save(path)
