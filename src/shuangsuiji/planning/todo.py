"""待办 of planning (common/todo.py): tasks waiting for the operator's next step, and the
year's plan a department admin has to file."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Membership, User
from shuangsuiji.accounts.selectors import department_ids_for
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.planning.choices import PlanStatus, TaskStatus
from shuangsuiji.planning.models import Plan
from shuangsuiji.planning.selectors import tasks_visible

OPERATORS = (Role.OPERATOR, Role.DEPT_ADMIN)

# Task state → what the operator does next (the draw page of the task shows the step).
TASK_STEPS = [
    (TaskStatus.DRAFT, "待封存名单的抽查任务", "tasks"),
    (TaskStatus.DRAWN, "已摇号、待确认锁定的任务", "tasks"),
    (TaskStatus.CONFIRMED, "已确认锁定、待派发的任务", "tasks"),
]


def _task_list(status: str) -> str:
    return reverse("planning:task_list") + "?" + urlencode({"status": status})


def planning_todo(user: User, today: dt.date) -> list[TodoCard]:
    cards: list[TodoCard] = []
    ids = department_ids_for(user=user, roles=OPERATORS)
    if ids:
        counts: dict[str, int] = {}
        for status in (
            tasks_visible(user=user)
            .filter(department_id__in=ids, status__in=[s for s, _t, _m in TASK_STEPS])
            .values_list("status", flat=True)
        ):
            counts[status] = counts.get(status, 0) + 1
        cards += [
            TodoCard(
                key=f"planning.task_{status}",
                group="抽查任务",
                title=title,
                count=counts.get(status, 0),
                url=_task_list(status),
                menu=menu,
            )
            for status, title, menu in TASK_STEPS
        ]
    cards += _invitations(user)
    cards += _plan_to_file(user, today)
    return cards


def _invitations(user: User) -> list[TodoCard]:
    """部门联合抽查: draft joint tasks a department of the user's is invited to and has not
    answered (the lead cannot seal before it does, issue 14 第 1 项)."""
    from shuangsuiji.planning.models import PartnerResponse, Task

    ids = department_ids_for(user=user, roles=(Role.OPERATOR,))
    if not ids:
        return []
    waiting = (
        Task.partners.through.objects.filter(department_id__in=ids, task__status=TaskStatus.DRAFT)
        .exclude(
            task_id__in=PartnerResponse.objects.filter(department_id__in=ids).values("task_id")
        )
        .count()
    )

    return [
        TodoCard(
            key="planning.partner_invitations",
            group="抽查任务",
            title="联合抽查邀请待答复（参加或不参加）",
            count=waiting,
            url=reverse("planning:task_list") + "?" + urlencode({"status": TaskStatus.DRAFT}),
            menu="tasks",
            hint="000 三(五)、四(二)：牵头部门组织，配合部门以本部门的事项和人员参加；答复前牵头部门不能封存名单",
            urgent=bool(waiting),
        )
    ]


def _plan_to_file(user: User, today: dt.date) -> list[TodoCard]:
    """000 三(一): each department draws up its yearly plan in the first quarter and files
    it. A department admin whose department has no filed plan for this year is reminded;
    from April on the reminder is overdue."""
    admin_of = list(
        Membership.objects.filter(user=user, role=Role.DEPT_ADMIN).values_list(
            "department_id", "department__name"
        )
    )
    if not admin_of:
        return []
    filed = set(
        Plan.objects.filter(
            department_id__in=[d for d, _ in admin_of],
            year=today.year,
            status__in=[PlanStatus.FILED, PlanStatus.PUBLISHED],
        ).values_list("department_id", flat=True)
    )
    missing = [name for d, name in admin_of if d not in filed]
    if not missing:
        return []
    late = today.month > 3
    drafted = Plan.objects.filter(department_id__in=[d for d, _ in admin_of], year=today.year)
    # No plan of the year at all: the card says so and opens the form to draw one up.
    none_yet = not drafted.exists()
    return [
        TodoCard(
            key="planning.plan_to_file",
            group="计划与名录库",
            title=(
                f"{today.year}年度抽查计划{'尚未制定' if none_yet else '尚未备案'}"
                + ("（第一季度已过）" if late else "（应在第一季度内制定并备案）")
            ),
            count=len(missing),
            url=reverse("planning:plan_create")
            if none_yet
            else reverse("planning:plan_list") + "?" + urlencode({"year": today.year}),
            menu="plans",
            hint="、".join(missing) + "；000 三(一)：每年第一季度制定年度抽查计划并报备",
            urgent=late,
            reminder=True,
        )
    ]
