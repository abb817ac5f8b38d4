"""JSON API of the draw ceremony (/api/v1/draw/). Handlers only translate: the states,
roles and rules are in draw/services/, whose ServiceErrors become the error envelope
(common/api.py). Scoping: a draw is visible to whoever may read its task."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from shuangsuiji.common.api import READ_ERRORS, WRITE_ERRORS, ErrorOut
from shuangsuiji.common.errors import NotFound, ValidationFailed
from shuangsuiji.draw import selectors, services
from shuangsuiji.draw.models import Assignment, Draw, Selection, Substitution
from shuangsuiji.draw.pool import task_pool_preview
from shuangsuiji.planning import selectors as planning_selectors

router = Router(tags=["摇号"])
# The task's candidate pools are the draw's rules (draw/pool.py), read before any draw; the
# route stays where clients know it, under /api/v1/planning/ (mounted there in api.py).
pool_router = Router(tags=["抽查计划与任务"])

LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}


# --- schemas -----------------------------------------------------------------------------


class ScopeDepartmentOut(Schema):
    code: str
    name: str
    basis: str = Field(
        description="为何在人员范围内：牵头部门、配合部门、相邻区域（任务设置）、扩大范围（本次摇号）"
    )


class ScopeOut(Schema):
    departments: list[ScopeDepartmentOut] = []
    experts: bool = Field(False, description="含专家库人员")
    experts_widened: bool = Field(False, description="专家库人员由本次摇号加入")
    widened: bool = Field(False, description="本次摇号扩大了任务原有的人员范围")
    category: str = Field("", description="执法类别筛选")


class DrawOut(Schema):
    id: int
    task: str = Field(description="任务编号")
    task_id: int
    number: int = Field(description="第几次摇号")
    kind: str = Field(description="full 抽取对象并匹配人员 / match_only 仅匹配执法检查人员")
    state: str = Field(
        description="committed 已封存 / drawn 已摇号 / confirmed 已确认锁定 / void 已作废"
    )
    source_number: int | None = Field(description="补充匹配的原摇号次序")
    manifest_sha256: str = Field(description="名单摘要 C")
    manifest_lines: int
    key: str | None = Field(description="密钥 K")
    seed_text: str | None = Field(description="种子文本（原样）")
    seed_sources: str
    witnesses: list[str]
    committed_at: dt.datetime
    drawn_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    voided_at: dt.datetime | None
    void_reason: str
    inspector_scope: ScopeOut | None = Field(
        description="执法检查人员范围（封存时记录；调用方自备名单时为空）"
    )
    public_url: str = Field(description="公开验证页")

    @staticmethod
    def resolve_task(obj: Draw) -> str:
        return obj.task.code

    @staticmethod
    def resolve_source_number(obj: Draw) -> int | None:
        return obj.source.number if obj.source_id else None

    @staticmethod
    def resolve_key(obj: Draw) -> str | None:
        return obj.key_hex or None

    @staticmethod
    def resolve_seed_text(obj: Draw) -> str | None:
        return obj.seed_text if obj.result_text else None

    @staticmethod
    def resolve_witnesses(obj: Draw) -> list[str]:
        return [w for w in obj.witnesses.split("、") if w]

    @staticmethod
    def resolve_inspector_scope(obj: Draw) -> dict | None:
        return obj.inspector_scope or None

    @staticmethod
    def resolve_public_url(obj: Draw) -> str:
        return settings.SITE_URL + reverse("public_draw:draw", args=[obj.task.code, obj.number])


class TeamMemberOut(Schema):
    assignment_id: int
    cert_no: str = Field(description="执法证号")
    name: str
    leader: bool = Field(description="组长")
    source: str = Field(
        description="random 随机匹配 / substitute 随机更换 / direct 直接委派（非随机）"
    )
    random: bool


class SelectionOut(Schema):
    id: int
    rank: int = Field(description="抽中顺序")
    target_id: str
    entity_name: str
    stratum: str
    score: str
    unstaffed: bool = Field(description="摇号未配齐执法检查人员")
    remedy: str = Field(description="'' 无 / match 补充匹配摇号 / direct 直接委派（非随机）")
    team: list[TeamMemberOut] = Field(description="检查组，组长在前")


class ExcludedOut(Schema):
    target_id: str
    name: str
    reason: str


class SubstitutionOut(Schema):
    id: int
    draw_id: int
    target_id: str
    out_cert_no: str
    in_cert_no: str | None
    reason: str
    status: str = Field(description="pending 待审批 / approved 已批准并更换 / rejected 未批准")
    line: str = Field(description="公开的 substitute 行")
    decision_note: str

    @staticmethod
    def resolve_target_id(obj: Substitution) -> str:
        return obj.selection.target_id

    @staticmethod
    def resolve_out_cert_no(obj: Substitution) -> str:
        return obj.out_assignment.inspector.cert_no

    @staticmethod
    def resolve_in_cert_no(obj: Substitution) -> str | None:
        return obj.in_assignment.inspector.cert_no if obj.in_assignment_id else None


class DrawDetailOut(DrawOut):
    selected_count: int = Field(description="抽中对象数")
    excluded: list[ExcludedOut] = Field(description="排除名单及原因")
    selections: list[SelectionOut] = Field(description="抽中对象（按 offset/limit 分页）")
    substitutions: list[SubstitutionOut]

    @staticmethod
    def resolve_selected_count(obj: Draw) -> int:
        return obj.selections.count()

    @staticmethod
    def resolve_excluded(obj: Draw) -> list[dict]:
        return [
            {
                "target_id": e.get("target_id", ""),
                "name": e.get("name", ""),
                "reason": e.get("reason", ""),
            }
            for e in obj.excluded
        ]

    @staticmethod
    def resolve_selections(obj: Draw) -> list[dict]:
        return obj._api_selections

    @staticmethod
    def resolve_substitutions(obj: Draw) -> list[Substitution]:
        return list(
            obj.substitutions.select_related(
                "selection", "out_assignment__inspector", "in_assignment__inspector"
            ).order_by("requested_at")
        )


class DispatchOut(Schema):
    draw: DrawOut
    visits_created: int
    visits_joined: int = Field(description="并入已有检查（进一次门、查多项事）")


class DrawFilters(Schema):
    task: str = Field("", description="任务编号")
    state: str = ""


class Page(Schema):
    offset: int = Field(0, ge=0)
    limit: int = Field(500, ge=1, le=5000)


class SeedIn(Schema):
    seed_text: str = Field(description="种子文本（原样，不做任何修整）")
    sources: str = Field(description="种子来源")
    witnesses: list[str] = Field(description="见证人（纪检监督人员）姓名")


class DrawReasonIn(Schema):
    reason: str


class DecideIn(Schema):
    approve: bool
    note: str = ""


class DirectIn(Schema):
    inspectors: list[str] = Field(description="执法证号")
    reason: str


class WidenIn(Schema):
    """扩大人员范围 for one match-only or remedy draw [002 第二十条]."""

    extra_departments: list[str] = Field(
        [], description="增加执法检查人员的部门代码（含其下级部门），如相邻区域"
    )
    include_experts: bool = Field(False, description="含专家库人员")


class MatchIn(WidenIn):
    targets: list[str] = Field(description="已抽定的检查对象：统一社会信用代码或名录编号")


# --- helpers -----------------------------------------------------------------------------


def _draw(request, draw_id: int) -> Draw:
    draw = selectors.draws_list(user=request.user).filter(pk=draw_id).first()
    if draw is None:
        raise NotFound("摇号不存在或您无权查看")
    return draw


def _widening(payload: WidenIn) -> dict:
    departments, missing = selectors.departments_by_code(codes=payload.extra_departments)
    if missing:
        raise ValidationFailed(
            f"没有这些（启用中的）部门代码：{'、'.join(missing)}", field="extra_departments"
        )
    return {"extra_departments": departments, "include_experts": payload.include_experts}


def _detail(draw: Draw, page: Page | None = None) -> Draw:
    draw = Draw.objects.select_related("task", "source").get(pk=draw.pk)
    page = page or Page()
    draw._api_selections = selectors.draw_selection_page(
        draw=draw, offset=page.offset, limit=page.limit
    )
    return draw


# --- reads -------------------------------------------------------------------------------


@router.get("/draws", response={200: list[DrawOut], **LIST_ERRORS}, summary="摇号列表（含已作废）")
def list_draws(request, filters: Query[DrawFilters]):
    qs = selectors.draws_list(user=request.user)
    if filters.task:
        qs = qs.filter(task__code=filters.task)
    if filters.state:
        qs = qs.filter(state=filters.state)
    return list(qs)


@router.get(
    "/draws/{draw_id}",
    response={200: DrawDetailOut, **READ_ERRORS},
    summary="摇号详情（C、K、状态、时间、抽中对象与检查组）",
)
def get_draw(request, draw_id: int, page: Query[Page]):
    return _detail(_draw(request, draw_id), page)


# --- the ceremony ------------------------------------------------------------------------


@router.post(
    "/tasks/{task_id}/commit",
    response={201: DrawDetailOut, **WRITE_ERRORS},
    summary="封存名单（冻结候选名单，公布摘要 C 与排除名单）",
)
def commit(request, task_id: int):
    task = planning_selectors.task_get(user=request.user, pk=task_id)
    draw = services.draw_commit(task=task, actor=request.user)
    return Status(201, _detail(draw))


@router.post(
    "/draws/{draw_id}/seed",
    response={200: DrawDetailOut, **WRITE_ERRORS},
    summary="录入种子并摇号（只能在封存之后）",
)
def seed(request, draw_id: int, payload: SeedIn):
    draw = services.draw_seed(
        draw=_draw(request, draw_id),
        seed_text=payload.seed_text,
        sources=payload.sources,
        witnesses=payload.witnesses,
        actor=request.user,
    )
    return _detail(draw)


@router.post(
    "/draws/{draw_id}/confirm", response={200: DrawDetailOut, **WRITE_ERRORS}, summary="确认锁定"
)
def confirm(request, draw_id: int):
    return _detail(services.draw_confirm(draw=_draw(request, draw_id), actor=request.user))


@router.post(
    "/draws/{draw_id}/void",
    response={200: DrawDetailOut, **WRITE_ERRORS},
    summary="作废（仅在确认之前，必须填写理由；作废的摇号仍然公开）",
)
def void(request, draw_id: int, payload: DrawReasonIn):
    return _detail(
        services.draw_void(draw=_draw(request, draw_id), reason=payload.reason, actor=request.user)
    )


@router.post(
    "/draws/{draw_id}/dispatch",
    response={200: DispatchOut, **WRITE_ERRORS},
    summary="派发（建立检查；进一次门、查多项事）",
)
def dispatch(request, draw_id: int):
    report = services.draw_dispatch(draw=_draw(request, draw_id), actor=request.user)
    return {
        "draw": report.draw,
        "visits_created": report.visits_created,
        "visits_joined": report.visits_joined,
    }


@router.post(
    "/assignments/{assignment_id}/substitution",
    response={201: SubstitutionOut, **WRITE_ERRORS},
    summary="申请更换执法检查人员（须说明理由，待审批）",
)
def request_substitution(request, assignment_id: int, payload: DrawReasonIn):
    assignment = (
        Assignment.objects.select_related("selection__draw").filter(pk=assignment_id).first()
    )
    if assignment is None:
        raise NotFound("检查组成员不存在")
    _draw(request, assignment.selection.draw_id)
    sub = services.substitution_request(
        assignment=assignment, reason=payload.reason, actor=request.user
    )
    return Status(201, sub)


@router.post(
    "/substitutions/{substitution_id}/decide",
    response={200: SubstitutionOut, **WRITE_ERRORS},
    summary="审批更换（审核负责人）",
)
def decide_substitution(request, substitution_id: int, payload: DecideIn):
    sub = Substitution.objects.select_related("draw").filter(pk=substitution_id).first()
    if sub is None:
        raise NotFound("更换申请不存在")
    _draw(request, sub.draw_id)
    return services.substitution_decide(
        substitution=sub, approve=payload.approve, note=payload.note, actor=request.user
    )


@router.post(
    "/selections/{selection_id}/direct",
    response={201: DrawDetailOut, **WRITE_ERRORS},
    summary="直接委派（未配齐人员的检查对象；记录理由，公开标注为非随机）",
)
def direct_assignment(request, selection_id: int, payload: DirectIn):
    selection = Selection.objects.select_related("draw").filter(pk=selection_id).first()
    if selection is None:
        raise NotFound("抽中对象不存在")
    draw = _draw(request, selection.draw_id)
    people, missing = selectors.direct_inspectors_lookup(task=draw.task, codes=payload.inspectors)
    if missing:
        raise ValidationFailed(
            f"执法检查人员名录库中没有执法证号：{'、'.join(missing)}", field="inspectors"
        )
    services.assignment_direct(
        selection=selection, inspectors=people, reason=payload.reason, actor=request.user
    )
    return Status(201, _detail(draw))


@router.post(
    "/tasks/{task_id}/match",
    response={201: DrawDetailOut, **WRITE_ERRORS},
    summary="封存匹配名单（仅匹配执法检查人员：检查对象已抽定；可扩大人员范围）",
)
def match(request, task_id: int, payload: MatchIn):
    task = planning_selectors.task_get(user=request.user, pk=task_id)
    codes = list(dict.fromkeys(c.strip() for c in payload.targets if c.strip()))
    if not codes:
        raise ValidationFailed("请指定需要匹配执法检查人员的检查对象", field="targets")
    found, missing = selectors.match_targets_lookup(task=task, codes=codes)
    if missing:
        raise ValidationFailed(f"检查对象名录库中没有：{'、'.join(missing[:20])}", field="targets")
    draw = services.match_commit(
        task=task, actor=request.user, entities=[found[c] for c in codes], **_widening(payload)
    )
    return Status(201, _detail(draw))


@router.post(
    "/draws/{draw_id}/remedy",
    response={201: DrawDetailOut, **WRITE_ERRORS},
    summary="封存补充匹配名单（为原摇号未配齐人员的检查对象；可扩大人员范围）",
)
def remedy(request, draw_id: int, payload: WidenIn):
    draw = _draw(request, draw_id)
    return Status(
        201,
        _detail(
            services.match_commit(
                task=draw.task, actor=request.user, source=draw, **_widening(payload)
            )
        ),
    )


# --- the task's pool, before any draw ----------------------------------------------------


class StratumOut(Schema):
    name: str
    label: str
    class_code: str
    pool_size: int
    n: int
    ratio: str | None
    count: int | None


class PoolPreviewOut(Schema):
    strata: list[StratumOut]
    excluded_by_reason: dict[str, int] = Field(
        description="status 登记状态 / cap 年度上限 / recent 近期已检查"
    )
    excluded_total: int
    excluded_sample: list[ExcludedOut]
    inspectors: int
    conflicts: int
    team_size: int
    capacity_total: int
    to_draw: int
    warnings: list[str]


@pool_router.get(
    "/tasks/{task_id}/pool-preview",
    response={200: PoolPreviewOut, **READ_ERRORS},
    summary="候选名单预览（各层候选数、抽取数、排除原因）",
)
def pool_preview(request, task_id: int):
    task = planning_selectors.task_get(user=request.user, pk=task_id)
    return task_pool_preview(task=task)
