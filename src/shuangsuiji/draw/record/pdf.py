"""The 抽查工作记录表 as an A4 PDF: an embedded TrueType CJK font (Chinese renders and
extracts), a QR code to the draw's public page, and no clock in the file."""

import io
from xml.sax.saxutils import escape

from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.common.pdf import (  # noqa: F401  (re-exported by draw.record)
    FONT_CANDIDATES,
    FONT_NAME,
    FontMissing,
    font_register,
    numbered_canvas,
    pdf_font_path,
)
from shuangsuiji.draw.models import Draw
from shuangsuiji.draw.record.data import TITLE, record_data

SELECTION_CHUNK = 200  # rows per table of selected targets (see record_pdf)


def _wrap(text: str, font: str, size: float, width: float) -> str:
    """Breaks ``text`` into lines no wider than ``width`` (any character may end a line,
    as in Chinese typesetting); a plain table cell does not wrap by itself."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines = []
    for line in text.split("\n"):
        if stringWidth(line, font, size) <= width:
            lines.append(line)
            continue
        current, used = "", 0.0
        for ch in line:
            w = stringWidth(ch, font, size)
            if current and used + w > width:
                lines.append(current)
                current, used = "", 0.0
            current += ch
            used += w
        lines.append(current)
    return "\n".join(lines)


def _para_text(text: str) -> str:
    """Escaped for a Paragraph; runs of spaces and line breaks kept as typed."""
    out = escape(text or "")
    out = out.replace("\r\n", "\n").replace("\n", "<br/>")
    while "  " in out:
        out = out.replace("  ", " &nbsp;")
    return out


def record_pdf(*, draw: Draw) -> bytes:
    """The 抽查工作记录表 as an A4 PDF with an embedded CJK font and a QR code."""
    import segno
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Flowable,
        KeepTogether,
        LongTable,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = font_register()
    data = record_data(draw=draw)
    task = data.draw.task

    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5)
    mono = ParagraphStyle(
        "mono", parent=base, fontName="Courier", fontSize=8.3, leading=10.5, wordWrap="CJK"
    )
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER)
    subtitle = ParagraphStyle(
        "subtitle",
        parent=base,
        fontSize=9.5,
        leading=13,
        alignment=TA_CENTER,
        textColor=colors.HexColor("#444444"),
    )
    heading = ParagraphStyle(
        "heading",
        parent=base,
        fontSize=11.5,
        leading=16,
        spaceBefore=8,
        spaceAfter=4,
        textColor=colors.HexColor("#8a1c1c"),
    )
    head_cell = ParagraphStyle("head_cell", parent=small, textColor=colors.white)

    def p(text: str, style=base) -> Paragraph:
        return Paragraph(_para_text(text), style)

    numerals = iter("一二三四五六七八九十")

    def section(text: str) -> Paragraph:
        return Paragraph(_para_text(f"{next(numerals)}、{text}"), heading)

    grid = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#777777")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    head = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#8a1c1c"))]
    width = A4[0] - 30 * mm

    def kv_table(rows: list[tuple[str, object]]) -> Table:
        body = [[p(k, small), v if isinstance(v, Flowable) else p(str(v))] for k, v in rows]
        t = Table(body, colWidths=[34 * mm, width - 34 * mm])
        t.setStyle(TableStyle(grid + [("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f3eeee"))]))
        return t

    def long_table(header: list[str], body: list[list], widths: list[float]) -> LongTable:
        rows = [[Paragraph(_para_text(h), head_cell) for h in header]] + body
        t = LongTable(rows, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                grid
                + head
                + [("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#faf7f7")])]
            )
        )
        return t

    class QR(Flowable):
        """The QR code drawn as vector squares (sharp at any print size)."""

        def __init__(self, url: str, size: float):
            super().__init__()
            self.rows = [
                list(r) for r in segno.make(url, error="m", micro=False).matrix_iter(border=2)
            ]
            self.size = size

        def wrap(self, _aw, _ah):
            return self.size, self.size

        def draw(self):
            cell = self.size / len(self.rows)
            self.canv.setFillColor(colors.black)
            for y, row in enumerate(self.rows):
                for x, dark in enumerate(row):
                    if dark:
                        self.canv.rect(
                            x * cell,
                            self.size - (y + 1) * cell,
                            cell * 1.02,
                            cell * 1.02,
                            stroke=0,
                            fill=1,
                        )

    story: list = [
        Paragraph(TITLE, title),
        Paragraph(
            _para_text(
                f"“双随机、一公开”监管 · 摇号记录（可公开验证，协议 ssj-draw/1） · "
                f"{task.code} 第{data.draw.number}次摇号"
            ),
            subtitle,
        ),
        Spacer(1, 5 * mm),
        section("抽查任务"),
        kv_table(data.task_fields),
        section("摇号经过"),
        kv_table(data.draw_fields),
        section("可验证数据"),
        kv_table(
            [
                ("名单摘要 C（SHA-256）", Paragraph(data.draw.manifest_sha256, mono)),
                ("密钥 K", Paragraph(data.draw.key_hex or "（尚未录入种子）", mono)),
                ("种子文本（原样）", p(data.draw.seed_text or "（尚未录入）")),
                ("种子来源", p(mask_personal_numbers(data.draw.seed_sources or ""))),
                ("见证人（纪检监督人员）", p(mask_personal_numbers(data.draw.witnesses or ""))),
                (
                    "名单规模",
                    p(
                        f"{data.draw.manifest_lines}行，候选执法检查人员{data.inspectors}名，"
                        f"利害关系回避{data.conflicts}对"
                    ),
                ),
            ]
        ),
        section("抽取范围"),
    ]
    if data.strata:
        story.append(
            long_table(
                ["层（名单代码）", "说明", "候选对象数", "抽取数"],
                [
                    [p(s.name, small), p(s.label, small), p(str(s.pool), small), p(str(s.n), small)]
                    for s in data.strata
                ],
                [34 * mm, width - 34 * mm - 48 * mm, 24 * mm, 24 * mm],
            )
        )
    total_excluded = sum(c for _r, c in data.excluded_counts)
    story.append(Spacer(1, 2 * mm))
    story.append(
        p(
            f"封存前依规排除{total_excluded}个对象（名单另行公开，附理由）"
            + ("：" if total_excluded else "。"),
            small,
        )
    )
    if data.excluded_counts:
        story.append(
            long_table(
                ["排除理由", "数量"],
                [[p(r, small), p(str(c), small)] for r, c in data.excluded_counts],
                [width - 24 * mm, 24 * mm],
            )
        )

    story.append(section(f"抽中对象及检查组（按抽中顺序，共{len(data.rows)}个）"))
    if data.rows:
        # A 50,000-target draw makes ~1,500 pages: plain-string cells (wrapped here, not by
        # Paragraph) and tables of SELECTION_CHUNK rows keep reportlab linear and fast.
        widths = [12 * mm, 50 * mm, 40 * mm, 16 * mm, width - 118 * mm]
        pad = 2 * 3  # cell padding left + right (set below)
        body = []
        for r in data.rows:
            team = [m.text for m in r.team] or ["—"]
            if r.note:
                team.append(f"※ {r.note}")
            cells = [str(r.rank), r.name, r.uscc or r.target_id, r.stratum, "\n".join(team)]
            body.append(
                [_wrap(text, font, 8, w - pad) for text, w in zip(cells, widths, strict=True)]
            )
        style = TableStyle(
            grid
            + head
            + [
                ("FONT", (0, 1), (-1, -1), font, 8, 10.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#faf7f7")]),
            ]
        )
        for start in range(0, len(body), SELECTION_CHUNK):
            header = [
                Paragraph(_para_text(h), head_cell)
                for h in ["序号", "检查对象名称", "统一社会信用代码", "层", "检查组（组长在前）"]
            ]
            t = LongTable(
                [header] + body[start : start + SELECTION_CHUNK], colWidths=widths, repeatRows=1
            )
            t.setStyle(style)
            story.append(t)
    else:
        story.append(p("（尚未摇号）", small))

    if data.substitutions:
        story.append(section("执法检查人员更换（按协议重放，均经审批）"))
        story.append(
            long_table(
                ["顺序", "检查对象", "被更换人员", "替补人员", "更换理由", "审批"],
                [
                    [
                        p(str(s.seq), small),
                        p(f"{s.entity}（{s.target}）", small),
                        p(s.out, small),
                        p(s.inn, small),
                        p(s.reason, small),
                        p(f"{s.approved_by} {s.approved_at}", small),
                    ]
                    for s in data.substitutions
                ],
                [10 * mm, 38 * mm, 32 * mm, 32 * mm, width - 144 * mm, 32 * mm],
            )
        )
    if data.direct:
        story.append(section("直接委派（非随机）"))
        story.append(
            long_table(
                ["检查对象", "委派人员", "理由"],
                [[p(t, small), p(m, small), p(r, small)] for t, m, r in data.direct],
                [40 * mm, 60 * mm, width - 100 * mm],
            )
        )
    if data.remedies:
        story.append(section("补充匹配与配合部门人员匹配摇号"))
        story.append(
            long_table(
                ["序次", "状态", "名单摘要 C", "时间"],
                [
                    [
                        p(f"第{d.number}次", small),
                        p(d.state, small),
                        Paragraph(d.sha256, mono),
                        p(d.when, small),
                    ]
                    for d in data.remedies
                ],
                [18 * mm, 24 * mm, width - 80 * mm, 38 * mm],
            )
        )
    story.append(section("本任务作废的摇号（作废的摇号同样公开）"))
    if data.voids:
        story.append(
            long_table(
                ["序次", "名单摘要 C", "作废时间", "作废理由"],
                [
                    [
                        p(f"第{d.number}次", small),
                        Paragraph(d.sha256, mono),
                        p(d.when, small),
                        p(d.reason, small),
                    ]
                    for d in data.voids
                ],
                [16 * mm, 62 * mm, 30 * mm, width - 108 * mm],
            )
        )
    else:
        story.append(p("无", small))

    qr_size = 34 * mm
    verify = Table(
        [
            [
                QR(data.url, qr_size),
                [
                    p(
                        "扫码或访问本次摇号的公开页面，可下载名单（manifest）、种子（seed.txt）与结果（result.txt）并当场复核：",
                        small,
                    ),
                    Spacer(1, 1.5 * mm),
                    Paragraph(escape(data.url), mono),
                    Spacer(1, 1.5 * mm),
                    p(data.verify_note, small),
                ],
            ]
        ],
        colWidths=[qr_size + 4 * mm, width - qr_size - 4 * mm],
    )
    verify.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)])
    )
    signatures = Table(
        [
            [
                p("摇号操作人员（签字）："),
                p("见证人（纪检监督人员，签字）："),
                p("审核负责人（签字）："),
            ],
            [p("日期："), p("日期："), p("日期：")],
        ],
        colWidths=[width / 3] * 3,
        rowHeights=[14 * mm, 8 * mm],
    )
    signatures.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.4, colors.HexColor("#777777")),
            ]
        )
    )
    story.append(KeepTogether([section("公开验证"), verify, Spacer(1, 6 * mm), signatures]))

    footer_left = f"{task.code} 第{data.draw.number}次摇号 · C {data.draw.manifest_sha256[:16]}…"

    def footer(canvas, page: int, total: int) -> None:
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(15 * mm, 9 * mm, footer_left)
        canvas.drawRightString(
            A4[0] - 15 * mm,
            9 * mm,
            f"{TITLE} · 记录截至 {data.as_of} · 第 {page} 页 / 共 {total} 页",
        )

    NumberedCanvas = numbered_canvas(footer)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{TITLE} {task.code} 第{data.draw.number}次摇号",
        author=task.department.name,
        subject=task.title,
        creator="双随机、一公开监管平台",
        invariant=True,
    )  # no clock or random id in the file: same state, same bytes
    doc.build(story, canvasmaker=NumberedCanvas)
    return buf.getvalue()
