"""Reads of 检查对象名录库 and 执法检查人员名录库, always scoped to the user's departments.

谁管理、谁维护 [002 第十一条]: a user reads the libraries of the departments where he holds a
library role (and their sub-departments); someone else's record is "not found", never
"forbidden", so its existence does not leak.

The entity library may hold a million rows, so the entity list never counts or loads the
whole table: it pages by keyset on the primary key (``id < cursor``, newest first — the pk
index gives the order) and counts at most ``COUNT_CAP`` matching rows.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Field, Model, Q, QuerySet
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import (
    cached_on_user,
    readable_department_ids,
    writable_department_ids,
)
from shuangsuiji.audit.labels import action_label
from shuangsuiji.audit.models import Event, RecordChange
from shuangsuiji.common.errors import NotAllowed, NotFound
from shuangsuiji.common.ids import normalize_code, uscc_error
from shuangsuiji.common.masking import mask_id_number, mask_mobile
from shuangsuiji.registry.models import Conflict, Entity, Inspector, Tag

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Counting a million rows on every page view is what makes lists slow; past this many
# matches the page says "超过 10000 条" instead.
COUNT_CAP = 10_000

# The fields a user edits; the fingerprint of these is what "lock, compare, write" compares.
ENTITY_FIELDS = (
    "key",
    "uscc",
    "name",
    "subject_kind",
    "entity_type",
    "legal_representative",
    "contact_person",
    "contact_phone",
    "address",
    "region",
    "street",
    "industry",
    "scale",
    "responsible_units",
    "risk_class",
    "risk_date",
    "risk_source",
    "status",
    "remark",
)
INSPECTOR_FIELDS = (
    "cert_no",
    "name",
    "gender",
    "unit",
    "area",
    "issuer",
    "category",
    "mobile",
    "id_number",
    "kind",
    "cert_valid_until",
    "expertise",
    "post",
    "status",
    "remark",
)
# 身份证号 and mobile numbers never leave an admin's screen unmasked (issue 2 item 3).
PERSONAL_FIELDS = frozenset({"contact_phone", "mobile", "id_number"})


# --- scope -----------------------------------------------------------------------------


def _readable(user: User) -> set[int]:
    return cached_on_user(user, "_ssj_readable", lambda: readable_department_ids(user=user))


def _writable(user: User) -> set[int]:
    return cached_on_user(user, "_ssj_writable", lambda: writable_department_ids(user=user))


def user_keeps_any_library(*, user: User) -> bool:
    """Whether the user is 部门管理员 somewhere (may create records at all)."""
    return bool(_writable(user))


def can_write_department(*, user: User, department_id: int) -> bool:
    return department_id in _writable(user)


def entity_get(*, user: User, pk: int) -> Entity:
    """An entity the user may read; any other id is 不存在 (no leak of other departments)."""
    obj = (
        Entity.objects.select_related("department")
        .prefetch_related("tags")
        .filter(pk=pk, department_id__in=_readable(user))
        .first()
    )
    if obj is None:
        raise NotFound("检查对象不存在或您无权查看")
    return obj


def entity_get_for_write(*, user: User, pk: int) -> Entity:
    obj = entity_get(user=user, pk=pk)
    if not can_write_department(user=user, department_id=obj.department_id):
        raise NotAllowed("只有本部门的部门管理员可以维护检查对象名录库（谁管理、谁维护）")
    return obj


def inspector_get(*, user: User, pk: int) -> Inspector:
    obj = (
        Inspector.objects.select_related("department", "user")
        .filter(pk=pk, department_id__in=_readable(user))
        .first()
    )
    if obj is None:
        raise NotFound("执法检查人员不存在或您无权查看")
    return obj


def inspector_get_for_write(*, user: User, pk: int) -> Inspector:
    obj = inspector_get(user=user, pk=pk)
    if not can_write_department(user=user, department_id=obj.department_id):
        raise NotAllowed("只有本部门的部门管理员可以维护执法检查人员名录库（谁管理、谁维护）")
    return obj


def conflict_get(*, user: User, pk: int) -> Conflict:
    obj = (
        Conflict.objects.select_related("inspector", "entity", "declared_by", "withdrawn_by")
        .filter(pk=pk)
        .filter(_conflict_scope(user))
        .first()
    )
    if obj is None:
        raise NotFound("利害关系申报不存在或您无权查看")
    return obj


def entity_find_for_write(*, user: User, code: str) -> Entity | None:
    """An entity by 统一社会信用代码 or 名录编号 in a department the user keeps."""
    code = normalize_code(code)
    if not code:
        return None
    return (
        Entity.objects.filter(department_id__in=_writable(user))
        .filter(Q(key=code) | Q(uscc=code))
        .order_by("id")
        .first()
    )


# --- fingerprints (optimistic concurrency) ----------------------------------------------


def _fingerprint(values: dict[str, Any]) -> str:
    raw = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def entity_fingerprint(*, entity: Entity) -> str:
    """Digest of the editable fields and tags as stored; an edit form carries it so a save
    can tell whether someone else changed the record after the form was opened."""
    values = {f: getattr(entity, f) for f in ENTITY_FIELDS}
    values["tags"] = sorted(entity.tags.values_list("id", flat=True)) if entity.pk else []
    return _fingerprint(values)


def inspector_fingerprint(*, inspector: Inspector) -> str:
    return _fingerprint({f: getattr(inspector, f) for f in INSPECTOR_FIELDS})


# --- entity list ---------------------------------------------------------------------------


@dataclass
class EntityPage:
    items: list[Entity]
    next_cursor: int | None
    prev_cursor: int | None
    count: int
    count_capped: bool
    is_first: bool


@dataclass
class EntityFilters:
    q: str = ""
    region: str = ""
    industry: str = ""
    entity_type: str = ""
    subject_kind: str = ""
    scale: str = ""
    risk_class: str = ""  # "A".."D", or "none" for 未分类
    status: str = ""
    tag: int | None = None
    department: int | None = None


def entity_queryset(*, user: User, filters: EntityFilters) -> QuerySet[Entity]:
    """The scoped, filtered entities, unordered. Every filter is an equality on an indexed
    column except the free-text search."""
    qs = Entity.objects.filter(department_id__in=_readable(user))
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    q = (filters.q or "").strip()
    if q:
        code = normalize_code(q)
        if len(code) == 18 and uscc_error(code) is None:
            # A whole valid credit code: an equality the uscc/key indexes answer at once.
            qs = qs.filter(Q(uscc=code) | Q(key=code))
        else:
            match = Q(name__icontains=q) | Q(key__icontains=code)
            if code.isascii() and code.isalnum():
                # Part of a credit code (digits and capitals only): a name typed in Chinese
                # never is, and skipping the column saves a scan of it (benchmarks/lists.py).
                match |= Q(uscc__icontains=code)
            qs = qs.filter(match)
    for name in ("region", "industry", "entity_type", "subject_kind", "scale", "status"):
        value = (getattr(filters, name) or "").strip()
        if value:
            qs = qs.filter(**{name: value})
    if filters.risk_class:
        qs = qs.filter(risk_class="" if filters.risk_class == "none" else filters.risk_class)
    if filters.tag:
        qs = qs.filter(tags__id=filters.tag)
    return qs


def entity_list(
    *,
    user: User,
    filters: EntityFilters,
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> EntityPage:
    """One page of entities, newest first, by keyset: ``after`` = the last id of the previous
    page (go forward), ``before`` = the first id of the next page (go back)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    base = entity_queryset(user=user, filters=filters)
    if before is not None:
        rows = list(base.filter(id__gt=before).order_by("id")[: limit + 1])
        has_more_back = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        prev_cursor = rows[0].id if rows and has_more_back else None
        next_cursor = rows[-1].id if rows else None
        is_first = not has_more_back
    else:
        page_qs = base.filter(id__lt=after) if after is not None else base
        rows = list(page_qs.order_by("-id")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = rows[-1].id if rows and has_more else None
        prev_cursor = rows[0].id if rows and after is not None else None
        is_first = after is None
    _prefetch_tags(rows)
    if is_first and next_cursor is None:
        # The whole result fits on the first page: no second scan to count it (a rare
        # substring match would otherwise read the million rows twice).
        capped_count = len(rows)
    else:
        capped_count = base.order_by().values("id")[: COUNT_CAP + 1].count()
    return EntityPage(
        items=rows,
        next_cursor=next_cursor,
        prev_cursor=prev_cursor,
        count=min(capped_count, COUNT_CAP),
        count_capped=capped_count > COUNT_CAP,
        is_first=is_first,
    )


def _prefetch_tags(rows: list[Entity]) -> None:
    entities_prefetch(rows)


def entities_prefetch(rows: list[Entity]) -> None:
    """The tags and department of one page of entities, in two queries."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(rows, "tags", "department")


# --- inspectors ----------------------------------------------------------------------------


@dataclass
class InspectorFilters:
    q: str = ""
    kind: str = ""
    status: str = ""
    cert: str = ""  # valid / expired / unknown
    department: int | None = None


def inspector_list(
    *, user: User, filters: InspectorFilters, today: dt.date | None = None
) -> QuerySet[Inspector]:
    """Inspectors the user may read. A roster holds hundreds, not millions, of people
    (003 附件5 lists 26), so ordinary offset paging over this queryset is enough."""
    today = today or timezone.localdate()
    qs = Inspector.objects.filter(department_id__in=_readable(user)).select_related(
        "department", "user"
    )
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    q = (filters.q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(cert_no__icontains=normalize_code(q)))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.cert == "valid":
        qs = qs.filter(cert_valid_until__gte=today)
    elif filters.cert == "expired":
        qs = qs.filter(cert_valid_until__lt=today)
    elif filters.cert == "unknown":
        qs = qs.filter(cert_valid_until__isnull=True)
    return qs.order_by("department__code", "cert_no")


def inspector_cert_expired(*, inspector: Inspector, today: dt.date | None = None) -> bool:
    until = inspector.cert_valid_until
    return until is not None and until < (today or timezone.localdate())


# --- tags ------------------------------------------------------------------------------------


def tag_list(
    *,
    user: User,
    department: int | None = None,
    writable_only: bool = False,
    with_counts: bool = False,
) -> QuerySet[Tag]:
    scope = _writable(user) if writable_only else _readable(user)
    qs = Tag.objects.filter(department_id__in=scope).select_related("department")
    if with_counts:
        qs = qs.annotate(entity_count=Count("entities"))
    if department:
        qs = qs.filter(department_id=department)
    return qs.order_by("department__code", "kind", "name")


# --- conflicts -------------------------------------------------------------------------------


def _conflict_scope(user: User) -> Q:
    readable = _readable(user)
    return Q(inspector__department_id__in=readable) | Q(entity__department_id__in=readable)


def conflict_list(
    *,
    user: User,
    inspector: int | None = None,
    entity: int | None = None,
    active: bool | None = None,
) -> QuerySet[Conflict]:
    qs = Conflict.objects.filter(_conflict_scope(user)).select_related(
        "inspector", "entity", "declared_by", "withdrawn_by"
    )
    if inspector:
        qs = qs.filter(inspector_id=inspector)
    if entity:
        qs = qs.filter(entity_id=entity)
    if active is not None:
        qs = qs.filter(is_active=active)
    # Active declarations first; the withdrawn ones stay listed for the record.
    return qs.order_by("-is_active", "-declared_on", "-id")


def conflicts_of_inspector(*, inspector: Inspector) -> QuerySet[Conflict]:
    return (
        Conflict.objects.filter(inspector=inspector)
        .select_related("entity", "declared_by", "withdrawn_by")
        .order_by("-is_active", "-declared_on", "-id")
    )


def conflicts_of_entity(*, entity: Entity) -> QuerySet[Conflict]:
    return (
        Conflict.objects.filter(entity=entity)
        .select_related("inspector", "declared_by", "withdrawn_by")
        .order_by("-is_active", "-declared_on", "-id")
    )


# --- history -------------------------------------------------------------------------------

ACTION_LABELS = {
    "entity.create": "新增",
    "entity.update": "修改",
    "entity.tags_set": "调整标签",
    "inspector.create": "新增",
    "inspector.update": "修改",
    "inspector.reveal": "查看完整号码",
    "entity.reveal": "查看完整号码",
    "conflict.declare": "申报利害关系",
    "conflict.withdraw": "撤销利害关系申报",
}


@dataclass
class HistoryChange:
    field: str
    label: str
    before: Any
    after: Any


@dataclass
class HistoryEntry:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    label: str
    changes: list[HistoryChange]
    bulk: bool = False


def _label_for(model: type[Model], name: str) -> str:
    if name == "tags":
        return "标签"
    try:
        field = model._meta.get_field(name)
    except Exception:  # a field an import recorded that the model no longer has
        return name
    # A reverse relation has no verbose_name: shown by its name.
    return str(field.verbose_name) if isinstance(field, Field) else name


def _shown(name: str, value: Any) -> Any:
    # Whatever a bulk import stored, the history page never shows a full personal number.
    if name in ("contact_phone", "mobile") and isinstance(value, str):
        return mask_mobile(value)
    if name == "id_number" and isinstance(value, str):
        return mask_id_number(value)
    return value


def _change(model: type[Model], name: str, before: Any, after: Any) -> HistoryChange:
    return HistoryChange(name, _label_for(model, name), _shown(name, before), _shown(name, after))


def _changes_from(model: type[Model], before: Any, after: Any) -> list[HistoryChange]:
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    names = list(dict.fromkeys([*after.keys(), *before.keys()]))
    return [_change(model, n, before.get(n), after.get(n)) for n in names]


def _changes_from_record(model: type[Model], changes: Any) -> list[HistoryChange]:
    """An import's per-record change; accepts {"before": {...}, "after": {...}} or
    {field: [before, after]} or {field: value}."""
    if isinstance(changes, dict) and ("before" in changes or "after" in changes):
        return _changes_from(model, changes.get("before"), changes.get("after"))
    out = []
    if isinstance(changes, dict):
        for name, value in changes.items():
            if isinstance(value, (list, tuple)) and len(value) == 2:
                out.append(_change(model, name, value[0], value[1]))
            elif isinstance(value, dict) and ("old" in value or "new" in value):
                out.append(_change(model, name, value.get("old"), value.get("new")))
            else:
                out.append(_change(model, name, None, value))
    return out


def record_history(*, obj: Model, limit: int = 200) -> list[HistoryEntry]:
    """全程留痕 [002 第六条]: the record's own audit events plus the per-record changes that
    bulk imports wrote (audit.RecordChange), newest first."""
    model = type(obj)
    label, pk = obj._meta.label_lower, str(obj.pk)
    entries = [
        HistoryEntry(
            e.seq,
            e.created_at,
            e.actor_name,
            e.action,
            ACTION_LABELS.get(e.action) or action_label(e.action),
            _changes_from(model, e.before, e.after),
        )
        for e in Event.objects.filter(object_type=label, object_id=pk).order_by("-seq")[:limit]
    ]
    for rc in (
        RecordChange.objects.filter(object_type=label, object_id=pk)
        .select_related("event")
        .order_by("-event__seq")[:limit]
    ):
        e = rc.event
        entries.append(
            HistoryEntry(
                e.seq,
                e.created_at,
                e.actor_name,
                e.action,
                "批量导入",
                _changes_from_record(model, rc.changes),
                bulk=True,
            )
        )
    entries.sort(key=lambda h: h.seq, reverse=True)
    return entries[:limit]


def inspector_accounts_eligible(*, inspector: Inspector) -> QuerySet[User]:
    """Login accounts that may be linked to ``inspector``: active, holding the 执法检查人员
    role in its department, and not linked to another inspector."""

    return (
        User.objects.filter(
            is_active=True,
            memberships__department_id=inspector.department_id,
            memberships__role=Role.INSPECTOR,
        )
        .filter(Q(inspector__isnull=True) | Q(inspector=inspector))
        .distinct()
        .order_by("username")
    )


def inspector_account_by_username(*, inspector: Inspector, username: str) -> User | None:
    """The account named ``username`` among the users of the inspector's department (the API
    names accounts by login name). Accounts elsewhere are "not found": an admin learns
    nothing about other departments' users."""
    return (
        User.objects.filter(
            username=username.strip(), memberships__department_id=inspector.department_id
        )
        .distinct()
        .first()
    )
