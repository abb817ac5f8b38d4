"""Batch import of the 抽查事项清单 ("items"): ``ssj import items FILE --department CODE``.

The columns are the ones the documents use for the list [003 附件2 一: 事项名称、检查依据、
检查对象、检查内容、检查方式、抽查比例、抽查频次、检查主体、责任单位; 000 附件 and 004 四:
抽查领域、抽查事项、抽查时间、抽查比例、牵头单位、层级] plus 事项编码, the key.

Upsert on 事项编码 within the department, keeping 立改废释 [002 第八条]:

* a new code → a new item, version 1 (立);
* a known code whose content is unchanged → nothing at all (re-importing a file is a no-op);
* a known code whose content changed → a new version (改, or 释 when 变更类型 says so), with
  the file's 变更理由 or “批量导入更新”, and its 生效日期 or today;
* 变更类型 “废止” → a final repeal version (废), with its reason.

All or nothing (unless ``skip_invalid``); every error names its row, column and reason.
Item lists are hundreds of rows, not millions: the ORM and the services' own checks are
used row by row, inside one transaction, so the rules are the same as on the web page.
One hash-chained audit event for the import, one ``RecordChange`` per changed item.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.choices import ChangeKind
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.services import (
    CONTENT_FIELDS,
    ItemContent,
    clean_code,
    clean_date,
    content_of,
    item_content_clean,
    next_number,
    version_write,
)
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.imports import tabular
from shuangsuiji.imports.framework import (
    ChangeSpool,
    ErrorList,
    ImportResult,
    ProgressFn,
    check_write_scope,
    record_import_event,
    register_importer,
)

C = tabular.Column

# Order = the order of the export and of the blank template.
COLUMNS = [
    C("seq", "序号"),
    C("code", "事项编码", required=True, aliases=("编码", "事项代码", "抽查事项编码", "事项编号")),
    C(
        "name",
        "事项名称",
        required=True,
        aliases=("抽查事项名称", "抽查事项", "检查事项", "检查事项名称", "事项"),
    ),
    C("category", "事项类别", aliases=("类别", "事项类型", "检查事项类别")),
    C("field", "抽查领域", aliases=("领域", "监管领域")),
    C("target_type", "检查对象", aliases=("抽查对象", "检查对象类型")),
    C("content", "检查内容", aliases=("抽查内容",)),
    C("methods", "检查方式", aliases=("抽查方式",)),
    C("basis", "检查依据", aliases=("抽查依据", "法律依据", "依据", "设定依据")),
    C("subject", "检查主体", aliases=("实施主体", "抽查主体")),
    C("responsible_unit", "责任单位", aliases=("牵头单位", "责任科室", "责任股室", "承办科室")),
    C("level", "实施层级", aliases=("层级",)),
    C("default_ratio", "抽查比例", aliases=("比例",)),
    C("default_frequency", "抽查频次", aliases=("频次", "抽查频率", "抽查时间")),
    C("checklist", "检查表单", aliases=("检查要点", "检查清单", "检查表")),
    C("random_exempt", "不适用随机抽查", aliases=("是否不适用随机抽查",)),
    C(
        "exempt_reason",
        "不适用随机抽查的理由",
        aliases=("不适用随机抽查理由", "不适用理由", "不纳入随机抽查理由"),
    ),
    C("change_kind", "变更类型", aliases=("调整类型",)),
    C("change_reason", "变更理由", aliases=("变更原因", "调整理由", "调整原因")),
    C("effective_date", "生效日期", aliases=("施行日期", "实施日期")),
]
HEADERS = {c.field: c.header for c in COLUMNS}
DEFAULT_REASON = "批量导入更新"
CREATE_REASON = "批量导入新增"

# 变更类型 as files write it (the 立改废释 words and the labels of ChangeKind).
_KIND_WORDS = {
    "立": ChangeKind.CREATE,
    "新增": ChangeKind.CREATE,
    "新增(立)": ChangeKind.CREATE,
    "改": ChangeKind.AMEND,
    "修改": ChangeKind.AMEND,
    "修订": ChangeKind.AMEND,
    "修改(改)": ChangeKind.AMEND,
    "释": ChangeKind.INTERPRET,
    "解释": ChangeKind.INTERPRET,
    "解释(释)": ChangeKind.INTERPRET,
    "废": ChangeKind.REPEAL,
    "废止": ChangeKind.REPEAL,
    "废止(废)": ChangeKind.REPEAL,
    "引用上级清单": ChangeKind.COPY,
    "引用": ChangeKind.COPY,
}
PROGRESS_EVERY = 50


def _kind(raw: Any) -> str:
    key = tabular.header_key(tabular.cell_text(raw))
    if not key:
        return ""
    found = _KIND_WORDS.get(key) or (key if key in ChangeKind.values else None)
    if found is None:
        raise ValueError(f"无法识别「{tabular.cell_text(raw)}」，可填：新增、修改、解释、废止")
    return found


def _cell(field: str, raw: Any) -> Any:
    """A cell as the service expects it; free text keeps its full-width punctuation."""
    if field == "default_ratio" and isinstance(raw, float) and 0 < raw <= 1:
        # A spreadsheet cell formatted as a percentage arrives as a fraction (6 % → 0.06):
        # read it as planning.parsing.parse_ratio does, so one workbook means the same in
        # both importers. Text ("0.2", "0.2%") is always read as percent.
        return format((Decimal(str(raw)) * 100).normalize(), "f")
    if field in ("category", "methods", "random_exempt", "default_ratio"):
        return tabular.cell_text(raw)
    return tabular.cell_plain(raw)


class ItemImporter:
    """抽查事项清单 import (see the module docstring)."""

    kind = "items"
    label = "抽查事项清单"
    columns = COLUMNS

    def run(
        self,
        *,
        table: tabular.Table,
        department,
        actor,
        dry_run: bool,
        skip_invalid: bool,
        progress: ProgressFn | None = None,
        options: dict[str, Any] | None = None,
    ) -> ImportResult:
        check_write_scope(actor=actor, department=department)
        bound = table.bind(self.columns)
        if dry_run:
            # Nothing is written and nothing locked: the preview never blocks the admins.
            return _Run(bound, department, actor, dry_run, skip_invalid, progress).execute()
        with transaction.atomic():
            # Race: two imports into one department (or an import and a hand edit) would both
            # see a code as new, or both write version N+1. The department lock serialises
            # imports; the item rows are locked while loaded, so hand edits wait for us.
            Department.objects.select_for_update().filter(pk=department.pk).first()
            result = _Run(bound, department, actor, dry_run, skip_invalid, progress).execute()
            if not result.committed:
                transaction.set_rollback(True)
            return result


class _Run:
    def __init__(
        self,
        bound: tabular.BoundTable,
        department,
        actor,
        dry_run: bool,
        skip_invalid: bool,
        progress: ProgressFn | None,
    ):
        self.bound, self.department, self.actor = bound, department, actor
        self.dry_run, self.skip_invalid, self.progress = dry_run, skip_invalid, progress
        self.errors = ErrorList()
        self.result = ImportResult(
            kind="items",
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            file_name=bound.table.name,
            header_row=bound.header_row,
            unknown_headers=list(bound.unknown_headers),
        )
        self.spool = ChangeSpool(Item._meta.label_lower)
        self.today = timezone.localdate()

    def header(self, field: str) -> str:
        return self.bound.header_of(field)

    def execute(self) -> ImportResult:
        qs = Item.objects.filter(department=self.department).select_related("current")
        if not self.dry_run:
            qs = qs.select_for_update(of=("self",))
        existing = {item.code: item for item in qs}
        plans: list[tuple[int, dict[str, Any]]] = []
        seen: dict[str, int] = {}
        total = 0
        for row, record in self.bound.records():
            total += 1
            plan = self.check_row(row, record, existing, seen)
            if plan is not None:
                plans.append((row, plan))
            if self.progress is not None and total % PROGRESS_EVERY == 0:
                self.progress(total, None)
        result = self.result
        result.total = total
        result.set_errors(self.errors)
        if self.skip_invalid:
            result.skipped = len(self.errors.rows)
        for _row, plan in plans:
            result.created += plan["action"] == "create"
            result.updated += plan["action"] in ("revise", "repeal")
            result.unchanged += plan["action"] == "unchanged"
        commit = not self.dry_run and (not self.errors or self.skip_invalid)
        if commit:
            for _row, plan in plans:
                self.write(plan)
            record_import_event(
                result=result, department=self.department, actor=self.actor, spools=[self.spool]
            )
            result.committed = True
        else:
            self.spool.close()
        if self.progress is not None:
            self.progress(total, total)
        return result

    # -- validation ----------------------------------------------------------------------

    def check_row(
        self, row: int, record: dict[str, Any], existing: dict[str, Item], seen: dict[str, int]
    ) -> dict[str, Any] | None:
        errors = self.errors
        before = errors.count
        try:
            code = clean_code(tabular.cell_text(record.get("code")))
        except ValidationFailed as exc:
            errors.add(row, self.header("code"), exc.message)
            return None
        if code in seen:
            errors.add(
                row, self.header("code"), f"事项编码 {code} 在文件中重复（第{seen[code]}行已有）"
            )
            return None
        seen[code] = row
        item = existing.get(code)
        try:
            kind = _kind(record.get("change_kind", ""))
        except ValueError as exc:
            errors.add(row, self.header("change_kind"), str(exc))
            kind = ""
        try:
            effective = clean_date(tabular.cell_date(record.get("effective_date")), required=False)
        except (ValueError, ValidationFailed) as exc:
            errors.add(row, self.header("effective_date"), getattr(exc, "message", str(exc)))
            effective = self.today
        reason = tabular.cell_plain(record.get("change_reason", ""))

        if kind == ChangeKind.REPEAL:
            if item is None:
                errors.add(
                    row, self.header("change_kind"), f"事项编码 {code} 不在本部门清单中，无法废止"
                )
                return None
            if item.is_repealed:
                return {"action": "unchanged", "code": code}
            if not reason or reason == item.current.change_reason:
                errors.add(
                    row, self.header("change_reason"), "废止事项必须填写变更理由（废止理由）"
                )
            if effective < item.current.effective_date:
                errors.add(
                    row,
                    self.header("effective_date"),
                    f"生效日期不能早于现行版本的生效日期（{item.current.effective_date:%Y-%m-%d}）",
                )
            if errors.count > before:
                return None
            return {
                "action": "repeal",
                "code": code,
                "item": item,
                "reason": reason,
                "effective": effective,
            }

        # Columns the file does not have keep the stored value (a partial file updates only
        # what it carries); for a new item they are empty and the required ones say so.
        data: dict[str, Any] = content_of(item.current).as_dict() if item is not None else {}
        for name in CONTENT_FIELDS:
            if name in self.bound.field_index:
                data[name] = _cell(name, record.get(name, ""))
        try:
            content = item_content_clean(data=data)
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                for message in messages:
                    errors.add(row, self.header(name), message)
            return None
        if errors.count > before:
            return None

        if item is None:
            return {
                "action": "create",
                "code": code,
                "content": content,
                "reason": reason or CREATE_REASON,
                "effective": effective,
            }
        if content.digest() == content_of(item.current).digest():
            return {"action": "unchanged", "code": code}
        if item.is_repealed:
            errors.add(
                row,
                self.header("code"),
                f"事项 {code} 已于{item.current.effective_date:%Y-%m-%d}废止，不能再修订（如需恢复请使用新的事项编码）",
            )
            return None
        if effective < item.current.effective_date:
            if "effective_date" in self.bound.field_index and tabular.cell_text(
                record.get("effective_date")
            ):
                errors.add(
                    row,
                    self.header("effective_date"),
                    f"生效日期不能早于现行版本的生效日期（{item.current.effective_date:%Y-%m-%d}）",
                )
                return None
            effective = max(effective, item.current.effective_date)
        # A reason copied over from the exported file belongs to the old version, not this change.
        if not reason or reason == item.current.change_reason:
            reason = DEFAULT_REASON
        change_kind = ChangeKind.INTERPRET if kind == ChangeKind.INTERPRET else ChangeKind.AMEND
        return {
            "action": "revise",
            "code": code,
            "item": item,
            "content": content,
            "reason": reason,
            "effective": effective,
            "kind": change_kind,
        }

    # -- writing -------------------------------------------------------------------------

    def write(self, plan: dict[str, Any]) -> None:
        action = plan["action"]
        if action == "unchanged":
            return
        if action == "create":
            item = Item.objects.create(department=self.department, code=plan["code"])
            version = version_write(
                item=item,
                number=1,
                content=plan["content"],
                change_kind=ChangeKind.CREATE,
                change_reason=plan["reason"],
                effective_date=plan["effective"],
                actor=self.actor,
            )
            self.spool.add(item.pk, _changes(None, plan["content"], version=version))
            return
        item: Item = plan["item"]
        old = content_of(item.current)
        if action == "repeal":
            item.is_repealed = True
            version = version_write(
                item=item,
                number=next_number(item),
                content=old,
                change_kind=ChangeKind.REPEAL,
                change_reason=plan["reason"],
                effective_date=plan["effective"],
                actor=self.actor,
            )
            self.spool.add(item.pk, {"is_repealed": [False, True], **_meta(version)})
            return
        version = version_write(
            item=item,
            number=next_number(item),
            content=plan["content"],
            change_kind=plan["kind"],
            change_reason=plan["reason"],
            effective_date=plan["effective"],
            actor=self.actor,
        )
        self.spool.add(item.pk, _changes(old, plan["content"], version=version))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | list):
        return value
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


def _meta(version) -> dict[str, Any]:
    return {
        "number": [version.number - 1 or None, version.number],
        "change_kind": [None, version.change_kind],
        "change_reason": [None, version.change_reason],
        "effective_date": [None, version.effective_date.isoformat()],
    }


def _changes(old: ItemContent | None, new: ItemContent, *, version) -> dict[str, Any]:
    """{field: [before, after]} of the fields that changed (all non-empty ones when created)."""
    before = old.as_dict() if old is not None else {}
    after = new.as_dict()
    out = {
        name: [_plain(before.get(name)), _plain(after[name])]
        for name in CONTENT_FIELDS
        if _plain(before.get(name)) != _plain(after[name])
        and (old is not None or after[name] not in ("", [], None, False))
    }
    out.update(_meta(version))
    return out


def item_row(item: Item) -> list[Any]:
    """One exported row, in ``COLUMNS`` order (what an import of it would read back)."""
    v = item.current
    ratio = "" if v.default_ratio is None else f"{format(v.default_ratio.normalize(), 'f')}%"
    return [
        "",
        item.code,
        v.name,
        v.get_category_display(),
        v.field,
        v.target_type,
        v.content,
        v.get_methods_display(),
        v.basis,
        v.subject,
        v.responsible_unit,
        v.level,
        ratio,
        v.default_frequency,
        "\n".join(v.checklist),
        "是" if v.random_exempt else "否",
        v.exempt_reason,
        v.get_change_kind_display(),
        v.change_reason,
        v.effective_date.isoformat() if isinstance(v.effective_date, dt.date) else "",
    ]


register_importer("items", ItemImporter())
