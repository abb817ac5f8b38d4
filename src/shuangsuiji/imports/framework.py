"""The import/export framework shared by the three libraries (一单两库).

Import = parse → validate each row → one transaction (style.md habit 6). This module holds
what every library shares; each library supplies an *importer* for its kind:

========== ===================================== =================================
kind       library                               importer module
========== ===================================== =================================
entities   检查对象名录库                        ``shuangsuiji.registry.importing``
inspectors 执法检查人员名录库                    ``shuangsuiji.registry.importing``
items      抽查事项清单                          ``shuangsuiji.catalog.importing``
========== ===================================== =================================

Writing an importer
-------------------
An importer is any object with ``kind``, ``label`` (Chinese name of the library),
``columns`` (a list of ``tabular.Column``: field, Chinese header, required, aliases) and::

    def run(self, *, table: tabular.Table, department, actor, dry_run: bool,
            skip_invalid: bool, progress: ProgressFn | None = None,
            options: dict | None = None) -> ImportResult

(``options`` are the kind's own choices, stored on the job: the plan and "replace" for a
plan table; the libraries take none)
registered by its app in ``AppConfig.ready()`` (``catalog/apps.py`` is the model): the
app imports its ``importing`` module, which calls ``register_importer("items",
ItemImporter())``. The imports app knows no library; ``get_importer(kind)`` only looks the
kind up.

``run`` must keep these rules (the registry importers are the reference):

1. ``check_write_scope(actor=actor, department=department)`` first: the actor is a
   部门管理员 of the department (``accounts.selectors.writable_department_ids``) or the
   command line (``actor == CLI_ACTOR``, the string "命令行").
2. ``bound = table.bind(self.columns)`` — may raise ``tabular.TableError``; the caller
   (``import_file``) turns it into a file-level error (row 0).
3. Everything inside one ``transaction.atomic()``. Every row is validated; each problem is
   ``errors.add(row, column_header, reason)`` (``ErrorList``; row as Excel shows it,
   column as the file writes it — ``bound.header_of(field)``, reason in Chinese).
4. Any error and not ``skip_invalid`` → nothing is written (keep validating to report all
   errors, then roll back). ``skip_invalid`` → the valid rows are written, the bad rows
   are counted in ``skipped``. ``dry_run`` → always rolled back (or never written).
   ``committed`` says whether the transaction was committed.
5. Upsert on the library's key; a record whose ``row_digest`` is unchanged counts as
   ``unchanged`` and is not touched, so re-importing the same file reports 0 created /
   0 updated and ``summary()`` says "未发生任何变更".
6. On commit, one hash-chained audit event for the whole import (``record_import_event``
   with counts, the file's sha256 — ``table.sha256``; filled in from the running
   ``import_file`` when the result has none — and the digest of the ``RecordChange`` rows) and one
   ``audit.RecordChange`` per updated record with ``{field: [before, after]}`` of the
   changed fields (``ChangeSpool`` collects them on disk). Created records get no
   RecordChange (a million of them would double the import): their history starts with
   their ``created_at`` and the import event of their department at that time.
7. Call ``progress(done, total)`` now and then (``total`` may be ``None``).

``import_file(kind, path=…, …)`` is what the CLI, the web job runner and the benchmark
call: it opens the file, checks the scope, runs the importer, turns file-level problems
into an error, writes the xlsx error report when rows were skipped, and fills
``file_sha256``.

Exporters
---------
An exporter has ``kind``, ``label`` and::

    def headers(self, *, department, actor) -> list[str]
    def rows(self, *, department, actor) -> Iterable[Sequence]

(``register_exporter``/``get_exporter``); ``export_file(kind, department=…, actor=…,
fmt="xlsx"|"csv", out=path)`` writes them with ``tabular.open_writer`` (formula cells
neutralised). Exported headers are the import headers, so an export re-imports unchanged.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shuangsuiji.accounts.selectors import writable_department_ids
from shuangsuiji.audit.models import RecordChange
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import NotAllowed, ServiceError
from shuangsuiji.imports import tabular

CLI_ACTOR = "命令行"
KINDS = (
    "entities",
    "inspectors",
    "items",
    "plans",
    "credit-classes",
    "credit-flags",
    "complaints",
    "licences",
    "entity-status",
)
KIND_LABELS = {
    "entities": "检查对象名录库",
    "inspectors": "执法检查人员名录库",
    "items": "抽查事项清单",
    "plans": "年度抽查计划表",
    "credit-classes": "信用风险分类",
    "credit-flags": "信用标记",
    "complaints": "投诉件数",
    "licences": "双告知信息",
    "entity-status": "登记状态",
}
# Errors kept in memory and in the result; beyond this they are only counted.
MAX_ERRORS_KEPT = 50_000
PREVIEW_ROWS = 20

ProgressFn = Callable[[int, int | None], None]


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass
class RowError:
    """One problem: ``row`` as the user sees it in Excel (0 = the file as a whole),
    ``column`` the Chinese header ("" = the whole row), ``message`` the reason."""

    row: int
    column: str
    message: str

    def text(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        col = f" [{self.column}]" if self.column else ""
        return f"{where}{col} {self.message}"


class ErrorList:
    """Collects row errors; keeps the first ``MAX_ERRORS_KEPT``, counts all of them."""

    def __init__(self, limit: int = MAX_ERRORS_KEPT):
        self.items: list[RowError] = []
        self.count = 0
        self.rows: set[int] = set()
        self._limit = limit

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        self.rows.add(row)
        if len(self.items) < self._limit:
            self.items.append(RowError(row, column, message))

    def __bool__(self) -> bool:
        return self.count > 0

    def __len__(self) -> int:
        return self.count


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    total: int = 0  # data rows read
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows with errors left out (skip_invalid)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # all errors, also those beyond MAX_ERRORS_KEPT
    committed: bool = False
    dry_run: bool = False
    skip_invalid: bool = False
    error_report: str | None = None  # path of the xlsx error report
    file_name: str = ""
    file_sha256: str = ""
    file_format: str = ""
    encoding: str = ""
    header_row: int = 0
    unknown_headers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "新建标签 3 个：…"
    preview: dict[str, Any] = field(default_factory=dict)  # {"headers": [...], "rows": [[n, ...]]}
    # How the importer read the rows, when that is worth showing (the plan table's months,
    # ratios and linked items): {"headers": [...], "rows": [[...], ...]}, as ``preview``.
    parsed: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    event_seq: int | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def file_error(self) -> RowError | None:
        return next((e for e in self.errors if e.row == 0), None)

    def set_errors(self, errors: ErrorList) -> None:
        self.errors = list(errors.items)
        self.error_count = errors.count

    def summary(self) -> str:
        """One paragraph in Chinese for the CLI and the page."""
        if self.file_error is not None:
            return f"{self.label}导入失败：{self.file_error.message}。未写入任何数据。"
        counts = f"共 {self.total} 行：新增 {self.created} 条，更新 {self.updated} 条，未变化 {self.unchanged} 条"
        if self.skipped:
            counts += f"，跳过错误行 {self.skipped} 行"
        if self.dry_run:
            text = f"{self.label}预检（未写入）：{counts}。"
            if self.has_errors and not self.skip_invalid:
                text += f"发现 {self.error_count} 处错误：有错误时将不写入任何数据，请修改后重新上传，或选择“跳过错误行”。"
            elif self.has_errors:
                text += f"发现 {self.error_count} 处错误，确认导入时这些行将被跳过。"
            elif self.created == 0 and self.updated == 0:
                text += "与名录库现有数据完全一致，导入不会发生任何变更。"
            return text
        if not self.committed:
            if self.has_errors:
                return (
                    f"{self.label}导入未完成：发现 {self.error_count} 处错误，未写入任何数据。"
                    "请修改后重新导入，或选择“跳过错误行”只导入正确的行。"
                )
            return f"{self.label}导入未完成，未写入任何数据。"
        text = f"{self.label}导入完成：{counts}。"
        if self.created == 0 and self.updated == 0:
            text += "未发生任何变更（文件内容与名录库现有数据一致）。"
        if self.has_errors:
            text += f"有 {self.error_count} 处错误" + (
                "，已生成错误报告（xlsx）。" if self.error_report else "。"
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [asdict(e) for e in self.errors]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportResult:
        data = dict(data)
        data["errors"] = [RowError(**e) for e in data.get("errors", [])]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


# ---------------------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------------------


class Importer(Protocol):
    kind: str
    label: str
    columns: Sequence[tabular.Column]

    def run(
        self,
        *,
        table: tabular.Table,
        department: Any,
        actor: Any,
        dry_run: bool,
        skip_invalid: bool,
        progress: ProgressFn | None = None,
        options: dict[str, Any] | None = None,
    ) -> ImportResult: ...

    # Optional: ``check_scope(*, actor, department, options)`` replaces the default
    # ``check_write_scope`` (a plan table is imported by the 抽查操作员, not the 部门管理员).


class Exporter(Protocol):
    kind: str
    label: str

    def headers(self, *, department: Any, actor: Any) -> list[str]: ...

    def rows(self, *, department: Any, actor: Any) -> Iterable[Sequence[Any]]: ...


class ImporterUnavailable(ServiceError):
    status = 404


_IMPORTERS: dict[str, Importer] = {}
_EXPORTERS: dict[str, Exporter] = {}


def register_importer(kind: str, importer: Importer) -> Importer:
    _IMPORTERS[kind] = importer
    return importer


def register_exporter(kind: str, exporter: Exporter) -> Exporter:
    _EXPORTERS[kind] = exporter
    return exporter


def _lookup(kind: str, registry: dict, what: str):
    if kind not in registry:
        if kind not in KINDS:
            raise ImporterUnavailable(f"未知的名录类型「{kind}」：可选 {'、'.join(KINDS)}")
        # Only when the app that owns the kind is not installed (its ready() registers it).
        raise ImporterUnavailable(f"{KIND_LABELS[kind]}的{what}功能尚未提供（未注册 {kind}）")
    return registry[kind]


def get_importer(kind: str) -> Importer:
    return _lookup(kind, _IMPORTERS, "导入")


def get_exporter(kind: str) -> Exporter:
    return _lookup(kind, _EXPORTERS, "导出")


# ---------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------


def actor_is_cli(actor: Any) -> bool:
    """A text actor ("命令行", "演示数据") is whoever operates the server, as in the catalog
    and planning services: the shell is already past every web permission."""
    return isinstance(actor, str) and bool(actor)


def actor_may_write(*, actor: Any, department: Any) -> bool:
    if actor_is_cli(actor):
        return True
    if not getattr(actor, "is_authenticated", False):
        return False
    return department.pk in writable_department_ids(user=actor)


def check_write_scope(*, actor: Any, department: Any) -> None:
    """谁管理、谁维护 [002 第十一条]: only the department's 部门管理员 (or the command line,
    run by whoever operates the server) may import into its libraries."""
    if not actor_may_write(actor=actor, department=department):
        raise NotAllowed(f"您不是「{department.name}」的部门管理员，不能向其名录库导入数据")


def check_import_scope(
    *, importer: Any, actor: Any, department: Any, options: dict[str, Any] | None = None
) -> None:
    """The importer's own scope rule when it has one, the libraries' rule otherwise."""
    check = getattr(importer, "check_scope", None)
    if check is None:
        check_write_scope(actor=actor, department=department)
    else:
        check(actor=actor, department=department, options=options or {})


# ---------------------------------------------------------------------------------------
# Audit helpers for importers
# ---------------------------------------------------------------------------------------


class ChangeSpool:
    """Collects the per-record changes of one import on disk (not in memory: an import
    may update a million rows) with a running sha256 over them; ``flush(event)`` writes
    them as ``audit.RecordChange`` rows after the import's event exists."""

    def __init__(self, object_type: str):
        self.object_type = object_type
        self.count = 0
        self._sha = hashlib.sha256()
        self._file = tempfile.TemporaryFile(mode="w+b")

    def add(self, object_id: Any, changes: dict[str, Any]) -> None:
        line = (
            json.dumps(
                [str(object_id), changes],
                ensure_ascii=False,
                sort_keys=True,
                separators=(",", ":"),
                default=str,
            ).encode()
            + b"\n"
        )
        self._sha.update(line)
        self._file.write(line)
        self.count += 1

    @property
    def digest(self) -> str:
        return self._sha.hexdigest()

    def flush(self, event: Any, *, chunk: int = 5000) -> None:
        self._file.seek(0)
        batch: list[RecordChange] = []
        for line in self._file:
            object_id, changes = json.loads(line)
            batch.append(
                RecordChange(
                    event=event, object_type=self.object_type, object_id=object_id, changes=changes
                )
            )
            if len(batch) >= chunk:
                RecordChange.objects.bulk_create(batch)
                batch.clear()
        if batch:
            RecordChange.objects.bulk_create(batch)
        self.close()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def import_start(
    *,
    importer: Any,
    table: tabular.Table,
    department: Any,
    actor: Any,
    dry_run: bool,
    skip_invalid: bool,
) -> tuple[tabular.BoundTable, ImportResult]:
    """Rules 1–2 for an importer that is not an ``UpsertImporter``: the scope check, the
    binding of the columns, and the result that names the file and its header row."""
    check_write_scope(actor=actor, department=department)
    bound = table.bind(importer.columns)
    return bound, ImportResult(
        kind=importer.kind,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        file_name=table.name,
        file_sha256=table.sha256,
        header_row=bound.header_row,
        unknown_headers=list(bound.unknown_headers),
    )


