"""Reads of the public portal (一公开): only public data, and cheap on a million results.

What the public may see comes from ``PublishedResult`` (the public copy written at
publication: no mobile or 身份证号 is ever copied there), the current versions of the
抽查事项清单, published annual plans, and the answers to objections — never the
applicant's name or contact.

Paging is by keyset (``published_at``, ``id``), never by offset: an offset page and a
``COUNT(*)`` over an unfiltered million rows grow with the table, a keyset page costs the
same on page 1 and page 50,000. Counts are capped (``count_capped``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Field, ForeignObjectRel, Q, QuerySet
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.selectors import department_subtree_ids_of
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.ids import normalize_code
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.disclosure.portal_services import objection_deadlines
from shuangsuiji.inspection.choices import Conclusion, FollowUpKind, FollowUpStatus
from shuangsuiji.inspection.models import FollowUp
from shuangsuiji.planning.choices import PlanStatus
from shuangsuiji.planning.models import Plan, PlanRow

PAGE_SIZE = 20
COUNT_CAP = 1000
# A 统一社会信用代码 typed into the search box: 18 characters of its alphabet (the check
# digit is not verified here — a mistyped code simply finds nothing).
_CODE_RE = re.compile(r"^[0-9A-Z]{18}$")
_CODE_SPLIT = re.compile(r"[、,，;；\s]+")

STATUS_CURRENT = "current"
STATUS_SUPERSEDED = "superseded"
STATUS_CHOICES = [("", "全部"), (STATUS_CURRENT, "现行"), (STATUS_SUPERSEDED, "已被更正")]

# The list needs only these columns; the long texts (检查情况, 执法检查人员…) stay unread.
LIST_FIELDS = (
    "id",
    "entity_name",
    "credit_code",
    "department_names",
    "task_codes",
    "task_titles",
    "inspected_on",
    "conclusion",
    "published_at",
    "superseded_by_id",
    "is_correction",
    "version_number",
)


def split_codes(text: str) -> list[str]:
    """任务编号 as stored on the public row (one text, joined by 、 or commas)."""
    return [c for c in _CODE_SPLIT.split(text or "") if c]


def credit_code_of(query: str) -> str | None:
    """The query as a 统一社会信用代码 when it looks like one (18 characters, 全角 folded)."""
    code = normalize_code(query)
    return code if _CODE_RE.match(code) else None


# ---------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilters:
    """The search of 检查结果查询. Empty values mean "any"."""

    q: str = ""
    department_id: int | None = None
    year: int | None = None
    item_code: str = ""
    conclusion: str = ""
    status: str = ""

    @property
    def credit_code(self) -> str | None:
        return credit_code_of(self.q) if self.q else None

    @property
    def is_empty(self) -> bool:
        return not (
            self.q
            or self.department_id
            or self.year
            or self.item_code
            or self.conclusion
            or self.status
        )


def _item_filter(code: str) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(item_codes__contains=[code])  # jsonb @> on PostgreSQL: exact element
    # SQLite has no JSON containment: match the quoted element in the stored JSON text
    # (stored escaped by json.dumps; both spellings for a code with non-ASCII characters).
    import json

    spellings = {json.dumps(code), json.dumps(code, ensure_ascii=False)}
    q = Q()
    for s in spellings:
        q |= Q(item_codes__icontains=s)
    return q


def published_results_filter(*, filters: ResultFilters) -> QuerySet[PublishedResult]:
    """Published rows matching the search, superseded ones included (marked in the list)."""
    qs = PublishedResult.objects.all()
    if filters.q:
        code = filters.credit_code
        if code is not None:
            qs = qs.filter(credit_code=code)  # exact: the (credit_code, published_at) index
        else:
            # Substring (a prefix is a substring); names are Chinese, so no case folding is
            # needed beyond what icontains does for Latin letters in a name.
            qs = qs.filter(entity_name__icontains=filters.q.strip())
    if filters.department_id:
        qs = qs.filter(_department_q(filters.department_id))
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.conclusion:
        qs = qs.filter(conclusion=filters.conclusion)
    if filters.item_code:
        qs = qs.filter(_item_filter(filters.item_code))
    if filters.status == STATUS_CURRENT:
        qs = qs.filter(superseded_by__isnull=True)
    elif filters.status == STATUS_SUPERSEDED:
        qs = qs.filter(superseded_by__isnull=False)
    return qs


def count_capped(*, qs: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """(count, more): at most ``cap`` rows are counted (``SELECT COUNT(*) FROM (… LIMIT
    cap+1)``), so an unfiltered million costs a thousand index entries, not a million."""
    cap = COUNT_CAP if cap is None else cap
    n = qs.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


# --- keyset pages ------------------------------------------------------------------------

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)


def cursor_encode(row: PublishedResult) -> str:
    return f"{(row.published_at - _EPOCH) // _ONE_US}.{row.pk}"


def cursor_decode(token: str | None) -> tuple[dt.datetime, int] | None:
    """``None`` for a missing or malformed token (the first page is shown)."""
    if not token:
        return None
    micros, _, pk = token.partition(".")
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.prev_cursor is not None


def keyset_page(
    *,
    qs: QuerySet[PublishedResult],
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """One page, newest first. ``after`` = the cursor of the last row of the page before;
    ``before`` = the cursor of the first row of the page after (for 上一页)."""
    start_after, end_before = cursor_decode(after), cursor_decode(before)
    if end_before is not None and start_after is None:
        at, pk = end_before
        # ``published_at >= at`` is the bound an index can seek to; the OR only trims ties.
        rows = list(
            qs.filter(Q(published_at__gte=at) & (Q(published_at__gt=at) | Q(id__gt=pk))).order_by(
                "published_at", "id"
            )[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows=rows,
            next_cursor=cursor_encode(rows[-1]) if rows else None,
            prev_cursor=cursor_encode(rows[0]) if rows and more_before else None,
        )
    if start_after is not None:
        at, pk = start_after
        qs = qs.filter(Q(published_at__lte=at) & (Q(published_at__lt=at) | Q(id__lt=pk)))
    rows = list(qs.order_by("-published_at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows=rows,
        next_cursor=cursor_encode(rows[-1]) if more else None,
        prev_cursor=cursor_encode(rows[0]) if rows and start_after is not None else None,
    )


def published_results_page(
    *,
    filters: ResultFilters,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    qs = published_results_filter(filters=filters).only(*LIST_FIELDS)
    return keyset_page(qs=qs, after=after, before=before, size=size)


def latest_results(*, size: int = 5) -> list[PublishedResult]:
    return list(PublishedResult.objects.only(*LIST_FIELDS).order_by("-published_at", "-id")[:size])


# ---------------------------------------------------------------------------------------
# One result
# ---------------------------------------------------------------------------------------


@dataclass
class Version:
    row: PublishedResult
    # For a superseded row: the correction that replaced it (its reason is shown here).
    replaced_by: PublishedResult | None = None


@dataclass
class ResultDetail:
    row: PublishedResult
    current: PublishedResult
    versions: list[Version]
    outcomes: list[dict]
    task_codes: list[str] = field(default_factory=list)
    notes: list[FollowUpNote] = field(default_factory=list)

    @property
    def is_current(self) -> bool:
        return self.row.superseded_by_id is None


def _column(field: Field | ForeignObjectRel | None) -> str:
    """The column of a field stored in the table (the only kind these statements name)."""
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{field!r} is not stored in a column")
    return field.column


@functools.cache
def _detail_sql() -> str:
    # Written once from the model's own table and columns: the ORM would compile the same
    # statement again on every request, about a quarter of the page's CPU.
    meta, quote = PublishedResult._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(_column(f)) for f in meta.concrete_fields)
    result_id, version = (
        quote(_column(meta.get_field("result"))),
        quote(_column(meta.get_field("version_number"))),
    )
    return (
        f"SELECT {columns} FROM {table} WHERE {result_id} = "
        f"(SELECT {result_id} FROM {table} WHERE {quote(_column(meta.pk))} = %s) "
        f"ORDER BY {version}, {quote(_column(meta.pk))}"
    )


def published_result_detail(*, pk: int) -> ResultDetail | None:
    """A published row with its whole version history and the answered objections, in two
    queries: the rows of the same result (one query, the row found by a sub-select) and the
    objection outcomes. The page is load-tested at ≥300 req/s: no per-row query, and both
    statements are written once rather than compiled by the ORM on every request."""
    rows = list(PublishedResult.objects.raw(_detail_sql(), [pk]))
    by_id = {r.pk: r for r in rows}
    row = by_id.get(pk)
    if row is None:
        return None
    current = row
    while current.superseded_by_id is not None and current.superseded_by_id in by_id:
        current = by_id[current.superseded_by_id]
    versions = [
        Version(
            row=r,
            replaced_by=None if r.superseded_by_id is None else by_id.get(r.superseded_by_id),
        )
        for r in rows
    ]
    return ResultDetail(
        row=row,
        current=current,
        versions=versions,
        outcomes=objection_outcomes_of_result(result_id=row.result_id),
        task_codes=split_codes(row.task_codes),
        notes=followup_notes(version_ids=[r.version_id for r in rows]),
    )


@dataclass(frozen=True)
class FollowUpNote:
    """A fact appended after publication (issue 14 第 4 项; 003 附件4 五): the signed result
    stays as published, its follow-up's outcome is added below it with its date."""

    on: dt.date
    text: str


