"""The appraisal workbook for Nội vụ: each unit and each official with their figures and a rating.

Figures come from reports.tally (the dashboard's and Biểu II.06a's definitions); the officials' counts are one
aggregate query grouped by handler over the same `counter_conditions`. The rating follows settings.APPRAISAL_RULES,
an ordered list of (label, conditions) where the first rule whose conditions all hold wins; the rule is written
out on the sheet "Cách xếp loại" from the same setting.

Large scopes are built in the background (`reports.build_workbook`), with progress in a small JSON file beside
the workbook under MEDIA_ROOT/bao-cao/, which every web process and worker can read.
"""

import json
import os
import uuid
from dataclasses import dataclass
from datetime import date

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from cases.models import Dossier, Explanation, Level
from cases.outcome import with_days
from reports.tally import RATE_DIGITS, counter_conditions, relevant, tally, unit_ids
from reports.wording import number, percent

NO_DATA = "Chưa đủ số liệu đánh giá"
NO_RULE = "Chưa xếp loại (không khớp mức nào)"

# condition → (measure, "min" or "max", phrase for the limit, phrase when the limit is 0)
CONDITIONS = {
    "min_on_time_rate": (
        "on_time_rate",
        "min",
        "tỷ lệ hồ sơ giải quyết đúng hạn (kể cả trước hạn) trên tổng số hồ sơ đã giải quyết đạt từ {value} trở lên",
        None,
    ),
    "min_online_rate": (
        "online_rate",
        "min",
        "tỷ lệ hồ sơ tiếp nhận trực tuyến trên số hồ sơ tiếp nhận trong kỳ đạt từ {value} trở lên",
        None,
    ),
    "min_digitized_rate": (
        "digitized_rate",
        "min",
        "tỷ lệ hồ sơ tiếp nhận trong kỳ đã số hóa đạt từ {value} trở lên",
        None,
    ),
    "max_late": (
        "late",
        "max",
        "không quá {value} hồ sơ giải quyết quá hạn",
        "không có hồ sơ giải quyết quá hạn",
    ),
    "max_overdue": (
        "overdue",
        "max",
        "không quá {value} hồ sơ đang giải quyết quá hạn vào ngày cuối kỳ",
        "không có hồ sơ đang giải quyết quá hạn vào ngày cuối kỳ",
    ),
    "max_unanswered_explanations": (
        "unanswered_explanations",
        "max",
        "không quá {value} yêu cầu giải trình chưa được trả lời",
        "không có yêu cầu giải trình nào chưa được trả lời",
    ),
    "max_unissued_apologies": (
        "unissued_apologies",
        "max",
        "không quá {value} hồ sơ quá hạn chưa lập phiếu xin lỗi, hẹn lại ngày trả kết quả",
        "mọi hồ sơ quá hạn đều đã có phiếu xin lỗi, hẹn lại ngày trả kết quả",
    ),
}
RATE_MEASURES = {"on_time_rate", "online_rate", "digitized_rate"}
# Measured for a unit only: an official is rated on the dossiers they handled.
UNIT_ONLY_MEASURES = {"online_rate", "digitized_rate", "unanswered_explanations", "unissued_apologies"}


# --- the rating rule ----------------------------------------------------------------------------------
def rules(setting=None):
    """The rule as [(label, {condition: limit})], checked: an unknown condition is a configuration error."""
    setting = settings.APPRAISAL_RULES if setting is None else setting
    checked = []
    for entry in setting:
        label, conditions = entry
        unknown = set(conditions) - set(CONDITIONS)
        if unknown:
            known = ", ".join(CONDITIONS)
            raise ImproperlyConfigured(f"APPRAISAL_RULES «{label}»: unknown {', '.join(sorted(unknown))} ({known})")
        checked.append((str(label), {key: float(limit) for key, limit in conditions.items()}))
    if not checked:
        raise ImproperlyConfigured("APPRAISAL_RULES is empty")
    return checked


