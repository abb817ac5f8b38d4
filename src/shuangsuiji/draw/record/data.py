"""What the 抽查工作记录表 shows, read once for both formats (see the package docstring)."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from shuangsuiji.common.text import cn_date
from shuangsuiji.draw import selectors
from shuangsuiji.draw.choices import (
    AssignmentSource,
    DrawState,
    SelectionRemedy,
    SubstitutionStatus,
)
from shuangsuiji.draw.models import Assignment, Draw, Selection, Substitution

TITLE = "抽查工作记录表"
RISK_LABELS = {
    "A": "A 低风险",
    "B": "B 一般风险",
    "C": "C 较高风险",
    "D": "D 高风险",
    "U": "未分类",
}


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
        mark = {
            AssignmentSource.SUBSTITUTE: "，随机更换替补",
            AssignmentSource.DIRECT: "，直接委派·非随机",
        }.get(self.source, "")
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
    as_of: str = field(default="")  # the last change the record shows (the footer's date)


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


def _teams(draw: Draw) -> tuple[dict[int, tuple[Member, ...]], dict[int, int]]:
    """selection pk → team (leader first), and selection pk → number of the remedy draw
    whose team it is. Teams come from ``selectors.draw_teams`` (one resolution for all)."""
    teams = selectors.draw_teams(draw=draw)
    assignment_ids = [a_id for members in teams.values() for a_id, _i, _o in members]
    info: dict[int, tuple[str, str, str]] = {}
    for part in selectors.chunked(assignment_ids):
        for a_id, name, cert, source in Assignment.objects.filter(pk__in=part).values_list(
            "id", "inspector__name", "inspector__cert_no", "source"
        ):
            info[a_id] = (name, cert, source)
    out: dict[int, tuple[Member, ...]] = {}
    for sel_id, members in teams.items():
        out[sel_id] = tuple(
            Member(name=info[a_id][0], cert_no=info[a_id][1], source=info[a_id][2], leader=pos == 0)
            for pos, (a_id, _i, _o) in enumerate(members)
        )
    matched = dict(
        draw.selections.filter(remedy=SelectionRemedy.MATCH).values_list(
            "id", "matched_by__draw__number"
        )
    )
    return out, matched


def _last_change(draw: Draw):
    """The time of the last change the record shows: the draw's own steps, approved
    substitutions, its remedy draws, 直接委派 (their audit events) and the task's void
    draws. The PDF's footer carries it instead of the clock, so that one draw state
    always renders the same file: a large PDF is rendered once and cached
    (draw/record_jobs.py), and the cached copy equals a fresh render."""
    from shuangsuiji.audit.models import Event

    times = [
        draw.committed_at,
        draw.drawn_at,
        draw.confirmed_at,
        draw.dispatched_at,
        draw.voided_at,
    ]
    times += (
        Substitution.objects.filter(draw=draw, status=SubstitutionStatus.APPROVED)
        .aggregate(m=Max("decided_at"))
        .values()
    )
    times += (
        Draw.objects.filter(source=draw)
        .aggregate(
            a=Max("committed_at"), b=Max("drawn_at"), c=Max("confirmed_at"), d=Max("voided_at")
        )
        .values()
    )
    times += (
        Draw.objects.filter(task_id=draw.task_id, state=DrawState.VOID)
        .aggregate(m=Max("voided_at"))
        .values()
    )
    direct = [
        str(pk)
        for pk in draw.selections.filter(remedy=SelectionRemedy.DIRECT).values_list("pk", flat=True)
    ]
    if direct:
        times += (
            Event.objects.filter(
                action="assignment.direct",
                object_type=Selection._meta.label_lower,
                object_id__in=direct,
            )
            .aggregate(m=Max("created_at"))
            .values()
        )
    return max((t for t in times if t is not None), default=None)


def record_data(*, draw: Draw) -> RecordData:
    """Everything the record shows, read once for both formats."""
    draw = Draw.objects.select_related(
        "task",
        "task__department",
        "task__plan_row",
        "source",
        "replaces",
        "committed_by",
        "confirmed_by",
        "dispatched_by",
        "seeded_by",
        "voided_by",
    ).get(pk=draw.pk)
    task = draw.task
    partners = "、".join(task.partners.order_by("code").values_list("name", flat=True)) or "无"
    items = "；".join(
        f"{code} {name or ''}".strip()
        for code, name in task.items.order_by("code").values_list("code", "current__name")
    )
    task_fields = [
        ("任务编号", task.code),
        ("任务名称", task.title),
        ("任务类型", str(task.get_kind_display())),
        ("牵头部门", task.department.name),
        ("配合部门", partners),
        ("抽查事项", items),
        ("执行期限", f"{cn_date(task.window_start)} 至 {cn_date(task.window_end)}"),
        ("每组执法检查人员", f"{task.team_size}名（组长在前）"),
    ]
    if task.plan_row_id:
        row = task.plan_row
        task_fields.insert(
            3, ("依据计划事项", f"{row.plan.year}年度计划 第{row.seq}项 {row.target_desc}")
        )
    if task.description:
        task_fields.insert(3, ("任务说明", task.description))
    state = str(draw.get_state_display())
    if draw.dispatched_at:
        state += "，已派发"
    draw_fields = [
        ("摇号序次", f"第{draw.number}次摇号"),
        ("摇号类型", str(draw.get_kind_display())),
        ("状态", state),
    ]
    if draw.source_id:
        draw_fields.append(
            ("补充匹配", f"为第{draw.source.number}次摇号未配齐人员的检查对象补充匹配")
        )
    if draw.replaces_id:
        draw_fields.append(("取代", f"取代已作废的第{draw.replaces.number}次摇号"))
    draw_fields += [
        ("封存名单时间", f"{_when(draw.committed_at)}（{_who(draw.committed_by)}）"),
        (
            "录入种子并摇号时间",
            f"{_when(draw.drawn_at)}（录入人：{_who(draw.seeded_by)}）"
            if draw.drawn_at
            else "尚未摇号",
        ),
        (
            "确认锁定时间",
            f"{_when(draw.confirmed_at)}（{_who(draw.confirmed_by)}）"
            if draw.confirmed_at
            else "尚未确认",
        ),
        (
            "派发时间",
            f"{_when(draw.dispatched_at)}（{_who(draw.dispatched_by)}）"
            if draw.dispatched_at
            else "尚未派发",
        ),
    ]
    if draw.state == DrawState.VOID:
        draw_fields += [
            ("作废时间", f"{_when(draw.voided_at)}（{_who(draw.voided_by)}）"),
            ("作废理由", draw.void_reason),
        ]

    per, wanted, n_insp, n_conf = _manifest_counts(draw)
    classes = dict(task.classes.values_list("code", "name"))
    strata = [
        StratumRow(
            name=name,
            label=selectors.stratum_label(
                name=name, classes=classes, match_only=draw.kind == "match_only"
            ),
            pool=per.get(name, 0),
            n=n,
        )
        for name, n in sorted(wanted.items())
    ]
    excluded = list(draw.excluded or [])
    excluded_counts = Counter(e.get("reason", "") for e in excluded).most_common()

    teams, matched = _teams(draw)
    direct_reason: dict[int, str] = dict(
        Assignment.objects.filter(
            selection__draw=draw, source=AssignmentSource.DIRECT, position=0
        ).values_list("selection_id", "note")
    )
    rows = []
    for sel in (
        selectors.draw_selections(draw=draw)
        .only(
            "id",
            "rank",
            "target_id",
            "stratum",
            "unstaffed",
            "remedy",
            "entity__name",
            "entity__uscc",
        )
        .iterator(chunk_size=2000)
    ):
        team = teams.get(sel.pk, ())
        if sel.remedy == SelectionRemedy.MATCH:
            note = f"本次摇号未配齐人员，由第{matched.get(sel.pk)}次摇号补充匹配"
        elif sel.remedy == SelectionRemedy.DIRECT:
            note = f"直接委派（非随机）：{direct_reason.get(sel.pk, '')}"
        elif sel.unstaffed:
            note = "未配齐执法检查人员，待补充匹配或直接委派"
        else:
            note = ""
        rows.append(
            Row(
                rank=sel.rank,
                name=sel.entity.name,
                uscc=sel.entity.uscc,
                target_id=sel.target_id,
                stratum=sel.stratum,
                team=team,
                note=note,
            )
        )

    subs = [
        SubstitutionRow(
            seq=s.seq or 0,
            target=s.selection.target_id,
            entity=s.selection.entity.name,
            out=f"{s.out_assignment.inspector.name}（{s.out_assignment.inspector.cert_no}）",
            inn=(
                f"{s.in_assignment.inspector.name}（{s.in_assignment.inspector.cert_no}）"
                if s.in_assignment_id
                else ""
            ),
            reason=s.reason,
            approved_by=_who(s.decided_by),
            approved_at=_when(s.decided_at),
        )
        for s in selectors.draw_substitutions(draw=draw).select_related(
            "selection",
            "selection__entity",
            "out_assignment__inspector",
            "in_assignment__inspector",
            "decided_by",
        )
    ]
    by_sel: dict[int, list[str]] = defaultdict(list)
    notes: dict[int, tuple[str, str]] = {}
    for a in (
        Assignment.objects.filter(selection__draw=draw, source=AssignmentSource.DIRECT)
        .select_related("selection", "inspector")
        .order_by("selection__rank", "position")
    ):
        by_sel[a.selection_id].append(f"{a.inspector.name}（{a.inspector.cert_no}）")
        notes[a.selection_id] = (a.selection.target_id, a.note)
    direct = [(notes[s][0], "、".join(names), notes[s][1]) for s, names in by_sel.items()]

    remedies = [
        OtherDraw(
            number=d.number,
            kind=str(d.get_kind_display()),
            state=str(d.get_state_display())
            + (f"（{d.partner.name}人员匹配）" if d.partner_id else ""),
            sha256=d.manifest_sha256,
            when=_when(d.confirmed_at or d.drawn_at or d.committed_at),
            reason=d.void_reason,
        )
        for d in Draw.objects.filter(source=draw).select_related("partner").order_by("number")
    ]
    voids = [
        OtherDraw(
            number=d.number,
            kind=str(d.get_kind_display()),
            state=str(d.get_state_display()),
            sha256=d.manifest_sha256,
            when=_when(d.voided_at),
            reason=d.void_reason,
        )
        for d in Draw.objects.filter(task=task, state=DrawState.VOID).order_by("number")
    ]
    as_of = _when(_last_change(draw))
    return RecordData(
        draw=draw,
        url=draw_public_url(draw=draw),
        task_fields=task_fields,
        draw_fields=draw_fields,
        strata=strata,
        inspectors=n_insp,
        conflicts=n_conf,
        excluded_counts=excluded_counts,
        excluded=excluded,
        rows=rows,
        substitutions=subs,
        direct=direct,
        remedies=remedies,
        voids=voids,
        as_of=as_of,
        verify_note=(
            "任何人均可用公开的 manifest、seed.txt 复核：python3 verify_draw.py manifest seed.txt，"
            "输出应与 result.txt 逐字节一致（更换记录行除外，按协议第4节重放）。"
        ),
    )
