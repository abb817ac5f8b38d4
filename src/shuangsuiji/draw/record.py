"""《抽查工作记录表》 of one draw, as PDF and as xlsx [003 附件2 六, draw-protocol §6].

The printed record carries what a 纪检 witness signs and anyone can re-check: the task
(code, title, lead and partner departments, items, window), the draw (number, state and
the times of commit, seed/draw, confirmation, dispatch), ``C``, ``K``, the seed text
verbatim with its sources and the witnesses, the strata (pool size and ``n``), the
excluded counts, the selected targets in selection order with their teams (组长 first;
直接委派 marked 非随机; substitutions with reasons), the task's void draws with their
reasons, and a QR code to the draw's public page.

Public data only: inspectors appear by name and 执法证号, never with a mobile number or
身份证号; targets by name and 统一社会信用代码.

Chinese text must render and extract on any reader, so the PDF embeds a TrueType CJK
font (reportlab cannot embed the OpenType/CFF Noto CJK fonts; its built-in CID font
``STSong-Light`` embeds no glyphs at all). ``SSJ_PDF_FONT`` (or ``settings.PDF_FONT``)
names the file; otherwise the usual Debian locations are tried (``fonts-wqy-microhei``,
``fonts-wqy-zenhei``, ``fonts-arphic-uming``, ``fonts-droid-fallback``), then ``fc-list``.
"""

import io
import os
import shutil
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone

from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.tabular import neutralise
from shuangsuiji.draw import selectors
from shuangsuiji.draw.choices import AssignmentSource, DrawState, SelectionRemedy
from shuangsuiji.draw.models import Assignment, Draw

TITLE = "抽查工作记录表"
FONT_NAME = "SSJ-CJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
SELECTION_CHUNK = 200  # rows per table of selected targets (see record_pdf)
RISK_LABELS = {"A": "A 低风险", "B": "B 一般风险", "C": "C 较高风险", "D": "D 高风险", "U": "未分类"}


class FontMissing(ServiceError):
    """No TrueType CJK font to embed: the PDF would not show Chinese."""

    status = 503


# --- the data of the record ------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    name: str
    cert_no: str
    source: str  # AssignmentSource
    leader: bool

    @property
    def text(self) -> str:
        role = "组长" if self.leader else "组员"
        mark = {AssignmentSource.SUBSTITUTE: "，随机更换替补", AssignmentSource.DIRECT: "，直接委派·非随机"}.get(
            self.source, "")
        return f"{role} {self.name}（{self.cert_no}{mark}）"


@dataclass(frozen=True)
class Row:
    rank: int
    name: str
    uscc: str
    target_id: str
    stratum: str
    team: tuple[Member, ...]
    note: str


@dataclass(frozen=True)
class StratumRow:
    name: str
    label: str
    pool: int
    n: int


@dataclass(frozen=True)
class SubstitutionRow:
    seq: int
    target: str
    entity: str
    out: str
    inn: str
    reason: str
    approved_by: str
    approved_at: str


@dataclass(frozen=True)
class OtherDraw:
    number: int
    kind: str
    state: str
    sha256: str
    when: str
    reason: str


@dataclass
class RecordData:
    draw: Draw
    url: str
    task_fields: list[tuple[str, str]]
    draw_fields: list[tuple[str, str]]
    strata: list[StratumRow]
    inspectors: int
    conflicts: int
    excluded_counts: list[tuple[str, int]]
    excluded: list[dict]
    rows: list[Row]
    substitutions: list[SubstitutionRow]
    direct: list[tuple[str, str, str]]  # (target, members, reason)
    remedies: list[OtherDraw]
    voids: list[OtherDraw]
    verify_note: str = field(default="")


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _who(user) -> str:
    return str(user) if user is not None else ""


def draw_public_url(*, draw: Draw) -> str:
    """The draw's public page (公开验证页), as the QR code carries it."""
    return f"{settings.SITE_URL}/public/draw/{draw.task.code}/{draw.number}/"


