"""The appraisal workbook for Nội vụ: sheets "Đơn vị", "Cán bộ" and "Cách xếp loại", written row by row from an
Appraisal (cases.followup.appraisal) in write-only mode, so a province fits in memory."""

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cases.catalogue.models import Level
from cases.core import safe
from cases.core.formats import RATE_DIGITS, RATE_FORMAT, percent_limit
from reports.documents.styles import (
    BODY,
    BOLD,
    BOX,
    CENTER,
    FONT_NAME,
    ITALIC,
    TITLE,
    WRAP_LEFT,
    print_setup,
    titled_sheet,
)


def _noop(percent_done, message):
    pass


BAD_FILL = PatternFill("solid", fgColor="F8CBAD")
BAD_FONT = Font(name=FONT_NAME, size=11, color="9C0006", bold=True)
CHARS_PER_WIDTH = 1.3
LINE_HEIGHT = 15
COUNT_FORMAT = "#,##0"
HOURS_FORMAT = "#,##0.0"
HEADER_ROW = 4
RIGHT = Alignment(horizontal="right", vertical="center")

# Ratings given in the period (reports.figures.satisfaction): of a unit's dossiers, or of the dossiers an official
# held a step of. No rating: "—" in the rate, never 0%.
SATISFACTION_COLUMNS = [
    ("Số đánh giá của người dân", 10, "count"),
    ("Hài lòng, rất hài lòng", 9, "count"),
    ("Tỷ lệ hài lòng", 9, "rate"),
]
NO_RATING = "—"
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
    *SATISFACTION_COLUMNS,
    ("Xếp loại", 22, "text"),
]
OFFICIAL_COLUMNS = [
    ("STT", 6, "count"),
    ("Họ và tên", 26, "text"),
    ("Tên đăng nhập", 18, "text"),
    ("Đơn vị", 30, "text"),
    ("Bước xử lý đã hoàn thành", 11, "count"),
    ("Trước hạn", 9, "count"),
    ("Đúng hạn", 9, "count"),
    ("Trễ hạn", 9, "count"),
    ("Tỷ lệ đúng hạn (kể cả trước hạn)", 10, "rate"),
    ("Số giờ làm việc trễ hạn", 10, "hours"),
    ("Trả lại bước trước", 9, "count"),
    ("Bước đang giữ quá hạn (cuối kỳ)", 11, "count"),
    *SATISFACTION_COLUMNS,
    ("Xếp loại", 24, "text"),
]
# Columns (letters) of the rates coloured when below target: (sheet, column letter, setting name).
UNIT_ON_TIME_COLUMN, UNIT_ONLINE_COLUMN, OFFICIAL_ON_TIME_COLUMN = "H", "M", "I"

LEVEL_SHORT = {Level.PROVINCE: "Tỉnh", Level.DISTRICT: "Huyện", Level.COMMUNE: "Xã"}


def _fraction(rate_value):
    """A percentage from tally (97.51) as the fraction a '0.00%' cell shows as 97,51%."""
    return None if rate_value is None else round(rate_value / 100, RATE_DIGITS + 2)


def _satisfaction_values(satisfaction):
    rate_value = _fraction(satisfaction.rate)
    return [satisfaction.rated, satisfaction.satisfied, NO_RATING if rate_value is None else rate_value]


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
        *_satisfaction_values(item.satisfaction),
        item.rating,
    ]


def official_values(index, item):
    c = item.counters
    return [
        index,
        item.full_name,
        item.username,
        item.unit.label,
        c.handled,
        c.early,
        c.on_time,
        c.late,
        _fraction(c.on_time_rate),
        c.hours_late,
        c.sent_back,
        c.overdue,
        *_satisfaction_values(item.satisfaction),
        item.rating,
    ]


def _scope_name(scope):
    return scope.name if scope is not None else "Toàn hệ thống"


def _sheet(book, title, columns, heading, subtitle, freeze):
    """A write-only sheet with its widths, frozen header, print setup and the three title rows and the header."""
    titles = [(heading, TITLE), (subtitle, ITALIC), (_targets_text(), ITALIC)]
    return titled_sheet(book, title, columns, titles, freeze)


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
                if isinstance(value, str):  # NO_RATING: beside the figures, not where text starts
                    cell.alignment = RIGHT
            elif kind == "hours":
                cell.number_format = HOURS_FORMAT
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
    print_setup(sheet)
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
        (
            "- Tỷ lệ hài lòng = số đánh giá «Hài lòng», «Rất hài lòng» / số đánh giá người dân gửi trong kỳ (trên"
            " trang tra cứu, phiếu giấy, máy đánh giá tại quầy), tính cho đơn vị tiếp nhận hồ sơ; chưa có đánh giá"
            f" thì ghi «{NO_RATING}».",
            BODY,
        ),
        ("- Phiếu xin lỗi phải lập = số hồ sơ giải quyết quá hạn hoặc đang quá hạn vào ngày cuối kỳ.", BODY),
        (
            "- Giải trình phải nộp = số yêu cầu giải trình gửi đơn vị cho khoảng thời gian trùng với kỳ đánh giá, đã"
            " quá hạn gửi hoặc đã được trả lời; yêu cầu còn trong hạn chưa tính.",
            BODY,
        ),
        (
            "- Số liệu của cán bộ: theo các bước xử lý hồ sơ do cán bộ đảm nhận (người nhận bước), hoàn thành trong kỳ."
            " Bước trễ hạn là bước hoàn thành sau thời hạn của bước; trước hạn là hoàn thành vào ngày trước ngày hết"
            " hạn; còn lại là đúng hạn. Số giờ trễ hạn tính bằng giờ làm việc. Trả lại bước trước: số bước cán bộ"
            " kết thúc bằng việc trả hồ sơ lại bước trước.",
            BODY,
        ),
        (
            "- Mức độ hài lòng của cán bộ: mỗi đánh giá của hồ sơ được tính cho mọi cán bộ đã đảm nhận một bước xử lý"
            " hồ sơ đó (một lần cho mỗi hồ sơ, dù cán bộ giữ nhiều bước), tại đơn vị của bước; bước không ghi người"
            " xử lý không tính cho ai.",
            BODY,
        ),
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
        f"Kỳ đánh giá: {period.range_text}. Số liệu theo các bước xử lý hồ sơ do từng cán bộ đảm nhận.",
        "C5",
    )
    rows = (official_values(i, o) for i, o in enumerate(appraisal.officials, start=1))
    count = _append_rows(officials, OFFICIAL_COLUMNS, rows)
    _finish(officials, OFFICIAL_COLUMNS, count, [(OFFICIAL_ON_TIME_COLUMN, settings.TARGET_ON_TIME_RATE)])
    _rule_sheet(book, appraisal)
    book.properties.title = f"Đánh giá, xếp loại — {scope} — {period.range_text}"
    book.properties.creator = "Cổng Một cửa"
    return book
