"""双告知 reads: the lists, the due days, the 反馈率, and what 期限督办 and 待办 show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import readable_department_ids, writable_department_ids
from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.todo import TodoCard
from shuangsuiji.disclosure.deadlines import OtherDeadline, Scope, scope_departments
from shuangsuiji.disclosure.deadlines.workday_table import WorkdayTable
from shuangsuiji.licences.choices import NoticeStatus
from shuangsuiji.licences.models import DEFAULT_ACK_WORKDAYS, LicenceNotice, LicenceSetting
from shuangsuiji.workdays.services import deadline_provisional

RULE = "双告知信息应在本部门设定的工作日内反馈（004 一“加强‘双告知’信息接收及反馈工作”）"
SOON_WORKDAYS = 2  # a pending notice due within this many working days is shown as urgent


def notices_visible(*, user: User) -> QuerySet[LicenceNotice]:
    return LicenceNotice.objects.filter(
        department_id__in=readable_department_ids(user=user)
    ).select_related("department", "item__current", "entity", "acted_by")


def notice_get(*, user: User, pk: int) -> LicenceNotice:
    notice = notices_visible(user=user).filter(pk=pk).first()
    if notice is None:
        raise NotFound("没有这条双告知信息")
    return notice


def can_answer(*, user: User, notice: LicenceNotice) -> bool:
    return notice.department_id in writable_department_ids(user=user)


def _workdays_of(department_ids) -> dict[int, int]:
    days = dict(
        LicenceSetting.objects.filter(department_id__in=department_ids).values_list(
            "department_id", "ack_workdays"
        )
    )
    return {d: days.get(d, DEFAULT_ACK_WORKDAYS) for d in department_ids}


@dataclass(frozen=True)
class Due:
    notice: LicenceNotice
    due: dt.date
    note: str  # provisional: counted without the year's holidays
    late: bool  # answered after the due day, or still pending after it


def with_due(notices: list[LicenceNotice], *, today: dt.date) -> list[Due]:
    days = _workdays_of({n.department_id for n in notices})
    out = []
    for n in notices:
        d = deadline_provisional(start=n.received_on, n=days[n.department_id])
        answered = n.acted_on
        late = (answered > d.date) if answered else today > d.date
        out.append(Due(n, d.date, d.note, late))
    return out


@dataclass(frozen=True)
class FeedbackRate:
    """反馈率 of notices received in a period: answered on time / those whose due day has come."""

    received: int
    answered: int
    on_time: int
    due: int  # received and due by today
    overdue_pending: int

    @property
    def percent(self) -> str:
        if not self.due:
            return "—"
        value = self.on_time * 100 / self.due
        return f"{value:.1f}".rstrip("0").rstrip(".") + "%"


def feedback_rate(*, department_ids, start: dt.date, end: dt.date, today: dt.date) -> FeedbackRate:
    notices = list(
        LicenceNotice.objects.filter(
            department_id__in=department_ids, received_on__gte=start, received_on__lte=end
        ).only("department_id", "received_on", "acted_on", "status")
    )
    rows = with_due(notices, today=today)
    due = [r for r in rows if r.due <= today or r.notice.acted_on]
    return FeedbackRate(
        received=len(rows),
        answered=sum(1 for r in rows if r.notice.acted_on),
        on_time=sum(1 for r in due if r.notice.acted_on and not r.late),
        due=len(due),
        overdue_pending=sum(1 for r in rows if not r.notice.acted_on and r.late),
    )


def _pending_due(department_ids, today: dt.date) -> list[Due]:
    notices = list(
        LicenceNotice.objects.filter(
            department_id__in=department_ids, status=NoticeStatus.PENDING
        ).select_related("department")
    )
    return with_due(notices, today=today)


def licence_deadlines(*, departments: Scope, today: dt.date) -> list[OtherDeadline]:
    """期限督办: pending notices due within two working days or overdue, one row a notice."""
    ids = [d.id for d in scope_departments(scope=departments)]
    cal = WorkdayTable()
    rows = []
    for r in _pending_due(ids, today):
        left = cal.between(today, r.due)[0] if r.due >= today else None
        if left is not None and left > SOON_WORKDAYS:
            continue
        rows.append(
            OtherDeadline(
                department=r.notice.department,
                title=f"双告知反馈：{r.notice.licensee}（{r.notice.licence_item}，{r.notice.licence_no}）",
                due=r.due,
                workdays_overdue=cal.between(r.due, today)[0] if today > r.due else None,
                url=reverse("licences:detail", args=[r.notice.pk]),
                rule=RULE,
                waiting="待反馈",
            )
        )
    return rows


def licence_todo(user: User, today: dt.date) -> list[TodoCard]:
    """待办 of a department admin: the notices waiting for an answer."""
    ids = writable_department_ids(user=user)
    if not ids:
        return []
    rows = _pending_due(ids, today)
    if not rows:
        return []
    late = sum(1 for r in rows if r.late)
    return [
        TodoCard(
            key="licences.pending",
            group="名录库",
            title="双告知信息待反馈" + (f"（{late} 条已逾期）" if late else ""),
            count=len(rows),
            url=reverse("licences:list") + "?status=pending",
            menu="entities",
            hint=RULE,
            urgent=bool(late),
        )
    ]


def departments_answering(*, user: User) -> QuerySet[Department]:
    return Department.objects.filter(id__in=writable_department_ids(user=user)).order_by("code")
