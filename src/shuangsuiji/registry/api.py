"""JSON API of 检查对象名录库 and 执法检查人员名录库 (/api/v1/registry/).

Handlers only translate: selectors scope every read to the caller's departments (another
department's record is a 404), services validate, write and audit. Personal numbers
(联系电话, 手机号码, 身份证号) are always masked here [issue 2 item 3]; the full numbers are
only in the Django admin and on the department admin's own edit form.

Each record carries ``version`` (a digest of its editable fields); a PATCH that sends the
version it read is refused with 409 when someone else changed the record meanwhile.
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.selectors import readable_department_ids
from shuangsuiji.common.api import AUTH_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut
from shuangsuiji.common.errors import NotAllowed, ServiceError, ValidationFailed
from shuangsuiji.registry import selectors, services
from shuangsuiji.registry.choices import TagKind
from shuangsuiji.registry.models import Conflict, Entity, Inspector, Tag

router = Router(tags=["名录库"])

LIST_ERRORS = {**AUTH_ERRORS, 422: ErrorOut}


# --- schemas ---------------------------------------------------------------------------------


class TagOut(Schema):
    id: int
    department: str
    name: str
    kind: str
    kind_label: str
    description: str


class TagIn(Schema):
    department: str = Field(..., description="部门代码")
    name: str
    kind: str = Field(
        TagKind.SUBLIBRARY, description="sub 子库 / key 重点检查库 / campaign 专项整治库"
    )
    description: str = ""


class EntityOut(Schema):
    id: int
    department: str
    department_name: str
    key: str
    uscc: str
    name: str
    subject_kind: str
    entity_type: str
    legal_representative: str
    contact_person: str
    contact_phone: str = Field(..., description="脱敏显示，如 138****5362")
    address: str
    region: str
    street: str
    industry: str
    scale: str
    responsible_units: str
    risk_class: str
    risk_date: dt.date | None
    risk_source: str
    status: str
    remark: str
    tags: list[TagOut]
    version: str
    updated_at: dt.datetime


class EntityPageOut(Schema):
    items: list[EntityOut]
    count: int = Field(..., description="符合条件的数量；count_capped 为真时表示“至少这么多”")
    count_capped: bool
    next_after: int | None = Field(None, description="下一页：把它作为 after 参数")
    prev_before: int | None = Field(None, description="上一页：把它作为 before 参数")


class EntityQuery(Schema):
    q: str = Field("", description="名称、统一社会信用代码或名录编号（部分匹配；完整代码精确匹配）")
    department: str = Field("", description="部门代码")
    region: str = ""
    industry: str = ""
    subject_kind: str = ""
    entity_type: str = ""
    scale: str = ""
    risk_class: str = Field("", description="A/B/C/D，none 表示未分类")
    status: str = ""
    tag: int | None = None
    after: int | None = None
    before: int | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class EntityIn(Schema):
    department: str = Field(..., description="部门代码")
    name: str
    uscc: str = ""
    key: str = Field("", description="名录编号；有统一社会信用代码时可不填")
    subject_kind: str = "entity"
    entity_type: str = "legal_person"
    legal_representative: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    address: str = ""
    region: str = ""
    street: str = ""
    industry: str = ""
    scale: str = ""
    responsible_units: str = ""
    risk_class: str = ""
    risk_date: dt.date | None = None
    risk_source: str = ""
    status: str = "active"
    remark: str = ""
    tags: list[int] = []


class EntityPatch(Schema):
    version: str | None = Field(None, description="读取时的 version；不一致时返回 409")
    name: str | None = None
    uscc: str | None = None
    key: str | None = None
    subject_kind: str | None = None
    entity_type: str | None = None
    legal_representative: str | None = None
    contact_person: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    region: str | None = None
    street: str | None = None
    industry: str | None = None
    scale: str | None = None
    responsible_units: str | None = None
    risk_class: str | None = None
    risk_date: dt.date | None = None
    risk_source: str | None = None
    status: str | None = None
    remark: str | None = None
    tags: list[int] | None = None


class InspectorOut(Schema):
    id: int
    department: str
    department_name: str
    cert_no: str
    name: str
    gender: str
    unit: str
    area: str
    issuer: str
    category: str
    mobile: str = Field(..., description="脱敏显示")
    id_number: str = Field(..., description="脱敏显示")
    kind: str
    cert_valid_until: dt.date | None
    cert_expired: bool
    expertise: str
    post: str
    status: str
    remark: str
    username: str | None = Field(None, description="登录账号（用户名）；未关联为 null")
    version: str
    updated_at: dt.datetime


class InspectorPageOut(Schema):
    items: list[InspectorOut]
    count: int
    page: int
    pages: int


class InspectorQuery(Schema):
    q: str = Field("", description="姓名或执法证号")
    department: str = ""
    kind: str = ""
    status: str = ""
    cert: str = Field("", description="valid 有效 / expired 已过期 / unknown 未填有效期")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class InspectorIn(Schema):
    department: str = Field(..., description="部门代码")
    cert_no: str
    name: str
    gender: str = ""
    unit: str = ""
    area: str = ""
    issuer: str = ""
    category: str = ""
    mobile: str = ""
    id_number: str = ""
    kind: str = "officer"
    cert_valid_until: dt.date | None = None
    expertise: str = ""
    post: str = ""
    status: str = "on_duty"
    remark: str = ""


class InspectorPatch(Schema):
    version: str | None = None
    cert_no: str | None = None
    name: str | None = None
    gender: str | None = None
    unit: str | None = None
    area: str | None = None
    issuer: str | None = None
    category: str | None = None
    mobile: str | None = None
    id_number: str | None = None
    kind: str | None = None
    cert_valid_until: dt.date | None = None
    expertise: str | None = None
    post: str | None = None
    status: str | None = None
    remark: str | None = None


class InspectorAccountIn(Schema):
    username: str | None = Field(
        ..., description="登录账号（用户名），须在本部门具有“执法检查人员”角色；null 解除关联"
    )


class ConflictOut(Schema):
    id: int
    inspector_id: int
    inspector_name: str
    entity_id: int
    entity_name: str
    reason: str
    declared_on: dt.date
    is_active: bool
    withdrawn_at: dt.datetime | None
    withdraw_reason: str


class ConflictIn(Schema):
    inspector_id: int
    entity_id: int
    reason: str
    declared_on: dt.date | None = None


class ConflictWithdrawIn(Schema):
    reason: str


class ConflictQuery(Schema):
    inspector_id: int | None = None
    entity_id: int | None = None
    active: bool | None = None


# --- translation helpers -------------------------------------------------------------------


def _tag_out(t: Tag) -> dict:
    return {
        "id": t.id,
        "department": t.department.code,
        "name": t.name,
        "kind": t.kind,
        "kind_label": t.get_kind_display(),
        "description": t.description,
    }


def _entity_out(e: Entity) -> dict:
    data = {f: getattr(e, f) for f in selectors.ENTITY_FIELDS}
    data.update(
        id=e.id,
        department=e.department.code,
        department_name=e.department.name,
        contact_phone=e.contact_phone_masked,
        tags=[_tag_out(t) for t in e.tags.all()],
        version=selectors.entity_fingerprint(entity=e),
        updated_at=e.updated_at,
    )
    return data


def _inspector_out(i: Inspector) -> dict:
    data = {f: getattr(i, f) for f in selectors.INSPECTOR_FIELDS}
    data.update(
        id=i.id,
        department=i.department.code,
        department_name=i.department.name,
        mobile=i.mobile_masked,
        id_number=i.id_number_masked,
        username=i.user.username if i.user_id else None,
        cert_expired=selectors.inspector_cert_expired(inspector=i),
        version=selectors.inspector_fingerprint(inspector=i),
        updated_at=i.updated_at,
    )
    return data


def _conflict_out(c: Conflict) -> dict:
    return {
        "id": c.id,
        "inspector_id": c.inspector_id,
        "inspector_name": c.inspector.name,
        "entity_id": c.entity_id,
        "entity_name": c.entity.name,
        "reason": c.reason,
        "declared_on": c.declared_on,
        "is_active": c.is_active,
        "withdrawn_at": c.withdrawn_at,
        "withdraw_reason": c.withdraw_reason,
    }


def _department_for_write(request: HttpRequest, code: str) -> Department:
    """The department named in a request body. One the caller cannot even read is reported as
    unknown (no leak); one he reads but does not keep is a 403 (谁管理、谁维护)."""
    dept = Department.objects.filter(code=(code or "").strip()).first()
    if dept is None or dept.id not in readable_department_ids(user=request.user):
        raise ValidationFailed(f"部门代码 {code} 不存在或您无权访问", field="department")
    if not selectors.can_write_department(user=request.user, department_id=dept.id):
        raise NotAllowed("只有本部门的部门管理员可以维护名录库（谁管理、谁维护）")
    return dept


def _department_filter(request: HttpRequest, code: str) -> int | None:
    """A department filter by code; an unknown code matches nothing (id 0)."""
    if not code:
        return None
    dept = Department.objects.filter(code=code.strip()).first()
    return dept.id if dept else 0


def _patch_fields(payload: Schema, *, dates: tuple[str, ...], skip: tuple[str, ...]) -> dict:
    data = payload.dict(exclude_unset=True)
    for name in skip:
        data.pop(name, None)
    # JSON null clears a text field; dates keep None.
    return {k: ("" if v is None and k not in dates else v) for k, v in data.items()}


# --- entities ------------------------------------------------------------------------------


@router.get(
    "/entities",
    response={200: EntityPageOut, **LIST_ERRORS},
    summary="检查对象列表（筛选、按游标翻页）",
)
def list_entities(request: HttpRequest, filters: Query[EntityQuery]):
    f = selectors.EntityFilters(
        q=filters.q,
        region=filters.region,
        industry=filters.industry,
        subject_kind=filters.subject_kind,
        entity_type=filters.entity_type,
        scale=filters.scale,
        risk_class=filters.risk_class,
        status=filters.status,
        tag=filters.tag,
        department=_department_filter(request, filters.department),
    )
    if f.department == 0:
        return {
            "items": [],
            "count": 0,
            "count_capped": False,
            "next_after": None,
            "prev_before": None,
        }
    page = selectors.entity_list(
        user=request.user,
        filters=f,
        after=filters.after,
        before=filters.before,
        limit=filters.limit,
    )
    return {
        "items": [_entity_out(e) for e in page.items],
        "count": page.count,
        "count_capped": page.count_capped,
        "next_after": page.next_cursor,
        "prev_before": page.prev_cursor,
    }


@router.get(
    "/entities/{entity_id}", response={200: EntityOut, **READ_ERRORS}, summary="检查对象详情"
)
def get_entity(request: HttpRequest, entity_id: int):
    return _entity_out(selectors.entity_get(user=request.user, pk=entity_id))


@router.post("/entities", response={201: EntityOut, **WRITE_ERRORS}, summary="录入检查对象")
def create_entity(request: HttpRequest, payload: EntityIn):
    department = _department_for_write(request, payload.department)
    data = payload.dict()
    data.pop("department")
    tags = data.pop("tags")
    entity = services.entity_create(
        actor=request.user, department=department, fields=data, tags=tags
    )
    return Status(201, _entity_out(selectors.entity_get(user=request.user, pk=entity.pk)))


@router.patch(
    "/entities/{entity_id}", response={200: EntityOut, **WRITE_ERRORS}, summary="修改检查对象"
)
def patch_entity(request: HttpRequest, entity_id: int, payload: EntityPatch):
    entity = selectors.entity_get_for_write(user=request.user, pk=entity_id)
    data = _patch_fields(payload, dates=("risk_date",), skip=("version", "tags"))
    tags = payload.tags if "tags" in payload.model_fields_set else None
    services.entity_update(
        actor=request.user,
        entity=entity,
        fields=data,
        tags=tags,
        expected_fingerprint=payload.version,
    )
    return _entity_out(selectors.entity_get(user=request.user, pk=entity.pk))


# --- inspectors ----------------------------------------------------------------------------


@router.get(
    "/inspectors", response={200: InspectorPageOut, **LIST_ERRORS}, summary="执法检查人员列表"
)
def list_inspectors(request: HttpRequest, filters: Query[InspectorQuery]):
    dept = _department_filter(request, filters.department)
    qs = selectors.inspector_list(
        user=request.user,
        filters=selectors.InspectorFilters(
            q=filters.q,
            kind=filters.kind,
            status=filters.status,
            cert=filters.cert,
            department=dept,
        ),
    )
    if dept == 0:
        qs = qs.none()
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    items = list(qs[start : start + filters.page_size])
    pages = max(1, -(-count // filters.page_size))
    return {
        "items": [_inspector_out(i) for i in items],
        "count": count,
        "page": filters.page,
        "pages": pages,
    }


@router.get(
    "/inspectors/{inspector_id}",
    response={200: InspectorOut, **READ_ERRORS},
    summary="执法检查人员详情",
)
def get_inspector(request: HttpRequest, inspector_id: int):
    return _inspector_out(selectors.inspector_get(user=request.user, pk=inspector_id))


@router.post(
    "/inspectors", response={201: InspectorOut, **WRITE_ERRORS}, summary="录入执法检查人员"
)
def create_inspector(request: HttpRequest, payload: InspectorIn):
    department = _department_for_write(request, payload.department)
    data = payload.dict()
    data.pop("department")
    inspector = services.inspector_create(actor=request.user, department=department, fields=data)
    return Status(201, _inspector_out(selectors.inspector_get(user=request.user, pk=inspector.pk)))


@router.patch(
    "/inspectors/{inspector_id}",
    response={200: InspectorOut, **WRITE_ERRORS},
    summary="修改执法检查人员",
)
def patch_inspector(request: HttpRequest, inspector_id: int, payload: InspectorPatch):
    inspector = selectors.inspector_get_for_write(user=request.user, pk=inspector_id)
    data = _patch_fields(payload, dates=("cert_valid_until",), skip=("version",))
    services.inspector_update(
        actor=request.user, inspector=inspector, fields=data, expected_fingerprint=payload.version
    )
    return _inspector_out(selectors.inspector_get(user=request.user, pk=inspector.pk))


@router.put(
    "/inspectors/{inspector_id}/account",
    response={200: InspectorOut, **WRITE_ERRORS},
    summary="关联或解除执法检查人员的登录账号",
)
def put_inspector_account(request: HttpRequest, inspector_id: int, payload: InspectorAccountIn):
    inspector = selectors.inspector_get_for_write(user=request.user, pk=inspector_id)
    username = (payload.username or "").strip()
    account = None
    if username:
        account = selectors.inspector_account_by_username(inspector=inspector, username=username)
        if account is None:
            raise ValidationFailed(f"本部门没有登录账号 {username}", field="username")
    try:
        services.inspector_account_link(actor=request.user, inspector=inspector, user=account)
    except ServiceError as exc:
        # The service names the field "user" (the form's); the body calls it "username".
        if "user" in exc.errors:
            exc.errors = {("username" if k == "user" else k): v for k, v in exc.errors.items()}
            exc.field = "username"
        raise
    return _inspector_out(selectors.inspector_get(user=request.user, pk=inspector.pk))


# --- conflicts of interest -------------------------------------------------------------------


@router.get(
    "/conflicts", response={200: list[ConflictOut], **LIST_ERRORS}, summary="利害关系申报列表"
)
def list_conflicts(request: HttpRequest, filters: Query[ConflictQuery]):
    qs = selectors.conflict_list(
        user=request.user,
        inspector=filters.inspector_id,
        entity=filters.entity_id,
        active=filters.active,
    )
    return [_conflict_out(c) for c in qs[:500]]


@router.post(
    "/conflicts", response={201: ConflictOut, **WRITE_ERRORS}, summary="申报利害关系（回避）"
)
def create_conflict(request: HttpRequest, payload: ConflictIn):
    inspector = selectors.inspector_get(user=request.user, pk=payload.inspector_id)
    entity = selectors.entity_get(user=request.user, pk=payload.entity_id)
    row = services.conflict_declare(
        actor=request.user,
        inspector=inspector,
        entity=entity,
        reason=payload.reason,
        declared_on=payload.declared_on,
    )
    return Status(201, _conflict_out(row))


@router.post(
    "/conflicts/{conflict_id}/withdraw",
    response={200: ConflictOut, **WRITE_ERRORS},
    summary="撤销利害关系申报（记录保留）",
)
def withdraw_conflict(request: HttpRequest, conflict_id: int, payload: ConflictWithdrawIn):
    conflict = selectors.conflict_get(user=request.user, pk=conflict_id)
    row = services.conflict_withdraw(actor=request.user, conflict=conflict, reason=payload.reason)
    return _conflict_out(selectors.conflict_get(user=request.user, pk=row.pk))


# --- tags ------------------------------------------------------------------------------------


@router.get("/tags", response={200: list[TagOut], **LIST_ERRORS}, summary="子库标签列表")
def list_tags(request: HttpRequest, department: str = ""):
    dept = _department_filter(request, department)
    qs = selectors.tag_list(user=request.user, department=dept)
    if dept == 0:
        qs = qs.none()
    return [_tag_out(t) for t in qs]


@router.post("/tags", response={201: TagOut, **WRITE_ERRORS}, summary="新建子库标签")
def create_tag(request: HttpRequest, payload: TagIn):
    department = _department_for_write(request, payload.department)
    tag = services.tag_create(
        actor=request.user,
        department=department,
        name=payload.name,
        kind=payload.kind,
        description=payload.description,
    )
    return Status(201, _tag_out(tag))
