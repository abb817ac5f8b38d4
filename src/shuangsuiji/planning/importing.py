"""Importing a plan table from xlsx / xls / ods / csv, laid out like 000 附件 and 004 四.

Columns (matched by their Chinese names, a title row above the header is fine):
序号 抽查领域 检查对象 抽查事项 抽查时间 抽查比例 预估抽查数(个) 牵头单位 配合单位 层级, plus the
闵行 names (双随机抽查名称, 计划完成时间, 负责人) and an optional 事项编码 column.

Parse → check every row → one transaction: a file with any error writes nothing, and
every error names its row (as Excel numbers it) and its column.

Each row is linked to the 抽查事项清单 where the text allows: the 事项编码 column when
present; otherwise an item whose code or name appears in 抽查事项, or whose 抽查领域 is
the row's 抽查领域. Rows that match nothing are imported with their text and a warning.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.imports.tabular import Column, TableError, cell_text, open_table
from shuangsuiji.planning.models import Plan, PlanRow
from shuangsuiji.planning.selectors import subtree_ids
from shuangsuiji.planning.services._common import Actor, _require_planner
from shuangsuiji.planning.services.plans import ROW_LABELS, _lock_plan, _row_clean, _row_state

COLUMNS = [
    Column("seq", "序号", required=True),
    Column("field", "抽查领域"),
    Column("target_desc", "检查对象"),
    Column(
        "items_text", "抽查事项", required=True, aliases=("双随机抽查名称", "抽查名称", "抽查任务")
    ),
    Column("item_codes", "事项编码", aliases=("抽查事项编码",)),
    Column("schedule_text", "抽查时间", aliases=("计划完成时间", "抽查频次")),
    Column("ratio", "抽查比例"),
    Column("estimated_count", "预估抽查数(个)", aliases=("预估抽查数", "预估抽查数量")),
    Column("lead_unit", "牵头单位"),
    Column("partner_units", "配合单位"),
    Column("level", "层级"),
    Column("person_in_charge", "负责人"),
]


@dataclass(frozen=True)
class ImportIssue:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return (
            f"第{self.row}行「{self.column}」：{self.message}"
            if self.column
            else f"第{self.row}行：{self.message}"
        )


@dataclass
class PlanImportResult:
    file_name: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # what would be (or was) written
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: int = 0
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


def _norm(text: Any) -> str:
    return re.sub(
        r"\s+",
        "",
        unicodedata.normalize("NFKC", cell_text(text) if not isinstance(text, str) else text),
    )


def _match_items(*, record: dict[str, Any], items: list[Item]) -> list[Item]:
    text = _norm(record.get("items_text", ""))
    row_field = _norm(record.get("field", ""))
    found = []
    for item in items:
        version = item.current
        if item.code and _norm(item.code) in text:
            found.append(item)
        elif version and _norm(version.name) and _norm(version.name) in text:
            found.append(item)
        elif version and row_field and _norm(version.field) == row_field:
            found.append(item)
    return found


def plan_import_xlsx(
    *,
    plan: Plan,
    path: str | Path,
    actor: Actor,
    filename: str | None = None,
    dry_run: bool = False,
    replace: bool = False,
) -> PlanImportResult:
    """Reads the file and, unless ``dry_run`` or any error, writes all rows in one transaction.

    ``replace`` drops the plan's current rows first (still only while the plan is a draft).
    """
    _require_planner(actor=actor, department=plan.department, what="导入其年度抽查计划")
    path = Path(path)
    result = PlanImportResult(file_name=filename or path.name)
    try:
        bound = open_table(path, filename=filename).bind(COLUMNS)
        records = list(bound.records())
    except TableError as exc:
        result.file_error = exc.message
        return result
    if not records:
        result.file_error = "文件中没有数据行"
        return result
    if bound.unknown_headers:
        result.warnings.append(f"以下列未导入：{'、'.join(bound.unknown_headers)}")
    items = list(
        Item.objects.filter(
            department_id__in=subtree_ids(department=plan.department), is_repealed=False
        )
        .select_related("current")
        .order_by("code")
    )
    by_code = {_norm(i.code): i for i in items}
    existing = set() if replace else set(plan.rows.values_list("seq", flat=True))
    seen: dict[int, int] = {}
    prepared: list[tuple[dict[str, Any], list[Item]]] = []
    for number, record in records:
        chosen: list[Item] = []
        codes = [c for c in re.split(r"[、,，;；\s]+", _norm(record.get("item_codes", ""))) if c]
        if codes:
            unknown = [c for c in codes if c not in by_code]
            if unknown:
                result.errors.append(
                    ImportIssue(
                        number,
                        bound.header_of("item_codes"),
                        f"事项编码 {'、'.join(unknown)} 不在“{plan.department.name}”的清单中",
                    )
                )
            chosen = [by_code[c] for c in codes if c in by_code]
        else:
            chosen = _match_items(record=record, items=items)
        try:
            values, chosen = _row_clean(plan=plan, data=record, items=chosen)
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                column = (
                    bound.header_of(name)
                    if name in bound.field_index
                    else ROW_LABELS.get(name, name)
                )
                result.errors.extend(ImportIssue(number, column, m) for m in messages)
            continue
        seq = values["seq"]
        if seq in seen:
            result.errors.append(
                ImportIssue(number, bound.header_of("seq"), f"序号 {seq} 与第{seen[seq]}行重复")
            )
            continue
        if seq in existing:
            result.errors.append(
                ImportIssue(
                    number,
                    bound.header_of("seq"),
                    f"序号 {seq} 已在计划中（如需整体替换请勾选“替换现有计划事项”）",
                )
            )
            continue
        seen[seq] = number
        if not chosen:
            result.warnings.append(f"第{number}行未能关联清单中的抽查事项，请导入后在计划中选择")
        if values["schedule_text"] and not values["months"] and values["rounds"] is None:
            result.warnings.append(
                f"第{number}行「{bound.header_of('schedule_text')}」“{values['schedule_text']}”"
                f"无法识别月份或次数，已按原文保存"
            )
        prepared.append((values, chosen))
        result.rows.append({**values, "row": number, "items": [i.code for i in chosen]})
    if result.errors or dry_run:
        return result
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with transaction.atomic():
        locked = _lock_plan(plan, draft_only=True, what="导入计划事项")
        before = None
        if replace:
            if any(row.tasks.exists() for row in locked.rows.all()):
                raise ValidationFailed(
                    "计划中已有据以设置任务的事项，不能整体替换", field="replace"
                )
            before = {"rows": [_row_state(r, list(r.items.all())) for r in locked.rows.all()]}
            locked.rows.all().delete()
        for values, chosen in prepared:
            row = PlanRow.objects.create(plan=locked, **values)
            row.items.set(chosen)
        result.created = len(prepared)
        event_record(
            actor=actor,
            action="plan.import",
            obj=locked,
            department=locked.department,
            before=before,
            after={
                "file": result.file_name,
                "sha256": digest,
                "replace": replace,
                "rows": [
                    {"seq": v["seq"], "target_desc": v["target_desc"], "items": [i.code for i in c]}
                    for v, c in prepared
                ],
            },
        )
    return result
