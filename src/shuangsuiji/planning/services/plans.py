"""年度抽查计划: a plan goes 起草 → 备案 → 公开 [002 第十二条: 抽查计划应报…备案，并向社会公开];
its rows change only while it is a draft."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, NotFound, ValidationFailed
from shuangsuiji.planning.choices import PlanStatus
from shuangsuiji.planning.models import Plan, PlanRow, PlanVersion
from shuangsuiji.planning.parsing import (
    RatioError,
    Schedule,
    parse_due,
    parse_ratio,
    parse_schedule,
)
from shuangsuiji.planning.selectors import subtree_ids
from shuangsuiji.planning.services._common import Actor, _code, _raise, _require_planner, _text

ROW_TEXT_FIELDS = {
    "field": ("抽查领域", 200),
    "target_desc": ("检查对象", 300),
    "items_text": ("抽查事项", 4000),
    "schedule_text": ("抽查时间", 200),
    "due_text": ("计划完成时间", 100),
    "lead_unit": ("牵头单位", 200),
    "partner_units": ("配合单位", 300),
    "level": ("层级", 200),
    "person_in_charge": ("负责人", 100),
}
ROW_LABELS = {
    "seq": "序号",
    "ratio": "抽查比例",
    "estimated_count": "预估抽查数",
    "items": "抽查事项",
    **{k: v[0] for k, v in ROW_TEXT_FIELDS.items()},
}


def _plan_state(plan: Plan) -> dict[str, Any]:
    return {
        "department": plan.department.code,
        "year": plan.year,
        "title": plan.title,
        "status": plan.status,
        "filed_to": plan.filed_to,
    }


def plan_create(*, department: Department, year: int, title: str = "", actor: Actor) -> Plan:
    """A draft plan for one department and year (drafted in the first quarter [000 三(一)])."""
    _require_planner(actor=actor, department=department, what="制定其年度抽查计划")
    errors: dict[str, list[str]] = {}
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [f"年度应为2000–2100之间的年份（现为{year}）"]
    title = _text(title) or f"{department.name} {year} 年度“双随机、一公开”抽查事项计划"
    if len(title) > 200:
        errors["title"] = [f"标题最多200个字（现有{len(title)}个）"]
    _raise(errors)
    with transaction.atomic():
        if Plan.objects.filter(department=department, year=year).exists():
            raise Conflict(f"“{department.name}”已有{year}年度抽查计划", field="year")
        try:
            # The (department, year) constraint settles two operators creating it at once.
            with transaction.atomic():
                plan = Plan.objects.create(department=department, year=year, title=title)
        except IntegrityError as exc:
            raise Conflict(f"“{department.name}”已有{year}年度抽查计划", field="year") from exc
        event_record(
            actor=actor,
            action="plan.create",
            obj=plan,
            department=department,
            after=_plan_state(plan),
        )
    return plan


def _lock_plan(plan: Plan, *, draft_only: bool, what: str) -> Plan:
    """Re-reads the plan under a row lock.

    Race: an operator adding a row while a colleague files the plan would slip a row into a
    filed plan; with the lock the second one waits and then sees the new status.
    """
    try:
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
    except Plan.DoesNotExist as exc:
        raise NotFound("抽查计划不存在") from exc
    if draft_only and locked.status != PlanStatus.DRAFT:
        # 002 第十二条: a filed plan is changed by an adjustment filed again, not by edits.
        raise Conflict(
            f"计划“{locked.title}”{locked.get_status_display()}，不能再{what}；"
            "如需调整，请按程序修订计划并重新报备案机关备案"
        )
    return locked


def _items_allowed(plan: Plan) -> QuerySet[Item]:
    return Item.objects.filter(department_id__in=subtree_ids(department=plan.department))


def _row_clean(
    *, plan: Plan, data: Mapping[str, Any], items: Sequence[Item] | None
) -> tuple[dict, list[Item]]:
    """Checks one row; errors are keyed by field (the view and the import name the column)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    seq = data.get("seq")
    try:
        seq = int(_code(seq)) if _code(seq) else None
    except ValueError:
        seq = -1
    if seq is None:
        errors["seq"] = ["序号不能为空"]
    elif not 1 <= seq <= 9999:
        errors["seq"] = [f"序号应为1–9999的整数（现为{_text(data.get('seq'))}）"]
    values["seq"] = seq
    for name, (label, max_length) in ROW_TEXT_FIELDS.items():
        value = _text(data.get(name))
        if len(value) > max_length:
            errors[name] = [f"{label}最多{max_length}个字（现有{len(value)}个）"]
        values[name] = value
    try:
        values["ratio"] = parse_ratio(data.get("ratio"))
    except RatioError as exc:
        errors["ratio"] = [str(exc)]
    estimated = _code(data.get("estimated_count"))
    if estimated:
        if not estimated.isdigit() or int(estimated) > 10_000_000:
            errors["estimated_count"] = [f"预估抽查数应为非负整数（现为{estimated}）"]
        else:
            values["estimated_count"] = int(estimated)
    else:
        values["estimated_count"] = None
    chosen = list(items or [])
    allowed = set(_items_allowed(plan).values_list("pk", flat=True))
    foreign = [i.code for i in chosen if i.pk not in allowed]
    if foreign:
        errors["items"] = [
            f"抽查事项 {'、'.join(foreign)} 不属于“{plan.department.name}”及其下级部门的清单"
        ]
    if not values.get("target_desc") and chosen and not errors.get("items"):
        values["target_desc"] = "、".join(
            dict.fromkeys(i.current.target_type for i in chosen if i.current is not None)
        )[:300]
    if not values.get("target_desc"):
        errors["target_desc"] = ["检查对象不能为空（或选择抽查事项，以事项的检查对象为准）"]
    if not values["items_text"] and chosen:
        values["items_text"] = "、".join(i.current.name for i in chosen if i.current is not None)
    schedule = parse_schedule(values["schedule_text"])
    if not schedule.months:
        # 004 四 names the months in the round's name ("2021年1-2月临时使用公共绿地抽查") and
        # gives only a 计划完成时间: the months come from the name.
        named = parse_schedule(values["items_text"])
        if named.months:
            schedule = Schedule(named.months, schedule.rounds or named.rounds)
    values["months"], values["rounds"] = schedule.months, schedule.rounds
    values["due_date"] = parse_due(
        values.get("due_text") or values["schedule_text"], year=plan.year
    )
    if values["due_date"] is None and values.get("due_text"):
        errors["due_text"] = [
            f"无法识别计划完成时间“{values['due_text']}”（可写：5月底前、10月、上半年、年底前）"
        ]
    _raise(errors)
    return values, chosen