def record_import_event(
    *, result: ImportResult, department: Any, actor: Any, spools: Sequence[ChangeSpool] = ()
):
    """The one hash-chained event of a committed import; call inside the transaction."""
    if not result.file_sha256:
        result.file_sha256 = _current_sha256.get()
    after = {
        "file_name": result.file_name,
        "file_sha256": result.file_sha256,
        "total": result.total,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
        "errors": result.error_count,
        "record_changes": {s.object_type: {"count": s.count, "sha256": s.digest} for s in spools},
    }
    event = event_record(
        actor=actor,
        action=f"import.{result.kind}",
        department=department,
        object_type=f"import.{result.kind}",
        object_id=result.file_sha256[:16],
        object_repr=f"导入{result.label}：{result.file_name}"[:255],
        after=after,
    )
    for spool in spools:
        spool.flush(event)
    result.event_seq = event.seq
    return event


# ---------------------------------------------------------------------------------------
# Running an import from a file
# ---------------------------------------------------------------------------------------

# The sha256 of the file ``import_file`` is running, for importers that did not copy
# ``table.sha256`` into their result before recording the event.
_current_sha256: contextvars.ContextVar[str] = contextvars.ContextVar("import_sha256", default="")


def file_sha256(path: str | os.PathLike) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            sha.update(chunk)
    return sha.hexdigest()


