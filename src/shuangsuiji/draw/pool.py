"""The candidate pools of a task: which targets and inspectors go into the draw manifest.

This module turns what a task asks for (planning) into what the draw ceremony freezes into
a manifest; it belongs to the draw (its rules are the draw's: caps, exclusions, conflicts).
It reads only; it writes nothing.

Rules it applies:
- count per stratum = ceil(ratio × pool size), at least 1 when the pool is not empty
  (the Songjiang table in [000] matches this); or a fixed count, capped at the pool size;
- a class with per-risk ratios becomes one stratum per credit-risk class (``<code>.A`` …)
  [001 三(六), 002 第十四条];
- excluded before the commit, each with its reason [draw-protocol §2]: the yearly cap
  (default 2, per department) [002 第十四条], 注销/吊销/迁出 entities, optionally those
  inspected in the last N days;
- inspectors: on duty, 执法人员 with a valid certificate [002 第二十一条] (experts only
  when asked), of the lead department (and neighbouring departments when the task says
  so [002 第二十条]); capacity per inspector from the task; active conflicts of interest
  become ``conflict`` lines [002 第二十二条].

Ids in the manifest: the 统一社会信用代码 for targets that have one, else ``E<pk>``; the
执法证号 for inspectors when it fits ``[A-Za-z0-9._-]{1,64}``, else ``I<pk>``.
"""

import calendar
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.db import connections
from django.db.models import CharField, F, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils import timezone

from shuangsuiji.catalog.rules import task_cap
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Selection, YearlyDrawCount
from shuangsuiji.planning.choices import ClassMode
from shuangsuiji.planning.models import PartnerResponse
from shuangsuiji.planning.parsing import draw_count
from shuangsuiji.planning.selectors import family_ids, subtree_ids
from shuangsuiji.registry.choices import (
    DRAWABLE_STATUSES,
    EntityStatus,
    InspectorKind,
    InspectorStatus,
)
from shuangsuiji.registry.models import ComplaintCount, Conflict, CreditFlag, Entity, Inspector


@dataclass(frozen=True)
class Excluded:
    target_id: str
    entity_id: int
    name: str
    reason: str  # 中文原因，如 "本年度已被抽中2次（上限2次）"


@dataclass
class Stratum:
    name: str  # manifest stratum name, e.g. "all", "gas.A"
    label: str  # 中文说明，如 "燃气经营企业 · A 低风险"
    n: int  # how many to draw
    targets: list[tuple[str, int]] = field(
        default_factory=list
    )  # (target_id, entity pk), any order


@dataclass
class InspectorCandidate:
    inspector_id: str  # manifest id
    pk: int
    capacity: int


@dataclass
class TaskPool:
    strata: list[Stratum]
    excluded: list[Excluded]
    inspectors: list[InspectorCandidate]
    conflicts: list[
        tuple[str, str]
    ]  # (inspector_id, target_id), only pairs where both are in the pool
    team_size: int
    warnings: list[str] = field(default_factory=list)


def target_id_for(*, uscc: str, pk: int) -> str:
    return uscc if uscc else f"E{pk}"


# --- implementation --------------------------------------------------------------------
# Everything below reads with ``values_list`` and ``iterator``: a pool of 1,000,000
# entities must be read, filtered and split into strata in about a second (the draw
# benchmark allows 10 s for pool, manifest, draw and persisting on SQLite).

MANIFEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
RISK_LABELS = {
    "A": "A 低风险",
    "B": "B 一般风险",
    "C": "C 较高风险",
    "D": "D 高风险",
    "U": "未分类",
}
_CHUNK = 20_000
_NAME_BATCH = 900  # below SQLite's old 999-variable limit


def inspector_id_for(*, cert_no: str, pk: int) -> str:
    return cert_no if MANIFEST_ID_RE.match(cert_no or "") else f"I{pk}"


# Exclusion reasons, in the order they are tested (an entity is listed once, first reason).
REASON_STATUS = "status"
REASON_CAP = "cap"
REASON_RECENT = "recent"
REASON_LABELS = {
    REASON_STATUS: "登记状态不可抽取（注销、吊销、迁出、停业）",
    REASON_CAP: "本年度抽中次数已达上限",
    REASON_RECENT: "近期已被抽中检查",
}