def rate(measures, rule=None):
    """The label of the first rule whose conditions all hold; NO_DATA when nothing was resolved.

    `measures` maps the names of CONDITIONS' measures to values; None means "not measured here" (a rate without a
    base, a unit's explanations for an official) and does not count against.
    """
    if not measures.get("resolved"):
        return NO_DATA
    for label, conditions in rules(rule):
        if all(
            _holds(measures.get(CONDITIONS[key][0]), CONDITIONS[key][1], limit) for key, limit in conditions.items()
        ):
            return label
    return NO_RULE


def _holds(value, kind, limit):
    if value is None:
        return True
    return value >= limit if kind == "min" else value <= limit


def _limit_text(key, limit):
    measure, _, phrase, zero_phrase = CONDITIONS[key]
    if measure in RATE_MEASURES:
        return phrase.format(value=percent(limit))
    if limit == 0 and zero_phrase:
        return zero_phrase
    return phrase.format(value=number(int(limit)))


def rule_lines(rule=None):
    """The rule in Vietnamese, one line per level, from the same setting the rating uses."""
    lines = []
    for index, (label, conditions) in enumerate(rules(rule), start=1):
        text = "; ".join(_limit_text(key, limit) for key, limit in conditions.items()) or "các trường hợp còn lại"
        lines.append(f"{index}. «{label}»: {text[0].upper()}{text[1:]}.")
    return lines


def rule_notes(rule=None):
    notes = [
        "Xét lần lượt từ mức thứ nhất trở xuống; đơn vị, cán bộ được xếp vào mức đầu tiên mà mọi điều kiện"
        " của mức đó đều đạt.",
        f"Đơn vị, cán bộ không có hồ sơ đã giải quyết trong kỳ: «{NO_DATA}».",
        "Cán bộ được xét theo các hồ sơ do mình xử lý (tỷ lệ đúng hạn, số hồ sơ quá hạn); các điều kiện về tỷ lệ"
        " trực tuyến, số hóa, phiếu xin lỗi và giải trình là của đơn vị, không xét cho từng cán bộ.",
        "Tỷ lệ không tính được (không có hồ sơ làm mẫu số) thì điều kiện về tỷ lệ đó không xét.",
    ]
    if not any(not conditions for _, conditions in rules(rule)):
        notes.append(f"Không khớp mức nào: «{NO_RULE}».")
    return notes


# --- the figures ----------------------------------------------------------------------------------------
@dataclass
class UnitAppraisal:
    unit: object
    counters: object
    received_in_period: int = 0  # the digitised rate's base, counted with it
    digitized: int = 0
    apologies_owed: int = 0
    apologies_issued: int = 0
    explanations_owed: int = 0
    explanations_answered: int = 0
    rating: str = ""

    @property
    def timely(self):
        return self.counters.resolved_early + self.counters.resolved_on_time

    @property
    def digitized_rate(self):
        if not self.received_in_period:
            return None
        return round(100 * self.digitized / self.received_in_period, RATE_DIGITS)

    def measures(self):
        c = self.counters
        return {
            "resolved": c.resolved_total,
            "on_time_rate": c.on_time_rate,
            "online_rate": c.online_rate,
            "digitized_rate": self.digitized_rate,
            "late": c.resolved_late,
            "overdue": c.in_progress_overdue,
            "unanswered_explanations": self.explanations_owed - self.explanations_answered,
            "unissued_apologies": self.apologies_owed - self.apologies_issued,
        }


@dataclass
class OfficialAppraisal:
    handler_id: int | None
    full_name: str
    username: str
    unit: object
    handled: int = 0  # resolved in the period
    early: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # open and overdue at the period's end
    rating: str = ""

    @property
    def timely(self):
        return self.early + self.on_time

    @property
    def on_time_rate(self):
        """The same formula as reports.tally.Counters.on_time_rate."""
        if not self.handled:
            return None
        return round(100 * self.timely / self.handled, RATE_DIGITS)

    def measures(self):
        measures = {"resolved": self.handled, "on_time_rate": self.on_time_rate, "late": self.late}
        measures["overdue"] = self.overdue
        return measures | dict.fromkeys(UNIT_ONLY_MEASURES)


