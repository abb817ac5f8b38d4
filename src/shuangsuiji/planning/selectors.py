"""Reads of plans and tasks, scoped by department (谁管理、谁维护 [002 第十一条]).

Who sees what: every role that reads the libraries sees the plans and tasks of its
departments (and their sub-departments); a joint task (部门联合抽查) is visible to its lead
and to every partner department. Only the 抽查操作员 of the lead department (or of a
department above it) changes plans and tasks.
"""

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from shuangsuiji.accounts.choices import LIBRARY_READERS, Role
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import department_ids_for, department_subtree_ids_of
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.rules import rule_for
from shuangsuiji.common.errors import NotFound
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import PartnerResponse, Plan, PlanRow, TargetClass, Task
from shuangsuiji.registry.choices import EntityType, FlagKind, Scale
from shuangsuiji.registry.models import Tag

PLANNER_ROLES = frozenset({Role.OPERATOR})
# 原则上比例不低于5%、每年不少于2次 (where the item's own rule is silent) [003 附件3 第九条].


# --- scope -----------------------------------------------------------------------------


def _cached(user: User, attr: str, roles) -> set[int]:
    value = getattr(user, attr, None)
    if value is None:
        value = department_ids_for(user=user, roles=roles)
        setattr(user, attr, value)
    return value


def planning_readable_ids(*, user: User) -> set[int]:
    return _cached(user, "_ssj_plan_read", LIBRARY_READERS)


def planning_writable_ids(*, user: User) -> set[int]:
    return _cached(user, "_ssj_plan_write", PLANNER_ROLES)


def subtree_ids(*, department: Department) -> set[int]:
    """The department and its sub-departments (the one walk: accounts.selectors)."""
    return department_subtree_ids_of(department=department)


def family_ids(*, department: Department) -> set[int]:
    """The department, its sub-departments and the departments above it.

    A 科室 or 中心 draws from the library its 委 keeps (the 委 holds the 全量库 and the
    子库 made by 分类标注 [000 三(三)]) and from its own; siblings' libraries stay out.
    """
    return subtree_ids(department=department) | {d.id for d in department.ancestors()}


# --- plans -----------------------------------------------------------------------------


def plans_visible(*, user: User) -> QuerySet[Plan]:
    return Plan.objects.filter(department_id__in=planning_readable_ids(user=user)).select_related(
        "department"
    )


def plan_search(
    *, user: User, department: str = "", year: int | None = None, status: str = ""
) -> QuerySet[Plan]:
    qs = plans_visible(user=user)
    if department:
        dept = Department.objects.filter(code=department).first()
        qs = qs.filter(department_id__in=subtree_ids(department=dept)) if dept else qs.none()
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "department__code")


def plan_get(*, user: User, pk: int) -> Plan:
    """One plan the user may read; another department's plan is “not found” (no leak)."""
    plan = plans_visible(user=user).filter(pk=pk).first()
    if plan is None:
        raise NotFound("抽查计划不存在或您无权查看")
    return plan


def plan_can_write(*, user: User, plan: Plan) -> bool:
    return plan.department_id in planning_writable_ids(user=user)


def plan_rows(*, plan: Plan) -> QuerySet[PlanRow]:
    return plan.rows.prefetch_related(
        Prefetch("items", queryset=Item.objects.select_related("current", "department"))
    ).order_by("seq")


def planner_departments(*, user: User) -> QuerySet[Department]:
    return Department.objects.filter(
        id__in=planning_writable_ids(user=user), is_active=True
    ).order_by("code")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").strip()


