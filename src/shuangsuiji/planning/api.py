"""JSON API of plans and tasks (/api/v1/planning/). Handlers only translate: rules and
scoping live in services.py and selectors.py, whose errors become the envelope. The pool
preview of a task (/api/v1/planning/tasks/{id}/pool-preview) is the draw's: draw/api.py."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.api import READ_ERRORS, WRITE_ERRORS, ErrorOut
from shuangsuiji.common.errors import NotFound
from shuangsuiji.planning import selectors, services
from shuangsuiji.planning.models import PartnerResponse, Plan, PlanRow, Task
from shuangsuiji.registry.models import Tag

router = Router(tags=["抽查计划与任务"])

LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}


class PlanRowOut(Schema):
    id: int
    seq: int = Field(description="序号")
    field: str = Field(description="抽查领域")
    target_desc: str = Field(description="检查对象")
    items: list[str] = Field(description="关联的清单事项编码")
    items_text: str = Field(description="抽查事项（原文）")
    schedule_text: str = Field(description="抽查时间（原文）")
    months: list[int] = Field(description="解析出的抽查月份")
    rounds: int | None = Field(description="解析出的全年抽查次数")
    ratio: Decimal | None = Field(description="抽查比例（%）")
    estimated_count: int | None = Field(description="预估抽查数（个）")
    lead_unit: str
    partner_units: str
    level: str
    person_in_charge: str

    @staticmethod
    def resolve_items(obj: PlanRow) -> list[str]:
        return [i.code for i in obj.items.all()]


class PlanOut(Schema):
    id: int
    department: str
    department_name: str
    year: int
    title: str
    status: str = Field(description="draft 起草 / filed 已备案 / published 已公开")
    filed_to: str
    filed_at: dt.datetime | None
    published_at: dt.datetime | None

    @staticmethod
    def resolve_department(obj: Plan) -> str:
        return obj.department.code

    @staticmethod
    def resolve_department_name(obj: Plan) -> str:
        return obj.department.name


class PlanDetailOut(PlanOut):
    rows: list[PlanRowOut]
    warnings: list[str] = Field(description="提示（不阻止保存）")

    @staticmethod
    def resolve_rows(obj: Plan):
        return list(selectors.plan_rows(plan=obj))

    @staticmethod
    def resolve_warnings(obj: Plan) -> list[str]:
        return selectors.plan_warnings(plan=obj)


class PlanFilters(Schema):
    department: str = ""
    year: int | None = None
    status: str = ""


class PlanCreateIn(Schema):
    department: str = Field(description="部门代码")
    year: int
    title: str = ""


class PlanRowIn(Schema):
    seq: int
    field: str = ""
    target_desc: str = ""
    item_codes: list[str] = Field(default_factory=list, description="清单事项编码")
    items_text: str = ""
    schedule_text: str = ""
    ratio: str = Field("", description="抽查比例，如 3% 或 0.2")
    estimated_count: int | None = None
    lead_unit: str = ""
    partner_units: str = ""
    level: str = ""
    person_in_charge: str = ""


class PlanFileIn(Schema):
    filed_to: str = Field(description="备案机关")


def _department(code: str) -> Department:
    department = Department.objects.filter(code=(code or "").strip()).first()
    if department is None:
        raise NotFound(f"部门 {code} 不存在", field="department")
    return department


@router.get("/plans", response={200: list[PlanOut], **LIST_ERRORS}, summary="年度抽查计划列表")
def list_plans(request, filters: Query[PlanFilters]):
    return list(
        selectors.plan_search(
            user=request.user,
            department=filters.department,
            year=filters.year,
            status=filters.status,
        )
    )


@router.get(
    "/plans/{plan_id}",
    response={200: PlanDetailOut, **READ_ERRORS},
    summary="计划详情（计划表与提示）",
)
def get_plan(request, plan_id: int):
    return selectors.plan_get(user=request.user, pk=plan_id)


@router.post(
    "/plans", response={201: PlanDetailOut, **WRITE_ERRORS}, summary="新建年度抽查计划（起草）"
)
def create_plan(request, payload: PlanCreateIn):
    plan = services.plan_create(
        department=_department(payload.department),
        year=payload.year,
        title=payload.title,
        actor=request.user,
    )
    return Status(201, selectors.plan_get(user=request.user, pk=plan.pk))


@router.post(
    "/plans/{plan_id}/rows", response={201: PlanDetailOut, **WRITE_ERRORS}, summary="添加计划事项"
)
def add_plan_row(request, plan_id: int, payload: PlanRowIn):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    codes = list(dict.fromkeys(payload.item_codes))
    found = {
        i.code: i
        for i in Item.objects.filter(
            code__in=codes, department_id__in=selectors.subtree_ids(department=plan.department)
        )
    }
    if missing := [c for c in codes if c not in found]:
        raise NotFound(f"事项编码不存在：{'、'.join(missing)}", field="item_codes")
    services.plan_row_add(
        plan=plan,
        data=payload.model_dump(exclude={"item_codes"}),
        items=[found[c] for c in codes],
        actor=request.user,
    )
    return Status(201, selectors.plan_get(user=request.user, pk=plan.pk))


@router.post(
    "/plans/{plan_id}/file", response={200: PlanDetailOut, **WRITE_ERRORS}, summary="报送备案"
)
def file_plan(request, plan_id: int, payload: PlanFileIn):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    services.plan_file(plan=plan, filed_to=payload.filed_to, actor=request.user)
    return selectors.plan_get(user=request.user, pk=plan.pk)


@router.post(
    "/plans/{plan_id}/publish", response={200: PlanDetailOut, **WRITE_ERRORS}, summary="向社会公开"
)
def publish_plan(request, plan_id: int):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    services.plan_publish(plan=plan, actor=request.user)
    return selectors.plan_get(user=request.user, pk=plan.pk)


# --- tasks -----------------------------------------------------------------------------


class TargetClassOut(Schema):
    code: str
    name: str
    mode: str = Field(description="undirected 不定向 / directed 定向")
    sublibrary: str | None = Field(description="子库（标签）名称")
    filters: dict
    ratio: Decimal | None
    count: int | None
    risk_ratios: dict

    @staticmethod
    def resolve_sublibrary(obj) -> str | None:
        return obj.sublibrary.name if obj.sublibrary_id else None


class TaskOut(Schema):
    id: int
    code: str
    title: str
    kind: str = Field(description="planned 计划内 / ad_hoc 临时性抽查")
    status: str
    department: str
    partners: list[str]
    plan_row: int | None
    window_start: dt.date
    window_end: dt.date
    team_size: int

    @staticmethod
    def resolve_department(obj: Task) -> str:
        return obj.department.code

    @staticmethod
    def resolve_partners(obj: Task) -> list[str]:
        return sorted(obj.partners.values_list("code", flat=True))

    @staticmethod
    def resolve_plan_row(obj: Task) -> int | None:
        return obj.plan_row_id


class PartnerAnswerOut(Schema):
    department: str = Field(description="配合部门代码")
    department_name: str
    accepted: bool = Field(description="参加（true）或不参加（false）")
    items: list[str] = Field(description="本部门负责的抽查事项编码")
    inspector_category: str = Field(description="参加的执法人员（执法类别包含）")
    reason: str = Field(description="不参加的理由")
    responded_at: dt.datetime

    @staticmethod
    def resolve_department(obj: PartnerResponse) -> str:
        return obj.department.code

    @staticmethod
    def resolve_department_name(obj: PartnerResponse) -> str:
        return obj.department.name

    @staticmethod
    def resolve_items(obj: PartnerResponse) -> list[str]:
        return sorted(obj.items.values_list("code", flat=True))


class TaskDetailOut(TaskOut):
    description: str
    items: list[str]
    inspector_capacity: int
    exclude_recent_days: int | None
    include_experts: bool
    inspector_category: str
    include_neighbour_inspectors: bool
    neighbour_departments: list[str]
    classes: list[TargetClassOut]
    partner_answers: list[PartnerAnswerOut] = Field(description="配合部门的答复（联合抽查）")

    @staticmethod
    def resolve_partner_answers(obj: Task):
        return list(obj.partner_responses.select_related("department").order_by("department__code"))

    @staticmethod
    def resolve_items(obj: Task) -> list[str]:
        return sorted(obj.items.values_list("code", flat=True))

    @staticmethod
    def resolve_neighbour_departments(obj: Task) -> list[str]:
        return sorted(obj.neighbour_departments.values_list("code", flat=True))

    @staticmethod
    def resolve_classes(obj: Task):
        return list(selectors.task_classes(task=obj))


class PartnerAnswerIn(Schema):
    answer: Literal["accept", "decline"] = Field(description="accept 参加 / decline 不参加")
    item_codes: list[str] = Field(
        default_factory=list, description="参加时：本部门负责的抽查事项编码"
    )
    inspector_category: str = Field("", description="参加时（可选）：执法类别包含")
    reason: str = Field("", description="不参加时：理由")


class TaskFilters(Schema):
    q: str = ""
    status: str = ""
    year: int | None = None
    department: str = ""


class TargetClassIn(Schema):
    code: str
    name: str
    mode: str = "undirected"
    sublibrary: int | None = Field(None, description="子库（标签）id")
    filters: dict[str, list] = Field(
        default_factory=dict,
        description="定向条件：entity_type, scale, region, industry, tags（标签 id）",
    )
    ratio: str | None = Field(None, description="抽查比例（%）")
    count: int | None = None
    risk_ratios: dict[str, str] = Field(
        default_factory=dict, description="分风险等级比例：A/B/C/D/U → %"
    )


class TaskIn(Schema):
    department: str = Field(description="牵头部门代码")
    title: str
    kind: str = Field("planned", description="planned 计划内 / ad_hoc 临时性抽查")
    plan_row: int | None = Field(None, description="计划事项 id（计划内任务）")
    code: str = ""
    description: str = ""
    item_codes: list[str]
    partners: list[str] = Field(default_factory=list, description="配合部门代码")
    window_start: dt.date
    window_end: dt.date
    team_size: int = 2
    inspector_capacity: int = 10
    exclude_recent_days: int | None = None
    include_experts: bool = False
    inspector_category: str = ""
    include_neighbour_inspectors: bool = False
    neighbour_departments: list[str] = Field(default_factory=list)
    classes: list[TargetClassIn]


@router.get("/tasks", response={200: list[TaskOut], **LIST_ERRORS}, summary="抽查任务列表")
def list_tasks(request, filters: Query[TaskFilters]):
    return list(
        selectors.task_search(
            user=request.user,
            q=filters.q,
            status=filters.status,
            year=filters.year,
            department=filters.department,
        )[:500]
    )


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, **READ_ERRORS}, summary="任务详情")
def get_task(request, task_id: int):
    return selectors.task_get(user=request.user, pk=task_id)


def _departments(codes: list[str], field: str) -> list[Department]:
    found = {d.code: d for d in Department.objects.filter(code__in=codes)}
    if missing := [c for c in codes if c not in found]:
        raise NotFound(f"部门不存在：{'、'.join(missing)}", field=field)
    return [found[c] for c in dict.fromkeys(codes)]


@router.post(
    "/tasks",
    response={201: TaskDetailOut, **WRITE_ERRORS},
    summary="新建抽查任务（计划内或临时性）",
)
def create_task(request, payload: TaskIn):
    department = _department(payload.department)
    partners = _departments(payload.partners, "partners")
    scope: set[int] = set()
    for d in [department, *partners]:
        scope |= selectors.family_ids(department=d)
    items = {
        i.code: i
        for i in Item.objects.filter(
            code__in=payload.item_codes, department_id__in=scope
        ).select_related("current")
    }
    if missing := [c for c in payload.item_codes if c not in items]:
        raise NotFound(f"事项编码不存在：{'、'.join(missing)}", field="item_codes")
    plan_row = None
    if payload.plan_row is not None:
        plan_row = (
            PlanRow.objects.filter(
                pk=payload.plan_row, plan__in=selectors.plans_visible(user=request.user)
            )
            .select_related("plan__department")
            .first()
        )
        if plan_row is None:
            raise NotFound("计划事项不存在", field="plan_row")
    tag_ids = {c.sublibrary for c in payload.classes if c.sublibrary is not None}
    tags = {t.pk: t for t in Tag.objects.filter(pk__in=tag_ids)}
    if missing_tags := [str(t) for t in tag_ids if t not in tags]:
        raise NotFound(f"子库不存在：{'、'.join(missing_tags)}", field="classes")
    spec = services.TaskInput(
        title=payload.title,
        items=[items[c] for c in dict.fromkeys(payload.item_codes)],
        window_start=payload.window_start,
        window_end=payload.window_end,
        kind=payload.kind,
        code=payload.code,
        description=payload.description,
        partners=partners,
        team_size=payload.team_size,
        inspector_capacity=payload.inspector_capacity,
        exclude_recent_days=payload.exclude_recent_days,
        include_experts=payload.include_experts,
        inspector_category=payload.inspector_category,
        include_neighbour_inspectors=payload.include_neighbour_inspectors,
        neighbour_departments=_departments(payload.neighbour_departments, "neighbour_departments"),
        classes=[
            services.ClassInput(
                code=c.code,
                name=c.name,
                mode=c.mode,
                sublibrary=tags.get(c.sublibrary),
                filters=c.filters,
                ratio=c.ratio,
                count=c.count,
                risk_ratios=c.risk_ratios,
            )
            for c in payload.classes
        ],
    )
    task = services.task_create(
        department=department, spec=spec, plan_row=plan_row, actor=request.user
    )
    return Status(201, selectors.task_get(user=request.user, pk=task.pk))


@router.post(
    "/tasks/{task_id}/partners/{department}",
    response={200: PartnerAnswerOut, **WRITE_ERRORS},
    summary="配合部门答复联合抽查邀请（参加或不参加）",
)
def answer_partner(request, task_id: int, department: str, payload: PartnerAnswerIn):
    """000 三(五)、四(二): the partner's 抽查操作员 answers; the same rules as on the task page
    (planning.services.task_partner_respond)."""
    task = selectors.task_get(user=request.user, pk=task_id)
    dept = task.partners.filter(code=department).first()
    if dept is None:
        raise NotFound(f"部门 {department} 不是该任务的配合部门", field="department")
    scope = selectors.family_ids(department=dept)
    items = {
        i.code: i for i in Item.objects.filter(code__in=payload.item_codes, department_id__in=scope)
    }
    if missing := [c for c in payload.item_codes if c not in items]:
        raise NotFound(f"本部门清单中没有事项编码：{'、'.join(missing)}", field="item_codes")
    answer = services.task_partner_respond(
        task=task,
        department=dept,
        actor=request.user,
        accept=payload.answer == "accept",
        items=[items[c] for c in dict.fromkeys(payload.item_codes)],
        inspector_category=payload.inspector_category,
        reason=payload.reason,
    )
    return PartnerResponse.objects.select_related("department").get(pk=answer.pk)
