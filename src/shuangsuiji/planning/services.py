"""Writes of 年度抽查计划 and 抽查任务. Every write: one transaction, one audit event.

A plan goes 起草 → 备案 → 公开 [002 第十二条: 抽查计划应报…备案，并向社会公开]; its rows
change only while it is a draft. A task is edited only while it is a draft: from the
commit on, the draw ceremony owns its state (draw-protocol §1).

``actor`` is a user, or ``None``/a name (``"演示数据"``) for the server's own operator
(the demo loader, ``ssj`` on the command line): whoever runs commands on the server
already holds the database.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from shuangsuiji.planning.choices import ClassMode, PlanStatus, TaskKind, TaskStatus
from shuangsuiji.planning.models import Plan, PlanRow, TargetClass, Task
from shuangsuiji.planning.parsing import RatioError, parse_ratio, parse_schedule
from shuangsuiji.planning.selectors import family_ids, planning_writable_ids, subtree_ids
from shuangsuiji.registry.choices import EntityType, Scale
from shuangsuiji.registry.models import Tag

Actor = User | str | None

ROW_TEXT_FIELDS = {
    "field": ("抽查领域", 200), "target_desc": ("检查对象", 300), "items_text": ("抽查事项", 4000),
    "schedule_text": ("抽查时间", 200), "lead_unit": ("牵头单位", 200), "partner_units": ("配合单位", 300),
    "level": ("层级", 200), "person_in_charge": ("负责人", 100),
}
ROW_LABELS = {"seq": "序号", "ratio": "抽查比例", "estimated_count": "预估抽查数", "items": "抽查事项",
              **{k: v[0] for k, v in ROW_TEXT_FIELDS.items()}}

# Manifest names are [A-Za-z0-9._-]{1,64} (draw-protocol §2); a stratum is "<class>.<risk>",
# so class codes leave out the dot and stay short.
TASK_CODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CLASS_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
RISK_KEYS = ("A", "B", "C", "D", "U")  # U: 未分类
FILTER_KEYS = {"entity_type": "主体类型", "scale": "规模", "region": "所属区域", "industry": "行业", "tags": "标签"}


def _is_system(actor: Actor) -> bool:
    return actor is None or isinstance(actor, str)


def _user_or_none(actor: Actor) -> User | None:
    return None if _is_system(actor) else actor


def _require_planner(*, actor: Actor, department: Department, what: str) -> None:
    if _is_system(actor):
        return
    if department.id not in planning_writable_ids(user=actor):
        raise NotAllowed(f"您不是“{department.name}”的抽查操作员，不能{what}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _raise(errors: dict[str, list[str]], summary: str = "") -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(summary or first, errors=errors)


# --- plans -----------------------------------------------------------------------------

def _plan_state(plan: Plan) -> dict[str, Any]:
    return {"department": plan.department.code, "year": plan.year, "title": plan.title, "status": plan.status,
            "filed_to": plan.filed_to}


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
        event_record(actor=actor, action="plan.create", obj=plan, department=department, after=_plan_state(plan))
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
        raise Conflict(f"计划“{locked.title}”已{locked.get_status_display()}，不能再{what}；如需调整请另行说明")
    return locked


def _items_allowed(plan: Plan) -> Iterable[Item]:
    return Item.objects.filter(department_id__in=subtree_ids(department=plan.department))


def _row_clean(*, plan: Plan, data: Mapping[str, Any], items: Sequence[Item] | None) -> tuple[dict, list[Item]]:
    """Checks one row; errors are keyed by field (the view and the import name the column)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    seq = data.get("seq")
    try:
        seq = int(_text(seq)) if _text(seq) else None
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
    estimated = _text(data.get("estimated_count"))
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
        errors["items"] = [f"抽查事项 {'、'.join(foreign)} 不属于“{plan.department.name}”及其下级部门的清单"]
    if not values.get("target_desc") and chosen and not errors.get("items"):
        values["target_desc"] = "、".join(dict.fromkeys(i.current.target_type for i in chosen if i.current_id))[:300]
    if not values.get("target_desc"):
        errors["target_desc"] = ["检查对象不能为空（或选择抽查事项，以事项的检查对象为准）"]
    if not values["items_text"] and chosen:
        values["items_text"] = "、".join(i.current.name for i in chosen if i.current_id)
    schedule = parse_schedule(values["schedule_text"])
    values["months"], values["rounds"] = schedule.months, schedule.rounds
    _raise(errors)
    return values, chosen


