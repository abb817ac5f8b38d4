"""One layout for every document the platform prints (issue 13 第 1 项): A4, the embedded CJK
font (common/pdf.py), the issuing department's name at the head, the title, the number
(文号) on the right, the addressee, the body — paragraphs, headings and tables — the
closing (issuing department and date), and “第 x 页 共 y 页” in the footer. A document
module (``notice.py`` …) only says what goes in; changing the look is done here."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from html import escape

from shuangsuiji.common.pdf import font_register, numbered_canvas


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Grid:
    headers: list[str]
    rows: list[list[str]]
    widths_mm: list[float]


@dataclass
class Document:
    organ: str  # 发文机关全称
    title: str
    number: str
    issued_on: dt.date
    addressee: str = ""
    body: list[Heading | Para | Grid] = field(default_factory=list)
    contact: str = ""  # 联系地址、电话 (the office's)
    closing_note: str = ""  # e.g. （印章）


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document_pdf(doc: Document) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = font_register()
    organ = ParagraphStyle("o", fontName=font, fontSize=18, leading=26, alignment=1)
    title = ParagraphStyle("t", fontName=font, fontSize=20, leading=30, alignment=1, spaceBefore=6)
    number = ParagraphStyle("n", fontName=font, fontSize=11, leading=16, alignment=2)
    head = ParagraphStyle("h", fontName=font, fontSize=12, leading=18, spaceBefore=4)
    body = ParagraphStyle(
        "b", fontName=font, fontSize=11.5, leading=18, wordWrap="CJK", firstLineIndent=23
    )
    plain = ParagraphStyle("p", fontName=font, fontSize=11.5, leading=18, wordWrap="CJK")
    cell = ParagraphStyle("c", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    right = ParagraphStyle("r", fontName=font, fontSize=11.5, leading=20, alignment=2)

    def para(text: str, style) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def footer(canvas, page: int, total: int) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"第 {page} 页 共 {total} 页")

    story: list = [
        para(doc.organ, organ),
        para(doc.title, title),
        para(doc.number, number),
        Spacer(1, 3 * mm),
    ]
    if doc.addressee:
        story.append(para(f"{doc.addressee}：", plain))
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 10),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    for block in doc.body:
        if isinstance(block, Heading):
            story.append(para(block.text, head))
        elif isinstance(block, Para):
            story.append(para(block.text, body))
        else:
            table = Table(
                [[para(h, cell) for h in block.headers]]
                + [[para(c, cell) for c in row] for row in block.rows],
                colWidths=[w * mm for w in block.widths_mm],
                repeatRows=1,
            )
            table.setStyle(grid)
            story += [Spacer(1, 1 * mm), table, Spacer(1, 1 * mm)]
    # The contact and the closing (organ, date) stay on one page: a signature alone on the
    # last page would be detached from what it signs.
    closing: list = [Spacer(1, 3 * mm)]
    if doc.contact:
        closing.append(para(doc.contact, plain))
    closing += [
        Spacer(1, 6 * mm),
        para(doc.organ + (f"  {doc.closing_note}" if doc.closing_note else ""), right),
        para(cn_date(doc.issued_on), right),
    ]
    story.append(KeepTogether(closing))
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=f"{doc.title} {doc.number}",
        author=doc.organ,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
    ).build(story, canvasmaker=numbered_canvas(footer))
    return buf.getvalue()