@dataclass
class StratumPreview:
    name: str
    label: str
    class_code: str
    pool_size: int
    n: int
    ratio: str | None  # percent as text, None for a fixed count
    count: int | None


@dataclass
class PoolPreview:
    strata: list[StratumPreview]
    excluded_by_reason: dict[str, int]  # reason key → count (REASON_LABELS gives the Chinese)
    excluded_sample: list[Excluded]
    excluded_total: int
    inspectors: int
    conflicts: int
    team_size: int
    capacity_total: int
    to_draw: int
    warnings: list[str]

    @property
    def pool_total(self) -> int:
        return sum(s.pool_size for s in self.strata)

    @property
    def excluded_rows(self) -> list[tuple[str, int]]:
        return [(REASON_LABELS[k], v) for k, v in self.excluded_by_reason.items() if v]


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day when it has fewer)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def _class_queryset(cls, library_ids: set[int], today: dt.date):

    qs = Entity.objects.filter(department_id__in=library_ids)
    through = Entity.tags.through
    if cls.sublibrary_id:
        qs = qs.filter(pk__in=through.objects.filter(tag_id=cls.sublibrary_id).values("entity_id"))
    if cls.mode == ClassMode.DIRECTED:
        filters = cls.filters or {}
        for key in ("entity_type", "scale", "region", "industry"):
            if filters.get(key):
                qs = qs.filter(**{f"{key}__in": filters[key]})
        if filters.get("tags"):
            qs = qs.filter(
                pk__in=through.objects.filter(tag_id__in=filters["tags"]).values("entity_id")
            )
        # Credit linkage (issue 14 第 3 项): what the recorded imports say on the day of the
        # draw — a flag listed by then and not yet removed; complaints in periods that
        # overlap the last N months.
        if filters.get("flags"):
            listed = CreditFlag.objects.filter(
                department_id__in=library_ids, kind__in=filters["flags"], listed_on__lte=today
            ).filter(Q(removed_on__isnull=True) | Q(removed_on__gt=today))
            qs = qs.filter(uscc__in=listed.values("uscc"))
        if filters.get("complaints_min"):
            since = months_before(today, int(filters.get("complaints_months") or 12))
            heavy = (
                ComplaintCount.objects.filter(
                    department_id__in=library_ids, period_end__gt=since, period_start__lte=today
                )
                .values("uscc")
                .annotate(n=Sum("count"))
                .filter(n__gte=int(filters["complaints_min"]))
                .values("uscc")
            )
            qs = qs.filter(uscc__in=heavy)
    return qs


_SECOND = itemgetter(1)
_TID_PK = itemgetter(1, 0)  # (pk, uscc, …) → (uscc, pk): a target as Stratum.targets holds it


def _no_risk(row: tuple) -> str:  # itemgetter(2) for a class without risk strata
    return ""


# The manifest id (target_id_for) computed in SQL: the 统一社会信用代码, else "E<pk>".
_TID = Coalesce(
    NullIf(F("uscc"), Value("")),
    Concat(Value("E"), Cast(F("id"), CharField())),
    output_field=CharField(),
)


def _rows(qs, *, with_risk: bool):
    """(pk, target id[, risk_class]) rows in chunks (lists) for the hot loop. On SQLite the
    compiled query runs on a plain cursor: Django's per-row iterator costs as much again as
    SQLite itself for a million rows.

    In the chunks the second column is the raw ``uscc`` (``""`` when there is none; the
    caller makes it ``E<pk>``): read from ``entity_pool_cover_idx`` alone, the query
    never visits the table."""
    qs = qs.values_list("id", "uscc", *(["risk_class"] if with_risk else [])).order_by()
    if connections[qs.db].vendor != "sqlite":
        return _chunked(qs.iterator(chunk_size=_CHUNK))
    return _sqlite_chunks(qs)


def _chunked(rows):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sqlite_chunks(qs):
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(_CHUNK):
            yield chunk


