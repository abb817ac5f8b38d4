"""Deadlines in working days and the overdue work (督办) of 一公开 [002 第三十二条].

The rules, each counted in working days on the Chinese calendar (workdays/services.py;
开始的当日不计入，自下一日开始计算):

* 检查结果录入 — a visit's result formed within 20 working days after its task's window
  ends (抽查检查任务结束后20个工作日内录入, 002 第二十八条);
* 检查结果公示 — published, or withheld by law (依法不予公开), within the lead department's
  ``publish_deadline_workdays`` of being formed (20 [000 三(六)]; 漳平 10 [003 附件3 第十一条]);
* 行政处罚信息 — published within 7 working days of the decision [000 三(六)];
* 异议复核 — reviewed within 20 working days of receipt; 复核情况 fed back within 15
  working days of the review (002 第二十八条);
* 任务未实施 — a task whose window has passed without a confirmed draw
  (无故不执行或者拖延执行抽查任务, 002 第三十二条(四)).

Only open work is listed: an item done late is history for the reports, not a task for
anyone today. The department answerable for an item is its lead task's department.

A deadline that reaches a year without calendar data is not left blank (a department cannot
wait for the State Council's notice): it is counted on weekends only and every such row says
so — "暂按双休日推算，待2027年节假日安排录入后自动更正" — until the year is entered, when the
same computation becomes exact (nothing is stored). Deadlines are computed once per distinct
start date (thousands of open items share a few hundred dates).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, TextChoices
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.accounts.selectors import (
    department_ids_for,
    department_subtree_ids_of,
    role_holders,
)
from shuangsuiji.common.errors import NotFound, ValidationFailed
from shuangsuiji.disclosure.deadlines.workday_table import WorkdayTable
from shuangsuiji.disclosure.models import Objection
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Draw
from shuangsuiji.inspection.choices import FollowUpKind, VersionStatus
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion, Visit
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notice_send
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from shuangsuiji.workdays.services import Deadline, deadline_provisional, provisional_note

# 抽查检查任务结束后20个工作日内录入 (002 第二十八条)
RESULT_WORKDAYS = 20
# 行政处罚信息自作出决定之日起7个工作日内公示 [000 三(六)]
PENALTY_WORKDAYS = 7
# 接到申请材料之日起20个工作日内进行复核；作出复核结果后15个工作日内反馈 (002 第二十八条)
OBJECTION_REVIEW_WORKDAYS = 20
OBJECTION_ANSWER_WORKDAYS = 15
DEFAULT_PUBLISH_WORKDAYS = 20
# "即将到期": the due day is at most this many working days away.
DUE_SOON_WORKDAYS = 3

# Who watches a department's deadlines: those who run, approve and keep its work.
OVERSIGHT_ROLES = frozenset({Role.OPERATOR, Role.REVIEWER, Role.DEPT_ADMIN})

ALL_DEPARTMENTS: Literal["all"] = "all"
Scope = Collection[int] | Literal["all"]


class DeadlineKind(TextChoices):
    TASK_NOT_RUN = "task_not_run", "任务未在执行期内实施"
    RESULT = "result", "检查结果未按期录入"
    PUBLISH = "publish", "检查结果未按期公示"
    PENALTY = "penalty", "行政处罚信息未按期公示"
    OBJECTION_REVIEW = "objection_review", "异议未按期复核"
    OBJECTION_ANSWER = "objection_answer", "异议复核情况未按期反馈"


# What each rule asks for, and from when (for the CLI and the page's legend).
RULE_TEXT = {
    DeadlineKind.TASK_NOT_RUN: "执行期结束前完成摇号确认并派发",
    DeadlineKind.RESULT: f"任务执行期结束后{RESULT_WORKDAYS}个工作日内形成检查结果",
    DeadlineKind.PUBLISH: "检查结果形成后在部门规定的工作日内公示（默认20个工作日）",
    DeadlineKind.PENALTY: f"处罚决定作出后{PENALTY_WORKDAYS}个工作日内公示",
    DeadlineKind.OBJECTION_REVIEW: f"收到异议申请后{OBJECTION_REVIEW_WORKDAYS}个工作日内复核",
    DeadlineKind.OBJECTION_ANSWER: f"作出复核结果后{OBJECTION_ANSWER_WORKDAYS}个工作日内反馈",
}

# Kinds whose period is a number of working days (``deadline_compute``).
WORKDAY_RULES = (
    DeadlineKind.RESULT,
    DeadlineKind.PUBLISH,
    DeadlineKind.PENALTY,
    DeadlineKind.OBJECTION_REVIEW,
    DeadlineKind.OBJECTION_ANSWER,
)


# ---------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------


def oversight_scope(*, user: User) -> Scope:
    """The departments whose deadlines ``user`` watches: every department for a member of
    the leading office (联席会议办公室/牵头处室 督办 [002 第三十二条]); otherwise those where
    he is 操作员, 审核负责人 or 部门管理员, with their sub-departments; else none."""
    if not user.is_authenticated:
        return frozenset()
    if Membership.objects.filter(user=user, department__is_leading_office=True).exists():
        return ALL_DEPARTMENTS
    return frozenset(department_ids_for(user=user, roles=OVERSIGHT_ROLES))


def scope_departments(*, scope: Scope) -> QuerySet[Department]:
    qs = Department.objects.order_by("code")
    return qs if scope == ALL_DEPARTMENTS else qs.filter(id__in=list(scope))


def department_subtree_ids(*, code: str) -> set[int]:
    """A department (by code) and its sub-departments, for ``--department`` and filters."""
    root = Department.objects.filter(code=(code or "").strip()).first()
    if root is None:
        raise NotFound(f"部门代码不存在：{code}")
    return department_subtree_ids_of(department=root)


def scope_narrow(*, scope: Scope, ids: set[int]) -> Scope:
    """``scope`` limited to ``ids`` (a department filter never widens what one may see)."""
    return frozenset(ids) if scope == ALL_DEPARTMENTS else frozenset(ids) & frozenset(scope)


# ---------------------------------------------------------------------------------------
# Deadlines owned by the apps above (reports, issue 12): registered, shown on the page
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OtherDeadline:
    """A deadline that is not about a task (a report to send): named, dated and linked."""

    department: Department
    title: str
    due: dt.date
    workdays_overdue: int | None  # None: not overdue yet
    url: str
    rule: str
    waiting: str = "待报送"  # what the row says before it is overdue


OtherDeadlines = Callable[..., list[OtherDeadline]]
_OTHER: list[OtherDeadlines] = []


def other_deadlines_register(provider: OtherDeadlines) -> None:
    """An app above this one adds its deadlines to 期限督办 (called with ``departments=``
    and ``today=``; the stats app registers the reports in its ``ready()``)."""
    if provider not in _OTHER:
        _OTHER.append(provider)


def other_deadlines(*, departments: Scope, today: dt.date) -> list[OtherDeadline]:
    rows = [row for provider in _OTHER for row in provider(departments=departments, today=today)]
    return sorted(rows, key=lambda r: (r.due, r.department.code, r.title))


# ---------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------


@dataclass
class DeadlineRow:
    """One open item with its deadline. ``kind`` and ``rule`` name the rule it falls under
    (one field kept as two for the lists' and exports' sake); ``note`` says when ``due``
    is provisional. The item is named by
    ids and the words a list shows (rows come by the thousand: no model per row)."""

    kind: str
    rule: str
    department: Department
    task: Task
    start: dt.date  # the day the period counts from (not counted itself)
    due: dt.date | None
    workdays_overdue: int | None = None  # None: not overdue
    workdays_left: int | None = None
    visit_id: int | None = None
    result_id: int | None = None
    followup_id: int | None = None
    objection_id: int | None = None
    entity_name: str = ""
    credit_code: str = ""
    objection_number: str = ""
    note: str = ""

    @property
    def provisional(self) -> bool:
        """The due day (or the count of days) was reckoned over a year without calendar data."""
        return bool(self.note)

    @property
    def kind_label(self) -> str:
        return DeadlineKind(self.kind).label

    @property
    def rule_label(self) -> str:
        return DeadlineKind(self.rule).label

    @property
    def start_label(self) -> str:
        return _START_LABELS[self.rule]

    @property
    def subject(self) -> str:
        """What the row is about, in words (entity name, objection number, task)."""
        if self.objection_id is not None:
            return f"异议 {self.objection_number}（{self.entity_name}）"
        return self.entity_name or f"{self.task.code} {self.task.title}"

    @property
    def link(self) -> str:
        """The page where the item is dealt with; the task's draw page when the page of the
        item itself does not exist in this installation."""
        candidates: list[tuple[str, int | None]] = [("disclosure:objection", self.objection_id)]
        if self.rule == DeadlineKind.PUBLISH:
            candidates.append(("disclosure:result", self.result_id))
        # findings, signatures, follow-up and the penalty decision are kept on the visit
        candidates += [
            ("inspection:visit", self.visit_id),
            ("disclosure:result", self.result_id),
            ("draw:task", self.task.pk),
        ]
        for name, pk in candidates:
            if pk is None:
                continue
            try:
                return reverse(name, args=[pk])
            except NoReverseMatch:
                continue
        return ""


_START_LABELS = {
    DeadlineKind.TASK_NOT_RUN: "执行期结束",
    DeadlineKind.RESULT: "执行期结束",
    DeadlineKind.PUBLISH: "结果形成",
    DeadlineKind.PENALTY: "处罚决定",
    DeadlineKind.OBJECTION_REVIEW: "收到异议",
    DeadlineKind.OBJECTION_ANSWER: "作出复核",
}


@dataclass
class _Open:
    """An open item before its deadline is known: the rule, the start and the period."""

    rule: str
    department_id: int
    task_id: int
    start: dt.date
    n: int | None  # None: the start day is the deadline (a task's window end)
    ids: dict = field(default_factory=dict)  # visit_id, entity_name … as in DeadlineRow


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _dept_filter(prefix: str, scope: Scope) -> Q:
    return Q() if scope == ALL_DEPARTMENTS else Q(**{f"{prefix}__in": list(scope)})


def _visit_values(prefix: str) -> tuple[str, ...]:
    return (
        f"{prefix}id",
        f"{prefix}window_end",
        f"{prefix}lead_task_id",
        f"{prefix}lead_task__department_id",
        f"{prefix}entity__name",
        f"{prefix}entity__uscc",
    )


def _tasks_not_run(scope: Scope, today: dt.date, periods: dict[int, int]) -> Iterator[_Open]:
    # 无故不执行或者拖延执行抽查任务 (002 第三十二条(四)): the window passed (or is about to)
    # and no draw was ever confirmed; a cancelled task is no longer owed.
    confirmed = Draw.objects.filter(task=OuterRef("pk"), state=DrawState.CONFIRMED)
    qs = (
        Task.objects.filter(_dept_filter("department_id", scope))
        .exclude(status__in=[TaskStatus.CONFIRMED, TaskStatus.DISPATCHED, TaskStatus.CANCELLED])
        .exclude(Exists(confirmed))
        # due-soon reaches at most 3 working days ahead: a month covers any holiday.
        .filter(window_end__lte=today + dt.timedelta(days=31))
    )
    for task_id, dept_id, end in qs.values_list("id", "department_id", "window_end"):
        yield _Open(DeadlineKind.TASK_NOT_RUN, dept_id, task_id, end, None)


def _results_not_formed(scope: Scope, today: dt.date, periods: dict[int, int]) -> Iterator[_Open]:
    # A visit carrying several tasks (进一次门、查多项事) has the overlap of their windows:
    # its end is the earliest task end, so its deadline meets every task's (002 第二十八条).
    qs = (
        Visit.objects.filter(_dept_filter("lead_task__department_id", scope), window_end__lte=today)
        .filter(Q(result__isnull=True) | Q(result__formed_at__isnull=True))
        .exclude(lead_task__status=TaskStatus.CANCELLED)
    )
    for visit_id, end, task_id, dept_id, name, code, result_id in qs.values_list(
        *_visit_values(""), "result__id"
    ):
        yield _Open(
            DeadlineKind.RESULT,
            dept_id,
            task_id,
            end,
            RESULT_WORKDAYS,
            {
                "visit_id": visit_id,
                "result_id": result_id,
                "entity_name": name,
                "credit_code": code,
            },
        )


def _results_not_published(
    scope: Scope, today: dt.date, periods: dict[int, int]
) -> Iterator[_Open]:
    published = ResultVersion.objects.filter(result=OuterRef("pk")).filter(
        Q(published_at__isnull=False) | Q(status=VersionStatus.WITHHELD)
    )
    qs = Result.objects.filter(
        _dept_filter("visit__lead_task__department_id", scope),
        formed_at__isnull=False,
        first_published_at__isnull=True,
    ).exclude(Exists(published))
    for result_id, formed_at, n, visit_id, _, task_id, dept_id, name, code in qs.values_list(
        "id", "formed_at", "publish_workdays", *_visit_values("visit__")
    ):
        start = _local_day(formed_at)
        if start <= today:
            yield _Open(
                DeadlineKind.PUBLISH,
                dept_id,
                task_id,
                start,
                n or periods[dept_id],  # the result's own (issue 14 第 2 项), else the department's
                {
                    "visit_id": visit_id,
                    "result_id": result_id,
                    "entity_name": name,
                    "credit_code": code,
                },
            )


def _penalties_not_published(
    scope: Scope, today: dt.date, periods: dict[int, int]
) -> Iterator[_Open]:
    qs = FollowUp.objects.filter(
        _dept_filter("version__result__visit__lead_task__department_id", scope),
        kind=FollowUpKind.CASE,
        penalty_decided_on__isnull=False,
        penalty_decided_on__lte=today,
        penalty_published_on__isnull=True,
    )
    for fu_id, decided, result_id, visit_id, _, task_id, dept_id, name, code in qs.values_list(
        "id", "penalty_decided_on", "version__result_id", *_visit_values("version__result__visit__")
    ):
        yield _Open(
            DeadlineKind.PENALTY,
            dept_id,
            task_id,
            decided,
            PENALTY_WORKDAYS,
            {
                "visit_id": visit_id,
                "result_id": result_id,
                "followup_id": fu_id,
                "entity_name": name,
                "credit_code": code,
            },
        )


def _objections_open(scope: Scope, today: dt.date, periods: dict[int, int]) -> Iterator[_Open]:
    qs = Objection.objects.filter(
        _dept_filter("result__visit__lead_task__department_id", scope),
        answered_at__isnull=True,
        received_on__lte=today,
    )
    for (
        obj_id,
        number,
        received,
        reviewed_at,
        result_id,
        visit_id,
        _,
        task_id,
        dept_id,
        name,
        code,
    ) in qs.values_list(
        "id", "number", "received_on", "reviewed_at", "result_id", *_visit_values("result__visit__")
    ):
        ids = {
            "visit_id": visit_id,
            "result_id": result_id,
            "objection_id": obj_id,
            "objection_number": number,
            "entity_name": name,
            "credit_code": code,
        }
        if reviewed_at is None:
            yield _Open(
                DeadlineKind.OBJECTION_REVIEW,
                dept_id,
                task_id,
                received,
                OBJECTION_REVIEW_WORKDAYS,
                ids,
            )
        elif (start := _local_day(reviewed_at)) <= today:
            yield _Open(
                DeadlineKind.OBJECTION_ANSWER,
                dept_id,
                task_id,
                start,
                OBJECTION_ANSWER_WORKDAYS,
                ids,
            )


_COLLECTORS: dict[str, Callable[[Scope, dt.date, dict[int, int]], Iterator[_Open]]] = {
    DeadlineKind.TASK_NOT_RUN: _tasks_not_run,
    DeadlineKind.RESULT: _results_not_formed,
    DeadlineKind.PUBLISH: _results_not_published,
    DeadlineKind.PENALTY: _penalties_not_published,
    DeadlineKind.OBJECTION_REVIEW: _objections_open,
    DeadlineKind.OBJECTION_ANSWER: _objections_open,
}


@dataclass
class _Verdict:
    which: str  # "overdue" | "soon"
    kind: str
    due: dt.date | None
    workdays_overdue: int | None = None
    workdays_left: int | None = None
    note: str = ""


def _evaluate(item: _Open, today: dt.date, cal: WorkdayTable) -> _Verdict | None:
    """Whether an item is overdue or due soon (None: neither). A period that reaches a year
    without calendar data still gets a date, counted on weekends only and labelled as such
    (``provisional_note``); it is exact again as soon as the year is entered."""
    if item.n is None:
        due, assumed = item.start, ()
    else:
        deadline = cal.add(item.start, item.n)
        due, assumed = deadline.date, deadline.assumed_years
    if today > due:
        late, late_assumed = cal.between(due, today)
        years = set(assumed) | set(late_assumed)
        return _Verdict(
            "overdue",
            item.rule,
            due,
            workdays_overdue=late,
            note=provisional_note(years=years) if years else "",
        )
    # 3 working days never span more than a month, whatever the holiday.
    if (due - today).days > 31:
        return None
    left, left_assumed = cal.between(today, due)
    if left <= DUE_SOON_WORKDAYS:
        years = set(assumed) | set(left_assumed)
        return _Verdict(
            "soon",
            item.rule,
            due,
            workdays_left=left,
            note=provisional_note(years=years) if years else "",
        )
    return None


def _check_kinds(kinds: Iterable[str] | None) -> list[str]:
    if kinds is None:
        return list(_COLLECTORS)
    kinds = list(kinds)
    bad = [k for k in kinds if k not in _COLLECTORS]
    if bad:
        raise ValidationFailed(f"期限类型无效：{'、'.join(bad)}", field="kind")
    return kinds


@dataclass
class DeadlineLists:
    overdue: list[DeadlineRow]
    soon: list[DeadlineRow]


def deadline_lists(
    *, departments: Scope, today: dt.date, kinds: Iterable[str] | None = None
) -> DeadlineLists:
    """Overdue and due-soon rows in one pass over the open items (a page shows both)."""
    wanted = _check_kinds(kinds)
    rules = wanted
    depts = {
        d.id: d
        for d in scope_departments(scope=departments).only(
            "code", "name", "publish_deadline_workdays"
        )
    }
    periods = {i: d.publish_deadline_workdays for i, d in depts.items()}
    cal = WorkdayTable()
    found: list[tuple[_Open, _Verdict]] = []
    seen: set[Callable] = set()
    for rule in rules:
        collector = _COLLECTORS[rule]
        if collector in seen:  # objections yield both of their rules at once
            continue
        seen.add(collector)
        for item in collector(departments, today, periods):
            verdict = _evaluate(item, today, cal)
            # objections yield both of their rules: keep the asked-for ones
            if verdict is not None and item.rule in wanted:
                found.append((item, verdict))
    tasks = Task.objects.only(
        "code", "title", "window_start", "window_end", "status", "department_id"
    ).in_bulk({item.task_id for item, _ in found})
    lists = DeadlineLists(overdue=[], soon=[])
    for item, v in found:
        row = DeadlineRow(
            kind=v.kind,
            rule=item.rule,
            department=depts[item.department_id],
            task=tasks[item.task_id],
            start=item.start,
            due=v.due,
            workdays_overdue=v.workdays_overdue,
            workdays_left=v.workdays_left,
            note=v.note,
            **item.ids,
        )
        (lists.overdue if v.which == "overdue" else lists.soon).append(row)
    for rows in (lists.overdue, lists.soon):
        rows.sort(
            key=lambda r: (r.department.code, r.due or dt.date.max, r.rule, r.task.code, r.start)
        )
    return lists


def overdue_items(
    *, departments: Scope, today: dt.date, kinds: Iterable[str] | None = None
) -> list[DeadlineRow]:
    """Open items past their deadline in ``departments`` (ids, or ``ALL_DEPARTMENTS``), as of
    ``today``: the due day itself is still in time (截止日当日不算逾期). A due day counted
    over a year without calendar data is provisional (``row.provisional``, ``row.note``)."""
    return deadline_lists(departments=departments, today=today, kinds=kinds).overdue


def due_soon_items(
    *, departments: Scope, today: dt.date, kinds: Iterable[str] | None = None
) -> list[DeadlineRow]:
    """Open items due today or within the next 3 working days."""
    return deadline_lists(departments=departments, today=today, kinds=kinds).soon


def kind_counts(*, rows: Iterable[DeadlineRow]) -> dict[str, int]:
    """Rows per kind, every kind present (zero when none), in the order of ``DeadlineKind``."""
    counts = Counter(r.kind for r in rows)
    return {k.value: counts.get(k.value, 0) for k in DeadlineKind}


def overdue_counts(*, departments: Scope, today: dt.date) -> dict[str, int]:
    return kind_counts(rows=overdue_items(departments=departments, today=today))


@dataclass
class DepartmentGroup:
    department: Department
    rows: list[DeadlineRow]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return len(self.rows)


def rows_by_department(*, rows: Iterable[DeadlineRow]) -> list[DepartmentGroup]:
    """The rows grouped by answerable department (for the leading office), by code."""
    groups: dict[int, list[DeadlineRow]] = defaultdict(list)
    depts: dict[int, Department] = {}
    for r in rows:
        groups[r.department.id].append(r)
        depts[r.department.id] = r.department
    return [
        DepartmentGroup(depts[i], groups[i], kind_counts(rows=groups[i]))
        for i in sorted(groups, key=lambda i: depts[i].code)
    ]


def open_deadlines(*, today: dt.date) -> dict[str, tuple[dt.date, tuple[int, ...], str]]:
    """Every open item of every department with its due day as shown today and the years it
    was counted over on weekends only: "rule:id" → (due, years, subject). The calendar reads
    it before and after a year is entered (``deadline_reader_register``) to audit what the
    notice corrected."""
    cal = WorkdayTable()
    found: dict[str, tuple[dt.date, tuple[int, ...], str]] = {}
    periods = dict(Department.objects.values_list("id", "publish_deadline_workdays"))
    seen: set[Callable] = set()
    for collector in _COLLECTORS.values():
        if collector in seen or collector is _tasks_not_run:  # a window end is no count of days
            continue
        seen.add(collector)
        for item in collector(ALL_DEPARTMENTS, today, periods):
            deadline = cal.add(item.start, item.n)
            ident = next(
                item.ids[k]
                for k in ("objection_id", "followup_id", "result_id", "visit_id")
                if item.ids.get(k) is not None
            )
            subject = item.ids.get("objection_number") or item.ids.get("entity_name", "")
            found[f"{item.rule}:{ident}"] = (deadline.date, deadline.assumed_years, subject)
    return found


# ---------------------------------------------------------------------------------------
# One deadline
# ---------------------------------------------------------------------------------------


def rule_workdays(*, kind: str, department: Department | None = None) -> int:
    """The period of a working-day rule; publication follows the department's setting."""
    if kind == DeadlineKind.PUBLISH:
        return (
            department.publish_deadline_workdays
            if department is not None
            else DEFAULT_PUBLISH_WORKDAYS
        )
    periods = {
        DeadlineKind.RESULT: RESULT_WORKDAYS,
        DeadlineKind.PENALTY: PENALTY_WORKDAYS,
        DeadlineKind.OBJECTION_REVIEW: OBJECTION_REVIEW_WORKDAYS,
        DeadlineKind.OBJECTION_ANSWER: OBJECTION_ANSWER_WORKDAYS,
    }
    if kind not in periods:
        raise ValidationFailed(
            f"期限类型无效：{kind}（应为 {'、'.join(WORKDAY_RULES)} 之一）", field="kind"
        )
    return periods[kind]


