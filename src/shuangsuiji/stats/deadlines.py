"""Report deadlines (issue 12 第 4 项): the monthly report by the 10th of the next month
(004 四) and the annual report by the department's date (000 四(三), default 15 November).
One rule, read by the 待办 cards (``stats.todo``) and the 期限督办 page (registered with
``disclosure.deadlines.other_deadlines_register``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from shuangsuiji.accounts.models import Department
from shuangsuiji.disclosure.deadlines import OtherDeadline, Scope, scope_departments
from shuangsuiji.disclosure.deadlines.workday_table import WorkdayTable
from shuangsuiji.stats.models import Report, ReportKind
from shuangsuiji.stats.reports import report_due

ANNUAL_NOTICE_DAYS = 30  # the annual report is shown this many days before it is due
# Said for any department (the documents are one district's: 闵行 reports monthly to its
# 领导小组办公室, 松江's units to the 委 in mid-November).
MONTHLY_HINT = "每月10日前报送上月随机抽查情况（依据 004 四）"
ANNUAL_HINT = "年度工作情况按本部门设定的日期报送，默认11月15日（依据 000 四(三)“11月中旬”）"


@dataclass(frozen=True)
class ReportOwed:
    """A report not saved yet whose deadline is near or past."""

    department: Department
    kind: str
    year: int
    month: int | None
    due: dt.date

    @property
    def title(self) -> str:
        if self.kind == ReportKind.MONTHLY:
            return f"{self.department.name}{self.year}年{self.month}月随机抽查情况报告"
        return f"{self.department.name}{self.year}年度双随机工作报告"

    @property
    def hint(self) -> str:
        return MONTHLY_HINT if self.kind == ReportKind.MONTHLY else ANNUAL_HINT

    @property
    def url(self) -> str:
        params: dict[str, object] = {
            "department": self.department.code,
            "kind": self.kind,
            "year": self.year,
        }
        if self.month:
            params["month"] = self.month
        return reverse("stats:reports") + "?" + urlencode(params)


def reports_owed(*, departments: Iterable[Department], today: dt.date) -> list[ReportOwed]:
    """Last month's report (due on the 10th) and this year's annual report (from 30 days
    before its date) of each department, when none has been saved."""
    depts = list(departments)
    if not depts:
        return []
    saved = set(
        Report.objects.filter(department__in=depts).values_list(
            "department_id", "kind", "year", "month"
        )
    )
    last = today.replace(day=1) - dt.timedelta(days=1)
    owed = []
    for dept in sorted(depts, key=lambda d: d.code):
        if (dept.id, ReportKind.MONTHLY, last.year, last.month) not in saved:
            due = report_due(
                department=dept, kind=ReportKind.MONTHLY, year=last.year, month=last.month
            )
            owed.append(ReportOwed(dept, ReportKind.MONTHLY, last.year, last.month, due))
        annual = report_due(department=dept, kind=ReportKind.ANNUAL, year=today.year, month=None)
        if (dept.id, ReportKind.ANNUAL, today.year, None) not in saved and today >= (
            annual - dt.timedelta(days=ANNUAL_NOTICE_DAYS)
        ):
            owed.append(ReportOwed(dept, ReportKind.ANNUAL, today.year, None, annual))
    return owed


def report_deadlines(*, departments: Scope, today: dt.date) -> list[OtherDeadline]:
    """期限督办: the reports owed by the top departments of the scope (a 科室 reports through
    its 委/局), with the working days overdue."""
    depts = list(scope_departments(scope=departments))
    ids = {d.id for d in depts}
    tops = [d for d in depts if d.parent_id is None or d.parent_id not in ids]
    cal = WorkdayTable()
    rows = []
    for r in reports_owed(departments=tops, today=today):
        late = cal.between(r.due, today)[0] if today > r.due else None
        rows.append(
            OtherDeadline(
                department=r.department,
                title=r.title,
                due=r.due,
                workdays_overdue=late,
                url=r.url,
                rule=r.hint,
            )
        )
    return rows