def followup_notes(*, version_ids: list[int]) -> list[FollowUpNote]:
    """复查 outcomes, 处罚决定 (with the case number as the decision's number) and the
    penalty's publication, of the published versions' follow-ups, in date order. The
    re-check note and the follow-up's text stay internal (they may name people)."""
    notes = []
    for f in FollowUp.objects.filter(version_id__in=version_ids).order_by("id"):
        if f.kind == FollowUpKind.RECTIFY and f.recheck_on and f.status != FollowUpStatus.OPEN:
            outcome = "已整改到位" if f.status == FollowUpStatus.DONE else "未按要求整改"
            notes.append(FollowUpNote(f.recheck_on, f"复查：{outcome}"))
        if f.kind == FollowUpKind.CASE and f.penalty_decided_on:
            number = mask_personal_numbers(f.case_no.strip())
            notes.append(
                FollowUpNote(
                    f.penalty_decided_on,
                    f"作出行政处罚决定（决定文号/案件编号：{number}）"
                    if number
                    else "作出行政处罚决定",
                )
            )
        if f.kind == FollowUpKind.CASE and f.penalty_published_on:
            notes.append(FollowUpNote(f.penalty_published_on, "行政处罚信息已依法公开"))
    return sorted(notes, key=lambda n: n.on)


