"""Shared pieces of the draw services: permissions, row locks, the frozen manifest files
and raw bulk inserts. Private to the package (the public names are re-exported by
``draw.services``)."""

import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Max

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.draw import protocol, selectors
from shuangsuiji.draw.models import Draw
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from shuangsuiji.registry.models import Conflict as ConflictDeclaration

chunked = selectors.chunked

# Keyed by the stored status (a plain str; TaskStatus members compare and hash equal).
_STATE_WORDS: dict[str, str] = {
    TaskStatus.DRAFT: "尚未封存名单",
    TaskStatus.COMMITTED: "已封存名单，等待录入种子",
    TaskStatus.DRAWN: "已摇号，等待确认",
    TaskStatus.CONFIRMED: "已确认锁定",
    TaskStatus.DISPATCHED: "已派发",
    TaskStatus.CANCELLED: "已撤销",
}


# --- permissions -------------------------------------------------------------------------------


def _require_role(actor: User, task: Task, roles: Iterable[str], what: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(f"{what}需要登录")
    if not any(user_has_role(user=actor, role=r, department=task.department) for r in roles):
        names = "、".join(str(Role(r).label) for r in roles)
        raise NotAllowed(f"只有牵头部门（{task.department.name}）的{names}可以{what}")


def _locked_task(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("department").get(pk=task.pk)


def _locked_draw(draw: Draw) -> Draw:
    return Draw.objects.select_for_update().get(pk=draw.pk)


# --- manifest files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frozen:
    rel_path: str
    sha256: str
    lines: int
    size: int


def _draw_rel_dir(task: Task, number: int) -> str:
    return f"draws/{task.code}/{number}"


def _manifest_freeze(
    *,
    task: Task,
    number: int,
    team: int,
    strata: list[tuple[str, int]],
    targets: list[tuple[str, str]],
    inspectors: list[tuple[str, int]],
    conflicts: list[tuple[str, str]],
    target_pks: list[tuple[str, int]],
    inspector_pks: dict[str, int],
) -> _Frozen:
    """Writes ``manifest`` (the canonical bytes from ``protocol.manifest_build``) and the
    internal ``ids.tsv`` under VAR_DIR/draws/<task>/<n>/, each via a temp file + rename.

    ``manifest_build`` sorts into canonical order (strata by name, targets by id, inspectors
    by id, conflicts by pair) and validates: one pool has exactly one manifest [§2]."""
    rel_dir = _draw_rel_dir(task, number)
    out_dir = Path(settings.VAR_DIR) / rel_dir
    if out_dir.exists():  # left by a commit whose transaction rolled back: never published
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    try:
        data = protocol.manifest_build(
            task=task.code,
            team=team,
            strata=strata,
            targets=targets,
            inspectors=inspectors,
            conflicts=conflicts,
        )
    except protocol.ManifestError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise ValidationFailed(f"名单不符合 ssj-draw/1 格式：{exc.message}") from exc
    path = out_dir / "manifest"
    tmp = out_dir / ".manifest.tmp"
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    # ids.tsv: "<target-id> <pk>" lines sorted by target id (``target_pks`` comes sorted:
    # manifest order), a line "--", then "<inspector-id> <pk>" lines (manifest ids never
    # hold blanks, so a plain split reads it back at C speed).
    ids_tmp = out_dir / ".ids.tmp"
    with ids_tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("".join(map("%s %d\n".__mod__, target_pks)))
        fh.write("--\n")
        fh.write("".join(map("%s %d\n".__mod__, inspector_pks.items())))
    ids_tmp.replace(out_dir / "ids.tsv")
    return _Frozen(
        rel_path=f"{rel_dir}/manifest",
        sha256=hashlib.sha256(data).hexdigest(),
        lines=data.count(b"\n"),
        size=len(data),
    )


def _conflict_pairs(
    *, inspector_ids: dict[int, str], target_ids: dict[int, str]
) -> list[tuple[str, str]]:
    """Active 利害关系 declarations between these inspectors and targets [002 第二十二条]."""
    pairs: set[tuple[str, str]] = set()
    entity_pks = sorted(target_ids)
    for part in chunked(entity_pks):
        for insp_pk, ent_pk in ConflictDeclaration.objects.filter(
            is_active=True, entity_id__in=part, inspector_id__in=list(inspector_ids)
        ).values_list("inspector_id", "entity_id"):
            pairs.add((inspector_ids[insp_pk], target_ids[ent_pk]))
    return sorted(pairs)


def _next_number(task: Task) -> int:
    return (Draw.objects.filter(task=task).aggregate(m=Max("number"))["m"] or 0) + 1


def _cleanup_on_error(rel_path: str | None) -> None:
    if rel_path:
        shutil.rmtree((Path(settings.VAR_DIR) / rel_path).parent, ignore_errors=True)


def _manifest_bytes_checked(draw: Draw) -> bytes:
    data = selectors.manifest_file(draw=draw).read_bytes()
    if hashlib.sha256(data).hexdigest() != draw.manifest_sha256:
        raise Conflict(
            "名单文件与封存时公布的摘要 C 不一致（文件被改动），不能摇号；请联系系统管理员"
        )
    return data
