"""JSON API of the 抽查事项清单 (/api/v1/catalog/). Handlers only translate: the rules and
the scoping live in services.py and selectors.py, whose errors become the error envelope."""

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema, Status

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog import selectors, services
from shuangsuiji.catalog.choices import ChangeKind
from shuangsuiji.catalog.models import Item, ItemVersion
from shuangsuiji.common.api import WRITE_ERRORS, ErrorOut
from shuangsuiji.common.errors import NotFound

router = Router(tags=["抽查事项清单"])

LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}
# An item of another department is reported as not found (no 403 that would reveal it exists).
GET_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ItemVersionOut(Schema):
    number: int = Field(description="版本号")
    name: str = Field(description="事项名称")
    category: str = Field(description="事项类别：general 一般检查事项 / key 重点检查事项")
    field: str = Field(description="抽查领域")
    target_type: str = Field(description="检查对象")
    content: str = Field(description="检查内容")
    methods: list[str] = Field(description="检查方式：on_site/document/online/sampling/other")
    basis: str = Field(description="检查依据")
    subject: str = Field(description="检查主体")
    responsible_unit: str = Field(description="责任单位")
    level: str = Field(description="实施层级")
    default_ratio: Decimal | None = Field(description="默认抽查比例（%）")
    default_frequency: str = Field(description="抽查频次")
    checklist: list[str] = Field(description="检查表单（检查要点）")
    random_exempt: bool = Field(description="不适用随机抽查")
    exempt_reason: str = Field(description="不适用随机抽查的理由")
    change_kind: str = Field(
        description="变更类型：create 立 / amend 改 / interpret 释 / repeal 废 / copy 引用上级"
    )
    change_reason: str = Field(description="变更理由")
    effective_date: dt.date = Field(description="生效日期")
    created_at: dt.datetime


class ItemOut(Schema):
    id: int
    code: str = Field(description="事项编码")
    department: str = Field(description="所属部门代码")
    department_name: str
    is_repealed: bool = Field(description="已废止")
    copied_from: int | None = Field(None, description="引用自上级事项的 id")
    current: ItemVersionOut

    @staticmethod
    def resolve_department(obj: Item) -> str:
        return obj.department.code

    @staticmethod
    def resolve_department_name(obj: Item) -> str:
        return obj.department.name

    @staticmethod
    def resolve_copied_from(obj: Item) -> int | None:
        return obj.copied_from_id


class ItemDetailOut(ItemOut):
    versions: list[ItemVersionOut] = Field(description="全部版本，新版本在前")

    @staticmethod
    def resolve_versions(obj: Item) -> QuerySet[ItemVersion]:
        return selectors.item_versions(item=obj)


class ItemPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ItemOut]


class ItemFilters(Schema):
    q: str = Field("", description="事项名称、编码或检查对象中的关键词")
    code: str = Field("", description="事项编码（部分匹配）")
    category: str = Field("", description="general / key")
    department: str = Field("", description="部门代码（含下级部门）")
    include_repealed: bool = Field(False, description="包含已废止事项")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


# Input fields are lenient in type so that the services give the Chinese, per-field message.
class ItemContentIn(Schema):
    name: str = ""
    category: str = "general"
    field: str = ""
    target_type: str = ""
    content: str = ""
    methods: list[str] = []
    basis: str = ""
    subject: str = ""
    responsible_unit: str = ""
    level: str = ""
    default_ratio: Decimal | str | None = None
    default_frequency: str = ""
    checklist: list[str] = []
    random_exempt: bool = False
    exempt_reason: str = ""


class ItemCreateIn(ItemContentIn):
    department: str = Field(description="部门代码")
    code: str = Field(description="事项编码，本部门内唯一")
    effective_date: dt.date | str | None = Field(None, description="生效日期，默认今天")
    change_reason: str = Field("", description="设立理由，默认“新增抽查事项”")


class ItemReviseIn(ItemContentIn):
    """Only the fields sent are changed; the others are taken from the current version."""

    change_kind: str = Field(ChangeKind.AMEND.value, description="amend 改 / interpret 释")
    change_reason: str = Field("", description="变更理由（必填）")
    effective_date: dt.date | str | None = Field(None, description="生效日期（必填）")
    expected_number: int | None = Field(
        None, description="修改所依据的版本号；已有更新版本时返回 409"
    )


