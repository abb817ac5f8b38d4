"""待办 of the working-day calendar (common/todo.py): from November on, the office staff
learn that next year's holiday notice is not entered yet — only a 系统管理员 can enter it
(his home page has its own reminder), but their deadlines reaching that year are
provisional until then (issue 5)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_roles
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.workdays.services import calendar_years_to_enter

OFFICE = frozenset({Role.DEPT_ADMIN, Role.OPERATOR, Role.REVIEWER})


def workdays_todo(user: User, today: dt.date) -> list[TodoCard]:
    if user.is_superuser or not (user_roles(user=user) & OFFICE):
        return []
    years = calendar_years_to_enter(today=today)
    if not years:
        return []
    text = "、".join(str(y) for y in years)
    return [
        TodoCard(
            key="workdays.calendar",
            group="期限督办",
            title=f"{text}年国务院节假日安排尚未录入（由系统管理员录入）",
            count=len(years),
            url=reverse("oversight:index"),
            hint=f"录入前，涉及{text}年的期限暂按双休日推算，录入后自动更正",
            reminder=True,
        )
    ]
