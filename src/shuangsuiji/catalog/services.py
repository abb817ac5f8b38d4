"""Writes to the 抽查事项清单: 立 (create), 改/释 (revise), 废 (repeal) and 引用上级清单 (copy).

清单根据法律法规规章“立改废释”和工作实际动态调整 [001 三(一), 002 第八条]: every change
makes a new, immutable ``ItemVersion`` with its reason and effective date; nothing is edited
in place. 谁管理、谁维护 [002 第十一条]: only a 部门管理员 of the item's department (or of a
department above it) writes. Each write is one transaction with its audit event.
"""

import dataclasses
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, overload

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import writable_department_ids
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.choices import ChangeKind, InspectionMethod, ItemCategory
from shuangsuiji.catalog.models import Item, ItemVersion
from shuangsuiji.common.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from shuangsuiji.imports.framework import actor_is_cli

# The content fields of a version, in the order the documents list them
# (事项名称、检查依据、检查对象、检查内容、检查方式、抽查比例、抽查频次、检查主体、责任单位 [003 附件2 一]).
CONTENT_FIELDS = (
    "name",
    "category",
    "field",
    "target_type",
    "content",
    "methods",
    "basis",
    "subject",
    "responsible_unit",
    "level",
    "default_ratio",
    "default_frequency",
    "checklist",
    "random_exempt",
    "exempt_reason",
)

FIELD_LABELS = {
    "code": "事项编码",
    "department": "所属部门",
    "name": "事项名称",
    "category": "事项类别",
    "field": "抽查领域",
    "target_type": "检查对象",
    "content": "检查内容",
    "methods": "检查方式",
    "basis": "检查依据",
    "subject": "检查主体",
    "responsible_unit": "责任单位",
    "level": "实施层级",
    "default_ratio": "抽查比例",
    "default_frequency": "抽查频次",
    "checklist": "检查表单",
    "random_exempt": "不适用随机抽查",
    "exempt_reason": "不适用随机抽查的理由",
    "change_kind": "变更类型",
    "change_reason": "变更理由",
    "effective_date": "生效日期",
    "expected_number": "版本号",
    "items": "事项",
}

_MAX_LEN = {
    "name": 200,
    "field": 100,
    "target_type": 200,
    "subject": 100,
    "responsible_unit": 100,
    "level": 100,
    "default_frequency": 100,
    "code": 64,
}
_CHECKPOINT_MAX = 500
# 2024-09-03, 2024/9/3, 2024.9.3, 2024年9月3日 — the ways the documents and Excel write dates.
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_TEXT_MAX = 20000
REVISE_KINDS = (ChangeKind.AMEND, ChangeKind.INTERPRET)

# Files and forms write the Chinese names (“重点检查事项”, “现场检查”); both forms are accepted.
_CATEGORY_BY_LABEL = {str(label): value for value, label in ItemCategory.choices} | {
    "一般": ItemCategory.GENERAL,
    "重点": ItemCategory.KEY,
    "一般事项": ItemCategory.GENERAL,
    "重点事项": ItemCategory.KEY,
}
_METHOD_BY_LABEL = {str(label): value for value, label in InspectionMethod.choices} | {
    "现场": InspectionMethod.ON_SITE,
    "书面": InspectionMethod.DOCUMENT,
    "实地检查": InspectionMethod.ON_SITE,
    "书面审查": InspectionMethod.DOCUMENT,
    "网络检查": InspectionMethod.ONLINE,
    "抽样": InspectionMethod.SAMPLING,
}


@dataclass(frozen=True)
class ItemContent:
    """The content of one version, validated and normalised (see ``item_content_clean``)."""

    name: str
    category: str
    target_type: str
    content: str
    methods: list[str]
    basis: str
    subject: str = ""
    responsible_unit: str = ""
    field: str = ""
    level: str = ""
    default_ratio: Decimal | None = None
    default_frequency: str = ""
    checklist: list[str] = dataclasses.field(default_factory=list)
    random_exempt: bool = False
    exempt_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def digest(self) -> str:
        """A fingerprint of the content: an import row that matches it changes nothing."""
        data = self.as_dict()
        data["default_ratio"] = _ratio_text(self.default_ratio)
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def _ratio_text(value: Decimal | None) -> str | None:
    """“6”, not “6.000” or “6E+0”: the same figure reads the same whether just typed or stored."""
    return None if value is None else format(Decimal(value).normalize(), "f")


