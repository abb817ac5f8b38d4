"""封存: the commit of a full draw and of a match-only (or remedy) manifest [draw-protocol §1
step 1]. From the commit on the pool cannot change: a different pool is a new draw."""

from collections.abc import Sequence
from itertools import chain, islice, repeat
from operator import eq, itemgetter

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.draw import pool as pool_rules
from shuangsuiji.draw import selectors
from shuangsuiji.draw.choices import DrawKind, DrawState
from shuangsuiji.draw.models import Draw
from shuangsuiji.draw.pool import InspectorCandidate, TaskPool, target_id_for
from shuangsuiji.draw.services._common import (
    _STATE_WORDS,
    _cleanup_on_error,
    _conflict_pairs,
    _locked_draw,
    _locked_task,
    _manifest_freeze,
    _next_number,
    _require_role,
)
from shuangsuiji.imports import staging
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notice_send
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from shuangsuiji.planning.selectors import family_ids, partners_blocking
from shuangsuiji.registry.models import Entity


def _refuse_while_importing(task: Task) -> None:
    """A library half written by a large SQLite import (imports/staging.py) must not be
    frozen into a manifest: the draw waits until the import has finished."""
    for department_id in family_ids(department=task.department):
        if staging.applying(department_id):
            raise Conflict("检查对象名录库正在导入，导入完成后再封存名单（请稍后重试）")


def draw_commit(*, task: Task, actor: User, pool: TaskPool | None = None) -> Draw:
    """封存: freeze the task's pools into a manifest and store its SHA-256 ``C`` and the
    excluded list with reasons. From here the pool cannot change; a different pool needs
    this draw voided and a new commit (number + 1, ``replaces`` the void one).

    ``pool`` defaults to ``draw.pool.task_pool(task=task)``; the draw then records
    the inspector scope it came from (``Draw.inspector_scope``)."""

    _require_role(actor, task, [Role.OPERATOR], "封存摇号名单")
    own_pool = pool is None
    _refuse_while_importing(task)
    if pool is None:
        pool = pool_rules.task_pool(task=task)
    # Again after reading: an import that began meanwhile may have shown half a library.
    _refuse_while_importing(task)
    rel_path = None
    try:
        with transaction.atomic():
            # Two operators committing the same task at once would both see it in draft and
            # both take the same draw number: the task row lock serialises them.
            task = _locked_task(task)
            if task.status != TaskStatus.DRAFT:
                raise Conflict(
                    f"任务{task.code}{_STATE_WORDS[task.status]}，不能再次封存名单；"
                    "如需重新摇号，请先作废当前摇号"
                )
            # 指引第二十条: at least 2 per target — the lead's team plus one per partner.
            partners = task.partner_responses.filter(accepted=True).count()
            if task.team_size < 1 or task.team_size + partners < 2:
                raise ValidationFailed("每个检查对象不少于2名执法检查人员（指引第二十条）")
            # 部门联合抽查: every partner takes part before the pools are frozen (issue 14
            # 第 1 项); read under the task lock that their answers also take.
            blocking = partners_blocking(task=task)
            if blocking:
                raise Conflict(
                    "联合抽查的配合部门尚未全部参加，不能封存名单："
                    + "；".join(blocking)
                    + "。请等待答复，或在任务中移除不参加的配合部门"
                )
            strata = [(s.name, s.n) for s in pool.strata]
            if not strata or sum(n for _name, n in strata) == 0:
                raise ValidationFailed("抽取名单为空：没有可抽取的检查对象")
            targets: list[tuple[str, str]] = []
            for s in pool.strata:
                targets.extend(zip(map(itemgetter(0), s.targets), repeat(s.name)))
            # (target id, pk) in manifest order: ids.tsv is written in that order so that
            # draw_id_maps can bisect it; equal neighbours are the same target listed twice.
            target_pks = sorted(chain.from_iterable(s.targets for s in pool.strata))
            ids = list(map(itemgetter(0), target_pks))
            if any(map(eq, ids, islice(ids, 1, None))):
                dup = next(a for a, b in zip(ids, islice(ids, 1, None), strict=False) if a == b)
                raise ValidationFailed(f"检查对象{dup}在抽取名单中出现了两次")
            del ids
            inspectors = [(c.inspector_id, c.capacity) for c in pool.inspectors]
            inspector_pks = {c.inspector_id: c.pk for c in pool.inspectors}
            conflicts = list(pool.conflicts)
            number = _next_number(task)
            frozen = _manifest_freeze(
                task=task,
                number=number,
                team=pool.team_size,
                strata=strata,
                targets=targets,
                inspectors=inspectors,
                conflicts=conflicts,
                target_pks=target_pks,
                inspector_pks=inspector_pks,
            )
            rel_path = frozen.rel_path
            previous = (
                Draw.objects.filter(task=task, source__isnull=True).order_by("-number").first()
            )
            draw = Draw.objects.create(
                task=task,
                number=number,
                kind=DrawKind.FULL,
                state=DrawState.COMMITTED,
                manifest_path=frozen.rel_path,
                manifest_sha256=frozen.sha256,
                manifest_lines=frozen.lines,
                manifest_size=frozen.size,
                excluded=[
                    {
                        "target_id": e.target_id,
                        "entity_id": e.entity_id,
                        "name": e.name,
                        "reason": e.reason,
                    }
                    for e in pool.excluded
                ],
                inspector_scope=pool_rules.inspector_scope(task=task) if own_pool else {},
                committed_at=timezone.now(),
                committed_by=actor,
                replaces=previous
                if previous is not None and previous.state == DrawState.VOID
                else None,
            )
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMMITTED)
            event_record(
                actor=actor,
                action="draw.commit",
                obj=draw,
                department=task.department,
                before={"task_status": TaskStatus.DRAFT},
                after={
                    "task_status": TaskStatus.COMMITTED,
                    "number": number,
                    "manifest_sha256": frozen.sha256,
                    "manifest_lines": frozen.lines,
                    "targets": len(targets),
                    "inspectors": len(inspectors),
                    "excluded": len(pool.excluded),
                    "replaces": draw.replaces_id,
                },
            )
            _tell_witnesses(task=task, draw=draw)
    except BaseException:
        _cleanup_on_error(rel_path)
        raise
    task.status = TaskStatus.COMMITTED
    return draw


