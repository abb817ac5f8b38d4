"""Credit linkage (issue 14 第 3 项): the files other authorities publish, imported into a
department's library so that task classes can use them [001 三(六), 002 第十四条, 003 第九条].

Three kinds, each registered with the imports framework (same upload page, preview, row
errors, job runner, CLI and audit as the libraries):

* ``credit-classes`` 信用风险分类: 统一社会信用代码, 分类 (A–D or 低/中/高风险), 评定日期, 来源.
  It updates the 信用风险分类 of the department's entities with that code; codes not in the
  library are counted and left (a city's file covers every company). A classification
  older than the one held is not applied (said in the notes): a late file cannot undo a
  newer assessment.
* ``credit-flags`` 信用标记: 统一社会信用代码, 标记类型 (失信被执行人 / 经营异常名录 /
  严重违法失信名单), 列入日期, 移出日期, 来源, 列入原因. Upserted by (code, type, 列入日期);
  kept by code, so a company added to the library later carries its listings.
* ``complaints`` 投诉件数: 统一社会信用代码, 统计期间起, 统计期间止 (or one 统计月份), 投诉件数, 来源.

Every row is validated and named (row, column, reason in Chinese); a file with any error
writes nothing unless ``skip_invalid``; a dry run writes nothing. A committed import is one
audit event with the file's SHA-256 and one ``RecordChange`` per changed record: classes
and flags change the draw pools only through these recorded imports.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.common.text import cn_date
from shuangsuiji.imports import tabular
from shuangsuiji.imports.framework import (
    ChangeSpool,
    ErrorList,
    ImportResult,
    ProgressFn,
    import_start,
    record_import_event,
    register_importer,
)
from shuangsuiji.registry.choices import EntityStatus, FlagKind
from shuangsuiji.registry.models import ComplaintCount, CreditFlag, Entity
from shuangsuiji.registry.rules import (
    ENTITY_STATUS_ALIASES,
    choice,
    parse_date,
    parse_risk,
    parse_uscc,
    text,
)

C = tabular.Column
PROGRESS_EVERY = 5000
WRITE_CHUNK = 5000
MAX_COMPLAINTS = 1_000_000  # per row: more is a typing error, not a count

USCC = C(
    "uscc",
    "统一社会信用代码",
    required=True,
    aliases=("社会信用代码", "信用代码", "统一代码", "社会统一信用代码", "统一信用代码"),
)
NAME = C("name", "名称", aliases=("企业名称", "市场主体名称", "单位名称", "主体名称", "当事人"))
SEQ = C("seq", "序号", aliases=("No.",))
SOURCE = C(
    "source",
    "来源",
    aliases=(
        "评定机关",
        "分类来源",
        "数据来源",
        "决定机关",
        "作出决定机关",
        "列入机关",
        "认定机关",
    ),
)


def _required_date(raw: Any) -> str:
    value = parse_date(raw)
    if not value:
        raise ValueError("不能为空")
    return value


def _not_future(value: str, today: dt.date) -> None:
    if value and dt.date.fromisoformat(value) > today:
        raise ValueError(f"日期晚于今天（{cn_date(today)}）")


_WHOLE = re.compile(r"(\d{1,12})(?:\.0+)?")


def _count(raw: Any) -> int:
    textual = tabular.cell_plain(raw).replace(",", "").replace("，", "")
    if not textual:
        raise ValueError("不能为空")
    m = _WHOLE.fullmatch(textual)
    if m is None:
        raise ValueError(f"应为非负整数，实际为「{textual[:20]}」")
    number = int(m.group(1))
    if number > MAX_COMPLAINTS:
        raise ValueError(f"数值过大（{textual[:20]}），每行不超过{MAX_COMPLAINTS}件")
    return number


class _Reader:
    """What the three importers share: the scope check, binding, the row loop with its
    errors and progress, and the result."""

    kind = ""
    label = ""
    columns: list[tabular.Column] = []

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
        bound, result = import_start(
            importer=self,
            table=table,
            department=department,
            actor=actor,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
        return self._import(
            bound=bound,
            result=result,
            department=department,
            actor=actor,
            dry_run=dry_run,
            progress=progress,
        )

    def _import(self, *, bound, result, department, actor, dry_run, progress) -> ImportResult:
        raise NotImplementedError

    @staticmethod
    def _cells(
        bound: tabular.BoundTable,
        progress: ProgressFn | None,
        errors: ErrorList,
        parsers: dict[str, Callable[[Any], Any]],
    ):
        """Yields (row, parsed values) of each row whose present cells all parse; errors name
        the row and the column as the file writes it."""
        total = bound.total_hint()
        for done, (row, record) in enumerate(bound.records(), 1):
            values: dict[str, Any] = {}
            ok = True
            for name, parse in parsers.items():
                if name not in record:
                    values[name] = ""
                    continue
                try:
                    values[name] = parse(record[name])
                except ValueError as exc:
                    errors.add(row, bound.header_of(name), str(exc))
                    ok = False
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
            yield row, values, ok

    @staticmethod
    def _finish(result: ImportResult, errors: ErrorList, total: int, bad_rows: set[int]) -> bool:
        """Sets the counts; True when the import may write."""
        result.total = total
        if not total:
            errors.add(0, "", "文件中没有数据行")
        result.set_errors(errors)
        result.skipped = len(bad_rows) if result.skip_invalid else 0
        return not result.dry_run and (not errors or result.skip_invalid) and not result.file_error


# ---------------------------------------------------------------------------------------
# Files that update the library's entities: 信用风险分类, 登记状态
# ---------------------------------------------------------------------------------------


class _EntityUpdater(_Reader):
    """Updates three fields (a value, its date, its source or reason) of the department's
    entities found by 统一社会信用代码; codes outside the library are counted, not added;
    a row dated before what the library holds is not applied (a late file cannot undo a
    newer fact). One audit event, one record change per changed entity."""

    value_field = ""  # the Entity field and the file field of the value
    date_field = ""
    text_field = ""  # Entity field for the source / reason
    value_label = ""  # in the "older" note
    parsers: dict[str, Callable[[Any], Any]] = {}

    def row_check(self, v: dict[str, Any], bound: tabular.BoundTable, today: dt.date):
        """(field, reason) of a row that cannot be applied, or None."""
        return None

    def _import(self, *, bound, result, department, actor, dry_run, progress) -> ImportResult:
        today = timezone.localdate()
        errors = ErrorList()
        names = (self.value_field, self.date_field, self.text_field)
        library: dict[str, list[tuple[int, str, str, str]]] = {}
        for pk, uscc, value, date, text_value in (
            Entity.objects.filter(department=department)
            .exclude(uscc="")
            .values_list("id", "uscc", *names)
            .iterator(chunk_size=20000)
        ):
            library.setdefault(uscc, []).append(
                (pk, value, date.isoformat() if date else "", text_value)
            )
        seen: dict[str, int] = {}
        changes: list[tuple[int, tuple, tuple]] = []
        total, bad, outside, older = 0, set(), 0, 0
        for row, v, ok in self._cells(bound, progress, errors, self.parsers):
            total += 1
            if ok and not v["uscc"]:
                errors.add(row, bound.header_of("uscc"), "不能为空")
                ok = False
            if ok:
                problem = self.row_check(v, bound, today)
                if problem is not None:
                    errors.add(row, bound.header_of(problem[0]), problem[1])
                    ok = False
            if ok and v["uscc"] in seen:
                errors.add(
                    row,
                    bound.header_of("uscc"),
                    f"与第{seen[v['uscc']]}行重复：同一代码只能有一行",
                )
                ok = False
            if not ok:
                bad.add(row)
                continue
            seen[v["uscc"]] = row
            held = library.get(v["uscc"])
            if held is None:
                outside += 1
                continue
            new = (v[self.value_field], v[self.date_field], v[self.text_field])
            for pk, value, date, text_value in held:
                if date and new[1] and new[1] < date:
                    older += 1
                    continue
                if (value, date, text_value) != new:
                    changes.append((pk, new, (value, date, text_value)))
                else:
                    result.unchanged += 1
        result.updated = len(changes)
        if outside:
            result.notes.append(
                f"{outside} 个代码不在本部门名录库中，未导入（名录库新增后再导入即可）"
            )
        if older:
            result.notes.append(
                f"{older} 条的日期早于名录库中已有的{self.value_label}，未更新（较新的不被旧文件覆盖）"
            )
        if not self._finish(result, errors, total, bad):
            if not dry_run:
                result.updated = 0
            return result
        spool = ChangeSpool("registry.entity")
        with transaction.atomic():
            Department.objects.select_for_update().filter(pk=department.pk).first()
            qn = connection.ops.quote_name
            sets = ", ".join(f"{qn(n)} = %s" for n in names)
            sql = (
                f"UPDATE {qn(Entity._meta.db_table)} SET {sets}, {qn('updated_at')} = %s, "
                # The entity importer's digest no longer describes the row: the next entity
                # file is compared field by field.
                f"{qn('row_digest')} = '' WHERE {qn('id')} = %s"
            )
            when = connection.ops.adapt_datetimefield_value(timezone.now())
            with connection.cursor() as cursor:
                for start in range(0, len(changes), WRITE_CHUNK):
                    cursor.executemany(
                        sql,
                        [
                            (value, _db_date(date), text_value, when, pk)
                            for pk, (value, date, text_value), _old in changes[
                                start : start + WRITE_CHUNK
                            ]
                        ],
                    )
            for pk, new, old in changes:
                spool.add(
                    pk, {f: [b, a] for f, b, a in zip(names, old, new, strict=True) if b != a}
                )
            record_import_event(result=result, department=department, actor=actor, spools=[spool])
            result.committed = True
        return result


class CreditClassImporter(_EntityUpdater):
    kind = "credit-classes"
    label = "信用风险分类"
    value_field, date_field, text_field = "risk_class", "risk_date", "risk_source"
    value_label = "分类"
    columns = [
        SEQ,
        USCC,
        NAME,
        C(
            "risk_class",
            "分类",
            required=True,
            aliases=(
                "信用风险分类",
                "风险分类",
                "信用风险等级",
                "风险等级",
                "信用风险类别",
                "分类结果",
                "信用等级",
                "风险类别",
            ),
        ),
        C(
            "risk_date",
            "评定日期",
            required=True,
            aliases=("分类日期", "风险分类日期", "信用风险分类日期", "评定时间", "认定日期"),
        ),
        C("risk_source", SOURCE.header, aliases=SOURCE.aliases),
    ]
    parsers = {
        "uscc": parse_uscc,
        "risk_class": parse_risk,
        "risk_date": _required_date,
        "risk_source": text(100),
    }

    def row_check(self, v, bound, today):
        if v["risk_class"] == "":
            return ("risk_class", "不能为空（未分类的企业不必列入）")
        try:
            _not_future(v["risk_date"], today)
        except ValueError as exc:
            return ("risk_date", str(exc))
        return None


class EntityStatusImporter(_EntityUpdater):
    """登记状态 from the registration authority's file (issue 14 第 7 项): 注销、吊销、迁出 take
    an entity out of every pool from that day, with the reason and the date (kept in the
    record changes: the entity stays in the library and in its history)."""

    kind = "entity-status"
    label = "登记状态"
    value_field, date_field, text_field = "status", "status_date", "status_reason"
    value_label = "登记状态"
    columns = [
        SEQ,
        USCC,
        NAME,
        C(
            "status",
            "登记状态",
            required=True,
            aliases=("状态", "经营状态", "企业状态", "登记状态(存续/注销/吊销)"),
        ),
        C(
            "status_date",
            "状态日期",
            required=True,
            aliases=(
                "注销日期",
                "吊销日期",
                "迁出日期",
                "状态变更日期",
                "变更日期",
                "核准日期",
                "登记状态日期",
            ),
        ),
        C(
            "status_reason",
            "原因",
            aliases=("注销原因", "吊销原因", "迁出原因", "状态变更原因", "变更原因", "说明"),
        ),
    ]
    parsers = {
        "uscc": parse_uscc,
        "status": choice(EntityStatus, aliases=ENTITY_STATUS_ALIASES, default=""),
        "status_date": _required_date,
        "status_reason": text(255),
    }

    def row_check(self, v, bound, today):
        if not v["status"]:
            return ("status", "不能为空")
        try:
            _not_future(v["status_date"], today)
        except ValueError as exc:
            return ("status_date", str(exc))
        return None


def _db_date(value: str):
    if not value:
        return None
    return value if connection.vendor == "sqlite" else dt.date.fromisoformat(value)


# ---------------------------------------------------------------------------------------
# Keyed small tables: 信用标记, 投诉件数
# ---------------------------------------------------------------------------------------


class _KeyedImporter(_Reader):
    """Upserts rows of a small model keyed within the department; subclasses say the key,
    the stored fields and the row's checks."""

    model: Any
    key_fields: tuple[str, ...] = ()
    value_fields: tuple[str, ...] = ()
    parsers: dict[str, Callable[[Any], Any]] = {}

    def row_check(self, v: dict[str, Any], today: dt.date) -> tuple[str, str] | None:
        """(field, reason) of a cross-field problem, or None."""
        return None

    def row_values(self, v: dict[str, Any]) -> dict[str, Any] | None:
        """The stored values of a good row."""
        return v

    def _import(self, *, bound, result, department, actor, dry_run, progress) -> ImportResult:
        self.check_columns(bound)
        today = timezone.localdate()
        errors = ErrorList()
        fields = (*self.key_fields, *self.value_fields)
        held: dict[tuple, tuple[int, tuple]] = {}
        for values in (
            self.model.objects.filter(department=department)
            .values_list("id", *fields)
            .iterator(chunk_size=20000)
        ):
            key = tuple(_text(x) for x in values[1 : 1 + len(self.key_fields)])
            held[key] = (values[0], tuple(_text(x) for x in values[1 + len(self.key_fields) :]))
        seen: dict[tuple, int] = {}
        new: list[dict[str, Any]] = []
        changed: list[tuple[int, dict[str, Any], tuple]] = []
        total, bad = 0, set()
        library = set(
            Entity.objects.filter(department=department)
            .exclude(uscc="")
            .values_list("uscc", flat=True)
        )
        matched = set()
        for row, v, ok in self._cells(bound, progress, errors, self.parsers):
            total += 1
            if ok:
                problem = self.row_check(v, today)
                if problem is not None:
                    errors.add(row, bound.header_of(problem[0]), problem[1])
                    ok = False
            if ok:
                values = self.row_values(v)
                key = tuple(_text(values[f]) for f in self.key_fields)
                if key in seen:
                    errors.add(row, bound.header_of("uscc"), f"与第{seen[key]}行重复")
                    ok = False
            if not ok:
                bad.add(row)
                continue
            seen[key] = row
            if values["uscc"] in library:
                matched.add(values["uscc"])
            stored = tuple(_text(values[f]) for f in self.value_fields)
            if key not in held:
                new.append(values)
            elif held[key][1] != stored:
                changed.append((held[key][0], values, held[key][1]))
            else:
                result.unchanged += 1
        result.created, result.updated = len(new), len(changed)
        result.notes.append(f"涉及本部门名录库中的检查对象 {len(matched)} 个")
        if not self._finish(result, errors, total, bad):
            if not dry_run:
                result.created = result.updated = 0
            return result
        spool = ChangeSpool(self.model._meta.label_lower)
        with transaction.atomic():
            Department.objects.select_for_update().filter(pk=department.pk).first()
            for start in range(0, len(new), WRITE_CHUNK):
                self.model.objects.bulk_create(
                    [
                        self.model(department=department, **v)
                        for v in new[start : start + WRITE_CHUNK]
                    ]
                )
            for pk, values, old in changed:
                self.model.objects.filter(pk=pk).update(
                    **{f: values[f] for f in self.value_fields}, updated_at=timezone.now()
                )
                spool.add(
                    pk,
                    {
                        f: [b, _text(values[f])]
                        for f, b in zip(self.value_fields, old, strict=True)
                        if b != _text(values[f])
                    },
                )
            record_import_event(result=result, department=department, actor=actor, spools=[spool])
            result.committed = True
        return result

    def check_columns(self, bound: tabular.BoundTable) -> None:
        pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_FLAG_ALIASES = {
    "失信被执行人名单": FlagKind.DISHONEST_DEBTOR,
    "失信被执行": FlagKind.DISHONEST_DEBTOR,
    "失信": FlagKind.DISHONEST_DEBTOR,
    "列入经营异常名录": FlagKind.ABNORMAL,
    "经营异常": FlagKind.ABNORMAL,
    "异常名录": FlagKind.ABNORMAL,
    "经营异常名录(状态)": FlagKind.ABNORMAL,
    "严重违法失信企业名单": FlagKind.SERIOUS,
    "严重违法失信": FlagKind.SERIOUS,
    "严重违法": FlagKind.SERIOUS,
    "严重违法失信主体名单": FlagKind.SERIOUS,
}