@dataclass
class Bulletin:
    """一抽查一通报 (003 第十一条): one task's published results in one public page."""

    task: Any
    rows: list[PublishedResult]
    by_conclusion: list[tuple[str, int]]
    problems: list[tuple[PublishedResult, list[FollowUpNote]]]


def task_bulletin(*, code: str) -> Bulletin | None:
    """The task's current published results (corrections replace what they correct), counted
    by conclusion, with the rows where something was found and their follow-ups; ``None``
    before anything of the task is published."""
    from shuangsuiji.planning.models import Task

    task = Task.objects.select_related("department").filter(code=code).first()
    if task is None:
        return None
    rows = [
        r
        for r in PublishedResult.objects.filter(
            task_codes__contains=code, superseded_by__isnull=True
        ).order_by("inspected_on", "id")
        if code in split_codes(r.task_codes)
    ]
    if not rows:
        return None
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.conclusion] = counts.get(r.conclusion, 0) + 1
    labels = dict(Conclusion.choices)
    by_conclusion = [(str(labels[c]), counts[c]) for c in Conclusion.values if c in counts]
    problems = [
        (r, followup_notes(version_ids=[r.version_id]))
        for r in rows
        if r.conclusion != Conclusion.NO_PROBLEM
    ]
    return Bulletin(task=task, rows=rows, by_conclusion=by_conclusion, problems=problems)


def published_result_get(*, pk: int) -> PublishedResult | None:
    return PublishedResult.objects.filter(pk=pk).first()