def _recent_targets(task) -> dict[str, str]:
    """Targets of confirmed draws of *other* tasks whose window touches the N days before
    this task's window starts: target id → that task's code.

    An approximation until inspection visits are recorded: a confirmed draw stands for an
    inspection carried out in its task's window."""

    days = task.exclude_recent_days
    if not days:
        return {}
    since = task.window_start - dt.timedelta(days=days)
    rows = (
        Selection.objects.filter(
            draw__state=DrawState.CONFIRMED,
            draw__task__window_end__gte=since,
            draw__task__window_start__lt=task.window_start,
        )
        .exclude(draw__task_id=task.pk)
        .values_list("target_id", "draw__task__code")
    )
    return dict(rows.iterator(chunk_size=_CHUNK))


def _inspector_department_ids(task, extra_departments=()) -> set[int]:

    ids = family_ids(department=task.department)
    # 与相邻区域执法检查人员合并进行随机匹配 [002 第二十条] — only when the task says so.
    if task.include_neighbour_inspectors:
        for neighbour in task.neighbour_departments.all():
            ids |= subtree_ids(department=neighbour)
    # A wider pool chosen for one match-only or remedy draw (补充匹配), recorded on that draw.
    for extra in extra_departments:
        ids |= subtree_ids(department=extra)
    return ids


def _inspectors(
    task, today: dt.date, *, extra_departments=(), include_experts: bool = False
) -> list[InspectorCandidate]:

    # 执法检查人员应当具备执法资格 [002 第二十一条]: 执法人员 on duty whose certificate is
    # valid when the work starts (or today, if the window has begun). 辅助人员 never count
    # toward the team; experts join only when the task (or a widened draw) asks for them
    # [002 第二十条].
    as_of = max(today, task.window_start)
    experts = task.include_experts or include_experts
    kinds = [InspectorKind.OFFICER] + ([InspectorKind.EXPERT] if experts else [])
    # 部门联合抽查: the lead department's staff only — each partner's staff are matched in
    # a draw of their own over the same targets (``partner_inspector_pool``), so that every
    # team has each department and the lead's 组长 (000 四(二), issue 14 第 1 项).
    qs = Inspector.objects.filter(
        department_id__in=_inspector_department_ids(task, extra_departments),
        status=InspectorStatus.ON_DUTY,
        kind__in=kinds,
    ).filter(Q(cert_valid_until__isnull=True) | Q(cert_valid_until__gte=as_of))
    if task.inspector_category:
        qs = qs.filter(category__icontains=task.inspector_category)
    capacity = task.inspector_capacity
    out = [
        InspectorCandidate(inspector_id_for(cert_no=cert, pk=pk), pk, capacity)
        for pk, cert in qs.values_list("id", "cert_no").iterator(chunk_size=_CHUNK)
    ]
    out.sort(key=lambda c: c.inspector_id)
    return out


def partner_inspector_pool(
    *, task, partner, today: dt.date | None = None
) -> list[InspectorCandidate]:
    """The inspectors a partner department puts into a joint task (its answer: on-duty
    执法人员 of the department and its sections, of the 执法类别 it named; certificate valid
    when the work starts), each with the task's capacity."""
    today = today or timezone.localdate()
    answer = PartnerResponse.objects.filter(task=task, department=partner, accepted=True).first()
    if answer is None:
        return []
    as_of = max(today, task.window_start)
    qs = Inspector.objects.filter(
        department_id__in=family_ids(department=partner),
        status=InspectorStatus.ON_DUTY,
        kind=InspectorKind.OFFICER,
    ).filter(Q(cert_valid_until__isnull=True) | Q(cert_valid_until__gte=as_of))
    if answer.inspector_category:
        qs = qs.filter(category__icontains=answer.inspector_category)
    out = [
        InspectorCandidate(inspector_id_for(cert_no=cert, pk=pk), pk, task.inspector_capacity)
        for pk, cert in qs.values_list("id", "cert_no").iterator(chunk_size=_CHUNK)
    ]
    out.sort(key=lambda c: c.inspector_id)
    return out