class CreditFlagImporter(_KeyedImporter):
    kind = "credit-flags"
    label = "信用标记"
    model = CreditFlag
    key_fields = ("uscc", "kind", "listed_on")
    value_fields = ("removed_on", "source", "reason")
    columns = [
        SEQ,
        USCC,
        NAME,
        C("kind", "标记类型", required=True, aliases=("名单类型", "名单", "类型", "标记")),
        C("listed_on", "列入日期", required=True, aliases=("列入时间", "认定日期", "决定日期")),
        C("removed_on", "移出日期", aliases=("移出时间", "退出日期", "移除日期", "屏蔽日期")),
        SOURCE,
        C("reason", "列入原因", aliases=("原因", "列入事由", "事由")),
    ]
    parsers = {
        "uscc": parse_uscc,
        "kind": choice(FlagKind, aliases=_FLAG_ALIASES),
        "listed_on": parse_date,
        "removed_on": parse_date,
        "source": text(100),
        "reason": text(255),
    }

    def row_check(self, v: dict[str, Any], today: dt.date) -> tuple[str, str] | None:
        if not v["uscc"]:
            return ("uscc", "不能为空")
        if not v["kind"]:
            return ("kind", "不能为空，可填：失信被执行人、经营异常名录、严重违法失信名单")
        if not v["listed_on"]:
            return ("listed_on", "不能为空：没有列入日期的标记无法判断何时有效")
        if dt.date.fromisoformat(v["listed_on"]) > today:
            return ("listed_on", f"日期晚于今天（{cn_date(today)}）")
        if v["removed_on"] and v["removed_on"] < v["listed_on"]:
            return ("removed_on", "移出日期早于列入日期")
        return None

    def row_values(self, v: dict[str, Any]) -> dict[str, Any]:
        return {
            "uscc": v["uscc"],
            "kind": v["kind"],
            "listed_on": dt.date.fromisoformat(v["listed_on"]),
            "removed_on": dt.date.fromisoformat(v["removed_on"]) if v["removed_on"] else None,
            "source": v["source"],
            "reason": v["reason"],
        }