def _tell_witnesses(*, task: Task, draw: Draw) -> None:
    # 纪检监督 of the draw (002 第十七条): the witnesses learn that a list waits for them.
    notice_send(
        users=selectors.ceremony_witnesses(task=task),
        kind=NoticeKind.DRAW_SEALED,
        title=f"摇号待见证：{task.code} {task.title}",
        body=f"第{draw.number}次摇号的名单已封存，请到场见证并录入随机种子。",
        url=reverse("draw:task", args=[task.pk]),
    )


def _match_draw_create(
    *,
    task: Task,
    actor: User,
    team: int,
    entity_by_tid: dict[str, int],
    inspectors: Sequence[InspectorCandidate],
    source: Draw | None,
    scope: dict,
    replaces: Draw | None,
    partner: Department | None = None,
):
    """A match-only manifest (one ``stratum all n`` over targets already chosen, as in
    vector v2) frozen and its draw created, sealed: shared by ``match_commit`` (the task's
    own match or a remedy) and ``partner_match_commit``. Inside the caller's transaction;
    a failure after the manifest is written removes it."""
    conflicts = _conflict_pairs(
        inspector_ids={c.pk: c.inspector_id for c in inspectors},
        target_ids={pk: tid for tid, pk in entity_by_tid.items()},
    )
    number = _next_number(task)
    frozen = _manifest_freeze(
        task=task,
        number=number,
        team=team,
        strata=[("all", len(entity_by_tid))],
        targets=[(tid, "all") for tid in entity_by_tid],
        inspectors=[(c.inspector_id, c.capacity) for c in inspectors],
        conflicts=conflicts,
        target_pks=sorted(entity_by_tid.items()),
        inspector_pks={c.inspector_id: c.pk for c in inspectors},
    )
    try:
        draw = Draw.objects.create(
            task=task,
            number=number,
            kind=DrawKind.MATCH_ONLY,
            state=DrawState.COMMITTED,
            source=source,
            partner=partner,
            manifest_path=frozen.rel_path,
            manifest_sha256=frozen.sha256,
            manifest_lines=frozen.lines,
            manifest_size=frozen.size,
            excluded=[],
            inspector_scope=scope,
            committed_at=timezone.now(),
            committed_by=actor,
            replaces=replaces,
        )
    except BaseException:
        _cleanup_on_error(frozen.rel_path)
        raise
    return draw, frozen, conflicts