def _names(pks: list[int]) -> dict[int, str]:

    names: dict[int, str] = {}
    for start in range(0, len(pks), _NAME_BATCH):
        names.update(
            Entity.objects.filter(pk__in=pks[start : start + _NAME_BATCH]).values_list("id", "name")
        )
    return names


@dataclass
class _Build:
    pool: TaskPool
    class_of: dict[str, tuple[str, object, int | None]]  # stratum name → (class code, ratio, count)
    excluded_by_reason: Counter


def _build(*, task, today: dt.date | None = None) -> _Build:

    today = today or timezone.localdate()
    department = task.department
    library = family_ids(department=department)
    classes = list(task.classes.select_related("sublibrary").order_by("code"))
    # 原则上同一生产经营单位在一年内被抽中不超过2次 (指引第十四条): the cap of the task's items
    # under their departments' rules (catalog/rules.py); none for items without a cap.
    cap = task_cap(task=task)
    at_cap = (
        dict(
            YearlyDrawCount.objects.filter(year=cap.year, month=cap.month, count__gte=cap.limit)
            .values_list("target_id", "count")
            .iterator(chunk_size=_CHUNK)
        )
        if cap is not None
        else {}
    )
    recent = _recent_targets(task)
    inspectors = _inspectors(task, today)
    by_pk = {c.pk: c.inspector_id for c in inspectors}
    conflict_pairs = (
        list(
            Conflict.objects.filter(is_active=True, inspector_id__in=list(by_pk)).values_list(
                "inspector_id", "entity_id"
            )
        )
        if by_pk
        else []
    )
    conflict_entities = {e for _, e in conflict_pairs}
    conflict_tids: dict[int, str] = {}

    drawable = [str(s) for s in DRAWABLE_STATUSES]
    status_labels = dict(EntityStatus.choices)
    seen: set[str] = set()
    excluded: dict[str, tuple[int, str, str]] = {}  # tid → (pk, reason key, reason text)
    # One lookup per row for both reasons; both sets are small next to the library.
    blocked: dict[str, tuple[str, str]] = {
        tid: (REASON_RECENT, f"近{task.exclude_recent_days}天内已被抽中检查（任务 {code}）")
        for tid, code in recent.items()
    }
    blocked.update(
        {
            tid: (
                REASON_CAP,
                f"{cap.period_text if cap.month else '本年度'}已被抽中{count}次（上限{cap.limit}次）",
            )
            for tid, count in at_cap.items()
            if cap is not None
        }
    )
    buckets: dict[str, list[tuple[str, int]]] = {}
    class_of: dict[str, tuple[str, object, int | None]] = {}
    labels: dict[str, str] = {}
    warnings: list[str] = []
    repeated = 0
    dropped: set[str] = set()  # matched a class but in a risk class without a ratio
    for cls in classes:
        per_risk = bool(cls.risk_ratios)
        base = _class_queryset(cls, library, today)
        seen_add = seen.add
        if per_risk:
            letters = {letter: cls.risk_ratios.get(letter, cls.ratio) for letter in RISK_LABELS}
            risk_lists: dict[str, list[tuple[str, int]]] = {letter: [] for letter in RISK_LABELS}
        else:
            single = buckets.setdefault(cls.code, [])
            class_of[cls.code] = (cls.code, cls.ratio, cls.count)
            labels[cls.code] = cls.name
        # Drawable entities: the hot loop (a million rows), three columns, the target id
        # computed by the database; 注销/吊销/… come in a second, small query below.
        rows = _rows(base.filter(status__in=drawable), with_risk=per_risk)
        if per_risk:
            put = {letter: members.append for letter, members in risk_lists.items()}
            put[""] = put["U"]
            extend = {letter: members.extend for letter, members in risk_lists.items()}
            extend[""] = extend["U"]
        else:
            put = {"": single.append}
            extend = {"": single.extend}
        risk_of = itemgetter(2) if per_risk else _no_risk
        for chunk in rows:
            tids = list(map(_SECOND, chunk))
            fresh = set(tids)
            if (
                len(fresh) == len(tids)
                and "" not in fresh
                and fresh.isdisjoint(seen)
                and blocked.keys().isdisjoint(fresh)
            ):
                # The usual chunk: every row new, none blocked, all with a USCC. Rows come
                # in index order, grouped by risk class: whole runs go to their stratum.
                seen.update(fresh)
                for risk, run in groupby(chunk, risk_of):
                    extend[risk](map(_TID_PK, run))
                continue
            for row in chunk:  # the same, row by row (first listed wins; blocked; no USCC)
                pk = row[0]
                tid = row[1] or f"E{pk}"
                if tid in seen:
                    repeated += 1
                    continue
                seen_add(tid)
                if tid in blocked:
                    excluded[tid] = (pk, *blocked[tid])
                    continue
                put[risk_of(row)]((tid, pk))
        for pk, tid, status, on, why in (
            base.exclude(status__in=drawable)
            .annotate(tid=_TID)
            .values_list("id", "tid", "status", "status_date", "status_reason")
            .order_by()
            .iterator(chunk_size=_CHUNK)
        ):
            if tid in seen:
                repeated += 1
                continue
            seen_add(tid)
            # The registration authority's date and reason, where its file gave them.
            detail = "，".join(
                p for p in (f"{on.year}年{on.month}月{on.day}日" if on else "", why) if p
            )
            excluded[tid] = (
                pk,
                REASON_STATUS,
                f"登记状态为“{status_labels.get(status, status)}”"
                + (f"（{detail}）" if detail else "")
                + "，不可抽取",
            )
        if per_risk:
            for letter, members in risk_lists.items():
                if not members:
                    continue
                if letters[letter] is None:
                    dropped.update(tid for tid, _ in members)
                    warnings.append(
                        f"类别“{cls.name}”未设置{RISK_LABELS[letter]}的抽查比例："
                        f"其{len(members)}个对象不参与抽取"
                    )
                    continue
                name = f"{cls.code}.{letter}"
                buckets[name] = members
                class_of[name] = (cls.code, letters[letter], None)
                labels[name] = f"{cls.name} · {RISK_LABELS[letter]}"
    if conflict_entities:
        # The few entities with a declared conflict: their ids, kept only if they are in a
        # stratum (a manifest's conflict line must name a listed target, draw-protocol §2).
        wanted = list(conflict_entities)
        for start in range(0, len(wanted), _NAME_BATCH):
            for pk, tid in (
                Entity.objects.filter(pk__in=wanted[start : start + _NAME_BATCH])
                .annotate(tid=_TID)
                .values_list("id", "tid")
            ):
                if tid in seen and tid not in excluded and tid not in dropped:
                    conflict_tids[pk] = tid
    if repeated:
        warnings.append(
            f"{repeated}个对象同时符合多个类别（或在名录库中重复），只计入先列出的类别一次"
        )

    strata: list[Stratum] = []
    for name in sorted(buckets):
        targets = buckets[name]
        code, ratio, count = class_of[name]
        if not targets:
            warnings.append(f"类别“{labels[name]}”没有可抽取的检查对象")
            continue
        n = draw_count(
            pool_size=len(targets),
            ratio=Decimal(str(ratio)) if ratio is not None else None,
            count=count,
        )
        strata.append(Stratum(name=name, label=labels[name], n=n, targets=targets))

    names = _names(sorted(pk for pk, _, _ in excluded.values()))
    excluded_list = [
        Excluded(tid, pk, names.get(pk, ""), text)
        for tid, (pk, _, text) in sorted(excluded.items())
    ]
    reasons = Counter(key for _, key, _ in excluded.values())
    conflicts = sorted(
        {(by_pk[i], conflict_tids[e]) for i, e in conflict_pairs if e in conflict_tids}
    )

    to_draw = sum(s.n for s in strata)
    team = task.team_size
    if len(inspectors) < team:
        warnings.append(
            f"可匹配的执法检查人员只有{len(inspectors)}名，少于每组{team}名：请扩大人员范围"
            f"（相邻区域人员合并匹配）或直接委派 [002 第二十条]"
        )
    elif to_draw * team > len(inspectors) * task.inspector_capacity:
        warnings.append(
            f"抽取{to_draw}个对象需{to_draw * team}人次，超过人员总容量"
            f"{len(inspectors) * task.inspector_capacity}人次（{len(inspectors)}名 × 每人"
            f"{task.inspector_capacity}个）：部分对象将无法配齐人员"
        )
    pool = TaskPool(
        strata=strata,
        excluded=excluded_list,
        inspectors=inspectors,
        conflicts=conflicts,
        team_size=team,
        warnings=warnings,
    )
    return _Build(pool=pool, class_of=class_of, excluded_by_reason=reasons)