def _manifest_counts(draw: Draw) -> tuple[Counter, dict[str, int], int, int]:
    """(targets per stratum, n per stratum, inspectors, conflicts), read line by line from
    the frozen manifest (a 1,000,000-line manifest is never held whole)."""
    per: Counter = Counter()
    wanted: dict[str, int] = {}
    inspectors = conflicts = 0
    path = selectors.manifest_file(draw=draw)
    if not path.exists():
        return per, wanted, 0, 0
    with path.open("rb") as fh:
        for line in fh:
            head = line[:2]
            if head == b"ta":
                per[line.rsplit(b" ", 1)[1].strip().decode("ascii")] += 1
            elif head == b"in":
                inspectors += 1
            elif head == b"co":
                conflicts += 1
            elif head == b"st":
                _kw, name, n = line.decode("ascii").split()
                wanted[name] = int(n)
    return per, wanted, inspectors, conflicts


def _stratum_label(name: str, classes: dict[str, str], match_only: bool) -> str:
    if name == "all" and match_only:
        return "已确定的检查对象（仅匹配执法检查人员）"
    code, _dot, letter = name.partition(".")
    base = classes.get(code, code if code != "all" else "全部检查对象")
    return f"{base} · {RISK_LABELS.get(letter, letter)}" if letter else base


def _teams(draw: Draw) -> tuple[dict[int, tuple[Member, ...]], dict[int, int]]:
    """selection pk → team (leader first), and selection pk → number of the remedy draw
    whose team it is. Teams come from ``selectors.draw_teams`` (one resolution for all)."""
    teams = selectors.draw_teams(draw=draw)
    assignment_ids = [a_id for members in teams.values() for a_id, _i, _o in members]
    info: dict[int, tuple[str, str, str]] = {}
    for part in selectors.chunked(assignment_ids):
        for a_id, name, cert, source in Assignment.objects.filter(pk__in=part).values_list(
                "id", "inspector__name", "inspector__cert_no", "source"):
            info[a_id] = (name, cert, source)
    out: dict[int, tuple[Member, ...]] = {}
    for sel_id, members in teams.items():
        out[sel_id] = tuple(Member(name=info[a_id][0], cert_no=info[a_id][1], source=info[a_id][2], leader=pos == 0)
                            for pos, (a_id, _i, _o) in enumerate(members))
    matched = dict(draw.selections.filter(remedy=SelectionRemedy.MATCH)
                   .values_list("id", "matched_by__draw__number"))
    return out, matched


