"""Shared pieces of the inspection services: permission checks, row locks, the refusal
of edits once a result left the draft.

Lock order, everywhere: the visit row, then the result version row (then a follow-up),
so that two services never wait on each other in opposite orders (deadlock).
"""

from django.utils import timezone

from shuangsuiji.accounts.models import User
from shuangsuiji.common.errors import Conflict, NotAllowed
from shuangsuiji.inspection import selectors
from shuangsuiji.inspection.choices import VersionStatus, VisitStatus
from shuangsuiji.inspection.models import ResultVersion, Visit

# 一经公示，不得擅自更改 (002 第二十八条); what the team signed is not edited either (第二十五条).
EDIT_REFUSED = "检查结果已提交签字/已形成/已公示，不能修改；如需更正请走更正流程"


def require_login(actor: User | None, what: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(f"{what}需要登录")


def require_recorder(actor: User, visit: Visit, what: str) -> None:
    require_login(actor, what)
    if not selectors.visit_can_record(user=actor, visit=visit):
        raise NotAllowed(
            f"只有检查组成员或牵头部门（{visit.lead_task.department.name}）的抽查操作员可以{what}"
        )


def require_reviewer(actor: User, visit: Visit, what: str) -> None:
    require_login(actor, what)
    if not selectors.visit_can_review(user=actor, visit=visit):
        raise NotAllowed(f"只有牵头部门（{visit.lead_task.department.name}）的审核负责人可以{what}")


def locked_visit(visit: Visit) -> Visit:
    # No select_related here: on PostgreSQL it would lock the joined task and department
    # rows too and serialise every visit of a task.
    return Visit.objects.select_for_update().get(pk=visit.pk)


def locked_version(version: ResultVersion) -> ResultVersion:
    return ResultVersion.objects.select_for_update().get(pk=version.pk)


def locked_working_version(visit: Visit) -> ResultVersion | None:
    """The latest version of the visit's result, locked (call with the visit locked)."""
    pk = (
        ResultVersion.objects.filter(result__visit=visit)
        .order_by("-number")
        .values_list("pk", flat=True)
        .first()
    )
    return None if pk is None else ResultVersion.objects.select_for_update().get(pk=pk)


def require_editable(visit: Visit, version: ResultVersion | None) -> None:
    """Findings, evidence and the draft change only while the visit is in progress and its
    working version is a draft."""
    if visit.status == VisitStatus.PENDING:
        raise Conflict("检查尚未开始：请先点击“开始检查”")
    if (
        visit.status != VisitStatus.IN_PROGRESS
        or version is None
        or version.status != VersionStatus.DRAFT
    ):
        raise Conflict(EDIT_REFUSED)


def now():
    return timezone.now()