def match_commit(
    *,
    task: Task,
    actor: User,
    source: Draw | None = None,
    entities: Sequence[Entity] | None = None,
    inspectors: Sequence[InspectorCandidate] | None = None,
    extra_departments: Sequence[Department] = (),
    include_experts: bool = False,
) -> Draw:
    """仅匹配执法检查人员: a match-only manifest (one ``stratum all n`` with n = all targets,
    as in vector v2) for targets that are already chosen.

    - ``source`` given: a *remedy* for the targets ``source`` left unstaffed (补充匹配,
      e.g. with a wider pool — neighbouring areas [002 第二十条]); the task's state does not
      move; capacities are what each inspector has left in this task.
    - ``source`` empty: the task's own ceremony for ``entities`` drawn elsewhere (the
      task must be in draft; the yearly cap is counted at confirmation as for a full draw).

    ``inspectors`` defaults to the task's own pool (``draw.pool.inspector_pool``),
    widened for this draw only by ``extra_departments`` (their inspectors and those of
    their sub-departments: a neighbouring area or any chosen department) and/or
    ``include_experts`` — the remedy "a new draw with a wider pool" [draw-protocol §4,
    002 第二十条]. The scope is stored on the draw (``inspector_scope``), in the audit
    event, and shown on the public page; a caller-supplied ``inspectors`` list records none."""

    _require_role(actor, task, [Role.OPERATOR], "封存匹配名单")
    extra = list(dict.fromkeys(extra_departments))
    if inspectors is not None and (extra or include_experts):
        raise TypeError(
            "match_commit: give either inspectors or a widening (extra_departments/include_experts)"
        )
    if inactive := [d.name for d in extra if not d.is_active]:
        raise ValidationFailed(
            f"以下部门已停用，不能加入人员范围：{'、'.join(inactive)}", field="extra_departments"
        )
    scope: dict = {}
    if inspectors is None:
        inspectors = pool_rules.inspector_pool(
            task=task, extra_departments=extra, include_experts=include_experts
        )
        scope = pool_rules.inspector_scope(
            task=task, extra_departments=extra, include_experts=include_experts
        )
    rel_path = None
    try:
        with transaction.atomic():
            # Same race as draw_commit: the draw number and the task state are read under lock.
            task = _locked_task(task)
            entity_by_tid: dict[str, int] = {}
            if source is not None:
                source = _locked_draw(source)
                if source.task_id != task.pk or source.is_secondary:
                    raise ValidationFailed("补充匹配只能针对本任务的原摇号")
                if source.state != DrawState.CONFIRMED or task.status != TaskStatus.CONFIRMED:
                    raise Conflict("原摇号确认锁定后、任务派发前才能补充匹配执法检查人员")
                if selectors.draw_remedies_pending(draw=source).exists():
                    raise Conflict("该摇号已有进行中的补充匹配，请先完成或作废")
                for tid, ent_pk in selectors.draw_needing_remedy(draw=source).values_list(
                    "target_id", "entity_id"
                ):
                    entity_by_tid[tid] = ent_pk
                if not entity_by_tid:
                    raise Conflict("没有未配齐人员、需要补充匹配的检查对象")
                loads = selectors.inspector_loads(task=task)
                pool_inspectors = [
                    InspectorCandidate(c.inspector_id, c.pk, c.capacity - loads.get(c.pk, 0))
                    for c in inspectors
                ]
                pool_inspectors = [c for c in pool_inspectors if c.capacity > 0]
            else:
                if task.status != TaskStatus.DRAFT:
                    raise Conflict(f"任务{task.code}{_STATE_WORDS[task.status]}，不能再次封存名单")
                if not entities:
                    raise ValidationFailed("请指定需要匹配执法检查人员的检查对象")
                for ent in entities:
                    tid = target_id_for(uscc=ent.uscc, pk=ent.pk)
                    if tid in entity_by_tid:
                        raise ValidationFailed(f"检查对象{tid}重复")
                    entity_by_tid[tid] = ent.pk
                pool_inspectors = list(inspectors)
            previous = (
                Draw.objects.filter(task=task, source=source).order_by("-number").first()
                if source is not None
                else Draw.objects.filter(task=task, source__isnull=True).order_by("-number").first()
            )
            draw, frozen, conflicts = _match_draw_create(
                task=task,
                actor=actor,
                team=task.team_size,
                entity_by_tid=entity_by_tid,
                inspectors=pool_inspectors,
                source=source,
                scope=scope,
                replaces=previous
                if previous is not None and previous.state == DrawState.VOID
                else None,
            )
            rel_path = frozen.rel_path
            number = draw.number
            before = {"task_status": task.status}
            if source is None:
                Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMMITTED)
                task.status = TaskStatus.COMMITTED
            event_record(
                actor=actor,
                action="draw.match_commit",
                obj=draw,
                department=task.department,
                before=before,
                after={
                    "task_status": task.status,
                    "number": number,
                    "source": source.pk if source else None,
                    "manifest_sha256": frozen.sha256,
                    "targets": len(entity_by_tid),
                    "inspectors": len(pool_inspectors),
                    "conflicts": len(conflicts),
                    "inspector_scope": scope or None,
                },
            )
            _tell_witnesses(task=task, draw=draw)
    except BaseException:
        _cleanup_on_error(rel_path)
        raise
    return draw


