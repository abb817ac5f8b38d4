"""Importing a plan table from xlsx / xls / ods / csv, laid out like 000 附件 and 004 四.

Columns (matched by their Chinese names, a title row above the header is fine):
序号 抽查领域 检查对象 抽查事项 抽查时间 抽查比例 预估抽查数(个) 牵头单位 配合单位 层级, plus the
闵行 names (双随机抽查名称, 计划完成时间, 负责人) and an optional 事项编码 column.

This is one more importer of the imports app (kind "plans"), with the libraries' flow:
upload → preview (a dry run, in the background) → 确认导入 bound to the file's SHA-256, no
second upload. Its options, stored on the job: ``{"plan": id, "replace": bool}``. Parse →
check every row → one transaction: a file with any error writes nothing (unless the user
chose to skip the rows with errors), and every error names its row (as Excel numbers it)
and its column.

Each row is linked to the 抽查事项清单 where the text allows: the 事项编码 column when
present; otherwise an item whose code or name appears in 抽查事项, or whose 抽查领域 is
the row's 抽查领域. Rows that match nothing are imported with their text and a note.
"""

import re
import unicodedata
from typing import Any

from django.db import transaction
from django.urls import reverse

from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, NotFound, ValidationFailed
from shuangsuiji.imports import tabular
from shuangsuiji.imports.framework import ErrorList, ImportResult, ProgressFn, register_importer
from shuangsuiji.imports.tabular import Column, cell_text
from shuangsuiji.planning.choices import PlanStatus
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
    Column("schedule_text", "抽查时间", aliases=("抽查频次",)),
    Column("due_text", "计划完成时间", aliases=("完成时间", "完成期限")),
    Column("ratio", "抽查比例"),
    Column("estimated_count", "预估抽查数(个)", aliases=("预估抽查数", "预估抽查数量")),
    Column("lead_unit", "牵头单位"),
    Column("partner_units", "配合单位"),
    Column("level", "层级"),
    Column("person_in_charge", "负责人"),
]


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


def plan_import_check(*, plan: Plan, actor: Actor) -> None:
    """Who may import into ``plan`` and whether it can still take rows: checked when the
    upload page opens and when the file arrives, not only at the confirm — a preview of rows
    that can never be imported would only send the user round in a circle."""
    _require_planner(actor=actor, department=plan.department, what="导入其年度抽查计划")
    if plan.status != PlanStatus.DRAFT:
        raise Conflict(
            f"计划“{plan.title}”{plan.get_status_display()}，不能再导入计划事项；"
            "如需调整，请按程序修订计划并重新报备案机关备案"
        )


