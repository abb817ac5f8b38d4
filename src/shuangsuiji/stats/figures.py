"""The figures of 统计分析 (issue 12 第 3 项): one department (with its sub-units) and one
year, optionally one item and one risk class. The page, its xlsx export and `ssj stats
--json` all come from ``figures_compute``; each figure says which rows it counts.

What is counted, and in which year (written down here because every figure must be
reproducible from the rows — tests/stats/test_figures.py counts them independently):

- **year**: a task belongs to the year its execution period starts in (its plan year);
  draws, visits, results, follow-ups, objections and corrections belong to the year of the
  task they were made for (a visit: its lead task). A task running from December into
  January therefore counts in December's year, every part of it.
- **department**: the lead department of the task is the department or one of its
  sub-units (a 委 sees its 科室 and 中心); entities: the library of those departments.
- **tasks**: not cancelled. **void draws** and draws not yet confirmed select nobody.
- **entities drawn**: distinct entities selected by a confirmed draw of the year's tasks.
- **inspected**: distinct entities whose visit has a formed result (审核通过).
- **results**: one per visit with a formed result, counted by the conclusion of its current
  version — a correction replaces the conclusion, it does not add a result.
- **problem found**: conclusions other than 未发现问题, 无法联系 and 其他情形.
- **on time**: a result formed within ``RESULT_WORKDAYS`` working days after the task's
  execution period; published within the result's ``publish_workdays`` (its items' rule on
  the day it was formed; the department's ``publish_deadline_workdays`` before rules) after it
  was formed (公示率 = published on time / results due, 001 一). A result is *due* when its
  deadline has passed on ``today`` or it has been published; a result withheld by law
  (依法不予公开) is not due.
- **joint**: visits whose tasks have partner departments (部门联合抽查).
- **a month** (the monthly report, 004 四: 每月10日前报上月随机抽查情况): tasks whose execution
  period overlaps the month, selections of draws confirmed in it, visits whose result was
  formed in it (whatever their task's year), and what follows from those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.db.models import Case, CharField, Count, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from shuangsuiji.common.dbfunctions import LocalDate
from shuangsuiji.disclosure.deadlines import RESULT_WORKDAYS
from shuangsuiji.disclosure.deadlines.workday_table import WorkdayTable
from shuangsuiji.disclosure.models import Objection
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Selection
from shuangsuiji.inspection.choices import (
    Conclusion,
    FollowUpStatus,
    VersionKind,
    VersionStatus,
)
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion, Visit
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from shuangsuiji.registry.models import Entity

# Conclusions that do not say a problem was found (the rest do).
NO_PROBLEM = frozenset({Conclusion.NO_PROBLEM, Conclusion.UNREACHABLE, Conclusion.OTHER})


@dataclass
class Filters:
    year: int
    department_ids: frozenset[int]
    item_id: int | None = None
    risk_class: str | None = None  # "A".."D", "" = 未分类, None = all
    today: dt.date = field(default_factory=timezone.localdate)
    # The portal's 年度统计: only results the public can see (current version published).
    published_only: bool = False
    # A month of ``year`` (the monthly report, 004 四): what happened in that month — tasks
    # running in it, draws confirmed in it, results formed in it — instead of the plan year.
    month: int | None = None

    @property
    def month_range(self) -> tuple[dt.datetime, dt.datetime]:
        assert self.month is not None
        first = dt.date(self.year, self.month, 1)
        after = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(after, dt.time.min, tzinfo=tz),
        )


@dataclass
class Figures:
    year: int
    month: int | None = None
    entities: int = 0
    tasks: int = 0
    items_with_task: int = 0
    drawn: int = 0
    visits: int = 0
    inspected: int = 0
    results: int = 0
    by_conclusion: dict[str, int] = field(default_factory=dict)
    problems: int = 0
    followups_opened: int = 0
    followups_closed: int = 0
    results_due: int = 0  # formed or past the formation deadline
    results_on_time: int = 0
    publish_due: int = 0
    published: int = 0
    published_on_time: int = 0
    joint_visits: int = 0
    objections: int = 0
    corrections: int = 0

    @property
    def has_data(self) -> bool:
        """Anything happened in the period: a task, a draw, a visit. A year without any is
        said plainly instead of showing a row of zeros."""
        return bool(self.tasks or self.drawn or self.visits or self.results)

    @property
    def coverage(self) -> float | None:
        return _ratio(self.inspected, self.entities)

    @property
    def problem_rate(self) -> float | None:
        return _ratio(self.problems, self.results)

    @property
    def publish_rate(self) -> float | None:
        """公示率: published within the deadline / results due for publication."""
        return _ratio(self.published_on_time, self.publish_due)

    @property
    def result_on_time_rate(self) -> float | None:
        return _ratio(self.results_on_time, self.results_due)

    @property
    def joint_share(self) -> float | None:
        return _ratio(self.joint_visits, self.visits)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figures:
        """The inverse of ``as_dict`` (the derived shares are computed again)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["by_conclusion"] = {c.value: self.by_conclusion.get(c.value, 0) for c in Conclusion}
        for name in ("coverage", "problem_rate", "publish_rate", "result_on_time_rate"):
            data[name] = getattr(self, name)
        data["joint_share"] = self.joint_share
        data["has_data"] = self.has_data
        return data