def partner_match_commit(*, task: Task, partner: Department, actor: User) -> Draw:
    """部门联合抽查 (issue 14 第 1 项; 000 四(二): 牵头部门组织): after the lead department's
    draw is confirmed, a match-only draw of one partner's inspectors (its answer: items,
    执法类别) over exactly the targets the lead draw selected, team ``1``: every team gets
    one inspector of that department and keeps the lead's 组长. Each is an ``ssj-draw/1``
    draw of its own — sealed, seeded before witnesses, confirmed, published and verified
    like any other — linked to the lead draw (``source``) and to the partner (``partner``).
    Dispatch waits until every partner that takes part has its confirmed match."""
    _require_role(actor, task, [Role.OPERATOR], "封存配合部门人员匹配名单")
    inspectors = pool_rules.partner_inspector_pool(task=task, partner=partner)
    rel_path = None
    try:
        with transaction.atomic():
            task = _locked_task(task)
            if task.status != TaskStatus.CONFIRMED:
                raise Conflict(
                    "牵头部门的摇号确认锁定后、任务派发前，才能匹配配合部门的执法检查人员"
                )
            lead = selectors.draw_current(task=task)
            if lead is None or lead.state != DrawState.CONFIRMED:
                raise Conflict("没有已确认锁定的摇号")
            if not task.partner_responses.filter(department=partner, accepted=True).exists():
                raise ValidationFailed(f"“{partner.name}”不是本任务参加的配合部门", field="partner")
            live = Draw.objects.filter(source=lead, partner=partner).exclude(state=DrawState.VOID)
            if live.exists():
                raise Conflict(f"“{partner.name}”的人员匹配已封存，请完成或作废后再封存")
            if not inspectors:
                raise ValidationFailed(
                    f"“{partner.name}”没有可参加的在岗执法人员（须持有效执法证"
                    "，且符合其答复中的执法类别）",
                    field="partner",
                )
            entity_by_tid = dict(lead.selections.values_list("target_id", "entity_id"))
            previous = Draw.objects.filter(source=lead, partner=partner).order_by("-number").first()
            draw, frozen, conflicts = _match_draw_create(
                task=task,
                actor=actor,
                team=1,
                entity_by_tid=entity_by_tid,
                inspectors=inspectors,
                source=lead,
                partner=partner,
                replaces=previous,
                scope={
                    "departments": [
                        {
                            "code": partner.code,
                            "name": partner.name,
                            "basis": "配合部门及其下级部门",
                        }
                    ],
                    "experts": False,
                    "experts_widened": False,
                    "widened": False,
                    "category": task.partner_responses.get(department=partner).inspector_category,
                },
            )
            rel_path = frozen.rel_path
            number = draw.number
            event_record(
                actor=actor,
                action="draw.partner_commit",
                obj=draw,
                department=task.department,
                after={
                    "number": number,
                    "source": lead.pk,
                    "partner": partner.code,
                    "manifest_sha256": frozen.sha256,
                    "targets": len(entity_by_tid),
                    "inspectors": len(inspectors),
                    "conflicts": len(conflicts),
                },
            )
            _tell_witnesses(task=task, draw=draw)
    except BaseException:
        _cleanup_on_error(rel_path)
        raise
    return draw