def _text(value: Any) -> str:
    # Only trimmed (including the full-width space U+3000): NFKC would also turn the Chinese
    # punctuation of names and legal texts into ASCII, which the documents do not use.
    return "" if value is None else str(value).strip()


def _split_points(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        for sep in ("；", ";", "\r\n", "\r"):
            value = value.replace(sep, "\n")
        parts = value.split("\n")
    else:
        parts = list(value)
    return [p for p in (_text(x) for x in parts) if p]


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "是", "y"}
    return bool(value)


def item_content_clean(*, data: Mapping[str, Any]) -> ItemContent:
    """Validates every field of an item; raises one ``ValidationFailed`` naming each bad field."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    values: dict[str, Any] = {}
    for name in (
        "name",
        "field",
        "target_type",
        "content",
        "basis",
        "subject",
        "responsible_unit",
        "level",
        "default_frequency",
        "exempt_reason",
    ):
        values[name] = _text(data.get(name))
        limit = _MAX_LEN.get(name, _TEXT_MAX)
        if len(values[name]) > limit:
            err(name, f"{FIELD_LABELS[name]}不能超过{limit}个字")

    for name in ("name", "target_type", "content"):
        if not values[name]:
            err(name, f"{FIELD_LABELS[name]}不能为空")
    # 法无授权不可为：每个抽查事项都要写明检查依据 [004 二; 003 附件2 一].
    if not values["basis"]:
        err("basis", "检查依据不能为空（请写明法律、法规、规章条款）")
    # 逐项明确检查主体、责任单位 [003 附件2 一]; the plan tables name at least the lead unit.
    if not values["subject"] and not values["responsible_unit"]:
        err("subject", "检查主体和责任单位至少填写一项")

    category = _text(data.get("category")) or ItemCategory.GENERAL
    category = _CATEGORY_BY_LABEL.get(category, category)
    if category not in ItemCategory.values:
        err("category", f"事项类别无效：{category}（应为一般检查事项或重点检查事项）")
    values["category"] = category

    raw_methods = data.get("methods") or []
    if isinstance(raw_methods, str):
        raw_methods = _split_points(
            raw_methods.replace("、", "\n")
            .replace("/", "\n")
            .replace(",", "\n")
            .replace("，", "\n")
        )
    methods: list[str] = []
    for m in raw_methods:
        m = _text(m)
        m = _METHOD_BY_LABEL.get(m, m)
        if m not in InspectionMethod.values:
            err("methods", f"检查方式无效：{m}")
        elif m not in methods:
            methods.append(m)
    if not methods and "methods" not in errors:
        err("methods", "检查方式至少选择一项")
    values["methods"] = methods

    ratio_raw = data.get("default_ratio")
    ratio: Decimal | None = None
    if ratio_raw is not None and _text(ratio_raw) != "":
        try:
            # 全角 digits and ％ come from Word tables: NFKC makes them ASCII.
            ratio = Decimal(unicodedata.normalize("NFKC", _text(ratio_raw)).rstrip("%").strip())
        except InvalidOperation:
            err(
                "default_ratio",
                f"抽查比例应为0到100之间的数字（百分比），实际为“{_text(ratio_raw)}”",
            )
        else:
            if not ratio.is_finite() or ratio < 0 or ratio > 100:
                err("default_ratio", "抽查比例应在0到100之间（百分比）")
            elif ratio.as_tuple().exponent < -3:  # type: ignore[operator]
                err("default_ratio", "抽查比例最多保留3位小数")
    values["default_ratio"] = ratio

    checklist = _split_points(data.get("checklist"))
    for point in checklist:
        if len(point) > _CHECKPOINT_MAX:
            err("checklist", f"检查表单的每个检查要点不能超过{_CHECKPOINT_MAX}个字")
            break
    values["checklist"] = checklist

    exempt = _as_bool(data.get("random_exempt"))
    # 对无法进行双随机抽查的事项提出充分的理由 [003 附件2 一].
    if exempt and not values["exempt_reason"]:
        err("exempt_reason", "不适用随机抽查的事项必须写明理由")
    values["random_exempt"] = exempt
    if not exempt:
        values["exempt_reason"] = ""

    if errors:
        raise ValidationFailed(
            "；".join(m for msgs in errors.values() for m in msgs), errors=errors
        )
    return ItemContent(**values)


def content_of(version: ItemVersion) -> ItemContent:
    """The content of a stored version (to pre-fill a revision or compare with an import row)."""
    return ItemContent(**{name: getattr(version, name) for name in CONTENT_FIELDS})


@overload
def snapshot(version: ItemVersion) -> dict[str, Any]: ...
@overload
def snapshot(version: None) -> None: ...
@overload
def snapshot(version: ItemVersion | None) -> dict[str, Any] | None: ...
def snapshot(version: ItemVersion | None) -> dict[str, Any] | None:
    """What the audit trail records for a version: its content and its change metadata."""
    if version is None:
        return None
    data = content_of(version).as_dict()
    data["default_ratio"] = _ratio_text(version.default_ratio)
    data.update(
        number=version.number,
        change_kind=version.change_kind,
        change_reason=version.change_reason,
        effective_date=version.effective_date.isoformat(),
        code=version.item.code,
    )
    return data


def clean_reason(reason: str | None, *, required: bool, default: str = "") -> str:
    reason = _text(reason) or default
    if required and not reason:
        raise ValidationFailed("请填写变更理由（如法律法规修订、工作调整）", field="change_reason")
    if len(reason) > _TEXT_MAX:
        raise ValidationFailed(f"变更理由不能超过{_TEXT_MAX}个字", field="change_reason")
    return reason


def clean_date(value: dt.date | str | None, *, required: bool) -> dt.date:
    if value in (None, ""):
        if required:
            raise ValidationFailed("请填写生效日期", field="effective_date")
        return timezone.localdate()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE_RE.match(unicodedata.normalize("NFKC", _text(value)))
    try:
        if match is None:
            raise ValueError(value)
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise ValidationFailed(
            f"生效日期格式不正确：{value}（应为 YYYY-MM-DD）", field="effective_date"
        ) from exc


def clean_code(code: str | None) -> str:
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not code:
        raise ValidationFailed("事项编码不能为空", field="code")
    if len(code) > _MAX_LEN["code"]:
        raise ValidationFailed(f"事项编码不能超过{_MAX_LEN['code']}个字符", field="code")
    if any(ch.isspace() for ch in code):
        raise ValidationFailed("事项编码不能含空格", field="code")
    return code


def _validate_all(**checks: Callable[[], Any]) -> dict[str, Any]:
    """Runs every check and reports all bad fields at once (not only the first one)."""
    results: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, check in checks.items():
        try:
            results[key] = check()
        except ValidationFailed as exc:
            for name, messages in (exc.errors or {"": [exc.message]}).items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationFailed(
            "；".join(m for msgs in errors.values() for m in msgs), errors=errors
        )
    return results


def _require_writer(*, actor: User | str | None, department: Department) -> None:
    """谁管理、谁维护 [002 第十一条]: the 部门管理员 of this department or one above it.

    ``actor=None`` or a name (``CLI_ACTOR``, the demo loader) is the server's own operator:
    whoever can run code on the server already holds the database. Pages and the API always
    pass the signed-in user.
    """
    if actor is None or isinstance(actor, str) or actor_is_cli(actor):
        return
    if department.id not in writable_department_ids(user=actor):
        raise NotAllowed(f"您不是“{department.name}”的部门管理员，不能维护其抽查事项清单")


def _as_content(
    data: ItemContent | Mapping[str, Any] | None, fields: Mapping[str, Any]
) -> ItemContent:
    """The content from ``data`` (a mapping or a cleaned ``ItemContent``) and/or the content
    fields passed one by one (``name=…, target_type=…``); the latter win."""
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown item fields: {', '.join(sorted(unknown))}")
    if isinstance(data, ItemContent) and not fields:
        return data
    merged = dict(data.as_dict() if isinstance(data, ItemContent) else (data or {}))
    merged.update(fields)
    return item_content_clean(data=merged)


def version_write(
    *,
    item: Item,
    number: int,
    content: ItemContent,
    change_kind: str,
    change_reason: str,
    effective_date: dt.date,
    actor: Any,
) -> ItemVersion:
    """Stores a version and makes it current. For callers that hold the item's row lock and
    write the audit record themselves (the services below, the batch import)."""
    version = ItemVersion.objects.create(
        item=item,
        number=number,
        change_kind=change_kind,
        change_reason=change_reason,
        effective_date=effective_date,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        row_digest=content.digest(),
        **content.as_dict(),
    )
    item.current = version
    item.save(update_fields=["current", "is_repealed", "updated_at"])
    return version


def _lock_item(item: Item) -> Item:
    """Re-reads the item under a row lock.

    Race: two admins revising (or one revising, one repealing) the same item at once would
    both read version N and both write N+1. The lock makes the second wait and then see N+1;
    the unique (item, number) constraint is the backstop.
    """
    try:
        return (
            Item.objects.select_for_update(of=("self",))
            .select_related("department", "current")
            .get(pk=item.pk)
        )
    except Item.DoesNotExist as exc:
        raise NotFound("抽查事项不存在") from exc


def item_create(
    *,
    department: Department,
    code: str,
    data: ItemContent | Mapping[str, Any] | None = None,
    effective_date: dt.date | str | None = None,
    change_reason: str = "",
    actor: User | str | None,
    **fields: Any,
) -> Item:
    """立：a new item with its first version (change_kind 新增).

    The content comes as ``data`` (a mapping of the ``CONTENT_FIELDS``) or as those fields
    one by one (``name=…, content=…``), or both.
    """
    _require_writer(actor=actor, department=department)
    checked = _validate_all(
        code=lambda: clean_code(code),
        content=lambda: _as_content(data, fields),
        reason=lambda: clean_reason(change_reason, required=False, default="新增抽查事项"),
        effective=lambda: clean_date(effective_date, required=False),
    )
    code, content, reason, effective = (
        checked["code"],
        checked["content"],
        checked["reason"],
        checked["effective"],
    )
    with transaction.atomic():
        # The (department, code) constraint settles two people creating the same code at once;
        # the check first gives the usual case a friendly message.
        if Item.objects.filter(department=department, code=code).exists():
            raise Conflict(f"本部门清单中已有事项编码 {code}", field="code")
        try:
            with transaction.atomic():
                item = Item.objects.create(department=department, code=code)
        except IntegrityError as exc:
            raise Conflict(f"本部门清单中已有事项编码 {code}", field="code") from exc
        version = version_write(
            item=item,
            number=1,
            content=content,
            change_kind=ChangeKind.CREATE,
            change_reason=reason,
            effective_date=effective,
            actor=actor,
        )
        event_record(
            actor=actor,
            action="item.create",
            obj=item,
            department=department,
            after=snapshot(version),
        )
    return item


def check_revisable(*, item: Item, expected_number: int | None, effective: dt.date) -> None:
    if item.is_repealed:
        raise Conflict(f"事项 {item.code} 已废止，不能再修订", field="change_kind")
    current = item.current
    # Optimistic check: the form was filled from version ``expected_number``; if someone else
    # has saved a newer version since, saving would silently overwrite their change.
    if expected_number is not None and current is not None and current.number != expected_number:
        raise Conflict(
            f"事项 {item.code} 已被他人修订为第{current.number}版，请刷新后在最新版本上修改",
            field="expected_number",
        )
    if current is not None and effective < current.effective_date:
        raise ValidationFailed(
            f"生效日期不能早于现行版本的生效日期（{current.effective_date:%Y-%m-%d}）",
            field="effective_date",
        )


def next_number(item: Item) -> int:
    return (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def item_revise(
    *,
    item: Item,
    data: ItemContent | Mapping[str, Any] | None = None,
    change_kind: str = ChangeKind.AMEND,
    change_reason: str,
    effective_date: dt.date | str | None,
    actor: User | str | None,
    expected_number: int | None = None,
    **fields: Any,
) -> ItemVersion:
    """改/释：a new version; the old ones stay as they were (清单随“立改废释”动态调整 [002 第八条])."""
    if change_kind not in REVISE_KINDS:
        raise ValidationFailed("变更类型应为“修改（改）”或“解释（释）”", field="change_kind")
    _require_writer(actor=actor, department=item.department)
    checked = _validate_all(
        content=lambda: _as_content(data, fields),
        reason=lambda: clean_reason(change_reason, required=True),
        effective=lambda: clean_date(effective_date, required=True),
    )
    content, reason, effective = checked["content"], checked["reason"], checked["effective"]
    with transaction.atomic():
        locked = _lock_item(item)
        check_revisable(item=locked, expected_number=expected_number, effective=effective)
        before = locked.current
        # 改 must change something; 释 may keep the text and only record the new interpretation.
        if (
            change_kind == ChangeKind.AMEND
            and before is not None
            and content_of(before).digest() == content.digest()
        ):
            raise ValidationFailed(
                "内容与现行版本相同，没有可修改的内容（仅作解释请选择“解释（释）”）",
                field="change_kind",
            )
        version = version_write(
            item=locked,
            number=next_number(locked),
            content=content,
            change_kind=change_kind,
            change_reason=reason,
            effective_date=effective,
            actor=actor,
        )
        event_record(
            actor=actor,
            action="item.revise",
            obj=locked,
            department=locked.department,
            before=snapshot(before),
            after=snapshot(version),
        )
    item.refresh_from_db()
    return version


def item_repeal(
    *,
    item: Item,
    change_reason: str,
    effective_date: dt.date | str | None,
    actor: User | str | None,
    expected_number: int | None = None,
) -> ItemVersion:
    """废：a final version that marks the item repealed; it stays in the history, off the list."""
    _require_writer(actor=actor, department=item.department)
    checked = _validate_all(
        reason=lambda: clean_reason(change_reason, required=True),
        effective=lambda: clean_date(effective_date, required=True),
    )
    reason, effective = checked["reason"], checked["effective"]
    with transaction.atomic():
        locked = _lock_item(item)
        check_revisable(item=locked, expected_number=expected_number, effective=effective)
        before = locked.current
        # Every item has a current version: its first one is written with it (item_create,
        # item_copy, the import), in the same transaction.
        assert before is not None
        locked.is_repealed = True
        version = version_write(
            item=locked,
            number=next_number(locked),
            content=content_of(before),
            change_kind=ChangeKind.REPEAL,
            change_reason=reason,
            effective_date=effective,
            actor=actor,
        )
        event_record(
            actor=actor,
            action="item.repeal",
            obj=locked,
            department=locked.department,
            before=snapshot(before),
            after=snapshot(version),
        )
    item.refresh_from_db()
    return version


def item_copy(
    *,
    department: Department,
    items: Iterable[Item],
    actor: User | str | None,
    effective_date: dt.date | str | None = None,
    change_reason: str = "",
) -> list[Item]:
    """引用上级清单：copies items from a higher-level department's list [001 三(一)].

    “也可直接在平台复制上级随机抽查事项清单”: only from an ancestor in the department tree,
    keeping the item code and ``copied_from``. All or nothing.
    """
    _require_writer(actor=actor, department=department)
    sources = list(items)
    if not sources:
        raise ValidationFailed("请选择要引用的上级事项", field="items")
    effective = clean_date(effective_date, required=False)
    ancestors = {d.id: d for d in department.ancestors()}
    with transaction.atomic():
        copies: list[Item] = []
        seen: set[str] = set()
        for source in sources:
            source = Item.objects.select_related("department", "current").get(pk=source.pk)
            if source.department_id not in ancestors:
                raise NotAllowed(
                    f"事项 {source.code} 属于“{source.department.name}”，不是“{department.name}”的上级部门，不能引用",
                    field="items",
                )
            if source.is_repealed or source.current is None:
                raise Conflict(f"事项 {source.code} 已废止，不能引用", field="items")
            if (
                source.code in seen
                or Item.objects.filter(department=department, code=source.code).exists()
            ):
                raise Conflict(
                    f"本部门清单中已有事项编码 {source.code}，不能重复引用", field="items"
                )
            seen.add(source.code)
            reason = clean_reason(
                change_reason,
                required=False,
                default=f"引用上级部门“{source.department.name}”清单事项",
            )
            try:
                with transaction.atomic():
                    copy = Item.objects.create(
                        department=department, code=source.code, copied_from=source
                    )
            except IntegrityError as exc:
                raise Conflict(
                    f"本部门清单中已有事项编码 {source.code}，不能重复引用", field="items"
                ) from exc
            version = version_write(
                item=copy,
                number=1,
                content=content_of(source.current),
                change_kind=ChangeKind.COPY,
                change_reason=reason,
                effective_date=effective,
                actor=actor,
            )
            after = snapshot(version)
            after["copied_from"] = {
                "id": source.pk,
                "department": source.department.code,
                "number": source.current.number,
            }
            event_record(
                actor=actor, action="item.copy", obj=copy, department=department, after=after
            )
            copies.append(copy)
    return copies
