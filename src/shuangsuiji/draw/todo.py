"""待办 of the draw (common/todo.py): sealed draws waiting for the 纪检监督员."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import department_ids_for
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.selectors import draws_list


def draw_todo(user: User, today: dt.date) -> list[TodoCard]:
    # 002 第十七条 (纪检监督全程参与): a sealed list waits for the witnesses' seed.
    ids = department_ids_for(user=user, roles=[Role.WITNESS])
    if not ids:
        return []
    waiting = (
        draws_list(user=user).filter(state=DrawState.COMMITTED, task__department_id__in=ids).count()
    )
    return [
        TodoCard(
            key="draw.witness",
            group="摇号见证",
            title="已封存名单、待现场见证录入随机种子的摇号",
            count=waiting,
            url=reverse("draw:list") + "?" + urlencode({"state": DrawState.COMMITTED}),
            menu="draws",
        )
    ]