def record_data(*, draw: Draw) -> RecordData:
    """Everything the record shows, read once for both formats."""
    draw = Draw.objects.select_related("task", "task__department", "task__plan_row", "source", "replaces",
                                       "committed_by", "confirmed_by", "dispatched_by", "seeded_by",
                                       "voided_by").get(pk=draw.pk)
    task = draw.task
    partners = "、".join(task.partners.order_by("code").values_list("name", flat=True)) or "无"
    items = "；".join(f"{code} {name or ''}".strip() for code, name in
                     task.items.order_by("code").values_list("code", "current__name"))
    task_fields = [
        ("任务编号", task.code), ("任务名称", task.title), ("任务类型", str(task.get_kind_display())),
        ("牵头部门", task.department.name), ("配合部门", partners), ("抽查事项", items),
        ("执行期限", f"{task.window_start:%Y-%m-%d} 至 {task.window_end:%Y-%m-%d}"),
        ("每组执法检查人员", f"{task.team_size}名（组长在前）"),
    ]
    if task.plan_row_id:
        row = task.plan_row
        task_fields.insert(3, ("依据计划事项", f"{row.plan.year}年度计划 第{row.seq}项 {row.target_desc}"))
    if task.description:
        task_fields.insert(3, ("任务说明", task.description))
    state = str(draw.get_state_display())
    if draw.dispatched_at:
        state += "，已派发"
    draw_fields = [("摇号序次", f"第{draw.number}次摇号"), ("摇号类型", str(draw.get_kind_display())),
                   ("状态", state)]
    if draw.source_id:
        draw_fields.append(("补充匹配", f"为第{draw.source.number}次摇号未配齐人员的检查对象补充匹配"))
    if draw.replaces_id:
        draw_fields.append(("取代", f"取代已作废的第{draw.replaces.number}次摇号"))
    draw_fields += [
        ("封存名单时间", f"{_when(draw.committed_at)}（{_who(draw.committed_by)}）"),
        ("录入种子并摇号时间", f"{_when(draw.drawn_at)}（录入人：{_who(draw.seeded_by)}）" if draw.drawn_at else "尚未摇号"),
        ("确认锁定时间", f"{_when(draw.confirmed_at)}（{_who(draw.confirmed_by)}）" if draw.confirmed_at else "尚未确认"),
        ("派发时间", f"{_when(draw.dispatched_at)}（{_who(draw.dispatched_by)}）" if draw.dispatched_at else "尚未派发"),
    ]
    if draw.state == DrawState.VOID:
        draw_fields += [("作废时间", f"{_when(draw.voided_at)}（{_who(draw.voided_by)}）"),
                        ("作废理由", draw.void_reason)]

    per, wanted, n_insp, n_conf = _manifest_counts(draw)
    classes = dict(task.classes.values_list("code", "name"))
    strata = [StratumRow(name=name, label=_stratum_label(name, classes, draw.kind == "match_only"),
                         pool=per.get(name, 0), n=n) for name, n in sorted(wanted.items())]
    excluded = list(draw.excluded or [])
    excluded_counts = Counter(e.get("reason", "") for e in excluded).most_common()

    teams, matched = _teams(draw)
    direct_reason: dict[int, str] = dict(
        Assignment.objects.filter(selection__draw=draw, source=AssignmentSource.DIRECT, position=0)
        .values_list("selection_id", "note"))
    rows = []
    for sel in selectors.draw_selections(draw=draw).only(
            "id", "rank", "target_id", "stratum", "unstaffed", "remedy", "entity__name", "entity__uscc").iterator(
            chunk_size=2000):
        team = teams.get(sel.pk, ())
        if sel.remedy == SelectionRemedy.MATCH:
            note = f"本次摇号未配齐人员，由第{matched.get(sel.pk)}次摇号补充匹配"
        elif sel.remedy == SelectionRemedy.DIRECT:
            note = f"直接委派（非随机）：{direct_reason.get(sel.pk, '')}"
        elif sel.unstaffed:
            note = "未配齐执法检查人员，待补充匹配或直接委派"
        else:
            note = ""
        rows.append(Row(rank=sel.rank, name=sel.entity.name, uscc=sel.entity.uscc, target_id=sel.target_id,
                        stratum=sel.stratum, team=team, note=note))

    subs = [SubstitutionRow(seq=s.seq or 0, target=s.selection.target_id, entity=s.selection.entity.name,
                            out=f"{s.out_assignment.inspector.name}（{s.out_assignment.inspector.cert_no}）",
                            inn=(f"{s.in_assignment.inspector.name}（{s.in_assignment.inspector.cert_no}）"
                                 if s.in_assignment_id else ""),
                            reason=s.reason, approved_by=_who(s.decided_by), approved_at=_when(s.decided_at))
            for s in selectors.draw_substitutions(draw=draw).select_related(
                "selection", "selection__entity", "out_assignment__inspector", "in_assignment__inspector",
                "decided_by")]
    by_sel: dict[int, list[str]] = defaultdict(list)
    notes: dict[int, tuple[str, str]] = {}
    for a in (Assignment.objects.filter(selection__draw=draw, source=AssignmentSource.DIRECT)
              .select_related("selection", "inspector").order_by("selection__rank", "position")):
        by_sel[a.selection_id].append(f"{a.inspector.name}（{a.inspector.cert_no}）")
        notes[a.selection_id] = (a.selection.target_id, a.note)
    direct = [(notes[s][0], "、".join(names), notes[s][1]) for s, names in by_sel.items()]

    remedies = [OtherDraw(number=d.number, kind=str(d.get_kind_display()), state=str(d.get_state_display()),
                          sha256=d.manifest_sha256, when=_when(d.confirmed_at or d.drawn_at or d.committed_at),
                          reason=d.void_reason)
                for d in Draw.objects.filter(source=draw).order_by("number")]
    voids = [OtherDraw(number=d.number, kind=str(d.get_kind_display()), state=str(d.get_state_display()),
                       sha256=d.manifest_sha256, when=_when(d.voided_at), reason=d.void_reason)
             for d in Draw.objects.filter(task=task, state=DrawState.VOID).order_by("number")]
    return RecordData(
        draw=draw, url=draw_public_url(draw=draw), task_fields=task_fields, draw_fields=draw_fields, strata=strata,
        inspectors=n_insp, conflicts=n_conf, excluded_counts=excluded_counts, excluded=excluded, rows=rows,
        substitutions=subs, direct=direct, remedies=remedies, voids=voids,
        verify_note=("任何人均可用公开的 manifest、seed.txt 复核：python3 verify_draw.py manifest seed.txt，"
                     "输出应与 result.txt 逐字节一致（更换记录行除外，按协议第4节重放）。"),
    )