@dataclass
class Appraisal:
    period: object
    scope: object
    units: list
    officials: list
    rule: list


def _noop(percent_done, message):
    pass


def appraise(period, scope=None, allowed_units=None, rule=None, progress=_noop):
    """Every unit of the scope and every official who handled its dossiers, rated. A handful of queries in all."""
    from cases.followup import apology_counts

    rule = rules(rule)
    # As reports.tally does: a running period is counted up to today, open dossiers overdue as of today.
    period = period.up_to(timezone.localdate())
    progress(5, "Đang tính số liệu các đơn vị")
    result = tally(period, scope=scope, allowed_units=allowed_units, by_field=False)
    units = [row.unit.pk for row in result.units]
    progress(30, "Đang tính tỷ lệ số hóa, phiếu xin lỗi, giải trình")
    digitized = _digitized(period, units)
    owed = {row.unit.pk: row.counters.resolved_late + row.counters.in_progress_overdue for row in result.units}
    apologies = apology_counts(period, units, owed=owed)
    explanations = _explanations(period, units)
    unit_rows = []
    for row in result.units:
        pk = row.unit.pk
        received, digitised = digitized.get(pk, (0, 0))
        owed, issued = apologies.get(pk, (0, 0))
        asked, answered = explanations.get(pk, (0, 0))
        item = UnitAppraisal(row.unit, row.counters, received, digitised, owed, issued, asked, answered)
        item.rating = rate(item.measures(), rule)
        unit_rows.append(item)
    progress(45, "Đang tính số liệu từng cán bộ")
    officials = _officials(period, units, {row.unit.pk: row.unit for row in result.units})
    for item in officials:
        item.rating = rate(item.measures(), rule)
    return Appraisal(period=period, scope=scope, units=unit_rows, officials=officials, rule=rule)


def _digitized(period, units):
    """{unit id: (received in the period, of which papers digitised)}."""
    rows = (
        Dossier.objects.filter(
            unit_id__in=unit_ids(units), received_at__gte=period.start_at, received_at__lt=period.end_at
        )
        .values("unit_id")
        .order_by()
        .annotate(received=Count("id"), digitized=Count("id", filter=Q(papers_digitized=True)))
    )
    return {row["unit_id"]: (row["received"], row["digitized"]) for row in rows}


def _explanations(period, units):
    """{unit id: (explanations asked by requests overlapping the period, of which answered)}."""
    rows = (
        Explanation.objects.filter(
            unit_id__in=unit_ids(units), request__period_start__lte=period.end, request__period_end__gte=period.start
        )
        .values("unit_id")
        .order_by()
        .annotate(asked=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)))
    )
    return {row["unit_id"]: (row["asked"], row["answered"]) for row in rows}


def _officials(period, units, unit_by_id):
    """One aggregate query grouped by handler (and unit), with the counters' own conditions."""
    conditions = counter_conditions(period)
    counts = {
        "handled": conditions["resolved_total"],
        "early": conditions["resolved_early"],
        "on_time": conditions["resolved_on_time"],
        "late": conditions["resolved_late"],
        "overdue": conditions["in_progress_overdue"],
    }
    rows = (
        with_days(relevant(Dossier.objects.filter(unit_id__in=unit_ids(units)), period))
        .values("handler_id", "handler__username", "handler__first_name", "handler__last_name", "unit_id")
        .order_by()
        .annotate(**{name: Count("id", filter=condition) for name, condition in counts.items()})
        .filter(Q(handled__gt=0) | Q(overdue__gt=0))
    )
    result = []
    for row in rows:
        if row["handler_id"] is None:
            full_name, username = "(Chưa ghi người xử lý)", ""
        else:
            full_name = f"{row['handler__first_name']} {row['handler__last_name']}".strip() or row["handler__username"]
            username = row["handler__username"]
        result.append(
            OfficialAppraisal(
                handler_id=row["handler_id"],
                full_name=full_name,
                username=username,
                unit=unit_by_id[row["unit_id"]],
                **{name: row[name] for name in counts},
            )
        )
    # Tree order of units, then by name; the dossiers without a handler last in their unit.
    result.sort(key=lambda item: (item.unit.path, item.handler_id is None, item.full_name.casefold(), item.username))
    return result