def _ratio(part: int, whole: int) -> float | None:
    """A share in percent with one decimal, ``None`` when there is nothing to divide by
    (shown as “—”, never as 0 %)."""
    return round(100 * part / whole, 1) if whole else None


def tasks_in_scope(f: Filters) -> QuerySet[Task]:
    qs = Task.objects.filter(department_id__in=f.department_ids).exclude(
        status=TaskStatus.CANCELLED
    )
    if f.month is None:
        qs = qs.filter(window_start__year=f.year)
    else:
        start, after = f.month_range
        qs = qs.filter(window_start__lt=after.date(), window_end__gte=start.date())
    if f.item_id is not None:
        qs = qs.filter(items__id=f.item_id)
    return qs.distinct()


def entities_in_scope(f: Filters) -> QuerySet[Entity]:
    qs = Entity.objects.filter(department_id__in=f.department_ids)
    if f.risk_class is not None:
        qs = qs.filter(risk_class=f.risk_class)
    return qs


def visits_in_scope(f: Filters) -> QuerySet[Visit]:
    if f.month is None:
        qs = Visit.objects.filter(lead_task__in=tasks_in_scope(f))
    else:
        # The month's visits: those whose result was formed in it, whatever the task's year.
        start, after = f.month_range
        qs = Visit.objects.filter(
            lead_task__department_id__in=f.department_ids,
            result__formed_at__gte=start,
            result__formed_at__lt=after,
        )
        if f.item_id is not None:
            qs = qs.filter(tasks__items__id=f.item_id).distinct()
    if f.risk_class is not None:
        qs = qs.filter(entity__risk_class=f.risk_class)
    return qs


def results_in_scope(f: Filters) -> QuerySet[Result]:
    qs = Result.objects.filter(visit__in=visits_in_scope(f), formed_at__isnull=False)
    if f.published_only:
        qs = qs.filter(current__status=VersionStatus.PUBLISHED)
    return qs


def figures_compute(f: Filters) -> Figures:
    return figures_grouped(f, groups={pk: "" for pk in f.department_ids})[""]


def _group(path: str, groups: dict[int, str]) -> Case:
    """SQL that names the group of a row by its department (``path``): one query counts
    every department of the side-by-side view at once."""
    by_key: dict[str, list[int]] = {}
    for pk, key in groups.items():
        by_key.setdefault(key, []).append(pk)
    return Case(
        *(When(**{f"{path}__in": ids}, then=Value(key)) for key, ids in by_key.items()),
        default=Value(None),
        output_field=CharField(),
    )


def _counts(
    qs: QuerySet, path: str, groups: dict[int, str], what: str = "id", *, joins: bool = True
) -> dict[str, int]:
    """Rows per group. Rows that belong to one department each (``what="id"``) are counted
    per department and added up — a plain GROUP BY on an indexed column; distinct values
    that may recur across departments (an entity drawn by two 科室 of one 委) are counted
    per group in SQL."""
    if what == "id":
        totals: dict[str, int] = {}
        for dept_id, n in (
            qs.order_by()
            .values(path)
            # DISTINCT only where a join may repeat a row (it costs a sort per department);
            # else COUNT(*), which PostgreSQL answers from the index alone (1,000,000
            # entities: 0.14 s -> 0.045 s once vacuumed).
            .annotate(n=Count("id", distinct=True) if joins else Count("*"))
            .values_list(path, "n")
        ):
            key = groups.get(dept_id)
            if key is not None:
                totals[key] = totals.get(key, 0) + n
        return totals
    rows = (
        qs.order_by()  # a model's default ordering would join the GROUP BY
        .annotate(_g=_group(path, groups))
        .values("_g")
        .annotate(n=Count(what, distinct=True))
        .values_list("_g", "n")
    )
    return {key: n for key, n in rows if key is not None}