# --- PDF -------------------------------------------------------------------------------------

_font_path_cache: list[str] = []


def _fc_list_fonts() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(["fc-list", ":lang=zh:fontformat=TrueType", "file"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip().rstrip(":") for line in out.splitlines() if line.strip()})


def _font_register() -> str:
    """Registers (once) an embeddable TrueType CJK font under ``FONT_NAME``."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if _font_path_cache:
        return FONT_NAME
    configured = os.environ.get("SSJ_PDF_FONT") or getattr(settings, "PDF_FONT", "")
    candidates = [configured] if configured else [*FONT_CANDIDATES, *_fc_list_fonts()]
    tried = []
    for path in candidates:
        if not path or not os.path.exists(path):
            tried.append(path)
            continue
        try:
            font = TTFont(FONT_NAME, path, subfontIndex=0)
        except TTFError as exc:  # e.g. OpenType/CFF outlines, which reportlab cannot embed
            tried.append(f"{path}（{exc}）")
            continue
        if font.face.charToGlyph.get(ord("抽")) is None:
            tried.append(f"{path}（不含中文字形）")
            continue
        pdfmetrics.registerFont(font)
        _font_path_cache.append(path)
        return FONT_NAME
    where = f"SSJ_PDF_FONT={configured}" if configured else "、".join(p for p in tried if p) or "无"
    raise FontMissing("生成PDF记录表需要可嵌入的中文 TrueType 字体，但没有找到（已尝试："
                      f"{where}）。请安装 fonts-wqy-microhei（Debian/Ubuntu：apt-get install fonts-wqy-microhei），"
                      "或以环境变量 SSJ_PDF_FONT 指定 .ttf/.ttc 字体文件")


def pdf_font_path() -> str:
    """The font file the PDF embeds (registers it on first use)."""
    _font_register()
    return _font_path_cache[0]


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
    from reportlab.pdfgen import canvas as pdfcanvas
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

    font = _font_register()
    data = record_data(draw=draw)
    task = data.draw.task

    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5)
    mono = ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=8.3, leading=10.5, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER)
    subtitle = ParagraphStyle("subtitle", parent=base, fontSize=9.5, leading=13, alignment=TA_CENTER,
                              textColor=colors.HexColor("#444444"))
    heading = ParagraphStyle("heading", parent=base, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4,
                             textColor=colors.HexColor("#8a1c1c"))
    head_cell = ParagraphStyle("head_cell", parent=small, textColor=colors.white)

    def p(text: str, style=base) -> Paragraph:
        return Paragraph(_para_text(text), style)

    numerals = iter("一二三四五六七八九十")

    def section(text: str) -> Paragraph:
        return Paragraph(_para_text(f"{next(numerals)}、{text}"), heading)

    grid = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#777777")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]
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
        t.setStyle(TableStyle(grid + head + [("ROWBACKGROUNDS", (0, 1), (-1, -1),
                                                [colors.white, colors.HexColor("#faf7f7")])]))
        return t

    class QR(Flowable):
        """The QR code drawn as vector squares (sharp at any print size)."""

        def __init__(self, url: str, size: float):
            super().__init__()
            self.rows = [list(r) for r in segno.make(url, error="m", micro=False).matrix_iter(border=2)]
            self.size = size

        def wrap(self, _aw, _ah):
            return self.size, self.size

        def draw(self):
            cell = self.size / len(self.rows)
            self.canv.setFillColor(colors.black)
            for y, row in enumerate(self.rows):
                for x, dark in enumerate(row):
                    if dark:
                        self.canv.rect(x * cell, self.size - (y + 1) * cell, cell * 1.02, cell * 1.02,
                                       stroke=0, fill=1)

    story: list = [
        Paragraph(TITLE, title),
        Paragraph(_para_text(f"“双随机、一公开”监管 · 摇号记录（可公开验证，协议 ssj-draw/1） · "
                             f"{task.code} 第{data.draw.number}次摇号"), subtitle),
        Spacer(1, 5 * mm),
        section("抽查任务"), kv_table(data.task_fields),
        section("摇号经过"), kv_table(data.draw_fields),
        section("可验证数据"),
        kv_table([
            ("名单摘要 C（SHA-256）", Paragraph(data.draw.manifest_sha256, mono)),
            ("密钥 K", Paragraph(data.draw.key_hex or "（尚未录入种子）", mono)),
            ("种子文本（原样）", p(data.draw.seed_text or "（尚未录入）")),
            ("种子来源", p(data.draw.seed_sources or "")),
            ("见证人（纪检监督人员）", p(data.draw.witnesses or "")),
            ("名单规模", p(f"{data.draw.manifest_lines}行，候选执法检查人员{data.inspectors}名，"
                          f"利害关系回避{data.conflicts}对")),
        ]),
        section("抽取范围"),
    ]
    if data.strata:
        story.append(long_table(["层（名单代码）", "说明", "候选对象数", "抽取数"],
                                [[p(s.name, small), p(s.label, small), p(str(s.pool), small), p(str(s.n), small)]
                                 for s in data.strata],
                                [34 * mm, width - 34 * mm - 48 * mm, 24 * mm, 24 * mm]))
    total_excluded = sum(c for _r, c in data.excluded_counts)
    story.append(Spacer(1, 2 * mm))
    story.append(p(f"封存前依规排除{total_excluded}个对象（名单另行公开，附理由）" + ("：" if total_excluded else "。"),
                   small))
    if data.excluded_counts:
        story.append(long_table(["排除理由", "数量"], [[p(r, small), p(str(c), small)] for r, c in data.excluded_counts],
                                [width - 24 * mm, 24 * mm]))

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
            body.append([_wrap(text, font, 8, w - pad) for text, w in zip(cells, widths, strict=True)])
        style = TableStyle(grid + head + [
            ("FONT", (0, 1), (-1, -1), font, 8, 10.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#faf7f7")])])
        for start in range(0, len(body), SELECTION_CHUNK):
            header = [Paragraph(_para_text(h), head_cell) for h in
                      ["序号", "检查对象名称", "统一社会信用代码", "层", "检查组（组长在前）"]]
            t = LongTable([header] + body[start:start + SELECTION_CHUNK], colWidths=widths, repeatRows=1)
            t.setStyle(style)
            story.append(t)
    else:
        story.append(p("（尚未摇号）", small))

    if data.substitutions:
        story.append(section("执法检查人员更换（按协议重放，均经审批）"))
        story.append(long_table(
            ["顺序", "检查对象", "被更换人员", "替补人员", "更换理由", "审批"],
            [[p(str(s.seq), small), p(f"{s.entity}（{s.target}）", small), p(s.out, small), p(s.inn, small),
              p(s.reason, small), p(f"{s.approved_by} {s.approved_at}", small)] for s in data.substitutions],
            [10 * mm, 38 * mm, 32 * mm, 32 * mm, width - 144 * mm, 32 * mm]))
    if data.direct:
        story.append(section("直接委派（非随机）"))
        story.append(long_table(["检查对象", "委派人员", "理由"],
                                [[p(t, small), p(m, small), p(r, small)] for t, m, r in data.direct],
                                [40 * mm, 60 * mm, width - 100 * mm]))
    if data.remedies:
        story.append(section("补充匹配摇号"))
        story.append(long_table(["序次", "状态", "名单摘要 C", "时间"],
                                [[p(f"第{d.number}次", small), p(d.state, small), Paragraph(d.sha256, mono),
                                  p(d.when, small)] for d in data.remedies],
                                [18 * mm, 24 * mm, width - 80 * mm, 38 * mm]))
    story.append(section("本任务作废的摇号（作废的摇号同样公开）"))
    if data.voids:
        story.append(long_table(["序次", "名单摘要 C", "作废时间", "作废理由"],
                                [[p(f"第{d.number}次", small), Paragraph(d.sha256, mono), p(d.when, small),
                                  p(d.reason, small)] for d in data.voids],
                                [16 * mm, 62 * mm, 30 * mm, width - 108 * mm]))
    else:
        story.append(p("无", small))

    qr_size = 34 * mm
    verify = Table([[QR(data.url, qr_size),
                     [p("扫码或访问本次摇号的公开页面，可下载名单（manifest）、种子（seed.txt）与结果（result.txt）并当场复核：",
                        small), Spacer(1, 1.5 * mm), Paragraph(escape(data.url), mono), Spacer(1, 1.5 * mm),
                      p(data.verify_note, small)]]],
                   colWidths=[qr_size + 4 * mm, width - qr_size - 4 * mm])
    verify.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    signatures = Table([[p("摇号操作人员（签字）："), p("见证人（纪检监督人员，签字）："), p("审核负责人（签字）：")],
                        [p("日期："), p("日期："), p("日期：")]],
                       colWidths=[width / 3] * 3, rowHeights=[14 * mm, 8 * mm])
    signatures.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("LINEABOVE", (0, 0), (-1, 0), 0.4, colors.HexColor("#777777"))]))
    story.append(KeepTogether([section("公开验证"), verify, Spacer(1, 6 * mm), signatures]))

    footer_left = f"{task.code} 第{data.draw.number}次摇号 · C {data.draw.manifest_sha256[:16]}…"
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    class NumberedCanvas(pdfcanvas.Canvas):
        """Two passes over the pages so each footer can say 第 x 页 / 共 y 页."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(font, 7.5)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(15 * mm, 9 * mm, footer_left)
                self.drawRightString(A4[0] - 15 * mm, 9 * mm,
                                     f"{TITLE} · 打印于 {printed} · 第 {self._pageNumber} 页 / 共 {total} 页")
                super().showPage()
            super().save()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=f"{TITLE} {task.code} 第{data.draw.number}次摇号",
                            author=task.department.name, subject=task.title, creator="双随机、一公开监管平台")
    doc.build(story, canvasmaker=NumberedCanvas)
    return buf.getvalue()


