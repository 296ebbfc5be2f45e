"""The look the portal's workbooks share (Decree 30's font; the header and total fills; boxes; A4 printing)."""

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from cases.core import safe

FONT_NAME = "Times New Roman"
BODY = Font(name=FONT_NAME, size=11)
BOLD = Font(name=FONT_NAME, size=11, bold=True)
TITLE = Font(name=FONT_NAME, size=13, bold=True)
ITALIC = Font(name=FONT_NAME, size=11, italic=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
CENTER = Alignment(horizontal="center", vertical="center")
PAPER_A4 = "9"  # Worksheet.PAPERSIZE_A4; write-only sheets lack the constant


def print_setup(sheet, landscape=True):
    """A4, fitted to the width, page numbers in the footer; set before a write-only sheet's first row (it writes
    its head then)."""
    sheet.page_setup.paperSize = PAPER_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left, sheet.page_margins.right = 0.79, 0.59
    sheet.page_margins.top, sheet.page_margins.bottom = 0.79, 0.79
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.center.font = FONT_NAME


def titled_sheet(book, title, columns, titles, freeze, title_alignment=None):
    """A write-only sheet, A4 landscape: column widths, frozen panes, title rows merged across the columns, then a
    boxed header row (repeated on every printed page) right under them. `columns`: (header, width, …) tuples;
    `titles`: (text, font) pairs. Returns the sheet; its header is row len(titles) + 1."""
    sheet = book.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column[1]
    sheet.freeze_panes = freeze
    print_setup(sheet)
    last = get_column_letter(len(columns))
    for row, (text, font) in enumerate(titles, start=1):
        cell = safe.cell(sheet, text)
        cell.font = font
        if title_alignment is not None:
            cell.alignment = title_alignment
        sheet.append([cell])
        sheet.merged_cells.add(f"A{row}:{last}{row}")
    header = []
    for column in columns:
        cell = safe.cell(sheet, column[0])
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD_FILL, WRAP_CENTER, BOX
        header.append(cell)
    header_row = len(titles) + 1
    sheet.row_dimensions[header_row].height = 64
    sheet.append(header)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    return sheet
