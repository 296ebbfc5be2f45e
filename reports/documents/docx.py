"""The draft công văn (Decree 30/2020/NĐ-CP layout): figures first, then named units, blanks for the requests."""

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Mm, Pt

from cases.core import safe
from reports.figures import wording

FONT = "Times New Roman"
BLANK = "…" * 12


def issuing_body(scope):
    """'UBND huyện Điện Biên Đông' → ('ỦY BAN NHÂN DÂN', 'HUYỆN ĐIỆN BIÊN ĐÔNG')."""
    if scope is None:
        return ("ỦY BAN NHÂN DÂN", "")
    name = scope.name
    if name.upper().startswith("UBND "):
        return ("ỦY BAN NHÂN DÂN", name[5:].upper())
    return (name.upper(), "")


def place_name(scope):
    if scope is None:
        return BLANK
    if scope.place_name:
        return scope.place_name
    words = scope.name.split()
    # "UBND huyện Krông Nô" → "Krông Nô"; "UBND thị xã Mỹ Hào" → "Mỹ Hào".
    for prefix in ("UBND tỉnh", "UBND huyện", "UBND thị xã", "UBND thành phố", "UBND xã", "UBND phường"):
        if scope.name.startswith(prefix):
            return scope.name[len(prefix) :].strip()
    return " ".join(words[-2:])


def _run(paragraph, text, size=14, bold=False, italic=False):
    run = paragraph.add_run(safe.xml_text(text))  # a control character pasted into a name cannot break the file
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    # East-Asian font mapping, so Word does not substitute another face for Vietnamese.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT
    )
    return run


def _centered(cell_or_doc, text, size=13, bold=False, italic=False, first=False):
    paragraph = cell_or_doc.paragraphs[0] if first else cell_or_doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _body(document, text, indent=True):
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1.27) if indent else None
    paragraph.paragraph_format.space_after = Pt(6)
    paragraph.paragraph_format.line_spacing = 1.15
    _run(paragraph, text)
    return paragraph


def _fix_widths(table, *widths):
    """Word honours cell widths only with autofit off and every cell of the column set."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def letter(tally, subject=None):
    """A Document: the letter the office sends its units about the period's figures."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)

    body_top, body_bottom = issuing_body(tally.scope)
    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fix_widths(header, Cm(6.3), Cm(10.2))
    left, right = header.rows[0].cells
    _centered(left, body_top, bold=True, first=True)
    if body_bottom:
        _centered(left, body_bottom, bold=True)
    _centered(left, "Số:       /UBND-VP", size=13)
    _centered(left, subject or f"V/v kết quả giải quyết hồ sơ TTHC {tally.period.label}", size=12)
    _centered(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True, first=True)
    _centered(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True)
    _centered(right, f"{place_name(tally.scope)}, ngày     tháng     năm 20…", size=14, italic=True)

    recipients = document.add_paragraph()
    recipients.alignment = WD_ALIGN_PARAGRAPH.CENTER
    recipients.paragraph_format.space_before = Pt(18)
    _run(recipients, "Kính gửi:")
    for line in ("- Các cơ quan, đơn vị trực thuộc;", "- UBND các xã, phường, thị trấn."):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(4.5)
        paragraph.paragraph_format.space_after = Pt(0)
        _run(paragraph, line)

    document.add_paragraph()
    for text in wording.paragraphs(tally):
        _body(document, text)
    _body(document, "Để nâng cao chất lượng giải quyết thủ tục hành chính, yêu cầu các cơ quan, đơn vị thực hiện:")
    for number in (1, 2, 3):
        _body(document, f"{number}. {'…' * 55}")
    _body(document, "Yêu cầu Thủ trưởng các cơ quan, đơn vị nghiêm túc triển khai thực hiện./.")

    footer = document.add_table(rows=1, cols=2)
    _fix_widths(footer, Cm(7.5), Cm(9.0))
    recipients_cell, signature = footer.rows[0].cells
    paragraph = recipients_cell.paragraphs[0]
    _run(paragraph, "Nơi nhận:", size=12, bold=True, italic=True)
    for line in ("- Như trên;", "- Lãnh đạo UBND;", "- Lưu: VT."):
        paragraph = recipients_cell.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        _run(paragraph, line, size=11)
    for index, line in enumerate(("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")):
        _centered(signature, line, size=14, bold=True, first=index == 0)
    for _ in range(3):
        signature.add_paragraph()
    _centered(signature, BLANK, size=14, bold=True)
    return document


def write(tally, path):
    letter(tally).save(path)