def task_pool(*, task, today: dt.date | None = None) -> TaskPool:
    """The candidate pools of ``task`` as the rules above make them (reads only).

    ``today`` (default: the local date) decides certificate validity together with the
    window start. Strata come sorted by name; targets and inspectors in no promised
    order (the manifest sorts them); excluded and conflicts sorted by id.
    """
    return _build(task=task, today=today).pool


def inspector_pool(
    *, task, extra_departments=(), include_experts: bool = False, today: dt.date | None = None
) -> list[InspectorCandidate]:
    """The task's inspector candidates alone (sorted by manifest id), as ``task_pool``
    makes them — without reading the target library — optionally widened for one
    match-only or remedy draw: the inspectors of ``extra_departments`` (and their
    sub-departments; e.g. a neighbouring area [002 第二十条]) and/or the experts."""
    return _inspectors(
        task,
        today or timezone.localdate(),
        extra_departments=extra_departments,
        include_experts=include_experts,
    )


def inspector_scope(*, task, extra_departments=(), include_experts: bool = False) -> dict:
    """Who the inspector pool was drawn from, in words and codes, as a draw records it
    (``Draw.inspector_scope``) and the public page shows it: each department with why it
    is in the pool, whether experts take part, the category filter."""
    departments = [
        {
            "code": task.department.code,
            "name": task.department.name,
            "basis": "牵头部门及其上下级部门",
        }
    ]
    # The partners of a joint task are matched in draws of their own (partner_inspector_pool).
    if task.include_neighbour_inspectors:
        departments += [
            {"code": d.code, "name": d.name, "basis": "相邻区域（任务设置，含下级部门）"}
            for d in task.neighbour_departments.order_by("code")
        ]
    listed = {d["code"] for d in departments}
    widened = [
        {"code": d.code, "name": d.name, "basis": "扩大范围（本次摇号，含下级部门）"}
        for d in sorted(set(extra_departments), key=lambda d: d.code)
        if d.code not in listed
    ]
    return {
        "departments": departments + widened,
        "experts": bool(task.include_experts or include_experts),
        "experts_widened": bool(include_experts and not task.include_experts),
        "widened": bool(widened) or bool(include_experts and not task.include_experts),
        "category": task.inspector_category,
    }