def _row_state(row: PlanRow, items: Sequence[Item]) -> dict[str, Any]:
    state = {
        name: getattr(row, name)
        for name in ("seq", *ROW_TEXT_FIELDS, "months", "rounds", "estimated_count")
    }
    state["due_date"] = row.due_date.isoformat() if row.due_date else None
    state["ratio"] = f"{row.ratio.normalize():f}" if row.ratio is not None else None
    state["items"] = [i.code for i in items]
    return state


def plan_row_add(
    *, plan: Plan, data: Mapping[str, Any], items: Sequence[Item] = (), actor: Actor
) -> PlanRow:
    _require_planner(actor=actor, department=plan.department, what="修改其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="增加计划事项")
        values, chosen = _row_clean(plan=plan, data=data, items=items)
        if plan.rows.filter(seq=values["seq"]).exists():
            raise Conflict(f"序号 {values['seq']} 已在计划中", field="seq")
        row = PlanRow.objects.create(plan=plan, **values)
        row.items.set(chosen)
        event_record(
            actor=actor,
            action="plan.row_add",
            obj=plan,
            department=plan.department,
            after=_row_state(row, chosen),
        )
    return row


def plan_row_update(
    *, row: PlanRow, data: Mapping[str, Any], items: Sequence[Item] = (), actor: Actor
) -> PlanRow:
    plan = row.plan
    _require_planner(actor=actor, department=plan.department, what="修改其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="修改计划事项")
        found = PlanRow.objects.filter(pk=row.pk, plan=plan).first()
        if found is None:
            raise NotFound("计划事项不存在")
        row = found
        before = _row_state(row, list(row.items.all()))
        values, chosen = _row_clean(plan=plan, data=data, items=items)
        if plan.rows.filter(seq=values["seq"]).exclude(pk=row.pk).exists():
            raise Conflict(f"序号 {values['seq']} 已在计划中", field="seq")
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        row.items.set(chosen)
        event_record(
            actor=actor,
            action="plan.row_update",
            obj=plan,
            department=plan.department,
            before=before,
            after=_row_state(row, chosen),
        )
    return row


def plan_row_remove(*, row: PlanRow, actor: Actor) -> None:
    plan = row.plan
    _require_planner(actor=actor, department=plan.department, what="修改其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="删除计划事项")
        found = PlanRow.objects.filter(pk=row.pk, plan=plan).first()
        if found is None:
            raise NotFound("计划事项不存在")
        row = found
        if row.tasks.exists():
            raise Conflict(f"第{row.seq}行已据以设置抽查任务，不能删除")
        before = _row_state(row, list(row.items.all()))
        row.delete()
        event_record(
            actor=actor,
            action="plan.row_remove",
            obj=plan,
            department=plan.department,
            before=before,
        )


def plan_file(*, plan: Plan, filed_to: str, actor: Actor) -> Plan:
    """备案: 抽查计划应报上一级主管部门和同级市场监管部门备案 [002 第十二条]."""
    _require_planner(actor=actor, department=plan.department, what="报送其年度抽查计划备案")
    filed_to = _text(filed_to)
    if not filed_to:
        raise ValidationFailed(
            "请填写备案机关（如：上级主管部门、同级市场监管部门）", field="filed_to"
        )
    if len(filed_to) > 200:
        raise ValidationFailed(f"备案机关最多200个字（现有{len(filed_to)}个）", field="filed_to")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="备案")
        if not plan.rows.exists():
            raise ValidationFailed(f"计划“{plan.title}”还没有任何计划事项，不能备案", field="rows")
        before = _plan_state(plan)
        plan.status, plan.filed_to, plan.filed_at = PlanStatus.FILED, filed_to, timezone.now()
        plan.save(update_fields=["status", "filed_to", "filed_at", "updated_at"])
        event_record(
            actor=actor,
            action="plan.file",
            obj=plan,
            department=plan.department,
            before=before,
            after=_plan_state(plan),
        )
    return plan


def plan_publish(*, plan: Plan, actor: Actor) -> Plan:
    """公开: the filed plan goes to the public portal [002 第十二条, 003 附件4 六]."""
    _require_planner(actor=actor, department=plan.department, what="公开其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=False, what="公开")
        if plan.status != PlanStatus.FILED:
            raise Conflict(
                "计划须先备案再公开" if plan.status == PlanStatus.DRAFT else "计划已公开"
            )
        before = _plan_state(plan)
        plan.status, plan.published_at = PlanStatus.PUBLISHED, timezone.now()
        plan.save(update_fields=["status", "published_at", "updated_at"])
        event_record(
            actor=actor,
            action="plan.publish",
            obj=plan,
            department=plan.department,
            before=before,
            after=_plan_state(plan),
        )
    return plan


ADJUST_REASON_MAX = 2000


def plan_adjust(*, plan: Plan, reason: str, actor: Actor) -> Plan:
    """调整 a filed or published plan (002 第十二条: 根据工作实际进行动态调整): the current
    version is kept as it stands (``PlanVersion``; still shown to the public if it was
    published), and the plan becomes the draft of the next version, to be edited, filed
    and published again. Rows that tasks were set from stay (``plan_row_remove`` refuses
    them); the reason is stored and shown with the new version."""
    _require_planner(actor=actor, department=plan.department, what="调整其年度抽查计划")
    reason = _text(reason)
    if not reason:
        raise ValidationFailed("请填写调整理由（将随调整后的计划一并公开）", field="reason")
    if len(reason) > ADJUST_REASON_MAX:
        raise ValidationFailed(f"调整理由最多{ADJUST_REASON_MAX}个字", field="reason")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=False, what="调整")
        if plan.status == PlanStatus.DRAFT:
            raise Conflict("计划尚未备案，直接修改即可，不需要调整")
        rows = list(plan.rows.prefetch_related("items").order_by("seq"))
        before = _plan_state(plan)
        PlanVersion.objects.create(
            plan=plan,
            number=plan.version,
            title=plan.title,
            rows=[
                {
                    **_row_state(r, list(r.items.all())),
                    "item_names": [
                        f"{i.code} {i.current.name}" if i.current else i.code for i in r.items.all()
                    ],
                }
                for r in rows
            ],
            adjust_reason=plan.adjust_reason,
            filed_to=plan.filed_to,
            filed_at=plan.filed_at,
            published_at=plan.published_at,
            replaced_reason=reason,
        )
        plan.status, plan.filed_at, plan.published_at = PlanStatus.DRAFT, None, None
        plan.version, plan.adjust_reason = plan.version + 1, reason
        plan.save(
            update_fields=[
                "status",
                "filed_at",
                "published_at",
                "version",
                "adjust_reason",
                "updated_at",
            ]
        )
        event_record(
            actor=actor,
            action="plan.adjust",
            obj=plan,
            department=plan.department,
            before=before,
            after={**_plan_state(plan), "version": plan.version, "reason": reason},
        )
    return plan
