"""The look the portal's workbooks share (Decree 30's font; the header and total fills)."""

from openpyxl.styles import Font, PatternFill

FONT_NAME = "Times New Roman"
BODY = Font(name=FONT_NAME, size=11)
BOLD = Font(name=FONT_NAME, size=11, bold=True)
TITLE = Font(name=FONT_NAME, size=13, bold=True)
ITALIC = Font(name=FONT_NAME, size=11, italic=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
