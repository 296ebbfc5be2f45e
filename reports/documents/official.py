"""Biểu II.06a (Circular 01/2020/TT-VPCP): the statistics report, by field and by unit, ready to print and send.

Columns, numbered as printed under the header:
(1) STT, (2) field or unit, received (3) total = (4) online + (5) direct or postal + (6) carried over,
resolved (7) total = (8) early + (9) on time + (10) late, open (11) total = (12) within deadline + (13) overdue.
Every total (per row, per group, for the whole report) is a formula, so the sheet stays right if a clerk edits it.
"""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from cases.catalogue.models import Level, UnitKind
from cases.core import formats, safe
from reports.figures.counters import received_for_other_units
from reports.figures.tally import tally

FORM_CODE = "Biểu số II.06a/VPCP/KSTT"
TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
UNIT_OF_COUNT = "Đơn vị tính: Số hồ sơ TTHC"
FONT_NAME = "Times New Roman"

# The 11 figures in column order (columns C…M, printed numbers (3)…(13)); None = a formula over the next ones.
FIGURES = [
    "received_total",
    "received_online",
    "received_direct_or_postal",
    "carried_over",
    "resolved_total",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress_total",
    "in_progress_within_deadline",
    "in_progress_overdue",
]
FIRST_FIGURE_COLUMN = 3
LAST_COLUMN = FIRST_FIGURE_COLUMN + len(FIGURES) - 1  # 13: M
# A total column and the columns it adds up, by position in FIGURES.
ROW_TOTALS = {0: (1, 2, 3), 4: (5, 6, 7), 8: (9, 10)}

HEADER_FIRST_ROW = 7
NUMBERS_ROW = HEADER_FIRST_ROW + 3
TOTAL_ROW = NUMBERS_ROW + 1

GROUP_LABELS = {
    Level.PROVINCE: "Cơ quan, đơn vị cấp tỉnh",
    Level.DISTRICT: "Cơ quan, đơn vị cấp huyện",
    Level.COMMUNE: "UBND cấp xã",
}
ROMAN = ["I", "II", "III", "IV", "V"]

NAME_WIDTH = 40
# Times New Roman 11 fits about this many characters a line in the name column; longer names get taller rows
# (LibreOffice and Excel do not grow a row for wrapped text written by a program).
NAME_CHARS_PER_LINE = 52
LINE_HEIGHT = 15

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def column(position):
    """The letter of the column holding FIGURES[position]."""
    return get_column_letter(FIRST_FIGURE_COLUMN + position)


def reporting_unit(scope):
    return scope.name if scope is not None else "Toàn hệ thống"


def receiving_unit(scope):
    """Who the report goes to: the office of the People's Committee above the scope."""
    if scope is None or scope.parent_id is None:
        return "Văn phòng Chính phủ (Cục Kiểm soát thủ tục hành chính)"
    parent = scope.parent
    if parent.kind == UnitKind.PEOPLES_COMMITTEE and parent.name.startswith("UBND"):
        return f"Văn phòng {parent.name}"
    return parent.name


def _font(**extra):
    return Font(name=FONT_NAME, size=extra.pop("size", 11), **extra)


def _merge(sheet, row, first, last, value, font, alignment, end_row=None):
    sheet.merge_cells(start_row=row, start_column=first, end_row=end_row or row, end_column=last)
    cell = sheet.cell(row=row, column=first, value=safe.xml_text(value))
    cell.font, cell.alignment = font, alignment
    return cell


