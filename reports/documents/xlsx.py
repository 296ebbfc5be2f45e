"""The tally as a spreadsheet: one row per unit with the columns of Biểu II.06a and the two rates."""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from cases.core import safe
from reports.figures import wording

# (counter, header) in the order of Biểu II.06a: received, resolved, open.
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
    ("on_time_rate", "Tỷ lệ đúng hạn (%)"),
    ("online_rate", "Tỷ lệ trực tuyến (%)"),
]


def value(counters, key):
    return getattr(counters, key)


def workbook(tally):
    book = Workbook()
    sheet = book.active
    sheet.title = "Tổng hợp"
    scope = tally.scope.name if tally.scope else "Toàn hệ thống"
    sheet.append([safe.xml_text(f"KẾT QUẢ GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH — {scope.upper()}")])
    sheet.append([f"Kỳ báo cáo: {tally.period.range_text}"])
    sheet.append(["Đơn vị tính: Số hồ sơ TTHC"])
    sheet.append(["Mã đơn vị", "Tên đơn vị", "Cấp"] + [header for _, header in COLUMNS])
    for row in tally.units:
        sheet.append(
            [row.unit.code, safe.xml_text(row.unit.name), wording.level_label(row.unit.level)]
            + [value(row.counters, key) for key, _ in COLUMNS]
        )
    sheet.append(["", "Tổng cộng", ""] + [value(tally.totals, key) for key, _ in COLUMNS])
    for cell in sheet[1] + sheet[4] + sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for cell in sheet[4]:
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for index in range(4, 4 + len(COLUMNS)):
        sheet.column_dimensions[get_column_letter(index)].width = 13
    sheet.column_dimensions["B"].width = 40
    for row in sheet.iter_rows(min_row=5, min_col=4 + len(COLUMNS) - 2):
        for cell in row:
            cell.number_format = "0.00"
    sheet.freeze_panes = "D5"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "4:4"
    text = book.create_sheet("Nội dung")
    text.column_dimensions["A"].width = 120
    for paragraph in wording.paragraphs(tally):
        text.append([safe.xml_text(paragraph)])
        text.cell(row=text.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    return safe.harden(book)


def write(tally, path):
    workbook(tally).save(path)