class PlanImporter:
    """年度抽查计划表 → the rows of one draft plan (see the module docstring)."""

    kind = "plans"
    label = "年度抽查计划表"
    columns = COLUMNS

    def check_scope(self, *, actor: Actor, department, options: dict[str, Any]) -> None:
        # The plan is the 抽查操作员's work (002 第十二条), not the 部门管理员's libraries.
        plan_import_check(plan=self._plan(department=department, options=options), actor=actor)

    def home(self, *, options: dict[str, Any]) -> tuple[str, tuple[str, str] | None]:
        """(the upload page, (the plan's page, its title)) for the job page's links."""
        plan = Plan.objects.filter(pk=options.get("plan")).first()
        if plan is None:
            return reverse("planning:plan_list"), None
        return reverse("planning:plan_import", args=[plan.pk]), (
            reverse("planning:plan_detail", args=[plan.pk]),
            plan.title,
        )

    @staticmethod
    def _plan(*, department, options: dict[str, Any]) -> Plan:
        plan = Plan.objects.filter(pk=options.get("plan"), department=department).first()
        if plan is None:
            raise NotFound("没有这个年度抽查计划")
        return plan

    def run(
        self,
        *,
        table: tabular.Table,
        department,
        actor: Actor,
        dry_run: bool,
        skip_invalid: bool,
        progress: ProgressFn | None = None,
        options: dict[str, Any] | None = None,
    ) -> ImportResult:
        options = options or {}
        plan = self._plan(department=department, options=options)
        _require_planner(actor=actor, department=plan.department, what="导入其年度抽查计划")
        replace = bool(options.get("replace"))
        bound = table.bind(COLUMNS)
        result = ImportResult(
            kind=self.kind,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            file_name=table.name,
            file_sha256=table.sha256,
            header_row=bound.header_row,
            unknown_headers=list(bound.unknown_headers),
        )
        errors = ErrorList()
        prepared = self._check(
            plan=plan, bound=bound, replace=replace, errors=errors, notes=result.notes
        )
        result.total = len(prepared) + len(errors.rows)
        if not result.total:
            errors.add(0, "", "文件中没有数据行")
        result.set_errors(errors)
        result.skipped = len(errors.rows - {0}) if skip_invalid else 0
        result.parsed = {
            "headers": [
                "行",
                "序号",
                "检查对象",
                "关联事项",
                "抽查时间",
                "解析",
                "抽查比例",
                "预估抽查数",
            ],
            "rows": [
                [
                    number,
                    values["seq"],
                    values.get("field", ""),
                    values["target_desc"],
                    "、".join(i.code for i in chosen) or "—",
                    values["schedule_text"] or values.get("due_text", ""),
                    _schedule_text(values),
                    "" if values["ratio"] is None else f"{values['ratio'].normalize():f}%",
                    "" if values["estimated_count"] is None else values["estimated_count"],
                    values.get("lead_unit", ""),
                    values.get("partner_units", ""),
                    values.get("level", ""),
                ]
                for number, values, chosen in prepared
            ],
        }
        result.created = len(prepared)
        if dry_run or (result.has_errors and not skip_invalid) or result.file_error:
            if not dry_run:
                result.created = 0
            return result
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
            elif locked.rows.filter(seq__in=[v["seq"] for _, v, _ in prepared]).exists():
                # Race: a row typed by hand between the preview and the confirm.
                raise ValidationFailed(
                    "计划中已有相同序号的事项（预检之后有人改动了计划），请重新预检"
                )
            for _, values, chosen in prepared:
                row = PlanRow.objects.create(plan=locked, **values)
                row.items.set(chosen)
            event = event_record(
                actor=actor,
                action="plan.import",
                obj=locked,
                department=locked.department,
                before=before,
                after={
                    "file": result.file_name,
                    "sha256": result.file_sha256,
                    "replace": replace,
                    "skipped_rows": result.skipped,
                    "rows": [
                        {
                            "seq": v["seq"],
                            "target_desc": v["target_desc"],
                            "items": [i.code for i in c],
                        }
                        for _, v, c in prepared
                    ],
                },
            )
            result.committed = True
            result.event_seq = getattr(event, "seq", None)
        return result

    def _check(
        self,
        *,
        plan: Plan,
        bound: tabular.BoundTable,
        replace: bool,
        errors: ErrorList,
        notes: list[str],
    ) -> list[tuple[int, dict[str, Any], list[Item]]]:
        """Every row checked by the rules of a hand-entered row (``_row_clean``); returns the
        rows that passed, with their linked items."""
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
        prepared: list[tuple[int, dict[str, Any], list[Item]]] = []
        for number, record in bound.records():
            chosen: list[Item] = []
            codes = [
                c for c in re.split(r"[、,，;；\s]+", _norm(record.get("item_codes", ""))) if c
            ]
            if codes:
                unknown = [c for c in codes if c not in by_code]
                if unknown:
                    errors.add(
                        number,
                        bound.header_of("item_codes"),
                        f"事项编码 {'、'.join(unknown)} 不在“{plan.department.name}”的清单中",
                    )
                    continue
                chosen = [by_code[c] for c in codes]
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
                    for message in messages:
                        errors.add(number, column, message)
                continue
            seq = values["seq"]
            if seq in seen:
                errors.add(number, bound.header_of("seq"), f"序号 {seq} 与第{seen[seq]}行重复")
                continue
            if seq in existing:
                errors.add(
                    number,
                    bound.header_of("seq"),
                    f"序号 {seq} 已在计划中（如需整体替换请勾选“替换现有计划事项”）",
                )
                continue
            seen[seq] = number
            if not chosen:
                notes.append(f"第{number}行未能关联清单中的抽查事项，请导入后在计划中选择")
            if values["schedule_text"] and not values["months"] and values["rounds"] is None:
                notes.append(
                    f"第{number}行「{bound.header_of('schedule_text')}」“{values['schedule_text']}”"
                    f"无法识别月份或次数，已按原文保存"
                )
            prepared.append((number, values, chosen))
        return prepared


def _schedule_text(values: dict[str, Any]) -> str:
    parts = [f"{values['rounds']}次"] if values.get("rounds") else []
    if values.get("months"):
        parts.append("、".join(f"{m}月" for m in values["months"]))
    if values.get("due_date"):
        due = values["due_date"]
        parts.append(f"{due.month}月{due.day}日前完成")
    return " ".join(parts)


register_importer("plans", PlanImporter())
