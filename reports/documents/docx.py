"""The draft công văn (Decree 30/2020/NĐ-CP layout): figures first, then named units, blanks for the requests."""

from django.utils import timezone
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Mm, Pt

from cases.core import safe
from cases.core.formats import number, percent
from reports.figures import wording
from reports.figures.satisfaction import satisfaction_rows

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


# What may follow w:pBdr inside w:pPr (the schema's order), for inserting the border in its place.
AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _rule(cell, cell_width, length):
    """The short solid line under the issuing body and under the motto (Decree 30/2020, Appendix I): an empty
    paragraph of `length` centred in the cell, with a bottom border."""
    paragraph = cell.add_paragraph()
    side = Emu((cell_width - length) // 2)
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(4)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "8"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(name), value)
    border.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(border, *AFTER_BORDER)
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


LEFT_WIDTH, RIGHT_WIDTH = Cm(6.3), Cm(10.2)
# The satisfaction table across the text width (16,5 cm): STT, unit, rated, satisfied, not satisfied, rate.
SATISFACTION_HEAD = ("TT", "Đơn vị", "Số đánh giá", "Hài lòng, rất hài lòng", "Không hài lòng", "Tỷ lệ hài lòng")
SATISFACTION_WIDTHS = (Cm(1.0), Cm(6.3), Cm(2.2), Cm(2.6), Cm(2.2), Cm(2.2))


def _cell_text(cell, text, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    _run(paragraph, text, size=12, bold=bold)


def _satisfaction(document, tally):
    """The satisfaction rate per unit, as the dashboard shows it (reports.figures.satisfaction)."""
    rows, total = satisfaction_rows(tally)
    _body(document, wording.satisfaction(tally, rows, total))
    if not rows:
        return
    table = document.add_table(rows=1, cols=len(SATISFACTION_HEAD))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, SATISFACTION_HEAD, strict=True):
        _cell_text(cell, text, bold=True)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeated on every page it runs to
    lines = [(str(index), unit.label, counts) for index, (unit, counts) in enumerate(rows, start=1)]
    for index, label, counts in [*lines, ("", "Cộng", total)]:
        cells = table.add_row().cells
        figures = (number(counts.rated), number(counts.satisfied), number(counts.not_satisfied), percent(counts.rate))
        _cell_text(cells[0], index)
        _cell_text(cells[1], label, bold=not index, align=WD_ALIGN_PARAGRAPH.LEFT)
        for cell, text in zip(cells[2:], figures, strict=True):
            _cell_text(cell, text, bold=not index)
    _fix_widths(table, *SATISFACTION_WIDTHS)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def letter(tally, subject=None, today=None):
    """A Document: the letter the office sends its units about the period's figures, dated this year."""
    today = today or timezone.localdate()
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
    _fix_widths(header, LEFT_WIDTH, RIGHT_WIDTH)
    left, right = header.rows[0].cells
    _centered(left, body_top, bold=True, first=True)
    if body_bottom:
        _centered(left, body_bottom, bold=True)
    _rule(left, LEFT_WIDTH, Cm(2.2))
    _centered(left, "Số:       /UBND-VP", size=13)
    _centered(left, subject or f"V/v kết quả giải quyết hồ sơ TTHC {tally.period.label}", size=12)
    _centered(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True, first=True)
    _centered(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True)
    _rule(right, RIGHT_WIDTH, Cm(6.4))
    date_line = _centered(
        right, f"{place_name(tally.scope)}, ngày     tháng     năm {today.year}", size=14, italic=True
    )
    date_line.paragraph_format.space_before = Pt(6)

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
    _satisfaction(document, tally)
    _body(document, "Để nâng cao chất lượng giải quyết thủ tục hành chính, yêu cầu các cơ quan, đơn vị thực hiện:")
    for item in (1, 2, 3):
        _body(document, f"{item}. {'…' * 25}")  # one line of the text width: filled in by hand
    closing = _body(document, "Yêu cầu Thủ trưởng các cơ quan, đơn vị nghiêm túc triển khai thực hiện./.")
    closing.paragraph_format.keep_with_next = True

    footer = document.add_table(rows=1, cols=2)
    _fix_widths(footer, Cm(7.5), Cm(9.0))
    # "Nơi nhận" and the signature block stay on one page, after the closing line.
    footer.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
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