def table_preview(bound: tabular.BoundTable, limit: int = PREVIEW_ROWS) -> dict[str, Any]:
    rows = []
    for number, cells in bound.data_rows():
        rows.append([number, *[tabular.cell_text(c) for c in cells[: len(bound.headers)]]])
        if len(rows) >= limit:
            break
    return {"headers": bound.headers, "header_row": bound.header_row, "rows": rows}


def import_file(
    kind: str,
    *,
    path: str | os.PathLike,
    department: Any,
    actor: Any,
    filename: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    error_report: str | os.PathLike | None = None,
    progress: ProgressFn | None = None,
    sha256: str | None = None,
    preview: bool = False,
    options: dict[str, Any] | None = None,
) -> ImportResult:
    """Opens ``path`` and runs the ``kind`` importer. File-level problems (format,
    encoding, header) come back as a ``RowError`` with row 0, never as an exception;
    a scope violation raises ``NotAllowed``. When rows had errors, an xlsx error report
    is written to ``error_report`` (or next to the file when ``skip_invalid``).
    ``preview`` adds the header and first rows of the file to the result (web preview)."""
    started = time.monotonic()
    importer = get_importer(kind)
    check_import_scope(importer=importer, actor=actor, department=department, options=options)
    name = filename or Path(path).name
    digest = sha256 or file_sha256(path)
    try:
        table = tabular.open_table(path, filename=name)
        table.sha256 = digest
        token = _current_sha256.set(digest)
        try:
            result = importer.run(
                table=table,
                department=department,
                actor=actor,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                progress=progress,
                options=options or {},
            )
        finally:
            _current_sha256.reset(token)
    except tabular.TableError as exc:
        result = ImportResult(kind=kind, dry_run=dry_run, skip_invalid=skip_invalid)
        result.errors = [RowError(0, "", exc.message)]
        result.error_count = 1
        table = None
    result.file_name, result.dry_run, result.skip_invalid = name, dry_run, skip_invalid
    if result.file_sha256 == "":
        result.file_sha256 = digest
    if table is not None:
        result.file_format = table.format
        result.encoding = table.encoding_label
        if preview and result.file_error is None:
            result.preview = table_preview(table.bind(importer.columns))
        if result.has_errors and result.file_error is None and (error_report or skip_invalid):
            target = (
                Path(error_report)
                if error_report
                else Path(path).with_name(Path(name).stem + "-错误报告.xlsx")
            )
            write_error_report(
                table=table, columns=importer.columns, errors=result.errors, path=target
            )
            result.error_report = str(target)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def write_error_report(
    *,
    table: tabular.Table,
    columns: Sequence[tabular.Column],
    errors: Sequence[RowError],
    path: str | os.PathLike,
) -> Path:
    """An xlsx with the rows that had errors, as the file had them, plus 行号 and 错误原因;
    a second sheet lists every error (行号, 列名, 原因)."""
    import xlsxwriter

    by_row: dict[int, list[RowError]] = {}
    for err in errors:
        by_row.setdefault(err.row, []).append(err)
    bound = table.bind(columns)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": False,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    head = book.add_format({"bold": True, "bg_color": "#FDECEA", "border": 1})
    sheet = book.add_worksheet("错误行")
    headers = ["行号", *bound.headers, "错误原因"]
    for col, text in enumerate(headers):
        sheet.write_string(0, col, tabular.neutralise(text or ""), head)
        sheet.set_column(col, col, 14 if col else 8)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 60)
    sheet.freeze_panes(1, 1)
    out = 1
    for number, cells in bound.data_rows():
        if number not in by_row:
            continue
        sheet.write_number(out, 0, number)
        for col, cell in enumerate(cells[: len(bound.headers)], start=1):
            text = tabular.cell_text(cell)
            if text:
                sheet.write_string(out, col, tabular.neutralise(text))
        reasons = "；".join(
            f"[{e.column}] {e.message}" if e.column else e.message for e in by_row[number]
        )
        sheet.write_string(out, len(headers) - 1, tabular.neutralise(reasons))
        out += 1
    listing = book.add_worksheet("错误清单")
    for col, text in enumerate(["行号", "列名", "错误原因"]):
        listing.write_string(0, col, text, head)
    listing.set_column(0, 0, 8)
    listing.set_column(1, 1, 18)
    listing.set_column(2, 2, 70)
    for i, err in enumerate(errors, start=1):
        listing.write_number(i, 0, err.row)
        listing.write_string(i, 1, tabular.neutralise(err.column))
        listing.write_string(i, 2, tabular.neutralise(err.message))
    book.close()
    return path


# ---------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------


def export_file(kind: str, *, department: Any, actor: Any, fmt: str, out: str | os.PathLike) -> int:
    """Writes the ``kind`` library of ``department`` to ``out``; returns the row count.
    The exporter checks who may read what (and which columns)."""
    exporter = get_exporter(kind)
    headers = exporter.headers(department=department, actor=actor)
    rows = exporter.rows(department=department, actor=actor)
    title = None
    with tabular.open_writer(out, fmt, headers, sheet_name=exporter.label, title=title) as writer:
        writer.write_rows(rows)
        return writer.rows_written