def entity_results(*, credit_code: str, limit: int = 500) -> list[PublishedResult]:
    """Every published row of one entity (统一社会信用代码), superseded ones included."""
    code = normalize_code(credit_code)
    return list(
        PublishedResult.objects.filter(credit_code=code)
        .only(*LIST_FIELDS)
        .order_by("-published_at", "-id")[:limit]
    )


# ---------------------------------------------------------------------------------------
# Corrections and objection outcomes
# ---------------------------------------------------------------------------------------


def corrections_page(
    *, after: str | None = None, before: str | None = None, size: int = PAGE_SIZE
) -> KeysetPage:
    """更正公告, newest first: each correction with the version it replaced."""
    qs = (
        PublishedResult.objects.filter(is_correction=True)
        .select_related("supersedes")
        .only(
            *LIST_FIELDS,
            "correction_reason",
            "supersedes__id",
            "supersedes__inspected_on",
            "supersedes__conclusion",
            "supersedes__published_at",
            "supersedes__superseded_by_id",
            "supersedes__superseded_at",
        )
    )
    return keyset_page(qs=qs, after=after, before=before, size=size)


def objection_outcomes(*, limit: int = 50, offset: int = 0) -> list[dict]:
    """异议处理结果: answered objections, newest answer first, as the staff module exposes
    them to the public (``selectors.objection_outcomes_public``: never the applicant's
    name or contact). Objections are few: plain offset paging is enough."""
    from shuangsuiji.disclosure.selectors import objection_outcomes_public

    return list(objection_outcomes_public()[offset : offset + limit])


_DECISIONS = dict(ObjectionDecision.choices)


_OUTCOME_FIELDS = (
    "number",
    "received_on",
    "decision",
    "answer",
    "answered_at",
    "applicant",
    "contact",
)


@functools.cache
def _outcomes_sql() -> str:
    meta, quote = Objection._meta, connection.ops.quote_name
    columns = ", ".join(quote(_column(meta.get_field(name))) for name in ("id", *_OUTCOME_FIELDS))
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} "
        f"WHERE {quote(_column(meta.get_field('result')))} = %s AND {quote(_column(meta.get_field('status')))} = %s "
        f"ORDER BY {quote(_column(meta.get_field('answered_at')))}, {quote(_column(meta.pk))}"
    )


def answer_public(*, answer: str, applicant: str, contact: str) -> str:
    """A 反馈 as the portal shows it: the applicant's name and contact written into it by
    staff become "申请人" and "（联系电话）", other mobiles and 身份证号 are masked."""
    applicant, contact = (applicant or "").strip(), (contact or "").strip()
    if applicant:
        answer = answer.replace(applicant, "申请人")
    if contact:
        answer = answer.replace(contact, "（联系电话）")
    return mask_personal_numbers(answer)


def objection_outcomes_of_result(*, result_id: int) -> list[dict]:
    """The answered objections of one result, oldest first, for its page: one query on the
    indexed ``result_id``, written once (the page is load-tested). The applicant and
    contact are read only to be blotted out of the answer, like
    ``objection_outcomes_public`` does, then dropped."""
    out = []
    for o in Objection.objects.raw(_outcomes_sql(), [result_id, ObjectionStatus.ANSWERED.value]):
        out.append(
            {
                "number": o.number,
                "received_on": o.received_on,
                "decision": o.decision,
                "answer": answer_public(answer=o.answer, applicant=o.applicant, contact=o.contact),
                "answered_at": o.answered_at,
                "decision_label": str(_DECISIONS.get(o.decision, "")),
            }
        )
    return out


@dataclass(frozen=True)
class ObjectionProgress:
    """One objection as its applicant sees it on 查询办理进度: where it stands and by when
    each step is due — never the applicant, the contact or the content (he knows them, and
    the page must show nothing a guessed pair could reveal beyond the progress)."""

    number: str
    published_id: int
    entity_name: str
    department_names: str
    received_on: dt.date
    status: str
    status_label: str
    stage: str  # where it stands, in words
    review_by: dt.date
    answer_by: dt.date
    note: str  # set when a due date was counted over a year without calendar data
    reviewed_on: dt.date | None
    answered_on: dt.date | None
    decision_label: str
    answer: str
    correction_published_id: int | None
    overdue: bool