def _month(raw: Any) -> str:
    """统计月份: "2026-03", "2026年3月", "202603" or a date → the month's first day (ISO)."""
    textual = tabular.cell_plain(raw)
    if not textual:
        return ""
    m = re.fullmatch(r"(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?", textual) or re.fullmatch(
        r"(\d{4})(\d{2})", textual
    )
    if m and 1 <= int(m.group(2)) <= 12:
        return dt.date(int(m.group(1)), int(m.group(2)), 1).isoformat()
    value = tabular.cell_date(raw)  # raises the date's own message
    return value.replace(day=1).isoformat() if value else ""


class ComplaintImporter(_KeyedImporter):
    kind = "complaints"
    label = "投诉件数"
    model = ComplaintCount
    key_fields = ("uscc", "period_start", "period_end")
    value_fields = ("count", "source")
    columns = [
        SEQ,
        USCC,
        NAME,
        C("period_start", "统计期间起", aliases=("开始日期", "起始日期", "期间起", "统计起始日期")),
        C("period_end", "统计期间止", aliases=("结束日期", "截止日期", "期间止", "统计截止日期")),
        C("month", "统计月份", aliases=("月份", "所属月份", "统计期间")),
        C(
            "count",
            "投诉件数",
            required=True,
            aliases=("投诉次数", "投诉举报件数", "投诉举报次数", "件数", "投诉数量", "投诉量"),
        ),
        SOURCE,
    ]
    parsers = {
        "uscc": parse_uscc,
        "period_start": parse_date,
        "period_end": parse_date,
        "month": _month,
        "count": _count,
        "source": text(100),
    }

    def check_columns(self, bound: tabular.BoundTable) -> None:
        present = bound.present_fields
        if "month" not in present and not {"period_start", "period_end"} <= present:
            raise tabular.TableError(
                "缺少统计期间：请提供“统计期间起”和“统计期间止”两列，或一列“统计月份”（如 2026-03）"
            )

    def row_check(self, v: dict[str, Any], today: dt.date) -> tuple[str, str] | None:
        if not v["uscc"]:
            return ("uscc", "不能为空")
        if v["month"]:
            first = dt.date.fromisoformat(v["month"])
            nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            v["period_start"], v["period_end"] = (
                first.isoformat(),
                (nxt - dt.timedelta(days=1)).isoformat(),
            )
        if not v["period_start"]:
            return ("month" if not v.get("period_end") else "period_start", "不能为空")
        if not v["period_end"]:
            return ("period_end", "不能为空")
        if v["period_end"] < v["period_start"]:
            return ("period_end", "统计期间止早于统计期间起")
        if dt.date.fromisoformat(v["period_start"]) > today:
            return ("period_start", f"统计期间尚未开始（今天是{cn_date(today)}）")
        return None

    def row_values(self, v: dict[str, Any]) -> dict[str, Any]:
        return {
            "uscc": v["uscc"],
            "period_start": dt.date.fromisoformat(v["period_start"]),
            "period_end": dt.date.fromisoformat(v["period_end"]),
            "count": v["count"],
            "source": v["source"],
        }


register_importer(CreditClassImporter.kind, CreditClassImporter())
register_importer(EntityStatusImporter.kind, EntityStatusImporter())
register_importer(CreditFlagImporter.kind, CreditFlagImporter())
register_importer(ComplaintImporter.kind, ComplaintImporter())