def deadline_compute(
    *, kind: str, start: dt.date, department: Department | None = None
) -> Deadline:
    """The due day of one rule for an event on ``start``; provisional (and saying so) when
    it reaches a year without calendar data."""
    return deadline_provisional(start=start, n=rule_workdays(kind=kind, department=department))


# ---------------------------------------------------------------------------------------
# Reminders (issue 12 第 2 项)
# ---------------------------------------------------------------------------------------


_SOON_TITLES = {
    DeadlineKind.TASK_NOT_RUN: "执行期将结束、任务尚未派发",
    DeadlineKind.RESULT: "检查结果录入期限将到",
    DeadlineKind.PUBLISH: "检查结果公示期限将到",
    DeadlineKind.PENALTY: "行政处罚信息公示期限将到",
    DeadlineKind.OBJECTION_REVIEW: "异议复核期限将到",
    DeadlineKind.OBJECTION_ANSWER: "异议复核结果反馈期限将到",
}


def due_soon_notify(*, today: dt.date, departments: Scope = ALL_DEPARTMENTS) -> int:
    """站内消息 to the operators, reviewers and admins of each department for every open
    item due within ``DUE_SOON_WORKDAYS`` working days (``ssj deadlines remind``, run daily).
    Each item is announced once per due day, however often this runs; returns how many
    messages were written."""
    rows = deadline_lists(departments=departments, today=today).soon
    holders: dict[int, list[User]] = {}
    written = 0
    with transaction.atomic():
        for row in rows:
            dept = row.department
            if dept.id not in holders:
                holders[dept.id] = list(role_holders(department=dept, roles=OVERSIGHT_ROLES))
            key = ":".join(
                str(part)
                for part in (
                    "due",
                    row.rule,
                    row.task.pk,
                    row.visit_id,
                    row.result_id,
                    row.followup_id,
                    row.objection_id,
                    row.due,
                )
            )
            left = "今天到期" if not row.workdays_left else f"还剩{row.workdays_left}个工作日"
            written += len(
                notice_send(
                    users=holders[dept.id],
                    kind=NoticeKind.DEADLINE,
                    title=f"{_SOON_TITLES[row.rule]}：{row.subject}",
                    body=f"截止日{row.due:%Y年%-m月%-d日}（{left}）。{RULE_TEXT[row.rule]}。",
                    url=row.link,
                    dedupe_key=key[:200],
                )
            )
    return written