# --- xlsx ------------------------------------------------------------------------------------

def record_xlsx(*, draw: Draw) -> bytes:
    """The same record as a workbook: 记录表 (the fields), 抽中对象及检查组 (one row per
    target, one column per team member), 抽取范围 (strata and the excluded list),
    更换与作废 (substitutions, 直接委派, remedy and void draws). Every text cell that a
    spreadsheet would run as a formula (= + - @) is neutralised."""
    import xlsxwriter

    data = record_data(draw=draw)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bg_color": "#F3EEEE", "border": 1, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    header = book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#8A1C1C", "border": 1})
    title_fmt = book.add_format({"bold": True, "font_size": 16})

    def put(sheet, row: int, col: int, value, fmt=None) -> None:
        if isinstance(value, int):
            sheet.write_number(row, col, value, fmt)
        else:
            sheet.write_string(row, col, neutralise("" if value is None else str(value)), fmt)

    def table(sheet, first_row: int, head: list[str], rows: list[list]) -> int:
        for c, h in enumerate(head):
            put(sheet, first_row, c, h, header)
        for r, values in enumerate(rows, start=first_row + 1):
            for c, v in enumerate(values):
                put(sheet, r, c, v, wrap)
        return first_row + len(rows) + 2

    main = book.add_worksheet("记录表")
    main.set_column(0, 0, 24)
    main.set_column(1, 1, 100)
    put(main, 0, 0, TITLE, title_fmt)
    put(main, 1, 0, f"{data.draw.task.code} 第{data.draw.number}次摇号（协议 ssj-draw/1）")
    r = 3
    sections = [("抽查任务", data.task_fields), ("摇号经过", data.draw_fields),
                ("可验证数据", [("名单摘要 C（SHA-256）", data.draw.manifest_sha256), ("密钥 K", data.draw.key_hex),
                               ("种子文本（原样）", data.draw.seed_text), ("种子来源", data.draw.seed_sources),
                               ("见证人（纪检监督人员）", data.draw.witnesses),
                               ("名单规模", f"{data.draw.manifest_lines}行，候选执法检查人员{data.inspectors}名，"
                                        f"利害关系回避{data.conflicts}对")]),
                ("公开验证", [("公开页面", data.url), ("复核方法", data.verify_note)])]
    for name, fields in sections:
        put(main, r, 0, name, header)
        r += 1
        for k, v in fields:
            put(main, r, 0, k, bold)
            put(main, r, 1, v, wrap)
            r += 1
        r += 1

    width = max([len(row.team) for row in data.rows] + [0])
    sel = book.add_worksheet("抽中对象及检查组")
    sel.freeze_panes(1, 0)
    sel.set_column(0, 0, 6)
    sel.set_column(1, 1, 36)
    sel.set_column(2, 3, 22)
    sel.set_column(4, 4 + width, 26)
    head = ["序号", "检查对象名称", "统一社会信用代码", "层"] + [
        "组长" if i == 0 else f"组员{i}" for i in range(width)] + ["说明"]
    rows = []
    for row in data.rows:
        members = [m.text.split(" ", 1)[1] for m in row.team]
        rows.append([row.rank, row.name, row.uscc or row.target_id, row.stratum,
                     *members, *[""] * (width - len(members)), row.note])
    table(sel, 0, head, rows)

    scope = book.add_worksheet("抽取范围")
    scope.set_column(0, 0, 22)
    scope.set_column(1, 1, 40)
    scope.set_column(2, 3, 22)
    nxt = table(scope, 0, ["层（名单代码）", "说明", "候选对象数", "抽取数"],
                [[s.name, s.label, s.pool, s.n] for s in data.strata])
    nxt = table(scope, nxt, ["排除理由", "数量"], [[reason, count] for reason, count in data.excluded_counts])
    table(scope, nxt, ["排除对象", "对象标识", "排除理由"],
          [[e.get("name", ""), e.get("target_id", ""), e.get("reason", "")] for e in data.excluded])

    other = book.add_worksheet("更换与作废")
    other.set_column(0, 6, 24)
    nxt = table(other, 0, ["更换顺序", "对象标识", "检查对象", "被更换人员", "替补人员", "更换理由", "审批人", "审批时间"],
                [[s.seq, s.target, s.entity, s.out, s.inn, s.reason, s.approved_by, s.approved_at]
                 for s in data.substitutions])
    nxt = table(other, nxt, ["直接委派（非随机）对象", "委派人员", "理由"], [list(d) for d in data.direct])
    nxt = table(other, nxt, ["补充匹配摇号", "状态", "名单摘要 C", "时间"],
                [[f"第{d.number}次", d.state, d.sha256, d.when] for d in data.remedies])
    table(other, nxt, ["作废的摇号", "名单摘要 C", "作废时间", "作废理由"],
          [[f"第{d.number}次", d.sha256, d.when, d.reason] for d in data.voids])
    book.close()
    return buf.getvalue()
