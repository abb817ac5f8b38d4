"""双告知 file import (kind ``licences``): the notices an approving office sends as a sheet.

Each row is checked as a pushed notice is (``services.notice_clean``): the 审批事项 must be
one the department supervises, the 统一社会信用代码 valid, the 许可日期 a real day not in the
future. A notice already received (same 许可证号 and 审批事项) is unchanged, not an error:
the office may send the whole month again. Any bad row and nothing is written (unless
skip_invalid); a committed import is one audit event.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.imports import tabular
from shuangsuiji.imports.framework import (
    ErrorList,
    ImportResult,
    ProgressFn,
    import_start,
    record_import_event,
    register_importer,
)
from shuangsuiji.licences.choices import NoticeSource
from shuangsuiji.licences.models import LicenceNotice
from shuangsuiji.licences.services import FIELDS, ItemResolver, notice_clean

C = tabular.Column


class LicenceImporter:
    kind = "licences"
    label = "双告知信息"
    columns = [
        C("seq", "序号"),
        C(
            "licence_item",
            "审批事项",
            required=True,
            aliases=("许可事项", "审批事项名称", "许可事项名称", "行政许可事项", "事项名称"),
        ),
        C("item_code", "抽查事项编码", aliases=("事项编码",)),
        C(
            "licensee",
            "被许可人名称",
            required=True,
            aliases=(
                "被许可人",
                "申请人",
                "申请人名称",
                "企业名称",
                "市场主体名称",
                "行政相对人名称",
            ),
        ),
        C(
            "uscc",
            "统一社会信用代码",
            required=True,
            aliases=("社会信用代码", "信用代码", "被许可人统一社会信用代码", "行政相对人代码"),
        ),
        C(
            "licence_no",
            "许可证号",
            required=True,
            aliases=("许可证编号", "许可文书号", "许可决定书文号", "决定文号", "许可编号"),
        ),
        C(
            "licence_date",
            "许可日期",
            required=True,
            aliases=("许可决定日期", "决定日期", "发证日期"),
        ),
        C(
            "issuing_office",
            "许可机关",
            required=True,
            aliases=("发证机关", "审批机关", "许可部门"),
        ),
        C("address", "地址", aliases=("住所", "经营场所", "项目地址")),
    ]

    def run(
        self,
        *,
        table: tabular.Table,
        department: Department,
        actor,
        dry_run: bool,
        skip_invalid: bool,
        progress: ProgressFn | None = None,
        options: dict[str, Any] | None = None,
    ) -> ImportResult:
        bound, result = import_start(
            importer=self,
            table=table,
            department=department,
            actor=actor,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
        today = timezone.localdate()
        resolver = ItemResolver(department)
        held = set(
            LicenceNotice.objects.filter(department=department).values_list(
                "licence_no", "licence_item"
            )
        )
        errors = ErrorList()
        seen: dict[tuple[str, str], int] = {}
        new: list[dict[str, Any]] = []
        bad: set[int] = set()
        for row, record in bound.records():
            result.total += 1
            clean, problems = notice_clean(values=record, resolver=resolver, today=today)
            for field, reason in problems.items():
                header = bound.header_of(field) if field in bound.field_index else FIELDS[field]
                errors.add(row, header, reason)
            key = (clean.get("licence_no", ""), clean.get("licence_item", ""))
            if not problems and key in seen:
                errors.add(row, bound.header_of("licence_no"), f"与第{seen[key]}行重复")
                problems = {"licence_no": "dup"}
            if problems:
                bad.add(row)
                continue
            seen[key] = row
            if key in held:
                result.unchanged += 1
            else:
                new.append(clean)
            if progress is not None and result.total % 2000 == 0:
                progress(result.total, bound.total_hint())
        if not result.total:
            errors.add(0, "", "文件中没有数据行")
        result.set_errors(errors)
        result.skipped = len(bad) if skip_invalid else 0
        result.created = len(new)
        if dry_run or (errors and not skip_invalid) or result.file_error:
            if not dry_run:
                result.created = 0
            return result
        with transaction.atomic():
            Department.objects.select_for_update().filter(pk=department.pk).first()
            LicenceNotice.objects.bulk_create(
                [
                    LicenceNotice(
                        department=department,
                        received_on=today,
                        source=NoticeSource.IMPORT,
                        **values,
                    )
                    for values in new
                ],
                batch_size=2000,
            )
            record_import_event(result=result, department=department, actor=actor)
            result.committed = True
        return result


register_importer(LicenceImporter.kind, LicenceImporter())
