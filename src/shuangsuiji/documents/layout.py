"""One layout for every document the platform prints (issue 13 第 1 项): A4, the embedded CJK
font (common/pdf.py), the issuing department's name at the head, the title, the number
(文号) on the right, the addressee, the body — paragraphs, headings and tables — the
closing (issuing department and date), and “第 x 页 共 y 页” in the footer. A document
module (``notice.py`` …) only says what goes in; changing the look is done here."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from shuangsuiji.common.pdf import font_register


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


def _story(doc: Document) -> list:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    font = font_register()
    organ = ParagraphStyle("o", fontName=font, fontSize=16, leading=22, alignment=1)
    title = ParagraphStyle("t", fontName=font, fontSize=18, leading=26, alignment=1, spaceBefore=4)
    number = ParagraphStyle("n", fontName=font, fontSize=11, leading=16, alignment=2)
    head = ParagraphStyle("h", fontName=font, fontSize=11.5, leading=17, spaceBefore=3)
    body = ParagraphStyle(
        "b", fontName=font, fontSize=11, leading=17, wordWrap="CJK", firstLineIndent=22
    )
    plain = ParagraphStyle("p", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    cell = ParagraphStyle("c", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    right = ParagraphStyle("r", fontName=font, fontSize=11, leading=18, alignment=2)

    def para(text: str, style) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

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
        Spacer(1, 4 * mm),
        para(doc.organ + (f"  {doc.closing_note}" if doc.closing_note else ""), right),
        para(cn_date(doc.issued_on), right),
    ]
    story.append(KeepTogether(closing))
    return story


class _DocMark:
    """A flowable of no size that marks where the next document of a batch starts: the
    page numbers count within each document (第 x 页 共 y 页 of that notice)."""

    def __new__(cls, index: int, progress: Callable[[int], None] | None = None):
        from reportlab.platypus import Flowable

        class Mark(Flowable):
            def wrap(self, *_args):
                return (0, 0)

            def draw(self):
                self.canv._ssj_doc = index
                if progress is not None:
                    progress(index)  # documents done before this one

        return Mark()


def _canvas_per_document(font: str):
    """A canvas that numbers pages per document (``_DocMark``) after the last page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as pdfcanvas

    class PerDocument(pdfcanvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []
            self._ssj_doc = 0

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            totals: dict[int, int] = {}
            for state in self._pages:
                totals[state["_ssj_doc"]] = totals.get(state["_ssj_doc"], 0) + 1
            seen: dict[int, int] = {}
            for state in self._pages:
                doc = state["_ssj_doc"]
                seen[doc] = seen.get(doc, 0) + 1
                self.__dict__.update(state)
                self.setFont(font, 9)
                self.drawCentredString(A4[0] / 2, 10 * mm, f"第 {seen[doc]} 页 共 {totals[doc]} 页")
                super().showPage()
            super().save()

    return PerDocument


def documents_pdf(
    docs: list[Document],
    *,
    out=None,
    title: str = "",
    progress: Callable[[int], None] | None = None,
) -> bytes | None:
    """One or many documents in one PDF, each starting on a new page and numbering its own
    pages. ``out``: a binary file to write to (for a large batch) instead of returning bytes;
    ``progress``: called with the number of documents laid out so far (background batches)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    font = font_register()
    story: list = []
    for i, doc in enumerate(docs):
        if i:
            story.append(PageBreak())
        story.append(_DocMark(i, progress))
        story += _story(doc)
    first = docs[0] if docs else None
    target = out if out is not None else io.BytesIO()
    SimpleDocTemplate(
        target,
        pagesize=A4,
        title=title or (f"{first.title} {first.number}" if first else ""),
        author=first.organ if first else "",
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
    ).build(story, canvasmaker=_canvas_per_document(font))
    if progress is not None:
        progress(len(docs))
    return None if out is not None else target.getvalue()


def document_pdf(doc: Document) -> bytes:
    body = documents_pdf([doc])
    assert body is not None
    return body
