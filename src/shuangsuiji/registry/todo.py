"""待办 of the libraries (common/todo.py): the half-yearly revision of the entity library."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Membership, User
from shuangsuiji.audit.models import Event
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.registry.models import LibraryReview

# 003 第六条：市场主体名录库实行定期更新制度。每年6月、12月……定期对市场主体名录库进行修订。
REVIEW_MONTHS = (6, 12)
# The audit actions that change the entity library (registry/services.py, the importer).
REVISIONS = ["import.entities", "entity.create", "entity.update", "entity.tags_set"]


def registry_todo(user: User, today: dt.date) -> list[TodoCard]:
    if today.month not in REVIEW_MONTHS:
        return []
    admin_of = dict(
        Membership.objects.filter(user=user, role=Role.DEPT_ADMIN).values_list(
            "department_id", "department__name"
        )
    )
    if not admin_of:
        return []
    # Revised this month = the library was imported or edited (its audit events) since the 1st.
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    revised = set(
        Event.objects.filter(
            department_id__in=list(admin_of),
            created_at__gte=month_start,
            action__in=REVISIONS,
        ).values_list("department_id", flat=True)
    )
    signed = set(
        LibraryReview.objects.filter(
            department_id__in=list(admin_of), year=today.year, month=today.month
        ).values_list("department_id", flat=True)
    )
    missing = [name for dept_id, name in admin_of.items() if dept_id not in signed]
    if not missing:
        return []
    unrevised = [name for dept_id, name in admin_of.items() if dept_id not in revised]
    return [
        TodoCard(
            key="registry.review",
            group="计划与名录库",
            title=f"{today.month}月：检查对象名录库定期修订（核对并签署）",
            count=len(missing),
            url=reverse("registry:review"),
            menu="entities",
            hint="、".join(missing)
            + "尚未签署本次定期修订"
            + (f"；{'、'.join(unrevised)}本月尚未更新名录库" if unrevised else "")
            + "。003 第六条：每年6月、12月根据市场主体的变动定期修订",
            reminder=True,
        )
    ]