# --- the workbook ----------------------------------------------------------------------------------------
FONT_NAME = "Times New Roman"
BODY = Font(name=FONT_NAME, size=11)
BOLD = Font(name=FONT_NAME, size=11, bold=True)
TITLE = Font(name=FONT_NAME, size=13, bold=True)
ITALIC = Font(name=FONT_NAME, size=11, italic=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
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
RATE_FORMAT = "0.00%"
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
        item.unit.name,
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
        item.rating,
    ]


def official_values(index, item):
    return [
        index,
        item.full_name,
        item.username,
        item.unit.name,
        item.handled,
        item.timely,
        item.late,
        _fraction(item.on_time_rate),
        item.overdue,
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
        cell = WriteOnlyCell(sheet, text)
        cell.font = font
        sheet.append([cell])
        sheet.merged_cells.add(f"A{row}:{last}{row}")
    header = []
    for text, _, _ in columns:
        cell = WriteOnlyCell(sheet, text)
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
        f"Chỉ tiêu: tỷ lệ đúng hạn từ {percent(settings.TARGET_ON_TIME_RATE)}, tỷ lệ trực tuyến từ"
        f" {percent(settings.TARGET_ONLINE_RATE)} (ô tô đỏ: dưới chỉ tiêu). Xếp loại theo trang «Cách xếp loại»."
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
            cell = WriteOnlyCell(sheet, value)
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
        ("Các mức xếp loại (theo cấu hình APPRAISAL_RULES của hệ thống):", BOLD),
        *[(line, BODY) for line in rule_lines(appraisal.rule)],
        ("", BODY),
        *[(f"- {note}", BODY) for note in rule_notes(appraisal.rule)],
        ("", BODY),
        ("Cách tính số liệu:", BOLD),
        ("- Tỷ lệ đúng hạn = (số hồ sơ giải quyết trước hạn + đúng hạn) / số hồ sơ đã giải quyết trong kỳ.", BODY),
        ("- Tỷ lệ trực tuyến = số hồ sơ tiếp nhận trực tuyến / số hồ sơ tiếp nhận trong kỳ.", BODY),
        (
            "- Tỷ lệ số hóa = số hồ sơ tiếp nhận trong kỳ đã số hóa thành phần hồ sơ / số hồ sơ tiếp nhận trong kỳ.",
            BODY,
        ),
        ("- Phiếu xin lỗi phải lập = số hồ sơ giải quyết quá hạn hoặc đang quá hạn vào ngày cuối kỳ.", BODY),
        ("- Giải trình phải nộp = số yêu cầu giải trình gửi đơn vị cho khoảng thời gian trùng với kỳ đánh giá.", BODY),
        ("- Số hồ sơ của cán bộ: theo người xử lý ghi trên hồ sơ; cùng cách phân loại với Biểu II.06a.", BODY),
        ("", BODY),
        (f"Lập lúc {timezone.localtime():%H:%M ngày %d/%m/%Y} từ Cổng Một cửa.", ITALIC),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = WriteOnlyCell(sheet, text)
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


def build(period, scope=None, allowed_units=None, rule=None, progress=_noop):
    return workbook(appraise(period, scope, allowed_units, rule, progress), progress)


def write(period, path, scope=None, allowed_units=None, rule=None):
    build(period, scope=scope, allowed_units=allowed_units, rule=rule).save(path)


# --- building in the background -------------------------------------------------------------------------
OFFICIAL, APPRAISAL = "bieu-ii06a", "danh-gia"
KINDS = {OFFICIAL: "Biểu II.06a", APPRAISAL: "Bảng đánh giá, xếp loại"}


def file_name(kind, scope, period):
    code = scope.code if scope is not None else "toan-he-thong"
    return f"{kind}-{code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"


def build_kind(kind, period, scope=None, allowed_units=None, progress=_noop):
    """The workbook of one kind (OFFICIAL or APPRAISAL)."""
    if kind == OFFICIAL:
        from reports import official

        progress(10, "Đang tính số liệu")
        result = tally(period, scope=scope, allowed_units=allowed_units)
        progress(60, "Đang ghi bảng")
        return official.workbook(result)
    if kind == APPRAISAL:
        return build(period, scope=scope, allowed_units=allowed_units, progress=progress)
    raise ValueError(f"unknown workbook kind {kind!r}")


def jobs_dir():
    path = os.path.join(settings.MEDIA_ROOT, "bao-cao")
    os.makedirs(path, exist_ok=True)
    return path


def _status_path(job_id):
    return os.path.join(jobs_dir(), f"{uuid.UUID(str(job_id)).hex}.json")


def job_file_path(job_id):
    return os.path.join(jobs_dir(), f"{uuid.UUID(str(job_id)).hex}.xlsx")


def read_job(job_id):
    try:
        with open(_status_path(job_id), encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def _write_job(job_id, **changes):
    status = (read_job(job_id) or {}) | changes
    path = _status_path(job_id)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(status, handle, ensure_ascii=False)
    os.replace(temporary, path)  # readers never see half a file
    return status


def start_job(kind, user, scope, period):
    """Queue a background build for `user`; returns the job id (the status page's address)."""
    job_id = str(uuid.uuid4())
    _write_job(
        job_id,
        kind=kind,
        user_id=user.pk,
        scope_id=scope.pk if scope is not None else None,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        label=period.label,
        filename=file_name(kind, scope, period),
        title=f"{KINDS[kind]} — {_scope_name(scope)} — {period.range_text}",
        state="queued",
        progress=0,
        message="Đang chờ xử lý",
        created_at=timezone.now().isoformat(),
    )
    build_workbook.delay(job_id)
    return job_id


@shared_task(name="reports.build_workbook")
def build_workbook(job_id):
    """Build the workbook a job asks for, within what its user may see, reporting progress as it goes."""
    from django.contrib.auth import get_user_model

    from cases import access
    from cases.models import Unit
    from reports.periods import Period

    job = read_job(job_id)
    if job is None or job.get("state") == "done":
        return None
    last = {"progress": -1}

    def progress(percent_done, message):
        if percent_done != last["progress"]:
            last["progress"] = percent_done
            _write_job(job_id, state="running", progress=percent_done, message=message)

    progress(1, "Đang bắt đầu")
    try:
        user = get_user_model().objects.get(pk=job["user_id"])
        scope = Unit.objects.get(pk=job["scope_id"]) if job["scope_id"] else None
        period = Period(date.fromisoformat(job["start"]), date.fromisoformat(job["end"]), job.get("label", ""))
        book = build_kind(job["kind"], period, scope, access.visible_units(user), progress)
        progress(95, "Đang lưu tệp")
        path = job_file_path(job_id)
        temporary = f"{path}.{os.getpid()}.tmp"
        book.save(temporary)
        os.replace(temporary, path)
    except Exception:
        _write_job(job_id, state="failed", message="Không tạo được tệp. Hãy thử lại hoặc báo quản trị hệ thống.")
        raise
    _write_job(job_id, state="done", progress=100, message="Đã xong", finished_at=timezone.now().isoformat())
    return job_id