def _header(sheet, result, subtitle, name_header, receiving):
    sheet.row_dimensions[3].height = 36
    _merge(sheet, 1, 1, 4, FORM_CODE, _font(bold=True), LEFT)
    _merge(sheet, 2, 1, 4, "Ban hành kèm theo Thông tư số 01/2020/TT-VPCP", _font(italic=True, size=10), LEFT)
    _merge(sheet, 1, 9, LAST_COLUMN, f"Đơn vị báo cáo: {reporting_unit(result.scope)}", _font(bold=True), LEFT)
    _merge(sheet, 2, 9, LAST_COLUMN, f"Đơn vị nhận báo cáo: {receiving}", _font(bold=True), LEFT)
    _merge(sheet, 3, 1, LAST_COLUMN, TITLE, _font(bold=True, size=13), CENTER)
    _merge(sheet, 4, 1, LAST_COLUMN, subtitle, _font(bold=True), CENTER)
    period = result.period
    text = f"Kỳ báo cáo: từ ngày {period.start:%d/%m/%Y} đến ngày {period.end:%d/%m/%Y}"
    _merge(sheet, 5, 1, LAST_COLUMN, text, _font(italic=True), CENTER)
    _merge(sheet, 6, 10, LAST_COLUMN, UNIT_OF_COUNT, _font(italic=True), Alignment(horizontal="right"))

    top, bold = HEADER_FIRST_ROW, _font(bold=True, size=10)
    _merge(sheet, top, 1, 1, "STT", bold, CENTER, end_row=top + 2)
    _merge(sheet, top, 2, 2, name_header, bold, CENTER, end_row=top + 2)
    groups = [
        (0, 3, "Số hồ sơ nhận giải quyết"),
        (4, 7, "Kết quả giải quyết: số hồ sơ đã giải quyết"),
        (8, 10, "Số hồ sơ đang giải quyết"),
    ]
    for first, last, label in groups:
        _merge(sheet, top, FIRST_FIGURE_COLUMN + first, FIRST_FIGURE_COLUMN + last, label, bold, CENTER)
    _merge(sheet, top + 1, FIRST_FIGURE_COLUMN + 1, FIRST_FIGURE_COLUMN + 3, "Trong đó", bold, CENTER)
    tall = {0: "Tổng số", 4: "Tổng số", 5: "Trước hạn", 6: "Đúng hạn", 7: "Quá hạn"}
    tall.update({8: "Tổng số", 9: "Trong hạn", 10: "Quá hạn"})
    for position, label in tall.items():
        col = FIRST_FIGURE_COLUMN + position
        _merge(sheet, top + 1, col, col, label, bold, CENTER, end_row=top + 2)
    for position, label in {1: "Trực tuyến", 2: "Trực tiếp, dịch vụ bưu chính", 3: "Kỳ trước chuyển qua"}.items():
        cell = sheet.cell(row=top + 2, column=FIRST_FIGURE_COLUMN + position, value=label)
        cell.font, cell.alignment = bold, CENTER
    for col in range(1, LAST_COLUMN + 1):
        cell = sheet.cell(row=NUMBERS_ROW, column=col, value=f"({col})")
        cell.font, cell.alignment = _font(italic=True, size=10), CENTER
        for row in range(top, NUMBERS_ROW + 1):
            sheet.cell(row=row, column=col).border = BOX
    sheet.row_dimensions[top + 2].height = 42


class Formula(str):
    """One of the form's own formulas (a total): the one kind of cell that stays a formula (cases.core.safe)."""


def _put(sheet, row, col, value):
    if isinstance(value, Formula):
        return safe.formula(sheet.cell(row=row, column=col), str(value))
    return sheet.cell(row=row, column=col, value=safe.xml_text(value))


