"""抽查任务: created from a plan row or ad hoc (临时性抽查 [002 第十四条]) and edited only while
a draft; from the commit on, the draw ceremony owns its state (draw-protocol §1)."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, Membership
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, NotFound, ValidationFailed
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notice_send
from shuangsuiji.planning.choices import ClassMode, TaskKind, TaskStatus
from shuangsuiji.planning.models import PlanRow, TargetClass, Task
from shuangsuiji.planning.parsing import RatioError, parse_ratio
from shuangsuiji.planning.selectors import family_ids, subtree_ids
from shuangsuiji.planning.services._common import (
    Actor,
    _code,
    _raise,
    _require_planner,
    _text,
    _user_or_none,
)
from shuangsuiji.registry.choices import EntityType, FlagKind, Scale
from shuangsuiji.registry.models import Tag

# Manifest names are [A-Za-z0-9._-]{1,64} (draw-protocol §2); a stratum is "<class>.<risk>",
# so class codes leave out the dot and stay short.
TASK_CODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CLASS_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
RISK_KEYS = ("A", "B", "C", "D", "U")  # U: 未分类
FILTER_KEYS = {
    "entity_type": "主体类型",
    "scale": "规模",
    "region": "所属区域",
    "industry": "行业",
    "tags": "标签",
    # Credit linkage (issue 14 第 3 项; 003 第九条: 对投诉较多的或有严重违法违规迹象的市场主体要加大抽查力度)
    "flags": "信用标记",
    "complaints_min": "投诉件数不少于",
    "complaints_months": "投诉统计近N个月",
}
COMPLAINT_MONTHS_DEFAULT = 12


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
    code = _code(spec.code)
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
        errs.append(
            f"{where}：不定向抽取不设条件（直接从名录库或子库全部对象中抽取 [002 第十七条]）"
        )
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
    return {
        "code": code,
        "name": name,
        "mode": spec.mode,
        "sublibrary": spec.sublibrary,
        "filters": filters,
        "ratio": ratio,
        "count": count,
        "risk_ratios": risk,
    }


def _filters_clean(
    raw: Mapping[str, Any], *, where: str, library_ids: set[int], errs: list[str]
) -> dict:
    out: dict[str, list] = {}
    choices = {
        "entity_type": set(EntityType.values),
        "scale": set(Scale.values) - {""},
        "flags": set(FlagKind.values),
    }
    for key, value in raw.items():
        if key not in FILTER_KEYS:
            errs.append(
                f"{where}：不支持的定向条件“{key}”（可用：{'、'.join(FILTER_KEYS.values())}）"
            )
            continue
        if key in ("complaints_min", "complaints_months"):
            if value in ("", None, []):
                continue
            top = 100_000 if key == "complaints_min" else 60
            try:
                number = int(str(value).strip())
            except (TypeError, ValueError):
                number = 0
            if not 1 <= number <= top:
                errs.append(f"{where}：{FILTER_KEYS[key]}应为 1—{top} 的整数")
                continue
            out[key] = number  # type: ignore[assignment]
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [
            v for v in (_text(v) if key != "tags" else v for v in values) if v not in ("", None)
        ]
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
            found = set(
                Tag.objects.filter(pk__in=ids, department_id__in=library_ids).values_list(
                    "pk", flat=True
                )
            )
            if missing := [str(i) for i in ids if i not in found]:
                errs.append(
                    f"{where}：标签 {'、'.join(missing)} 不存在或不属于牵头部门可用的名录库"
                )
            values = ids
        else:
            values = sorted(set(values))
        out[key] = values
    if "complaints_months" in out and "complaints_min" not in out:
        errs.append(f"{where}：填写了投诉统计月数，但没有填写投诉件数下限")
    return out


def _next_code(department: Department, year: int) -> str:
    prefix = f"{department.code}-{year}-"
    taken = set(Task.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    n = 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def _task_clean(
    *, department: Department, spec: TaskInput, plan_row: PlanRow | None, task: Task | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    import datetime as dt

    from shuangsuiji.imports.tabular import cell_date

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
    if plan_row is not None and department.id not in subtree_ids(
        department=plan_row.plan.department
    ):
        errors["plan_row"] = [
            f"计划事项属于“{plan_row.plan.department.name}”的计划，牵头部门应为该部门或其下级部门"
        ]
    code = _code(spec.code)
    if code:
        if not TASK_CODE_RE.match(code):
            errors["code"] = ["任务编号只能用字母、数字、点、下划线和连字符，最多64位"]
        else:
            taken = Task.objects.filter(code=code)
            if task is not None:
                taken = taken.exclude(pk=task.pk)
            if taken.exists():
                errors["code"] = [f"任务编号 {code} 已被使用"]
    values["code"] = code
    # 每个检查对象不少于2名执法检查人员 (指引第二十条). In a joint task each partner adds one
    # of its own to every team (issue 14 第 1 项): the lead's part may then be 1.
    joint = bool(list(spec.partners))
    least = 1 if joint else 2
    if not isinstance(spec.team_size, int) or not least <= spec.team_size <= 10:
        errors["team_size"] = [
            "牵头部门每组至少1名（每个配合部门另加1名），最多10名"
            if joint
            else "每个检查对象不少于2名执法检查人员（指引第二十条），最多10名"
        ]
    if not isinstance(spec.inspector_capacity, int) or not 1 <= spec.inspector_capacity <= 100_000:
        errors["inspector_capacity"] = ["每人最多检查对象数应为正整数"]
    days = spec.exclude_recent_days
    if days is not None and (not isinstance(days, int) or not 1 <= days <= 3650):
        errors["exclude_recent_days"] = ["排除近N天已检查：N应为1–3650的整数，不排除请留空"]
    values.update(
        team_size=spec.team_size,
        inspector_capacity=spec.inspector_capacity,
        exclude_recent_days=days,
        include_experts=bool(spec.include_experts),
        inspector_category=_text(spec.inspector_category)[:100],
        include_neighbour_inspectors=bool(spec.include_neighbour_inspectors),
    )
    partners = list(dict.fromkeys(spec.partners))
    if department in partners:
        errors["partners"] = ["牵头部门不能同时是配合部门"]
    neighbours = (
        list(dict.fromkeys(spec.neighbour_departments)) if spec.include_neighbour_inspectors else []
    )
    if spec.include_neighbour_inspectors and not neighbours:
        errors["neighbour_departments"] = [
            "与相邻区域人员合并匹配时须选择相邻区域部门 [002 第二十条]"
        ]
    if department in neighbours:
        errors["neighbour_departments"] = ["相邻区域部门不能是牵头部门本身"]
    values["partners"], values["neighbours"] = partners, neighbours
    items = list(dict.fromkeys(spec.items))
    if not items:
        errors["items"] = ["请至少选择一个抽查事项"]
    allowed = set().union(*(family_ids(department=d) for d in [department, *partners]))
    for item in items:
        if item.department_id not in allowed:
            errors.setdefault("items", []).append(
                f"抽查事项 {item.code} 不属于牵头或配合部门的清单"
            )
        elif item.is_repealed:
            errors.setdefault("items", []).append(f"抽查事项 {item.code} 已废止")
        elif item.current is not None and item.current.random_exempt:
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
    _raise(
        errors,
        summary=f"任务设置有{sum(len(v) for v in errors.values())}处错误：{next(iter(errors.values()), [''])[0]}"
        if len(errors) > 1
        else "",
    )
    return values, classes


def _task_state(task: Task) -> dict[str, Any]:
    state = {
        name: getattr(task, name)
        for name in (
            "code",
            "title",
            "kind",
            "description",
            "window_start",
            "window_end",
            "team_size",
            "inspector_capacity",
            "exclude_recent_days",
            "include_experts",
            "inspector_category",
            "include_neighbour_inspectors",
            "status",
        )
    }
    state["department"] = task.department.code
    state["plan_row"] = task.plan_row_id
    state["items"] = sorted(task.items.values_list("code", flat=True))
    state["partners"] = sorted(task.partners.values_list("code", flat=True))
    state["neighbour_departments"] = sorted(
        task.neighbour_departments.values_list("code", flat=True)
    )
    state["classes"] = [
        {
            "code": c.code,
            "name": c.name,
            "mode": c.mode,
            "sublibrary": c.sublibrary.name if c.sublibrary else None,
            "filters": c.filters,
            "ratio": f"{c.ratio.normalize():f}" if c.ratio is not None else None,
            "count": c.count,
            "risk_ratios": c.risk_ratios,
        }
        for c in task.classes.select_related("sublibrary").order_by("code")
    ]
    return state


def _write_relations(task: Task, values: dict[str, Any], classes: list[dict[str, Any]]) -> None:
    task.items.set(values["items"])
    task.partners.set(values["partners"])
    _invite(task, values["partners"])
    task.neighbour_departments.set(values["neighbours"])
    task.classes.all().delete()
    TargetClass.objects.bulk_create([TargetClass(task=task, **c) for c in classes])


def _invite(task: Task, partners: Sequence[Department]) -> None:
    """部门联合抽查: each partner's 抽查操作员 learn that the task waits for their answer
    (once per task and partner, whoever edits the task again)."""
    for dept in partners:
        users = [
            m.user
            for m in Membership.objects.filter(department=dept, role=Role.OPERATOR).select_related(
                "user"
            )
        ]
        notice_send(
            users=users,
            kind=NoticeKind.INVITED,
            title=f"联合抽查邀请：{task.department.name} {task.code} {task.title}",
            body="牵头部门邀请本部门参加联合抽查。请在任务页面答复：参加（选择本部门负责的抽查事项）"
            "或不参加（写明理由）；答复前牵头部门不能封存摇号名单。",
            url=reverse("planning:task_detail", args=[task.pk]),
            dedupe_key=f"invite:{task.pk}:{dept.pk}",
        )


_SCALAR = (
    "title",
    "kind",
    "description",
    "window_start",
    "window_end",
    "team_size",
    "inspector_capacity",
    "exclude_recent_days",
    "include_experts",
    "inspector_category",
    "include_neighbour_inspectors",
)


def task_create(
    *, department: Department, spec: TaskInput, actor: Actor, plan_row: PlanRow | None = None
) -> Task:
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
                task = Task.objects.create(
                    code=code,
                    department=department,
                    plan_row=plan_row,
                    created_by=_user_or_none(actor),
                    **{k: values[k] for k in _SCALAR},
                )
        except IntegrityError as exc:
            raise Conflict(f"任务编号 {code} 已被使用，请重试或另填编号", field="code") from exc
        _write_relations(task, values, classes)
        event_record(
            actor=actor,
            action="task.create",
            obj=task,
            department=department,
            after=_task_state(task),
        )
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
        values, classes = _task_clean(
            department=task.department, spec=spec, plan_row=plan_row, task=task
        )
        before = _task_state(task)
        for name in _SCALAR:
            setattr(task, name, values[name])
        task.plan_row = plan_row
        if values["code"]:
            task.code = values["code"]
        task.save()
        _write_relations(task, values, classes)
        event_record(
            actor=actor,
            action="task.update",
            obj=task,
            department=task.department,
            before=before,
            after=_task_state(task),
        )
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
        event_record(
            actor=actor,
            action="task.cancel",
            obj=task,
            department=task.department,
            before={"status": TaskStatus.DRAFT},
            after={"status": task.status, "reason": reason},
        )
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
        title=f"{year}年{row.target_desc}抽查"[:200],
        items=list(row.items.all()),
        kind=TaskKind.PLANNED,
        window_start=dt.date(year, month, 1),
        window_end=dt.date(year, last, calendar.monthrange(year, last)[1]),
        classes=[
            ClassInput(
                code="all",
                name=row.target_desc[:100] or "全部检查对象",
                ratio=row.ratio,
                count=None if row.ratio is not None else row.estimated_count,
            )
        ],
    )