def task_pool_preview(*, task, today: dt.date | None = None, sample: int = 50) -> PoolPreview:
    """Per-stratum pool sizes and counts, exclusions per reason, inspector numbers: what
    the task page shows before the commit. It builds the same pool as the commit will
    (about a second for a million entities), so what the operator sees is what is drawn."""
    built = _build(task=task, today=today)
    pool = built.pool
    strata = []
    for s in pool.strata:
        code, ratio, count = built.class_of[s.name]
        strata.append(
            StratumPreview(
                name=s.name,
                label=s.label,
                class_code=code,
                pool_size=len(s.targets),
                n=s.n,
                ratio=None
                if ratio is None
                else f"{ratio.normalize():f}"
                if hasattr(ratio, "normalize")
                else str(ratio),
                count=count,
            )
        )
    return PoolPreview(
        strata=strata,
        excluded_by_reason={k: built.excluded_by_reason.get(k, 0) for k in REASON_LABELS},
        excluded_sample=pool.excluded[:sample],
        excluded_total=len(pool.excluded),
        inspectors=len(pool.inspectors),
        conflicts=len(pool.conflicts),
        team_size=pool.team_size,
        capacity_total=sum(c.capacity for c in pool.inspectors),
        to_draw=sum(s.n for s in pool.strata),
        warnings=pool.warnings,
    )