def figures_grouped(f: Filters, *, groups: dict[int, str]) -> dict[str, Figures]:
    """The figures of several groups of departments (department id → group key) in one
    pass: each figure is one query grouped by department. ``f.department_ids`` must be the
    ids of ``groups``."""
    figs = {key: Figures(year=f.year, month=f.month) for key in set(groups.values())}

    def put(name: str, counts: dict[str, int]) -> None:
        for key, n in counts.items():
            setattr(figs[key], name, n)

    tasks = tasks_in_scope(f)
    put("entities", _counts(entities_in_scope(f), "department_id", groups, joins=False))
    put("tasks", _counts(tasks, "department_id", groups))
    links = Task.items.through.objects.filter(task__in=tasks)
    if f.item_id is not None:
        links = links.filter(item_id=f.item_id)
    put("items_with_task", _counts(links, "task__department_id", groups, "item_id"))
    selections = Selection.objects.filter(draw__task__in=tasks, draw__state=DrawState.CONFIRMED)
    if f.month is not None:
        start, after = f.month_range
        selections = Selection.objects.filter(
            draw__task__department_id__in=f.department_ids,
            draw__state=DrawState.CONFIRMED,
            draw__confirmed_at__gte=start,
            draw__confirmed_at__lt=after,
        )
        if f.item_id is not None:
            selections = selections.filter(draw__task__items__id=f.item_id)
    if f.risk_class is not None:
        selections = selections.filter(entity__risk_class=f.risk_class)
    put("drawn", _counts(selections, "draw__task__department_id", groups, "entity_id"))
    visits = visits_in_scope(f)
    put("visits", _counts(visits, "lead_task__department_id", groups))
    put(
        "joint_visits",
        _counts(visits.filter(tasks__partners__isnull=False), "lead_task__department_id", groups),
    )
    results = results_in_scope(f)
    result_path = "visit__lead_task__department_id"
    put("inspected", _counts(results, result_path, groups, "visit__entity_id"))
    rows = (
        results.order_by()
        .annotate(_g=_group(result_path, groups))
        .values("_g", "current__conclusion")
        .annotate(n=Count("id"))
        .values_list("_g", "current__conclusion", "n")
    )
    for key, conclusion, n in rows:
        if key is None:
            continue
        fig = figs[key]
        fig.by_conclusion[conclusion] = fig.by_conclusion.get(conclusion, 0) + n
    for fig in figs.values():
        fig.by_conclusion = {c.value: fig.by_conclusion.get(c.value, 0) for c in Conclusion}
        fig.results = sum(fig.by_conclusion.values())
        fig.problems = sum(n for c, n in fig.by_conclusion.items() if c not in NO_PROBLEM)
    # Follow-ups, objections and corrections reach their department through foreign keys
    # only (each row one result, one visit, one task) and their results through a
    # subquery: no join repeats a row, so a plain COUNT (no DISTINCT sort).
    followups = FollowUp.objects.filter(version__result__in=results)
    fu_path = "version__result__visit__lead_task__department_id"
    put("followups_opened", _counts(followups, fu_path, groups, joins=False))
    put(
        "followups_closed",
        _counts(followups.filter(status=FollowUpStatus.DONE), fu_path, groups, joins=False),
    )
    put(
        "objections",
        _counts(
            Objection.objects.filter(result__in=results),
            "result__" + result_path,
            groups,
            joins=False,
        ),
    )
    corrections = ResultVersion.objects.filter(
        result__in=results,
        kind=VersionKind.CORRECTION,
        status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED],
    )
    put("corrections", _counts(corrections, "result__" + result_path, groups, joins=False))
    _timeliness(figs, groups, f, visits)
    return figs


def _timeliness(
    figs: dict[str, Figures], groups: dict[int, str], f: Filters, visits: QuerySet[Visit]
) -> None:
    """Results entered and published on time, counted with the working-day calendar
    (a year without calendar data is counted Monday–Friday, as the deadlines are)."""
    cal = WorkdayTable()
    tz = timezone.get_current_timezone()
    # Grouped by day: thousands of results share a task and the days they were formed and
    # published, so the working-day arithmetic runs once per distinct combination.
    rows = (
        visits.order_by()
        .values_list(
            "lead_task__department_id",
            "lead_task__window_end",
            Coalesce(
                "result__publish_workdays", "lead_task__department__publish_deadline_workdays"
            ),
            LocalDate("result__formed_at", tzinfo=tz),
            LocalDate("result__first_published_at", tzinfo=tz),
            "result__current__status",
        )
        .annotate(n=Count("id"))
    )
    for dept_id, window_end, period, formed, published, status, n in rows:
        fig = figs[groups[dept_id]]
        result_due = cal.add(window_end, RESULT_WORKDAYS).date
        if formed is not None or result_due < f.today:
            fig.results_due += n
            if formed is not None and formed <= result_due:
                fig.results_on_time += n
        if formed is None or status == VersionStatus.WITHHELD:
            continue  # 依法不予公开: nothing to publish, not late
        publish_due = cal.add(formed, period).date
        if published is not None or publish_due < f.today:
            fig.publish_due += n
            if published is not None:
                fig.published += n
                if published <= publish_due:
                    fig.published_on_time += n