def plan_warnings(*, plan: Plan) -> list[str]:
    """Warnings, never blocks (the plan is the department's decision):

    - an active item of the department with no plan row this year: 对于已经列入清单的，
      除特殊情况外，应每年至少组织一次随机抽查 [000 三(二)];
    - a ratio under 5 % or fewer than 2 rounds a year where the item sets no rule of its
      own [003 附件3 第九条] (rounds add up over the rows of one item: 闵行 plans one row
      per two months [004 四]);
    - rows with the same target type and overlapping months, which could be one visit
      (同一检查对象、相近检查方式的任务合并，进一次门、查多项事 [001 三(四)]); and the same
      for the plan year's draft tasks.
    """
    warnings: list[str] = []
    rows = list(plan_rows(plan=plan))
    dept_ids = subtree_ids(department=plan.department)
    items = list(
        Item.objects.filter(
            department_id__in=dept_ids,
            is_repealed=False,
            current__isnull=False,
            current__random_exempt=False,
        )
        .select_related("current")
        .order_by("code")
    )
    planned: dict[int, list[PlanRow]] = defaultdict(list)
    planned_items: dict[int, Item] = {}
    for row in rows:
        for item in row.items.all():
            planned[item.pk].append(row)
            planned_items[item.pk] = item
    for item in items:
        if item.pk not in planned:
            assert item.current is not None  # current__isnull=False above
            warnings.append(
                f"抽查事项 {item.code}「{item.current.name}」本年度没有列入计划：已列入清单的事项"
                f"每年应至少抽查一次 [000 三(二)]"
            )
    today = timezone.localdate()
    # The rules in force during the plan's year (catalog/rules.py): today within it, else
    # its first or last day.
    on = min(max(today, dt.date(plan.year, 1, 1)), dt.date(plan.year, 12, 31))
    for item_pk, item_rows in planned.items():
        version, code = planned_items[item_pk].current, planned_items[item_pk].code
        rule = rule_for(
            department=planned_items[item_pk].department, item=planned_items[item_pk], on=on
        )
        # Every item has a current version: its first one is written with it (catalog).
        assert version is not None
        seqs = "、".join(str(r.seq) for r in item_rows)
        if version.default_ratio is None:
            low = [
                (r, r.ratio) for r in item_rows if r.ratio is not None and r.ratio < rule.min_ratio
            ]
            floor = f"{rule.min_ratio.normalize():f}%"
            for row, ratio in low:
                warnings.append(
                    f"第{row.seq}行「抽查比例」{ratio.normalize():f}% 低于{floor}，而事项 {code} 未规定抽查比例"
                    f"（原则上不低于{floor} [003 附件3 第九条]；{rule.source}）"
                )
            if all(r.ratio is None for r in item_rows) and all(
                r.estimated_count is None for r in item_rows
            ):
                warnings.append(
                    f"第{seqs}行未写明事项 {code} 的抽查比例或预估抽查数 [002 第十三条]"
                )
        if not version.default_frequency:
            known = [r.rounds for r in item_rows if r.rounds is not None]
            if len(known) == len(item_rows) and sum(known) < rule.min_rounds:
                warnings.append(
                    f"第{seqs}行：事项 {code} 全年只安排{sum(known)}次抽查，而事项未规定频次"
                    f"（原则上每年不少于{rule.min_rounds}次 [003 附件3 第九条]；{rule.source}）"
                )
            elif not known and rule.min_rounds:
                warnings.append(
                    f"第{seqs}行「抽查时间」无法识别抽查次数，请核对事项 {code} 每年是否不少于{rule.min_rounds}次"
                )
    warnings += _row_merge_warnings(rows)
    warnings += _task_merge_warnings(plan)
    return warnings


def _row_target_types(row: PlanRow) -> set[str]:
    types = {_norm(i.current.target_type) for i in row.items.all() if i.current is not None}
    if row.target_desc:
        types.add(_norm(row.target_desc))
    return {t for t in types if t}


def _row_merge_warnings(rows: list[PlanRow]) -> list[str]:
    out = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            common = _row_target_types(a) & _row_target_types(b)
            months = sorted(set(a.months) & set(b.months))
            if common and months:
                out.append(
                    f"第{a.seq}行与第{b.seq}行检查对象相同（{sorted(common)[0]}）且抽查月份重叠"
                    f"（{'、'.join(f'{m}月' for m in months)}），可考虑合并为一次联合检查，"
                    f"进一次门、查多项事 [001 三(四)]"
                )
    return out


def _task_merge_warnings(plan: Plan) -> list[str]:
    tasks = list(
        Task.objects.filter(
            status=TaskStatus.DRAFT,
            window_start__year=plan.year,
            department_id__in=subtree_ids(department=plan.department),
        )
        .prefetch_related(Prefetch("items", queryset=Item.objects.select_related("current")))
        .order_by("code")
    )
    out = []
    for i, a in enumerate(tasks):
        for b in tasks[i + 1 :]:
            if a.window_start > b.window_end or b.window_start > a.window_end:
                continue
            common = {
                _norm(x.current.target_type) for x in a.items.all() if x.current is not None
            } & {_norm(x.current.target_type) for x in b.items.all() if x.current is not None}
            if common:
                out.append(
                    f"任务 {a.code} 与 {b.code} 检查对象相同（{sorted(common)[0]}）且执行期重叠，"
                    f"可合并实施，进一次门、查多项事 [001 三(四)]"
                )
    return out


# --- tasks -----------------------------------------------------------------------------


def tasks_visible(*, user: User) -> QuerySet[Task]:
    """Tasks of the user's departments, and joint tasks where one of them is a partner."""
    ids = planning_readable_ids(user=user)
    as_partner = Task.partners.through.objects.filter(department_id__in=ids).values("task_id")
    return Task.objects.filter(Q(department_id__in=ids) | Q(pk__in=as_partner)).select_related(
        "department", "plan_row__plan"
    )


