"""待办 of publication (common/todo.py): results to publish, corrections to sign,
objections to review and to answer, and the deadlines of 期限督办."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_roles
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.disclosure import deadlines
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.selectors import (
    TO_ANSWER,
    corrections_pending,
    objections_list,
    results_to_publish,
)

PUBLISHERS = {Role.OPERATOR, Role.REVIEWER}


def disclosure_todo(user: User, today: dt.date) -> list[TodoCard]:
    roles = user_roles(user=user)
    cards: list[TodoCard] = []
    objections = reverse("disclosure:objections")
    if roles & PUBLISHERS:
        cards += [
            TodoCard(
                key="disclosure.publish",
                group="结果公示与异议",
                title="已形成、待公示的检查结果",
                count=results_to_publish(user=user).count(),
                url=reverse("disclosure:pending"),
                menu="disclosure",
                hint="检查结果形成后在部门规定的工作日内公示",
            ),
            TodoCard(
                key="disclosure.objection_answer",
                group="结果公示与异议",
                title="已复核、待反馈的异议",
                count=objections_list(user=user, status=TO_ANSWER).count(),
                url=f"{objections}?status={TO_ANSWER}",
                menu="disclosure",
                hint="002 第二十八条：作出复核结果后15个工作日内反馈",
            ),
        ]
    if Role.REVIEWER in roles:
        cards += [
            TodoCard(
                key="disclosure.objection_review",
                group="结果公示与异议",
                title="已受理、待复核的异议",
                count=objections_list(user=user, status=ObjectionStatus.RECEIVED).count(),
                url=f"{objections}?status={ObjectionStatus.RECEIVED}",
                menu="disclosure",
                hint="002 第二十八条：收到异议后20个工作日内复核",
            ),
            TodoCard(
                key="disclosure.correction_sign",
                group="结果公示与异议",
                title="待签署的检查结果更正",
                count=corrections_pending(user=user).count(),
                url=reverse("disclosure:corrections"),
                menu="disclosure",
            ),
        ]
    cards += _deadlines(user, today)
    return cards


def _deadlines(user: User, today: dt.date) -> list[TodoCard]:
    scope = deadlines.oversight_scope(user=user)
    if scope != deadlines.ALL_DEPARTMENTS and not scope:
        return []
    lists = deadlines.deadline_lists(departments=scope, today=today)
    url = reverse("oversight:index")
    return [
        TodoCard(
            key="oversight.overdue",
            group="期限督办",
            title="已逾期的事项",
            count=len(lists.overdue),
            url=url,
            menu="oversight",
            urgent=True,
        ),
        TodoCard(
            key="oversight.soon",
            group="期限督办",
            title=f"{deadlines.DUE_SOON_WORKDAYS}个工作日内到期的事项",
            count=len(lists.soon),
            url=f"{url}#soon",
            urgent=True,
        ),
    ]