def _row_state(row: PlanRow, items: Sequence[Item]) -> dict[str, Any]:
    state = {name: getattr(row, name) for name in ("seq", *ROW_TEXT_FIELDS, "months", "rounds", "estimated_count")}
    state["ratio"] = f"{row.ratio.normalize():f}" if row.ratio is not None else None
    state["items"] = [i.code for i in items]
    return state


def plan_row_add(*, plan: Plan, data: Mapping[str, Any], items: Sequence[Item] = (), actor: Actor) -> PlanRow:
    _require_planner(actor=actor, department=plan.department, what="修改其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="增加计划事项")
        values, chosen = _row_clean(plan=plan, data=data, items=items)
        if plan.rows.filter(seq=values["seq"]).exists():
            raise Conflict(f"序号 {values['seq']} 已在计划中", field="seq")
        row = PlanRow.objects.create(plan=plan, **values)
        row.items.set(chosen)
        event_record(actor=actor, action="plan.row_add", obj=plan, department=plan.department,
                     after=_row_state(row, chosen))
    return row


def plan_row_update(*, row: PlanRow, data: Mapping[str, Any], items: Sequence[Item] = (), actor: Actor) -> PlanRow:
    plan = row.plan
    _require_planner(actor=actor, department=plan.department, what="修改其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="修改计划事项")
        row = PlanRow.objects.filter(pk=row.pk, plan=plan).first()
        if row is None:
            raise NotFound("计划事项不存在")
        before = _row_state(row, list(row.items.all()))
        values, chosen = _row_clean(plan=plan, data=data, items=items)
        if plan.rows.filter(seq=values["seq"]).exclude(pk=row.pk).exists():
            raise Conflict(f"序号 {values['seq']} 已在计划中", field="seq")
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        row.items.set(chosen)
        event_record(actor=actor, action="plan.row_update", obj=plan, department=plan.department,
                     before=before, after=_row_state(row, chosen))
    return row


def plan_row_remove(*, row: PlanRow, actor: Actor) -> None:
    plan = row.plan
    _require_planner(actor=actor, department=plan.department, what="修改其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="删除计划事项")
        row = PlanRow.objects.filter(pk=row.pk, plan=plan).first()
        if row is None:
            raise NotFound("计划事项不存在")
        if row.tasks.exists():
            raise Conflict(f"第{row.seq}行已据以设置抽查任务，不能删除")
        before = _row_state(row, list(row.items.all()))
        row.delete()
        event_record(actor=actor, action="plan.row_remove", obj=plan, department=plan.department, before=before)


def plan_file(*, plan: Plan, filed_to: str, actor: Actor) -> Plan:
    """备案: 抽查计划应报上一级主管部门和同级市场监管部门备案 [002 第十二条]."""
    _require_planner(actor=actor, department=plan.department, what="报送其年度抽查计划备案")
    filed_to = _text(filed_to)
    if not filed_to:
        raise ValidationFailed("请填写备案机关（如：上级主管部门、同级市场监管部门）", field="filed_to")
    if len(filed_to) > 200:
        raise ValidationFailed(f"备案机关最多200个字（现有{len(filed_to)}个）", field="filed_to")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=True, what="备案")
        if not plan.rows.exists():
            raise ValidationFailed(f"计划“{plan.title}”还没有任何计划事项，不能备案", field="rows")
        before = _plan_state(plan)
        plan.status, plan.filed_to, plan.filed_at = PlanStatus.FILED, filed_to, timezone.now()
        plan.save(update_fields=["status", "filed_to", "filed_at", "updated_at"])
        event_record(actor=actor, action="plan.file", obj=plan, department=plan.department, before=before,
                     after=_plan_state(plan))
    return plan


def plan_publish(*, plan: Plan, actor: Actor) -> Plan:
    """公开: the filed plan goes to the public portal [002 第十二条, 003 附件4 六]."""
    _require_planner(actor=actor, department=plan.department, what="公开其年度抽查计划")
    with transaction.atomic():
        plan = _lock_plan(plan, draft_only=False, what="公开")
        if plan.status != PlanStatus.FILED:
            raise Conflict("计划须先备案再公开" if plan.status == PlanStatus.DRAFT else "计划已公开")
        before = _plan_state(plan)
        plan.status, plan.published_at = PlanStatus.PUBLISHED, timezone.now()
        plan.save(update_fields=["status", "published_at", "updated_at"])
        event_record(actor=actor, action="plan.publish", obj=plan, department=plan.department, before=before,
                     after=_plan_state(plan))
    return plan


# --- tasks -----------------------------------------------------------------------------

@dataclass
class ClassInput:
    """一类检查对象 [002 第十七条]: ratio (%) or count; per-risk ratios optional."""

    code: str
    name: str
    mode: str = ClassMode.UNDIRECTED
    sublibrary: Tag | None = None
    filters: dict[str, list] = field(default_factory=dict)
    ratio: Decimal | str | None = None
    count: int | None = None
    risk_ratios: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskInput:
    title: str
    items: Sequence[Item]
    window_start: Any
    window_end: Any
    classes: Sequence[ClassInput]
    kind: str = TaskKind.PLANNED
    code: str = ""
    description: str = ""
    partners: Sequence[Department] = ()
    team_size: int = 2
    inspector_capacity: int = 10
    exclude_recent_days: int | None = None
    include_experts: bool = False
    inspector_category: str = ""
    include_neighbour_inspectors: bool = False
    neighbour_departments: Sequence[Department] = ()


def _positive_ratio(value: Any, *, label: str, errors: list[str]) -> Decimal | None:
    try:
        return parse_ratio(value)
    except RatioError as exc:
        errors.append(f"{label}：{exc}")
        return None


def _class_clean(*, spec: ClassInput, library_ids: set[int], index: int) -> dict[str, Any]:
    """One target class; errors name the class by its position and code."""
    where = f"第{index}类检查对象（{spec.code or '无代码'}）"
    errs: list[str] = []
    code = _text(spec.code)
    if not CLASS_CODE_RE.match(code):
        errs.append(f"{where}：类别代码应为1–32位字母、数字、下划线或连字符，如 gas、site_A")
    name = _text(spec.name)
    if not name or len(name) > 100:
        errs.append(f"{where}：类别名称不能为空，最多100个字")
    if spec.mode not in ClassMode.values:
        errs.append(f"{where}：抽取方式无效（{spec.mode}）")
    if spec.sublibrary is not None and spec.sublibrary.department_id not in library_ids:
        errs.append(f"{where}：子库“{spec.sublibrary.name}”不属于牵头部门可用的名录库")
    filters = _filters_clean(spec.filters or {}, where=where, library_ids=library_ids, errs=errs)
    if spec.mode == ClassMode.DIRECTED and not filters:
        errs.append(f"{where}：定向抽取须至少设置一个条件（主体类型、规模、区域、行业或标签）")
    if spec.mode == ClassMode.UNDIRECTED and filters:
        errs.append(f"{where}：不定向抽取不设条件（直接从名录库或子库全部对象中抽取 [002 第十七条]）")
    ratio = _positive_ratio(spec.ratio, label=f"{where}抽查比例", errors=errs)
    count = spec.count
    if count is not None and (not isinstance(count, int) or count < 1):
        errs.append(f"{where}：抽查数量应为正整数")
    risk: dict[str, str] = {}
    for key, value in (spec.risk_ratios or {}).items():
        letter = "U" if key in ("", "U", "未分类") else str(key).upper()
        if letter not in RISK_KEYS:
            errs.append(f"{where}：信用风险分类“{key}”无效，应为 A、B、C、D 或 U（未分类）")
            continue
        if value in (None, ""):
            continue
        parsed = _positive_ratio(value, label=f"{where} {letter} 类风险抽查比例", errors=errs)
        if parsed is not None:
            risk[letter] = f"{parsed.normalize():f}"
    if count is not None and (ratio is not None or risk):
        errs.append(f"{where}：按数量抽取时不再设置比例")
    if count is None and ratio is None and not risk:
        errs.append(f"{where}：请设置抽查比例或抽查数量")
    if errs:
        raise ValidationFailed(errs[0], errors={f"classes.{index}": errs})
    return {"code": code, "name": name, "mode": spec.mode, "sublibrary": spec.sublibrary, "filters": filters,
            "ratio": ratio, "count": count, "risk_ratios": risk}


def _filters_clean(raw: Mapping[str, Any], *, where: str, library_ids: set[int], errs: list[str]) -> dict:
    out: dict[str, list] = {}
    choices = {"entity_type": set(EntityType.values), "scale": set(Scale.values) - {""}}
    for key, value in raw.items():
        if key not in FILTER_KEYS:
            errs.append(f"{where}：不支持的定向条件“{key}”（可用：{'、'.join(FILTER_KEYS.values())}）")
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [v for v in (_text(v) if key != "tags" else v for v in values) if v not in ("", None)]
        if not values:
            continue
        label = FILTER_KEYS[key]
        if key in choices:
            bad = [v for v in values if v not in choices[key]]
            if bad:
                errs.append(f"{where}：{label}“{'、'.join(bad)}”无效")
        if key == "tags":
            try:
                ids = sorted({int(v) for v in values})
            except (TypeError, ValueError):
                errs.append(f"{where}：标签应以编号给出")
                continue
            found = set(Tag.objects.filter(pk__in=ids, department_id__in=library_ids).values_list("pk", flat=True))
            if missing := [str(i) for i in ids if i not in found]:
                errs.append(f"{where}：标签 {'、'.join(missing)} 不存在或不属于牵头部门可用的名录库")
            values = ids
        else:
            values = sorted(set(values))
        out[key] = values
    return out


def _next_code(department: Department, year: int) -> str:
    prefix = f"{department.code}-{year}-"
    taken = set(Task.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    n = 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def _task_clean(*, department: Department, spec: TaskInput, plan_row: PlanRow | None,
                task: Task | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    import datetime as dt

    from shuangsuiji.common.tabular import cell_date

    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    title = _text(spec.title)
    if not title or len(title) > 200:
        errors["title"] = ["任务名称不能为空，最多200个字"]
    values["title"] = title
    if spec.kind not in TaskKind.values:
        errors["kind"] = [f"任务类型无效（{spec.kind}）"]
    values["kind"] = spec.kind
    values["description"] = _text(spec.description)
    if spec.kind == TaskKind.PLANNED and plan_row is None:
        errors["plan_row"] = ["计划内抽查须选择所依据的计划事项；计划外的请选择“临时性抽查”"]
    if spec.kind == TaskKind.AD_HOC and not values["description"]:
        # 临时性抽查参照年度计划任务执行，执行情况予以记录并公示 [002 第十四条]: say why.
        errors["description"] = ["临时性抽查须写明事由（如投诉举报、上级交办）"]
    dates = {}
    for name, label in (("window_start", "执行开始"), ("window_end", "执行结束")):
        raw = getattr(spec, name)
        try:
            dates[name] = raw if isinstance(raw, dt.date) else cell_date(raw)
        except ValueError as exc:
            errors[name] = [f"{label}：{exc}"]
            continue
        if dates[name] is None:
            errors[name] = [f"{label}日期不能为空"]
    start, end = dates.get("window_start"), dates.get("window_end")
    if start and end and end < start:
        errors["window_end"] = ["执行结束日期不能早于开始日期"]
    if plan_row is not None and start and start.year != plan_row.plan.year:
        errors["window_start"] = [f"计划内任务应在计划年度（{plan_row.plan.year}年）内执行"]
    values["window_start"], values["window_end"] = start, end
    if plan_row is not None and department.id not in subtree_ids(department=plan_row.plan.department):
        errors["plan_row"] = [f"计划事项属于“{plan_row.plan.department.name}”的计划，牵头部门应为该部门或其下级部门"]
    code = _text(spec.code)
    if code:
        if not TASK_CODE_RE.match(code):
            errors["code"] = ["任务编号只能用字母、数字、点、下划线和连字符，最多64位"]
        elif Task.objects.filter(code=code).exclude(pk=getattr(task, "pk", None)).exists():
            errors["code"] = [f"任务编号 {code} 已被使用"]
    values["code"] = code
    # 每个检查对象不少于2名执法检查人员 (指引第二十条).
    if not isinstance(spec.team_size, int) or not 2 <= spec.team_size <= 10:
        errors["team_size"] = ["每个检查对象不少于2名执法检查人员（指引第二十条），最多10名"]
    if not isinstance(spec.inspector_capacity, int) or not 1 <= spec.inspector_capacity <= 100_000:
        errors["inspector_capacity"] = ["每人最多检查对象数应为正整数"]
    days = spec.exclude_recent_days
    if days is not None and (not isinstance(days, int) or not 1 <= days <= 3650):
        errors["exclude_recent_days"] = ["排除近N天已检查：N应为1–3650的整数，不排除请留空"]
    values.update(team_size=spec.team_size, inspector_capacity=spec.inspector_capacity, exclude_recent_days=days,
                  include_experts=bool(spec.include_experts), inspector_category=_text(spec.inspector_category)[:100],
                  include_neighbour_inspectors=bool(spec.include_neighbour_inspectors))
    partners = list(dict.fromkeys(spec.partners))
    if department in partners:
        errors["partners"] = ["牵头部门不能同时是配合部门"]
    neighbours = list(dict.fromkeys(spec.neighbour_departments)) if spec.include_neighbour_inspectors else []
    if spec.include_neighbour_inspectors and not neighbours:
        errors["neighbour_departments"] = ["与相邻区域人员合并匹配时须选择相邻区域部门 [002 第二十条]"]
    if department in neighbours:
        errors["neighbour_departments"] = ["相邻区域部门不能是牵头部门本身"]
    values["partners"], values["neighbours"] = partners, neighbours
    items = list(dict.fromkeys(spec.items))
    if not items:
        errors["items"] = ["请至少选择一个抽查事项"]
    allowed = set().union(*(family_ids(department=d) for d in [department, *partners]))
    for item in items:
        if item.department_id not in allowed:
            errors.setdefault("items", []).append(f"抽查事项 {item.code} 不属于牵头或配合部门的清单")
        elif item.is_repealed:
            errors.setdefault("items", []).append(f"抽查事项 {item.code} 已废止")
        elif item.current_id and item.current.random_exempt:
            errors.setdefault("items", []).append(f"抽查事项 {item.code} 已登记为不适用随机抽查")
    values["items"] = items
    classes: list[dict[str, Any]] = []
    if not spec.classes:
        errors["classes"] = ["请至少设置一类检查对象"]
    library_ids = family_ids(department=department)
    seen: set[str] = set()
    for index, class_spec in enumerate(spec.classes, start=1):
        try:
            cleaned = _class_clean(spec=class_spec, library_ids=library_ids, index=index)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if cleaned["code"] in seen:
            errors[f"classes.{index}"] = [f"第{index}类检查对象：类别代码 {cleaned['code']} 重复"]
        seen.add(cleaned["code"])
        classes.append(cleaned)
    _raise(errors, summary=f"任务设置有{sum(len(v) for v in errors.values())}处错误：{next(iter(errors.values()), [''])[0]}"
           if len(errors) > 1 else "")
    return values, classes


def _task_state(task: Task) -> dict[str, Any]:
    state = {name: getattr(task, name) for name in (
        "code", "title", "kind", "description", "window_start", "window_end", "team_size", "inspector_capacity",
        "exclude_recent_days", "include_experts", "inspector_category", "include_neighbour_inspectors", "status")}
    state["department"] = task.department.code
    state["plan_row"] = task.plan_row_id
    state["items"] = sorted(task.items.values_list("code", flat=True))
    state["partners"] = sorted(task.partners.values_list("code", flat=True))
    state["neighbour_departments"] = sorted(task.neighbour_departments.values_list("code", flat=True))
    state["classes"] = [
        {"code": c.code, "name": c.name, "mode": c.mode, "sublibrary": c.sublibrary.name if c.sublibrary else None,
         "filters": c.filters, "ratio": f"{c.ratio.normalize():f}" if c.ratio is not None else None,
         "count": c.count, "risk_ratios": c.risk_ratios}
        for c in task.classes.select_related("sublibrary").order_by("code")]
    return state


def _write_relations(task: Task, values: dict[str, Any], classes: list[dict[str, Any]]) -> None:
    task.items.set(values["items"])
    task.partners.set(values["partners"])
    task.neighbour_departments.set(values["neighbours"])
    task.classes.all().delete()
    TargetClass.objects.bulk_create([TargetClass(task=task, **c) for c in classes])


_SCALAR = ("title", "kind", "description", "window_start", "window_end", "team_size", "inspector_capacity",
           "exclude_recent_days", "include_experts", "inspector_category", "include_neighbour_inspectors")


def task_create(*, department: Department, spec: TaskInput, actor: Actor, plan_row: PlanRow | None = None) -> Task:
    """A draft task, from a plan row or ad hoc (临时性抽查 [002 第十四条])."""
    _require_planner(actor=actor, department=department, what="设置其抽查任务")
    if spec.kind == TaskKind.AD_HOC:
        plan_row = None
    values, classes = _task_clean(department=department, spec=spec, plan_row=plan_row)
    with transaction.atomic():
        code = values["code"] or _next_code(department, values["window_start"].year)
        try:
            # The unique code settles two operators taking the same next number at once.
            with transaction.atomic():
                task = Task.objects.create(code=code, department=department, plan_row=plan_row,
                                           created_by=_user_or_none(actor), **{k: values[k] for k in _SCALAR})
        except IntegrityError as exc:
            raise Conflict(f"任务编号 {code} 已被使用，请重试或另填编号", field="code") from exc
        _write_relations(task, values, classes)
        event_record(actor=actor, action="task.create", obj=task, department=department, after=_task_state(task))
    return task


def _lock_task(task: Task) -> Task:
    """Re-reads the task under a row lock.

    Race: an edit landing while a colleague commits the draw would change the task behind
    a frozen manifest; the commit locks the same row, so one of the two waits and then
    sees the other's state.
    """
    try:
        return Task.objects.select_for_update().get(pk=task.pk)
    except Task.DoesNotExist as exc:
        raise NotFound("抽查任务不存在") from exc


def task_update(*, task: Task, spec: TaskInput, actor: Actor) -> Task:
    """Edits a draft task (all fields and classes at once)."""
    _require_planner(actor=actor, department=task.department, what="修改其抽查任务")
    with transaction.atomic():
        task = _lock_task(task)
        if task.status != TaskStatus.DRAFT:
            raise Conflict(f"任务 {task.code} 已{task.get_status_display()}，不能再修改")
        plan_row = task.plan_row if spec.kind == TaskKind.PLANNED else None
        values, classes = _task_clean(department=task.department, spec=spec, plan_row=plan_row, task=task)
        before = _task_state(task)
        for name in _SCALAR:
            setattr(task, name, values[name])
        task.plan_row = plan_row
        if values["code"]:
            task.code = values["code"]
        task.save()
        _write_relations(task, values, classes)
        event_record(actor=actor, action="task.update", obj=task, department=task.department, before=before,
                     after=_task_state(task))
    return task


def task_cancel(*, task: Task, reason: str, actor: Actor) -> Task:
    """撤销 a draft task, with its reason (全程留痕 [002 第六条]); it stays listed."""
    _require_planner(actor=actor, department=task.department, what="撤销其抽查任务")
    reason = _text(reason)
    if not reason:
        raise ValidationFailed("请填写撤销理由", field="reason")
    with transaction.atomic():
        task = _lock_task(task)
        if task.status != TaskStatus.DRAFT:
            raise Conflict(f"任务 {task.code} 已{task.get_status_display()}，不能撤销")
        task.status = TaskStatus.CANCELLED
        task.save(update_fields=["status", "updated_at"])
        event_record(actor=actor, action="task.cancel", obj=task, department=task.department,
                     before={"status": TaskStatus.DRAFT}, after={"status": task.status, "reason": reason})
    return task


def task_input_from_row(*, row: PlanRow) -> TaskInput:
    """A task prefilled from a plan row: its items, its first planned month, one undirected
    class with the row's ratio."""
    import calendar
    import datetime as dt

    year = row.plan.year
    month = row.months[0] if row.months else 1
    last = row.months[-1] if row.months else 12
    return TaskInput(
        title=f"{year}年{row.target_desc}抽查"[:200], items=list(row.items.all()), kind=TaskKind.PLANNED,
        window_start=dt.date(year, month, 1), window_end=dt.date(year, last, calendar.monthrange(year, last)[1]),
        classes=[ClassInput(code="all", name=row.target_desc[:100] or "全部检查对象", ratio=row.ratio,
                            count=None if row.ratio is not None else row.estimated_count)],
    )