class ItemRepealIn(Schema):
    change_reason: str = Field("", description="废止理由（必填）")
    effective_date: dt.date | str | None = Field(None, description="生效日期（必填）")
    expected_number: int | None = None


class ItemCopyIn(Schema):
    department: str = Field(description="引用到的部门代码")
    item_ids: list[int] = Field(description="上级部门事项的 id")
    effective_date: dt.date | str | None = None
    change_reason: str = ""


_CONTENT_NAMES = set(ItemContentIn.model_fields)


def _department(code: str) -> Department:
    department = Department.objects.filter(code=code.strip()).first()
    if department is None:
        raise NotFound(f"部门 {code} 不存在", field="department")
    return department


@router.get("/items", response={200: ItemPage, **LIST_ERRORS}, summary="查询抽查事项清单")
def list_items(request, filters: Query[ItemFilters]):
    qs = selectors.item_search(
        user=request.user,
        q=filters.q,
        code=filters.code,
        category=filters.category,
        department=filters.department,
        include_repealed=filters.include_repealed,
    )
    start = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": list(qs[start : start + filters.page_size]),
    }


# Declared before "/items/{item_id}": the first matching path wins.
@router.post(
    "/items/copy", response={201: list[ItemOut], **WRITE_ERRORS}, summary="引用上级部门清单事项"
)
def copy_items(request, payload: ItemCopyIn):
    department = _department(payload.department)
    wanted = list(dict.fromkeys(payload.item_ids))
    # The list is public, so any item may be named here; the service refuses non-ancestors.
    found = {i.pk: i for i in Item.objects.filter(pk__in=wanted)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise NotFound(f"事项不存在：{', '.join(missing)}", field="item_ids")
    copies = services.item_copy(
        department=department,
        items=[found[pk] for pk in wanted],
        actor=request.user,
        effective_date=payload.effective_date,
        change_reason=payload.change_reason,
    )
    return Status(201, [selectors.item_get(user=request.user, pk=c.pk) for c in copies])


@router.get(
    "/items/{item_id}", response={200: ItemDetailOut, **GET_ERRORS}, summary="事项详情及全部版本"
)
def get_item(request, item_id: int):
    return selectors.item_get(user=request.user, pk=item_id)


@router.post("/items", response={201: ItemDetailOut, **WRITE_ERRORS}, summary="新增事项（立）")
def create_item(request, payload: ItemCreateIn):
    item = services.item_create(
        department=_department(payload.department),
        code=payload.code,
        data=payload.model_dump(include=_CONTENT_NAMES),
        effective_date=payload.effective_date,
        change_reason=payload.change_reason,
        actor=request.user,
    )
    return Status(201, selectors.item_get(user=request.user, pk=item.pk))


@router.post(
    "/items/{item_id}/revise",
    response={200: ItemDetailOut, **WRITE_ERRORS},
    summary="修订事项（改/释）",
)
def revise_item(request, item_id: int, payload: ItemReviseIn):
    item = selectors.item_get(user=request.user, pk=item_id)
    sent = payload.model_dump(include=_CONTENT_NAMES, exclude_unset=True)
    content = services.content_of(item.current).as_dict() | sent
    services.item_revise(
        item=item,
        data=content,
        change_kind=payload.change_kind,
        change_reason=payload.change_reason,
        effective_date=payload.effective_date,
        expected_number=payload.expected_number,
        actor=request.user,
    )
    return selectors.item_get(user=request.user, pk=item.pk)


@router.post(
    "/items/{item_id}/repeal",
    response={200: ItemDetailOut, **WRITE_ERRORS},
    summary="废止事项（废）",
)
def repeal_item(request, item_id: int, payload: ItemRepealIn):
    item = selectors.item_get(user=request.user, pk=item_id)
    services.item_repeal(
        item=item,
        change_reason=payload.change_reason,
        effective_date=payload.effective_date,
        expected_number=payload.expected_number,
        actor=request.user,
    )
    return selectors.item_get(user=request.user, pk=item.pk)
