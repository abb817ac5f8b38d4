"""Reads of the 抽查事项清单, scoped by department (谁管理、谁维护 [002 第十一条]).

The list itself is public [001 三(一): “及时通过相关网站…向社会公示”]: ``items_public``
needs no user; every other selector sees only the user's departments.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import (
    department_subtree_ids_of,
    readable_department_ids,
    writable_department_ids,
)
from shuangsuiji.catalog.choices import InspectionMethod, ItemCategory
from shuangsuiji.catalog.models import Item, ItemVersion
from shuangsuiji.catalog.services import CONTENT_FIELDS, FIELD_LABELS
from shuangsuiji.common.errors import NotFound, ValidationFailed


def items_visible(*, user: User) -> QuerySet[Item]:
    """Every item of the departments the user may read (repealed ones included)."""
    return Item.objects.filter(department_id__in=readable_department_ids(user=user)).select_related(
        "department", "current", "copied_from__department"
    )


def item_search(
    *,
    user: User,
    q: str = "",
    code: str = "",
    category: str = "",
    department: str = "",
    include_repealed: bool = False,
) -> QuerySet[Item]:
    """The list page and the API: search by name or code, filter by category and department.

    ``department`` is a department code; its sub-departments are included (a 委 sees its 科室).
    """
    qs = items_visible(user=user)
    if not include_repealed:
        qs = qs.filter(is_repealed=False)
    if q := q.strip():
        qs = qs.filter(
            Q(current__name__icontains=q)
            | Q(code__icontains=q)
            | Q(current__target_type__icontains=q)
        )
    if code := code.strip():
        qs = qs.filter(code__icontains=code)
    if category := category.strip():
        if category not in ItemCategory.values:
            raise ValidationFailed(f"事项类别无效：{category}", field="category")
        qs = qs.filter(current__category=category)
    if department := department.strip():
        dept = Department.objects.filter(code=department).first()
        if dept is None:
            raise ValidationFailed(f"部门 {department} 不存在", field="department")
        qs = qs.filter(department_id__in=_subtree_ids(dept))
    return qs.order_by("department__code", "code")


def _subtree_ids(root: Department) -> set[int]:
    return department_subtree_ids_of(department=root)


def item_get(*, user: User, pk: int) -> Item:
    """One item the user may read; an item of another department is “not found” (no leak)."""
    item = items_visible(user=user).filter(pk=pk).first()
    if item is None:
        raise NotFound("抽查事项不存在或您无权查看")
    return item


def item_can_write(*, user: User, item: Item) -> bool:
    return item.department_id in writable_department_ids(user=user)


def item_versions(*, item: Item) -> QuerySet[ItemVersion]:
    """All versions, newest first (versions are never edited: this is the whole history)."""
    return item.versions.select_related("created_by").order_by("-number")


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionEntry:
    version: ItemVersion
    changes: list[FieldChange]


def _display(name: str, value: Any) -> str:
    if name == "category":
        return str(ItemCategory(value).label) if value in ItemCategory.values else str(value)
    if name == "methods":
        return "、".join(
            str(InspectionMethod(m).label) if m in InspectionMethod.values else str(m)
            for m in value
        )
    if name == "checklist":
        return "；".join(value)
    if name == "random_exempt":
        return "是" if value else "否"
    if name == "default_ratio":
        return "" if value is None else f"{value.normalize():f}%"
    return "" if value is None else str(value)


def version_diff(*, old: ItemVersion | None, new: ItemVersion) -> list[FieldChange]:
    """Which fields a version changed against the one before it, as the users read them."""
    changes = []
    for name in CONTENT_FIELDS:
        after = _display(name, getattr(new, name))
        before = _display(name, getattr(old, name)) if old is not None else ""
        if old is None or before != after:
            if old is None and not after:
                continue
            changes.append(FieldChange(name, FIELD_LABELS[name], before, after))
    return changes


def item_history(*, item: Item) -> list[VersionEntry]:
    """Each version with the fields it changed (立改废释 visible at a glance), newest first."""
    versions = list(item_versions(item=item))
    entries = []
    for i, version in enumerate(versions):
        older = versions[i + 1] if i + 1 < len(versions) else None
        entries.append(VersionEntry(version, version_diff(old=older, new=version)))
    return entries


def item_copy_candidates(*, department: Department) -> QuerySet[Item]:
    """Items of the higher-level departments that this department may copy [001 三(一)]:
    current, not repealed, and not already in its own list (same code)."""
    ancestor_ids = [d.id for d in department.ancestors()]
    taken = Item.objects.filter(department=department).values("code")
    return (
        Item.objects.filter(
            department_id__in=ancestor_ids, is_repealed=False, current__isnull=False
        )
        .exclude(code__in=taken)
        .select_related("department", "current")
        .order_by("department__code", "code")
    )


def item_source_changed(*, item: Item) -> bool:
    """A copied item whose higher-level source has since been revised or repealed."""
    source = item.copied_from
    if source is None or item.current is None:
        return False
    if source.is_repealed:
        return True
    src_current = source.current
    return src_current is not None and _content_key(src_current) != _content_key(item.current)


def _content_key(version: ItemVersion) -> tuple:
    return tuple(_display(name, getattr(version, name)) for name in CONTENT_FIELDS)


def items_public(*, department: Department | None = None, q: str = "") -> QuerySet[ItemVersion]:
    """The public list (一公开): the current version of every item in force, without login.

    Repealed items and superseded versions are left out; who wrote a version is not shown.
    """
    current_ids = Item.objects.filter(is_repealed=False, current__isnull=False)
    if department is not None:
        current_ids = current_ids.filter(department_id__in=_subtree_ids(department))
    qs = ItemVersion.objects.filter(id__in=current_ids.values("current_id")).select_related(
        "item__department"
    )
    if q := q.strip():
        qs = qs.filter(Q(name__icontains=q) | Q(item__code__icontains=q))
    return qs.order_by("item__department__code", "item__code")


def items_for_export(*, department: Department) -> QuerySet[Item]:
    """The department's own list in force (the exporter; the same rows an import upserts)."""
    return (
        Item.objects.filter(department=department, is_repealed=False, current__isnull=False)
        .select_related("current", "department")
        .order_by("code")
    )