def task_search(
    *, user: User, q: str = "", status: str = "", year: int | None = None, department: str = ""
) -> QuerySet[Task]:
    qs = tasks_visible(user=user)
    if q := (q or "").strip():
        qs = qs.filter(Q(code__icontains=q) | Q(title__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(window_start__year=year)
    if department:
        dept = Department.objects.filter(code=department).first()
        qs = qs.filter(department_id__in=subtree_ids(department=dept)) if dept else qs.none()
    return qs.order_by("-window_start", "code")


def task_get(*, user: User, pk: int) -> Task:
    task = tasks_visible(user=user).filter(pk=pk).first()
    if task is None:
        raise NotFound("抽查任务不存在或您无权查看")
    return task


def task_can_write(*, user: User, task: Task) -> bool:
    """The lead department's operators (a partner sees a joint task but does not edit it)."""
    return task.department_id in planning_writable_ids(user=user)


def task_classes(*, task: Task) -> QuerySet[TargetClass]:
    return task.classes.select_related("sublibrary").order_by("code")


def class_conditions(*, cls: TargetClass) -> list[str]:
    """The class's 定向条件 in words for the task page ("信用标记：经营异常名录", "近12个月投诉
    不少于3件"), not the stored keys."""
    f = cls.filters or {}
    labels = {
        "entity_type": ("主体类型", dict(EntityType.choices)),
        "scale": ("规模", dict(Scale.choices)),
        "region": ("所属区域", {}),
        "industry": ("行业", {}),
        "flags": ("信用标记（摇号当天在列）", dict(FlagKind.choices)),
    }
    out = []
    for key, (label, names) in labels.items():
        if f.get(key):
            out.append(f"{label}：{'、'.join(str(names.get(v, v)) for v in f[key])}")
    if f.get("tags"):
        tag_names = {
            pk: name for pk, name in Tag.objects.filter(pk__in=f["tags"]).values_list("pk", "name")
        }
        out.append(f"标签：{'、'.join(tag_names.get(t, str(t)) for t in f['tags'])}")
    if f.get("complaints_min"):
        out.append(f"近{f.get('complaints_months') or 12}个月投诉不少于{f['complaints_min']}件")
    return out


def partner_answers(*, task: Task) -> list[tuple[Department, PartnerResponse | None]]:
    """Each partner of the task with its answer (``None``: not answered yet)."""
    answers = {
        r.department_id: r
        for r in PartnerResponse.objects.filter(task=task).prefetch_related("items__current")
    }
    return [(d, answers.get(d.pk)) for d in task.partners.order_by("code")]


def partners_blocking(*, task: Task) -> list[str]:
    """Why the joint task cannot be sealed yet: partners that have not answered or declined."""
    out = []
    for dept, answer in partner_answers(task=task):
        if answer is None:
            out.append(f"配合部门“{dept.name}”尚未答复是否参加")
        elif not answer.accepted:
            out.append(f"配合部门“{dept.name}”不参加（理由：{answer.reason}）")
    return out


@dataclass
class SectionRollup:
    """003 附件2 三: 各职能股室负责制定本股室的年度抽查工作计划，领导小组办公室负责汇总形成本年度
    抽查工作计划 — the sections' plans of the same year under the bureau's plan, read-only,
    with the merge warnings across sections (同一检查对象、月份重叠 → 进一次门、查多项事)."""

    plans: list[Plan]
    rows: list[PlanRow]  # every section row, seq renumbered in the warnings by section
    warnings: list[str]
    missing: list[Department]  # sections without a plan this year


def section_rollup(*, plan: Plan) -> SectionRollup | None:
    children = list(Department.objects.filter(parent=plan.department).order_by("code"))
    if not children:
        return None
    plans = list(
        Plan.objects.filter(department__in=children, year=plan.year)
        .select_related("department")
        .order_by("department__code")
    )
    with_plan = {p.department_id for p in plans}
    rows: list[PlanRow] = []
    labelled: list[tuple[str, PlanRow]] = []
    for p in plans:
        for r in plan_rows(plan=p):
            rows.append(r)
            labelled.append((p.department.name, r))
    own = [(plan.department.name, r) for r in plan_rows(plan=plan)]
    warnings = []
    everything = own + labelled
    for i, (dept_a, a) in enumerate(everything):
        for dept_b, b in everything[i + 1 :]:
            if dept_a == dept_b:
                continue  # within one plan: that plan's own warnings say it
            common = _row_target_types(a) & _row_target_types(b)
            months = sorted(set(a.months) & set(b.months))
            if common and months:
                warnings.append(
                    f"{dept_a}第{a.seq}行与{dept_b}第{b.seq}行检查对象相同（{sorted(common)[0]}）且抽查月份重叠"
                    f"（{'、'.join(f'{m}月' for m in months)}），可由领导小组办公室统筹合并，"
                    f"进一次门、查多项事 [001 三(四)、003 附件2 三]"
                )
    return SectionRollup(
        plans=plans,
        rows=rows,
        warnings=warnings,
        missing=[c for c in children if c.pk not in with_plan],
    )