def objection_progress(*, objection: Objection, today: dt.date | None = None) -> ObjectionProgress:
    """复核 due 20 working days after receipt, 反馈 15 after the review (002 第二十八条):
    ``portal_services.objection_deadlines``, the same dates the receipt showed."""
    today = today or timezone.localdate()
    reviewed_on = timezone.localdate(objection.reviewed_at) if objection.reviewed_at else None
    answered_on = timezone.localdate(objection.answered_at) if objection.answered_at else None
    due = objection_deadlines(received_on=objection.received_on, reviewed_on=reviewed_on)
    if answered_on is not None:
        stage, overdue = f"已于{answered_on:%Y年%-m月%-d日}反馈复核情况，办理完毕。", False
    elif reviewed_on is not None:
        overdue = today > due.answer_by
        stage = f"已于{reviewed_on:%Y年%-m月%-d日}作出复核结果，正在办理反馈。"
    else:
        overdue = today > due.review_by
        stage = "检查实施机关正在复核。"
    correction = (
        PublishedResult.objects.filter(version__objection=objection)
        .order_by("-published_at")
        .values_list("pk", flat=True)
        .first()
    )
    published = objection.published
    return ObjectionProgress(
        number=objection.number,
        published_id=published.pk,
        entity_name=published.entity_name,
        department_names=published.department_names,
        received_on=objection.received_on,
        status=objection.status,
        status_label=objection.get_status_display(),
        stage=stage,
        review_by=due.review_by,
        answer_by=due.answer_by,
        note=due.note,
        reviewed_on=reviewed_on,
        answered_on=answered_on,
        decision_label=str(_DECISIONS.get(objection.decision, "")),
        answer=answer_public(
            answer=objection.answer, applicant=objection.applicant, contact=objection.contact
        )
        if answered_on is not None
        else "",
        correction_published_id=correction,
        overdue=overdue,
    )


# ---------------------------------------------------------------------------------------
# 抽查事项清单, annual plans, choices for the search form
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentChoice:
    pk: int
    name: str
    depth: int  # 0: a department (委/局); 1 and more: its sections, centres, stations

    @property
    def label(self) -> str:
        # Indented with ideographic spaces: a <select> does not collapse them, and a nested
        # <optgroup> is not allowed.
        return "\u3000\u3000" * self.depth + self.name


@dataclass(frozen=True)
class DepartmentGroup:
    region: str
    choices: tuple[DepartmentChoice, ...]


OTHER_REGION = "其他地区"


def department_groups_public() -> list[DepartmentGroup]:
    """The portal's 部门 filter: by 所在地区 (the jurisdiction), each department followed by
    its sections folded under it — not one flat list mixing a 委/局 of one city with the 科室
    of another. A sub-unit is listed with its top department, whatever its own region."""
    depts = list(
        Department.objects.filter(is_active=True)
        .only("id", "code", "name", "parent_id", "region")
        .order_by("code")
    )
    ids = {d.pk for d in depts}
    children: dict[int, list[Department]] = {}
    roots = []
    for d in depts:
        if d.parent_id in ids:
            children.setdefault(d.parent_id, []).append(d)
        else:  # a top department, or one whose parent is no longer active
            roots.append(d)

    def walk(d: Department, depth: int, out: list[DepartmentChoice], seen: set[int]) -> None:
        if d.pk in seen:  # a loop in the tree (bad data) must not hang the portal
            return
        seen.add(d.pk)
        out.append(DepartmentChoice(pk=d.pk, name=d.name, depth=depth))
        for child in children.get(d.pk, []):
            walk(child, depth + 1, out, seen)

    by_region: dict[str, list[DepartmentChoice]] = {}
    seen: set[int] = set()
    for root in roots:
        walk(root, 0, by_region.setdefault(root.region.strip() or OTHER_REGION, []), seen)
    # Regions in the order of their first department's code (the codes are the
    # administrator's order); departments without a region last.
    order = [r for r in by_region if r != OTHER_REGION]
    order += [OTHER_REGION] if OTHER_REGION in by_region else []
    return [DepartmentGroup(region=r, choices=tuple(by_region[r])) for r in order]


