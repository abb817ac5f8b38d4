"""计划完成时间 in 期限督办 (issue 14 第 6 项; 004 四's table: "5月底前", "7月底前" …): a row of
a filed plan whose round is not finished shows from ``NOTICE_DAYS`` before its due day,
then as overdue by working days. Finished = the row has tasks (not cancelled) and every
visit of them has its result formed or published."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from shuangsuiji.disclosure.deadlines import OtherDeadline, Scope, scope_departments
from shuangsuiji.disclosure.deadlines.workday_table import WorkdayTable
from shuangsuiji.inspection.choices import VersionStatus
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.choices import PlanStatus, TaskStatus
from shuangsuiji.planning.models import PlanRow, Task

NOTICE_DAYS = 15
RULE = "年度抽查计划的计划完成时间（004 四）；任务全部检查结果形成后视为完成"
DONE = (VersionStatus.FORMED, VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)


def plan_row_deadlines(*, departments: Scope, today: dt.date) -> list[OtherDeadline]:
    ids = [d.id for d in scope_departments(scope=departments)]
    live_tasks = Task.objects.filter(plan_row=OuterRef("pk")).exclude(status=TaskStatus.CANCELLED)
    open_visits = (
        Visit.objects.filter(lead_task__plan_row=OuterRef("pk"))
        .exclude(lead_task__status=TaskStatus.CANCELLED)
        .filter(~Q(result__current__status__in=DONE) | Q(result__isnull=True))
    )
    undispatched = live_tasks.exclude(status=TaskStatus.DISPATCHED)
    rows = (
        PlanRow.objects.filter(
            plan__department_id__in=ids,
            plan__status__in=(PlanStatus.FILED, PlanStatus.PUBLISHED),
            # This year's plans: an earlier year's unfinished round is that year's account
            # (its report), not a deadline still to be met.
            plan__year=today.year,
            due_date__isnull=False,
            due_date__lte=today + dt.timedelta(days=NOTICE_DAYS),
        )
        .annotate(
            has_tasks=Exists(live_tasks),
            unfinished=Exists(open_visits) | Exists(undispatched),
        )
        .select_related("plan__department")
        .order_by("due_date", "plan_id", "seq")
    )
    cal = WorkdayTable()
    out = []
    for row in rows:
        if row.has_tasks and not row.unfinished:
            continue
        due = row.due_date
        state = "尚未设置任务" if not row.has_tasks else "检查结果尚未全部形成"
        out.append(
            OtherDeadline(
                department=row.plan.department,
                title=f"{row.plan.year}年计划第{row.seq}行：{row.items_text or row.target_desc}"[
                    :120
                ]
                + f"（{row.due_text or row.schedule_text}；{state}）",
                due=due,
                workdays_overdue=cal.between(due, today)[0] if today > due else None,
                url=reverse("planning:plan_detail", args=[row.plan_id]),
                rule=RULE,
                waiting="待完成",
            )
        )
    return out
