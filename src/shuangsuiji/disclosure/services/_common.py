"""Shared pieces of the 一公开 services: who may act, row locks, the lead department."""

from collections.abc import Iterable
from typing import Any

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.imports.framework import actor_is_cli
from shuangsuiji.inspection.models import Result, ResultVersion

# 公示: the lead department's operators or reviewers (审核负责人 approves results for
# publication, domain.md); a correction is signed by its principal (002 第二十八条).
PUBLISHERS = (Role.OPERATOR, Role.REVIEWER)
PRINCIPALS = (Role.REVIEWER,)


def lead_department(result: Result) -> Department:
    """任务执行单位: the department of the visit's lead task (joint partners read, the lead acts)."""
    return result.visit.lead_task.department


def require_role(
    *, actor: Any, department: Department, roles: Iterable[str], what: str, allow_cli: bool = False
) -> None:
    """``actor`` must hold one of ``roles`` in ``department`` or a department above it.

    ``allow_cli``: a text actor ("命令行") is whoever runs the server and may publish; a
    signature, a withholding decision or an objection review names a real person, so
    those never accept one."""
    if allow_cli and actor_is_cli(actor):
        return
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(f"{what}需要登录")
    roles = list(roles)
    if not any(user_has_role(user=actor, role=r, department=department) for r in roles):
        names = "或".join(str(Role(r).label) for r in roles)
        raise NotAllowed(f"只有任务执行单位（{department.name}）的{names}可以{what}")


def locked_version(version: ResultVersion | int) -> ResultVersion:
    pk = version.pk if isinstance(version, ResultVersion) else version
    return (
        ResultVersion.objects.select_for_update(of=("self",))
        .select_related("result__visit__entity", "result__visit__lead_task__department")
        .get(pk=pk)
    )


def locked_result(result: Result | int) -> Result:
    pk = result.pk if isinstance(result, Result) else result
    return (
        Result.objects.select_for_update(of=("self",))
        .select_related("visit__entity", "visit__lead_task__department", "current")
        .get(pk=pk)
    )


def version_label(version: ResultVersion) -> str:
    return f"“{version.result.visit.entity.name}”检查结果第{version.number}版"