def _department_q(department_id: int) -> Q:
    """A department with its sub-units (含下级单位): results and items of its sections are
    the department's too."""
    ids = department_subtree_ids_of(department=Department(pk=department_id))
    if len(ids) == 1:
        return Q(department_id=department_id)  # the (department, year, …) index, exactly
    return Q(department_id__in=sorted(ids))


def items_public(*, department_id: int | None = None) -> QuerySet[Item]:
    """The current version of each non-repealed item, by department (清单动态调整 002 第八条:
    a repealed item leaves the public list; superseded versions are not shown)."""
    qs = (
        Item.objects.filter(is_repealed=False, current__isnull=False, department__is_active=True)
        .select_related("current", "department")
        .order_by("department__code", "code")
    )
    if department_id:
        qs = qs.filter(_department_q(department_id))
    return qs


def item_choices(*, department_id: int | None = None) -> list[tuple[str, str]]:
    """(code, label) for the search form's 抽查事项 filter."""
    seen: dict[str, str] = {}
    for code, name in items_public(department_id=department_id).values_list(
        "code", "current__name"
    ):
        seen.setdefault(code, f"{code} {name}")
    return sorted(seen.items())


def plans_public() -> QuerySet[Plan]:
    """Published plans, and plans being adjusted whose earlier version was published (the
    public keeps seeing that version until the adjusted one is published, 002 第十二条)."""
    return (
        Plan.objects.filter(
            Q(status=PlanStatus.PUBLISHED) | Q(versions__published_at__isnull=False)
        )
        .distinct()
        .select_related("department")
        .order_by("-year", "department__code")
    )


@dataclass
class PublicPlan:
    plan: Plan
    number: int  # the version shown
    rows: list[dict[str, Any]]
    published_at: Any
    filed_to: str
    adjust_reason: str  # why this version differs from the one before
    adjusting: (
        str  # the plan is being adjusted again: why (the shown version is the last public one)
    )
    versions: list[tuple[int, Any]]  # every public version: (number, published_at)


def _row_public(row: PlanRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "field": row.field,
        "target_desc": row.target_desc,
        "item_names": [
            f"{i.code} {i.current.name}" if i.current else i.code for i in row.items.all()
        ],
        "items_text": row.items_text,
        "schedule_text": row.schedule_text,
        "due_text": row.due_text,
        "ratio": f"{row.ratio.normalize():f}" if row.ratio is not None else None,
        "estimated_count": row.estimated_count,
        "lead_unit": row.lead_unit,
        "partner_units": row.partner_units,
        "level": row.level,
    }


def plan_public(*, pk: int, version: int | None = None) -> PublicPlan | None:
    """A plan as the public may see it: its published version, or (while it is being
    adjusted, or when asked for by number) an earlier published version."""
    plan = plans_public().filter(pk=pk).first()
    if plan is None:
        return None
    snapshots = {v.number: v for v in plan.versions.filter(published_at__isnull=False)}
    numbers = sorted(snapshots) + ([plan.version] if plan.status == PlanStatus.PUBLISHED else [])
    listed = [
        (n, snapshots[n].published_at if n in snapshots else plan.published_at)
        for n in sorted(numbers, reverse=True)
    ]
    adjusting = plan.adjust_reason if plan.status != PlanStatus.PUBLISHED else ""
    wanted = version if version in numbers else max(numbers)
    if wanted == plan.version and plan.status == PlanStatus.PUBLISHED:
        rows = [
            _row_public(r) for r in plan.rows.prefetch_related("items__current").order_by("seq")
        ]
        return PublicPlan(
            plan, wanted, rows, plan.published_at, plan.filed_to, plan.adjust_reason, "", listed
        )
    snap = snapshots[wanted]
    return PublicPlan(
        plan,
        wanted,
        snap.rows,
        snap.published_at,
        snap.filed_to,
        snap.adjust_reason,
        adjusting,
        listed,
    )


def years_public(*, today: dt.date | None = None, back: int = 10) -> list[int]:
    """Years offered by the year filter (no DISTINCT over the results table)."""
    year = (today or timezone.localdate()).year
    return list(range(year, year - back, -1))


def conclusion_choices() -> list[tuple[str, Any]]:
    return list(Conclusion.choices)
