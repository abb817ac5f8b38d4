"""待办 of inspection (common/todo.py): visits to start and records to sign for the
执法检查人员, results to approve for the 审核负责人, penalties to publish for the office."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_roles
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.inspection.choices import VersionKind, VersionStatus, VisitStatus
from shuangsuiji.inspection.models import ResultVersion
from shuangsuiji.inspection.selectors import visits_for_staff, visits_mine


def inspection_todo(user: User, today: dt.date) -> list[TodoCard]:
    roles = user_roles(user=user)
    cards: list[TodoCard] = []
    if Role.INSPECTOR in roles:
        mine = reverse("inspection:mine")
        cards += [
            TodoCard(
                key="inspection.start",
                group="检查",
                title="已派发、待开始的检查",
                count=visits_mine(user=user).filter(status=VisitStatus.PENDING).count(),
                url=f"{mine}#group-{VisitStatus.PENDING}",
                menu="inspection",
            ),
            TodoCard(
                key="inspection.in_progress",
                group="检查",
                title="检查中、尚未提交签字确认的检查",
                count=visits_mine(user=user).filter(status=VisitStatus.IN_PROGRESS).count(),
                url=f"{mine}#group-{VisitStatus.IN_PROGRESS}",
                menu="inspection",
            ),
            TodoCard(
                key="inspection.sign",
                group="检查",
                title="待我签字确认的检查记录",
                count=records_to_sign(user=user),
                url=f"{mine}#group-{VisitStatus.SIGNING}",
                menu="inspection",
                hint="002 第二十五条：检查组全体成员签字确认",
            ),
        ]
    if Role.REVIEWER in roles:
        cards.append(
            TodoCard(
                key="inspection.review",
                group="审核",
                title="待审核的检查结果",
                count=visits_for_staff(user=user, status=VisitStatus.REVIEW).count(),
                url=reverse("inspection:list") + f"?status={VisitStatus.REVIEW}",
                menu="inspection",
            )
        )
    if roles & {Role.OPERATOR, Role.DEPT_ADMIN}:
        cards.append(
            TodoCard(
                key="inspection.penalty",
                group="结果公示与异议",
                title="已作出处罚决定、待公示的行政处罚信息",
                count=visits_for_staff(user=user, penalty_unpublished=True).count(),
                url=reverse("inspection:list") + "?penalty=unpublished",
                menu="inspection",
                hint="处罚决定作出后7个工作日内公示",
            )
        )
    return cards


def records_to_sign(*, user: User) -> int:
    """Versions in 待签字确认 where the user is in the team and has not signed yet."""
    return (
        ResultVersion.objects.filter(
            status=VersionStatus.SIGNING,
            kind=VersionKind.ORIGINAL,
            result__visit__members__inspector__user=user,
        )
        .exclude(signatures__member__inspector__user=user)
        .distinct()
        .count()
    )
