"""部门联合抽查: a partner department answers the lead's invitation (issue 14 第 1 项).

000 三(五) and 四(二): the lead department organises, the partners take part with their own
items and staff. A partner named on a draft task answers: 参加 (naming the items it checks
there — they join the task — and, optionally, which of its inspectors take part, by 执法类别)
or 不参加 with its reason. The lead cannot seal the draw until every partner takes part
(``partners_blocking``, read by ``draw.services.commit``); a partner that declines is shown
with its reason, and the lead removes it from the task or asks again. The answer can be
changed while the task is a draft; each answer is one audit event, under the task's row
lock (a commit and an answer at once cannot cross)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from shuangsuiji.accounts.models import Department
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import PartnerResponse, Task
from shuangsuiji.planning.selectors import family_ids
from shuangsuiji.planning.services._common import Actor, _require_planner, _user_or_none
from shuangsuiji.planning.services.tasks import _lock_task

REASON_MAX = 1000


def task_partner_respond(
    *,
    task: Task,
    department: Department,
    actor: Actor,
    accept: bool,
    items: Sequence[Item] = (),
    inspector_category: str = "",
    reason: str = "",
) -> PartnerResponse:
    _require_planner(actor=actor, department=department, what="答复联合抽查邀请")
    user = _user_or_none(actor)
    if user is None:
        raise NotAllowed("联合抽查邀请须由配合部门的抽查操作员答复")
    reason = (reason or "").strip()
    category = (inspector_category or "").strip()
    chosen = list(dict.fromkeys(items))
    errors: dict[str, list[str]] = {}
    if accept:
        own = family_ids(department=department)
        foreign = [i.code for i in chosen if i.department_id not in own or i.is_repealed]
        if not chosen:
            errors["items"] = ["请选择本部门在这次联合抽查中负责的抽查事项"]
        elif foreign:
            errors["items"] = [f"抽查事项 {'、'.join(foreign)} 不是本部门清单中的有效事项"]
        if len(category) > 100:
            errors["inspector_category"] = ["执法类别不超过100字"]
    else:
        if not reason:
            errors["reason"] = ["请填写不参加的理由"]
        elif len(reason) > REASON_MAX:
            errors["reason"] = [f"理由不超过{REASON_MAX}字"]
    if errors:
        raise ValidationFailed("；".join(m for ms in errors.values() for m in ms), errors=errors)
    with transaction.atomic():
        task = _lock_task(task)
        if not task.partners.filter(pk=department.pk).exists():
            raise NotAllowed(f"“{department.name}”不是任务{task.code}的配合部门")
        if task.status != TaskStatus.DRAFT:
            raise Conflict(f"任务{task.code}已封存名单，不能再答复联合抽查邀请")
        before = PartnerResponse.objects.filter(task=task, department=department).first()
        before_state = _state(before) if before else None
        response, _ = PartnerResponse.objects.update_or_create(
            task=task,
            department=department,
            defaults={
                "accepted": accept,
                "inspector_category": category if accept else "",
                "reason": "" if accept else reason,
                "responded_by": user,
            },
        )
        response.items.set(chosen if accept else [])
        if accept:
            task.items.add(*chosen)  # the partner's items are checked on the same visit
        event_record(
            actor=actor,
            action="task.partner_accept" if accept else "task.partner_decline",
            obj=task,
            department=department,
            before=before_state,
            after=_state(response),
        )
    return response


def _state(r: PartnerResponse) -> dict:
    return {
        "department": r.department.code,
        "accepted": r.accepted,
        "items": sorted(r.items.values_list("code", flat=True)),
        "inspector_category": r.inspector_category,
        "reason": r.reason,
    }
