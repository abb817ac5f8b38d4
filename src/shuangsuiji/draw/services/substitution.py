"""更换 (substitution, draw-protocol §4) and 直接委派 (direct assignment) [002 第二十、二十二条]."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.draw import protocol, selectors
from shuangsuiji.draw.choices import (
    AssignmentSource,
    DrawState,
    SelectionRemedy,
    SubstitutionStatus,
)
from shuangsuiji.draw.hooks import team_change_check, team_resync
from shuangsuiji.draw.models import Assignment, Draw, Selection, Substitution
from shuangsuiji.draw.services._common import (
    _locked_draw,
    _locked_task,
    _manifest_bytes_checked,
    _require_role,
)
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.registry.models import Conflict as ConflictDeclaration
from shuangsuiji.registry.models import Inspector


def substitution_request(*, assignment: Assignment, reason: str, actor: User) -> Substitution:
    """申请更换: 抽取的执法检查人员原则上不得更换; only for a recorded reason (岗位调整、工作冲突、
    身体健康状况、利害关系) and with approval [002 第二十二条]."""
    selection = assignment.selection
    draw = selection.draw
    _require_role(actor, draw.task, [Role.OPERATOR], "申请更换执法检查人员")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("更换执法检查人员必须填写理由（指引第二十二条）", field="reason")
    if assignment.source == AssignmentSource.DIRECT:
        raise ValidationFailed("直接委派的人员不是随机抽取的，不能按随机规则更换")
    with transaction.atomic():
        draw = _locked_draw(draw)
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if draw.state not in (DrawState.DRAWN, DrawState.CONFIRMED):
            raise Conflict(f"{draw}{draw.get_state_display()}，不能更换人员")
        if not assignment.active:
            raise Conflict("该人员已被更换")
        if Substitution.objects.filter(
            out_assignment=assignment, status=SubstitutionStatus.PENDING
        ).exists():
            raise Conflict("该人员已有待审批的更换申请")
        team_change_check(selection=selection)
        sub = Substitution.objects.create(
            draw=draw,
            selection=selection,
            out_assignment=assignment,
            reason=reason,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        event_record(
            actor=actor,
            action="substitution.request",
            obj=sub,
            department=draw.task.department,
            after={
                "draw": draw.pk,
                "target": selection.target_id,
                "out": assignment.inspector.cert_no,
                "reason": reason,
            },
        )
    return sub


def substitution_decide(
    *, substitution: Substitution, approve: bool, actor: User, note: str = ""
) -> Substitution:
    """审批更换 (审核负责人). Approval replays draw-protocol §4 *Substitution* over all earlier
    approved substitutions of the draw and appends the substitute to the team; refusal
    records the decision. No eligible substitute: refused, nothing changes (remedy: 直接委派)."""
    draw = substitution.draw
    task = draw.task
    _require_role(actor, task, [Role.REVIEWER], "审批更换执法检查人员")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationFailed("不同意更换时请填写审批意见", field="note")
    with transaction.atomic():
        # Two approvals on one draw at once would both replay the same history, draw the
        # same ``m`` and could both pick one inspector past his capacity: lock the draw.
        draw = _locked_draw(draw)
        sub = Substitution.objects.select_for_update().get(pk=substitution.pk)
        if sub.status != SubstitutionStatus.PENDING:
            raise Conflict("该更换申请已审批")
        now = timezone.now()
        if not approve:
            sub.status, sub.decided_by, sub.decided_at, sub.decision_note = (
                SubstitutionStatus.REJECTED,
                actor,
                now,
                note,
            )
            sub.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            event_record(
                actor=actor,
                action="substitution.reject",
                obj=sub,
                department=task.department,
                before={"status": SubstitutionStatus.PENDING},
                after={"status": SubstitutionStatus.REJECTED, "note": note},
            )
            return sub
        if draw.state not in (DrawState.DRAWN, DrawState.CONFIRMED):
            raise Conflict(f"{draw}{draw.get_state_display()}，不能更换人员")
        out = (
            Assignment.objects.select_for_update()
            .select_related("inspector")
            .get(pk=sub.out_assignment_id)
        )
        if not out.active:
            raise Conflict("该人员已被更换")
        selection = sub.selection
        data = _manifest_bytes_checked(draw)
        _t, i_map = selectors.draw_id_maps(draw=draw, targets=())
        manifest_id = {pk: iid for iid, pk in i_map.items()}
        out_id = manifest_id[out.inspector_id]
        history = [
            protocol.substitution_parse(line)
            for line in selectors.draw_substitutions(draw=draw).values_list("line", flat=True)
        ]
        try:
            in_id = protocol.substitute(
                protocol.manifest_parse(data),
                protocol.draw_compute(data, draw.seed_text),
                history,
                target=selection.target_id,
                out=out_id,
            )
        except protocol.SubstitutionError as exc:
            raise Conflict(f"不能按协议更换：{exc.message}") from exc
        if in_id is None:
            raise Conflict(
                "没有符合条件的替补人员（不在组内、未被更换过、无利害关系、未满负荷）；"
                "请以直接委派方式补充并说明理由"
            )
        position = (
            Assignment.objects.filter(selection=selection).aggregate(m=Max("position"))["m"] or 0
        ) + 1
        new = Assignment.objects.create(
            selection=selection,
            inspector_id=i_map[in_id],
            position=position,
            source=AssignmentSource.SUBSTITUTE,
            active=True,
            assigned_by=actor,
        )
        out.active, out.replaced_reason, out.replaced_at, out.approved_by = (
            False,
            sub.reason,
            now,
            actor,
        )
        out.save(update_fields=["active", "replaced_reason", "replaced_at", "approved_by"])
        seq = (
            Substitution.objects.filter(draw=draw, status=SubstitutionStatus.APPROVED).aggregate(
                m=Max("seq")
            )["m"]
            or 0
        ) + 1
        sub.status, sub.decided_by, sub.decided_at, sub.decision_note = (
            SubstitutionStatus.APPROVED,
            actor,
            now,
            note,
        )
        sub.seq, sub.in_assignment, sub.line = (
            seq,
            new,
            f"substitute {selection.target_id} {out_id} {in_id}",
        )
        sub.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_note",
                "seq",
                "in_assignment",
                "line",
            ]
        )
        team_resync(selection=selection)
        event_record(
            actor=actor,
            action="substitution.approve",
            obj=sub,
            department=task.department,
            before={"status": SubstitutionStatus.PENDING, "out": out_id},
            after={
                "status": SubstitutionStatus.APPROVED,
                "in": in_id,
                "seq": seq,
                "line": sub.line,
                "reason": sub.reason,
            },
        )
    return sub


def assignment_direct(
    *, selection: Selection, inspectors: Sequence[Inspector], reason: str, actor: User
) -> list[Assignment]:
    """直接委派 for a target the draw left unstaffed [002 第二十条]: stored with source
    ``direct`` and its reason, shown everywhere as not random. Conflicts of interest still
    apply (回避 [002 第二十二条]); the team needs the task's size (不少于2名)."""
    draw = selection.draw
    task = draw.task
    _require_role(actor, task, [Role.OPERATOR], "直接委派执法检查人员")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("直接委派必须说明理由（如：本区域执法检查人员不足）", field="reason")
    people = list(dict.fromkeys(inspectors))
    if len(people) < task.team_size:
        raise ValidationFailed(
            f"每个检查对象不少于{task.team_size}名执法检查人员（指引第二十条）", field="inspectors"
        )
    with transaction.atomic():
        # Race with a remedy match draw or a second direct assignment for the same target.
        task = _locked_task(task)
        selection = Selection.objects.select_for_update().get(pk=selection.pk)
        draw = Draw.objects.get(pk=selection.draw_id)
        if draw.state != DrawState.CONFIRMED or task.status != TaskStatus.CONFIRMED:
            raise Conflict("摇号确认锁定后、任务派发前才能直接委派")
        if not selection.unstaffed or selection.remedy != SelectionRemedy.NONE:
            raise Conflict(f"检查对象{selection.target_id}已有检查组，不需要直接委派")
        if Selection.objects.filter(
            draw__source=draw,
            draw__state__in=[DrawState.COMMITTED, DrawState.DRAWN],
            target_id=selection.target_id,
        ).exists():
            raise Conflict(f"检查对象{selection.target_id}正在补充匹配摇号中，请先完成或作废该摇号")
        clash = list(
            ConflictDeclaration.objects.filter(
                is_active=True, entity_id=selection.entity_id, inspector__in=people
            ).select_related("inspector")
        )
        if clash:
            raise ValidationFailed(
                "以下人员与该检查对象有利害关系，应当回避："
                + "、".join(str(c.inspector) for c in clash),
                field="inspectors",
            )
        made = [
            Assignment.objects.create(
                selection=selection,
                inspector=p,
                position=i,
                source=AssignmentSource.DIRECT,
                active=True,
                note=reason,
                assigned_by=actor,
            )
            for i, p in enumerate(people)
        ]
        selection.remedy = SelectionRemedy.DIRECT
        selection.save(update_fields=["remedy"])
        event_record(
            actor=actor,
            action="assignment.direct",
            obj=selection,
            department=task.department,
            before={"remedy": SelectionRemedy.NONE},
            after={
                "remedy": SelectionRemedy.DIRECT,
                "inspectors": [p.cert_no for p in people],
                "reason": reason,
                "random": False,
            },
        )
    return made
