"""待办 of reports (common/todo.py): last month's report due on the 10th (004 四) and the
annual report due on the department's date (000 四(三), default 15 November)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from shuangsuiji.accounts.models import Membership, User
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.stats.models import Report, ReportKind
from shuangsuiji.stats.reports import WRITERS, report_due

ANNUAL_NOTICE_DAYS = 30  # the annual report appears this many days before it is due


def stats_todo(user: User, today: dt.date) -> list[TodoCard]:
    depts = {
        m.department_id: m.department
        for m in Membership.objects.filter(user=user, role__in=WRITERS).select_related("department")
    }
    if not depts:
        return []
    cards: list[TodoCard] = []
    last = today.replace(day=1) - dt.timedelta(days=1)
    saved = set(
        Report.objects.filter(department_id__in=list(depts)).values_list(
            "department_id", "kind", "year", "month"
        )
    )
    url = reverse("stats:reports")
    for dept_id, dept in sorted(depts.items()):
        due = report_due(department=dept, kind=ReportKind.MONTHLY, year=last.year, month=last.month)
        if (dept_id, ReportKind.MONTHLY, last.year, last.month) not in saved:
            cards.append(
                TodoCard(
                    key=f"stats.monthly.{dept.code}",
                    group="报告",
                    title=f"{dept.name}{last.year}年{last.month}月随机抽查情况报告"
                    + ("已逾期" if today > due else f"，{due.month}月{due.day}日前报送"),
                    count=1,
                    url=url
                    + "?"
                    + urlencode(
                        {
                            "department": dept.code,
                            "kind": "monthly",
                            "year": last.year,
                            "month": last.month,
                        }
                    ),
                    hint="004 四：每月10日前将随机抽查情况报领导小组办公室",
                    urgent=today > due,
                    reminder=True,
                )
            )
        annual = report_due(department=dept, kind=ReportKind.ANNUAL, year=today.year, month=None)
        if (
            dept_id,
            ReportKind.ANNUAL,
            today.year,
            None,
        ) not in saved and today >= annual - dt.timedelta(days=ANNUAL_NOTICE_DAYS):
            cards.append(
                TodoCard(
                    key=f"stats.annual.{dept.code}",
                    group="报告",
                    title=f"{dept.name}{today.year}年度双随机工作报告"
                    + ("已逾期" if today > annual else f"，{annual.month}月{annual.day}日前报送"),
                    count=1,
                    url=url
                    + "?"
                    + urlencode({"department": dept.code, "kind": "annual", "year": today.year}),
                    hint="000 四(三)：每年11月中旬报委执法监督科",
                    urgent=today > annual,
                    reminder=True,
                )
            )
    return cards