def _figure_row(sheet, row, number, name, counters, bold=False):
    """One row of figures: the parts as numbers, each total as the sum of its parts."""
    font = _font(bold=bold)
    lines = -(-len(name) // NAME_CHARS_PER_LINE)
    if lines > 1:
        sheet.row_dimensions[row].height = LINE_HEIGHT * lines
    cells = [(1, number), (2, name)]
    for position, name_ in enumerate(FIGURES):
        if position in ROW_TOTALS:
            parts = "+".join(f"{column(p)}{row}" for p in ROW_TOTALS[position])
            cells.append((FIRST_FIGURE_COLUMN + position, Formula(f"={parts}")))
        else:
            cells.append((FIRST_FIGURE_COLUMN + position, getattr(counters, name_)))
    for col, value in cells:
        cell = _put(sheet, row, col, value)
        cell.font, cell.border = font, BOX
        cell.alignment = LEFT if col == 2 else CENTER
        if col >= FIRST_FIGURE_COLUMN:
            cell.number_format = "#,##0"


def _sum_row(sheet, row, number, label, formula_for, bold=True):
    """A row whose every figure is a formula: formula_for(column letter) → the text after '='."""
    for col in range(1, LAST_COLUMN + 1):
        if col == 1:
            value = number
        elif col == 2:
            value = label
        else:
            value = Formula("=" + formula_for(get_column_letter(col)))
        cell = _put(sheet, row, col, value)
        cell.font, cell.border = _font(bold=bold), BOX
        cell.alignment = LEFT if col == 2 else CENTER
        if col >= FIRST_FIGURE_COLUMN:
            cell.number_format = "#,##0"


def _total_row(sheet, first, last):
    if last < first:
        _sum_row(sheet, TOTAL_ROW, "", "Tổng số", lambda letter: "0")
    else:
        _sum_row(sheet, TOTAL_ROW, "", "Tổng số", lambda letter: f"SUM({letter}{first}:{letter}{last})")


def _received_for_others(sheet, row, result):
    """Dossiers a desk took in for another unit (Decree 118/2025/NĐ-CP): the rows above count them at the unit
    that resolves them; the receiving desks' counts are listed apart, below the table. Returns the next row."""
    counts = received_for_other_units(result.period, [row.unit.pk for row in result.units])
    rows = [(unit_row.unit, counts[unit_row.unit.pk]) for unit_row in result.units if counts.get(unit_row.unit.pk)]
    if not rows:
        return row
    row += 1
    heading = (
        "Hồ sơ tiếp nhận không phụ thuộc địa giới hành chính (đã tính vào số liệu của cơ quan giải quyết,"
        " không cộng vào cột (3) của nơi tiếp nhận):"
    )
    _merge(sheet, row, 1, LAST_COLUMN, heading, _font(italic=True, size=10), LEFT)
    for unit, count in rows:
        row += 1
        _merge(sheet, row, 1, LAST_COLUMN, f"- {unit.label}: {formats.count(count)} hồ sơ", _font(size=10), LEFT)
    return row + 1


def _signatures(sheet, row):
    row += 1
    note = "Ghi chú: (3) = (4) + (5) + (6); (7) = (8) + (9) + (10); (11) = (12) + (13)."
    _merge(sheet, row, 1, LAST_COLUMN, note, _font(italic=True, size=10), LEFT)
    row += 1
    _merge(sheet, row, 9, LAST_COLUMN, "……, ngày … tháng … năm ……", _font(italic=True), CENTER)
    row += 1
    _merge(sheet, row, 1, 5, "NGƯỜI LẬP BIỂU", _font(bold=True), CENTER)
    _merge(sheet, row, 9, LAST_COLUMN, "THỦ TRƯỞNG ĐƠN VỊ", _font(bold=True), CENTER)
    row += 1
    _merge(sheet, row, 1, 5, "(Ký, ghi rõ họ tên)", _font(italic=True), CENTER)
    _merge(sheet, row, 9, LAST_COLUMN, "(Ký, ghi rõ họ tên, đóng dấu)", _font(italic=True), CENTER)


def _page_setup(sheet):
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = NAME_WIDTH
    for col in range(FIRST_FIGURE_COLUMN, LAST_COLUMN + 1):
        sheet.column_dimensions[get_column_letter(col)].width = 11.5
    sheet.freeze_panes = sheet.cell(row=TOTAL_ROW, column=FIRST_FIGURE_COLUMN)
    sheet.print_title_rows = f"{HEADER_FIRST_ROW}:{NUMBERS_ROW}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    # Millimetres as Decree 30 asks of letters, in inches: top/bottom 20 mm, left 25 mm, right 15 mm.
    sheet.page_margins.left, sheet.page_margins.right = 0.98, 0.59
    sheet.page_margins.top, sheet.page_margins.bottom = 0.79, 0.79
    sheet.page_margins.header, sheet.page_margins.footer = 0.3, 0.3
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.center.font = FONT_NAME


def _by_field(book, result, receiving):
    sheet = book.create_sheet("Theo lĩnh vực")
    _header(sheet, result, "(Theo lĩnh vực)", "Lĩnh vực giải quyết", receiving)
    first = TOTAL_ROW + 1
    for index, row in enumerate(result.fields, start=1):
        _figure_row(sheet, first + index - 1, index, row.field.name, row.counters)
    last = first + len(result.fields) - 1
    _total_row(sheet, first, last)
    _signatures(sheet, max(last, TOTAL_ROW) + 1)
    _page_setup(sheet)
    return sheet


def _groups(units):
    """Unit rows by level (province, district, commune), in tree order within each level."""
    by_level = {}
    for row in units:
        by_level.setdefault(row.unit.level, []).append(row)
    return [(GROUP_LABELS.get(level, level), by_level[level]) for level in GROUP_LABELS if level in by_level]


def _by_unit(book, result, receiving):
    sheet = book.create_sheet("Theo đơn vị")
    _header(sheet, result, "(Theo đơn vị)", "Cơ quan, đơn vị", receiving)
    row = TOTAL_ROW + 1
    groups = _groups(result.units)
    if len(groups) <= 1:
        rows = groups[0][1] if groups else []
        for index, unit_row in enumerate(rows, start=1):
            _figure_row(sheet, row, index, unit_row.unit.label, unit_row.counters)
            row += 1
        _total_row(sheet, TOTAL_ROW + 1, row - 1)
    else:
        # Offices and communes apart, each with its subtotal; the total adds the subtotals.
        subtotal_rows = []
        for roman, (label, rows) in zip(ROMAN, groups, strict=False):
            head = row
            subtotal_rows.append(head)
            first, last = head + 1, head + len(rows)
            _sum_row(sheet, head, roman, label, lambda letter, a=first, b=last: f"SUM({letter}{a}:{letter}{b})")
            for index, unit_row in enumerate(rows, start=1):
                _figure_row(sheet, head + index, index, unit_row.unit.label, unit_row.counters)
            row = last + 1
        _sum_row(sheet, TOTAL_ROW, "", "Tổng số", lambda letter: "+".join(f"{letter}{r}" for r in subtotal_rows))
    row = _received_for_others(sheet, max(row - 1, TOTAL_ROW) + 1, result)
    _signatures(sheet, row)
    _page_setup(sheet)
    return sheet


def workbook(result, receiving=None):
    """The two sheets of Biểu II.06a for a reports.tally.Tally."""
    book = Workbook()
    book.remove(book.active)
    receiving = receiving or receiving_unit(result.scope)
    _by_field(book, result, receiving)
    _by_unit(book, result, receiving)
    book.properties.title = f"{FORM_CODE} — {reporting_unit(result.scope)} — {result.period.range_text}"
    book.properties.creator = "Cổng Một cửa"
    return safe.harden(book)


def build(period, scope=None, allowed_units=None, receiving=None):
    return workbook(tally(period, scope=scope, allowed_units=allowed_units), receiving=receiving)


def write(period, path, scope=None, allowed_units=None, receiving=None):
    build(period, scope=scope, allowed_units=allowed_units, receiving=receiving).save(path)
