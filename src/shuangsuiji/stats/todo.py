"""待办 of reports (common/todo.py): last month's report due on the 10th (004 四) and the
annual report due on the department's date (000 四(三), default 15 November) — the rule is
``stats.deadlines.reports_owed``, shared with 期限督办."""

from __future__ import annotations

import datetime as dt

from shuangsuiji.accounts.models import Membership, User
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.stats.deadlines import reports_owed
from shuangsuiji.stats.reports import WRITERS


def stats_todo(user: User, today: dt.date) -> list[TodoCard]:
    depts = {
        m.department_id: m.department
        for m in Membership.objects.filter(user=user, role__in=WRITERS).select_related("department")
    }
    return [
        TodoCard(
            key=f"stats.{r.kind}.{r.department.code}",
            group="报告",
            title=r.title
            + ("已逾期" if today > r.due else f"，{r.due.month}月{r.due.day}日前报送"),
            count=1,
            url=r.url,
            hint=r.hint,
            urgent=today > r.due,
            reminder=True,
        )
        for r in reports_owed(departments=depts.values(), today=today)
    ]
