"""The streaming upsert engine behind the 名录库 importers (检查对象, 执法检查人员).

One pass over the file, one transaction, no per-row queries:

1. lock the department row (``select_for_update``: two imports into one department are
   serialised instead of racing on the unique key), then preload every existing
   ``key → (id, row_digest)`` of the library once;
2. for each row: parse and validate every present column (``FieldSpec.parse`` raises
   ``ValueError`` with the Chinese reason), compute the key, refuse duplicates inside the
   file, compute the row digest over all imported fields;
3. new key → buffered and written with ``cursor.executemany`` INSERTs in chunks (no ORM
   objects); known key with the same digest → ``unchanged``, nothing touched; known key
   with another digest → buffered, the stored values fetched per chunk (one query per
   chunk), the record UPDATEd with ``executemany`` and its changed fields recorded in a
   ``ChangeSpool``;
4. at the end: any error and not ``skip_invalid``, or ``dry_run`` → roll back; else one
   audit event (``record_import_event``) and the ``RecordChange`` rows.

Speed (benchmarks/import_entities.py, docs/benchmarks.md): the INSERT chunks go to a
writer thread that shares the transaction's database connection, so parsing the next rows
(Python, holding the GIL) overlaps with SQLite/PostgreSQL inserting the previous ones (C,
GIL released). The main thread touches the connection only after draining the writer.
On SQLite the import also raises the page cache for its duration (``bulk_session``):
index pages of a million random 统一社会信用代码 do not fit the 2 MB default.

Writes happen while reading (memory stays flat for a million rows) and stop for good at
the first error when the import is all-or-nothing; the rows after it are still validated
so the user gets every error at once. A dry run writes nothing and holds no lock: the
preview of a large file does not block other users.

Columns missing from the file leave the stored value alone (the digest of an existing
record is then computed after merging in its stored values); an empty cell in a present
column clears the field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from shuangsuiji.common import tabular
from shuangsuiji.common.importing import (
    ChangeSpool,
    ErrorList,
    ImportResult,
    ProgressFn,
    check_write_scope,
    record_import_event,
)

INSERT_CHUNK = 5000
UPDATE_CHUNK = 1000
PROGRESS_EVERY = 2000


@dataclass
class FieldSpec:
    """One imported field: its column, how a cell becomes the stored value (a ``str``, or
    a ``date``/``None`` for date fields), the value a new record gets when the column is
    absent, and whether it is a model column (``virtual`` fields such as tags are written
    by the importer's hooks)."""

    name: str
    column: tabular.Column
    parse: Callable[[Any], Any]
    default: Any = ""
    virtual: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.default, str):
            self.default = str(self.default)  # plain str (TextChoices members are a subclass)


def digest_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def row_digest(values: Sequence[Any]) -> str:
    """32 hex digits over the imported fields in spec order (the ``row_digest`` column)."""
    joined = "\x1f".join(v if v.__class__ is str else digest_text(v) for v in values)
    return hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()


# ---------------------------------------------------------------------------------------
# Database session helpers
# ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def bulk_session() -> Iterator[None]:
    """Connection settings for one bulk write, restored afterwards. SQLite: a larger
    page cache (``IMPORT_SQLITE_CACHE_MB``, default 256) so index pages stay in memory."""
    if connection.vendor != "sqlite":
        yield
        return
    megabytes = int(getattr(settings, "IMPORT_SQLITE_CACHE_MB", 256))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-megabytes * 1024:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous):d}")


class BulkWriter:
    """Writes INSERT chunks into ``table`` in a thread that shares the current
    transaction's connection. ``put`` hands over a chunk (blocks when 3 are waiting),
    ``drain`` waits until all are written (call it before the main thread uses the
    connection), ``close`` drains and stops. An error in the thread is re-raised in the
    main thread at the next call, so the transaction is rolled back as usual.

    On SQLite a chunk is one statement, ``INSERT … SELECT … FROM json_each(?)``, with the
    rows as one JSON parameter: SQLite then works through all 5,000 rows without the GIL.
    ``executemany`` would release and re-take the GIL for every row, and the writer
    thread would spend its time waiting for the parsing thread to let go of it (measured:
    slower than no thread at all). PostgreSQL gets ``executemany`` (psycopg pipelines it
    and waits for the network without the GIL).
    """

    def __init__(self, table: str, columns: Sequence[str], *, threaded: bool = True):
        connection.ensure_connection()
        qn = connection.ops.quote_name
        self._raw = connection.connection
        head = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "
        self._json = (connection.vendor == "sqlite" and connection.features.supports_json_field
                      and getattr(settings, "IMPORT_SQLITE_JSON", True))
        if self._json:
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            self._sql = f"{head}SELECT {picks} FROM json_each(?)"
        else:
            marks = ", ".join(["?" if connection.vendor == "sqlite" else "%s"] * len(columns))
            self._sql = f"{head}VALUES ({marks})"
        self._error: BaseException | None = None
        self._threaded = threaded
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._thread = None
        if threaded:
            self._thread = threading.Thread(target=self._loop, name="import-writer", daemon=True)
            self._thread.start()

    def _write(self, rows: list) -> None:
        cursor = self._raw.cursor()
        try:
            if self._json:
                cursor.execute(self._sql, (json.dumps(rows, ensure_ascii=False, separators=(",", ":")),))
            else:
                cursor.executemany(self._sql, rows)
        finally:
            cursor.close()

    def _loop(self) -> None:
        while True:
            rows = self._queue.get()
            try:
                if rows is None:
                    return
                if self._error is None:
                    self._write(rows)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                self._error = exc
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def put(self, rows: list) -> None:
        self._raise()
        if self._threaded:
            self._queue.put(rows)
        else:
            self._write(rows)

    def drain(self) -> None:
        if self._threaded:
            self._queue.join()
        self._raise()

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()


# ---------------------------------------------------------------------------------------
# The importer base class
# ---------------------------------------------------------------------------------------

class UpsertImporter:
    """Base of an importer whose rows map one-to-one onto a model with a key.

    Subclasses set ``kind``, ``label``, ``model``, ``specs``, ``key_field`` and may
    override the hooks. Hooks get the row's values as a list in ``specs`` order (``ix``
    maps a field name to its position)."""

    kind: str = ""
    label: str = ""
    model: type[models.Model]
    key_field: str = "key"
    specs: list[FieldSpec] = []
    leading_columns: list[tabular.Column] = []  # read but not stored, e.g. 序号
    derived_fields: frozenset[str] = frozenset()  # always set by ``row_key`` (e.g. key ← 统一社会信用代码)

    @property
    def columns(self) -> list[tabular.Column]:
        return [*self.leading_columns, *(s.column for s in self.specs)]

    @property
    def ix(self) -> dict[str, int]:
        return {s.name: i for i, s in enumerate(self.specs)}

    # -- hooks ------------------------------------------------------------------------

    def key_header(self, bound: tabular.BoundTable) -> str:
        return bound.header_of(self.key_field)

    def check_columns(self, bound: tabular.BoundTable) -> None:
        """Raises ``tabular.TableError`` when the file lacks a column combination."""

    def row_key(self, values: list[Any], failed: set[int] | None, row: int, bound: tabular.BoundTable,
                errors: ErrorList) -> str | None:
        """The row's key, or ``None`` (after adding an error unless a cell already has one)."""
        raise NotImplementedError

    def preload(self, department) -> dict[str, tuple[int, str]]:
        """``key → (id, row_digest)`` of the department's records."""
        qs = self.model.objects.filter(department=department).values_list(self.key_field, "id", "row_digest")
        return {key: (pk, digest) for key, pk, digest in qs.iterator(chunk_size=20000)}

    def preload_extra(self, department) -> None:
        """Loads what ``check_row`` needs (e.g. keys held by other departments)."""

    def check_row(self, values: list[Any], key: str, row: int, bound: tabular.BoundTable,
                  errors: ErrorList, is_new: bool) -> bool:
        """Cross-field and cross-record checks; returns False when the row is bad."""
        return True

    def has_virtual(self, values: list[Any]) -> bool:
        """Whether a new record's virtual fields need writing."""
        return False

    def load_virtual(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Stored values of the virtual fields of these records."""
        return {}

    def write_virtual(self, department, *, created: list[tuple[str, dict[str, Any]]],
                      updated: list[tuple[int, dict[str, Any], dict[str, Any]]]) -> None:
        """Writes virtual fields: ``created`` as (key, values), ``updated`` as (id, old, new)."""

    def notes(self) -> list[str]:
        return []

    # -- the run ----------------------------------------------------------------------

    def run(self, *, table: tabular.Table, department, actor, dry_run: bool, skip_invalid: bool,
            progress: ProgressFn | None = None) -> ImportResult:
        check_write_scope(actor=actor, department=department)
        bound = table.bind(self.columns)
        self.check_columns(bound)
        # A fresh instance per run: the hooks keep per-run state (e.g. the tags loaded)
        # and the registered importer is shared by concurrent web jobs.
        worker = self.__class__()
        if dry_run:
            # Nothing is written: no transaction, no lock (the preview never blocks writers).
            return _Run(worker, bound, department, actor, dry_run, skip_invalid, progress).execute()
        with bulk_session(), transaction.atomic():
            from shuangsuiji.accounts.models import Department

            # Serialises imports into one department: without the lock two concurrent
            # imports could both see a key as new and one would fail on the unique index.
            Department.objects.select_for_update().filter(pk=department.pk).first()
            result = _Run(worker, bound, department, actor, dry_run, skip_invalid, progress).execute()
            if not result.committed:
                transaction.set_rollback(True)
            return result


class _Run:
    """The state of one import run."""

    def __init__(self, importer: UpsertImporter, bound: tabular.BoundTable, department, actor,
                 dry_run: bool, skip_invalid: bool, progress: ProgressFn | None):
        self.imp = importer
        self.bound = bound
        self.department = department
        self.actor = actor
        self.dry_run = dry_run
        self.skip_invalid = skip_invalid
        self.progress = progress
        self.errors = ErrorList()
        self.result = ImportResult(kind=importer.kind, dry_run=dry_run, skip_invalid=skip_invalid,
                                   file_name=bound.table.name, header_row=bound.header_row,
                                   unknown_headers=list(bound.unknown_headers))
        self.spool = ChangeSpool(importer.model._meta.label_lower)
        # Writes stop for good at the first error of an all-or-nothing import.
        self.writing = not dry_run
        self.inserts: list[tuple] = []
        self.created_virtual: list[tuple[str, list[Any]]] = []
        self.pending: list[tuple[int, int, list[Any]]] = []  # (row, id, parsed values)
        self.now = timezone.now()
        specs = importer.specs
        self.names = [s.name for s in specs]
        self.present_ix = {i for i, s in enumerate(specs) if s.column.field in bound.field_index}
        self.all_present = all(i in self.present_ix or s.name in importer.derived_fields
                               for i, s in enumerate(specs))
        meta = importer.model._meta
        self.real_ix = [i for i, s in enumerate(specs) if not s.virtual]
        if self.real_ix != list(range(len(self.real_ix))):
            raise ValueError(f"{type(importer).__name__}.specs: virtual fields must come after the model fields")
        self.n_real = len(self.real_ix)
        self.date_ix = [i for i, s in enumerate(specs)
                        if not s.virtual and isinstance(meta.get_field(s.name), models.DateField)]
        self.date_pos = [(i, self.real_ix.index(i)) for i in self.date_ix]
        self.has_virtual = any(s.virtual for s in specs)
        self.sqlite = connection.vendor == "sqlite"
        self._prepare_sql(meta)
        self.writer: BulkWriter | None = None

    # -- SQL --------------------------------------------------------------------------

    def _prepare_sql(self, meta) -> None:
        qn = connection.ops.quote_name
        ops = connection.ops
        specs = self.imp.specs
        real_names = [specs[i].name for i in self.real_ix]
        # Every concrete column is written: fields not imported get their model default,
        # so a field added to the model later cannot make the raw INSERT fail.
        fixed: list[tuple[str, Any]] = []
        for f in meta.concrete_fields:
            if f.primary_key or f.name in real_names or f.name in ("department", "row_digest", "created_at", "updated_at"):
                continue
            default = f.get_default() if f.has_default() or not f.null else None
            fixed.append((f.column, f.get_db_prep_save(default, connection)))
        now = ops.adapt_datetimefield_value(self.now)
        cols = ([meta.get_field(n).column for n in real_names] + ["department_id", "created_at", "updated_at"]
                + [c for c, _ in fixed] + ["row_digest"])
        self.table_name = meta.db_table
        # Appended to the real fields of each row; the digest comes last.
        self.fixed_tail = (self.department.pk, now, now, *[v for _, v in fixed])
        self.insert_columns = cols
        sets = ", ".join(f"{qn(meta.get_field(n).column)} = %s" for n in real_names)
        self.update_sql = (f"UPDATE {qn(self.table_name)} SET {sets}, {qn('row_digest')} = %s, "
                           f"{qn('updated_at')} = %s WHERE {qn('id')} = %s")
        self.now_db = now

    def _parts(self, values: list[Any]) -> list[Any]:
        """The values as digest text: dates ISO, ``None`` empty."""
        if not self.date_ix:
            return values
        parts = values.copy()
        for i in self.date_ix:
            v = parts[i]
            parts[i] = v.isoformat() if v is not None else ""
        return parts

    def _row(self, values: list[Any]) -> tuple[list[Any], str]:
        """(INSERT parameters without the digest, digest) of a row's values."""
        db = values[: self.n_real]
        if self.date_ix:
            parts = values.copy()
            for i in self.date_ix:
                v = values[i]
                if v is None:
                    parts[i] = ""
                else:
                    parts[i] = v.isoformat()
                    if self.sqlite:
                        db[i] = parts[i]
        else:
            parts = values
        return db, hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()

    # -- main loop --------------------------------------------------------------------

    def execute(self) -> ImportResult:
        try:
            if self.writing:
                self.writer = BulkWriter(self.table_name, self.insert_columns,
                                         threaded=getattr(settings, "IMPORT_WRITER_THREAD", True))
            return self._execute()
        finally:
            if self.writer is not None:
                self.writer.close()
            self.spool.close()

    def _execute(self) -> ImportResult:
        imp, bound, errors, result = self.imp, self.bound, self.errors, self.result
        existing = imp.preload(self.department)
        imp.preload_extra(self.department)
        seen: dict[str, int] = {}
        specs = imp.specs
        present = sorted((i, bound.field_index[s.column.field], bound.header_of(s.column.field), s.parse)
                         for i, s in enumerate(specs) if i in self.present_ix)
        defaults = [s.default for s in specs]
        total_hint = bound.total_hint()
        progress = self.progress
        total = 0
        bad_rows = 0
        key_header = imp.key_header(bound)
        fixed_tail = self.fixed_tail
        has_virtual = self.has_virtual
        all_present = self.all_present
        unneutralise = tabular.unneutralise
        # The hot loop (a million rows): text cells are checked inline and repeated cells
        # (choices, dates, tags) looked up in the parser's cache, without a call each.
        fast = []
        for i, index, header, parse in present:
            fast.append((i, index, header, parse, getattr(parse, "text_max", 0),
                         getattr(parse, "text_required", False), getattr(parse, "cache", None)))
        width = max((index for _, index, _, _ in present), default=-1) + 1
        for row, cells in bound.data_rows():
            total += 1
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            values = defaults.copy()
            failed: set[int] | None = None
            for i, index, header, parse, text_max, text_required, cache in fast:
                raw = cells[index]
                if raw.__class__ is str:
                    if text_max:
                        value = raw.strip()
                        if value[:1] == "'":
                            value = unneutralise(value)
                        if len(value) <= text_max and (value or not text_required):
                            values[i] = value
                            continue
                    elif cache is not None:
                        hit = cache.get(raw)
                        if hit is not None and hit[0]:
                            values[i] = hit[1]
                            continue
                    if raw[:1] == "'":
                        raw = unneutralise(raw)
                try:
                    values[i] = parse(raw)
                except ValueError as exc:
                    errors.add(row, header, str(exc))
                    if failed is None:
                        failed = set()
                    failed.add(i)
            ok = failed is None
            key = imp.row_key(values, failed, row, bound, errors)
            if key is None:
                ok = False
            else:
                first = seen.get(key)
                if first is not None:
                    errors.add(row, key_header, f"与第{first}行重复（{key}）")
                    ok = False
                else:
                    seen[key] = row
            found = existing.get(key) if key is not None else None
            if ok and not imp.check_row(values, key, row, bound, errors, found is None):
                ok = False
            if not ok:
                bad_rows += 1
                if not self.skip_invalid and self.writing:
                    # All or nothing: what was written so far is rolled back at the end.
                    self.writing = False
                    self.inserts = []
                    self.created_virtual = []
            elif found is None:
                result.created += 1
                if self.writing:
                    db, digest = self._row(values)
                    db.extend(fixed_tail)
                    db.append(digest)
                    self.inserts.append(db)
                    if has_virtual and imp.has_virtual(values):
                        self.created_virtual.append((key, values))
                    if len(self.inserts) >= INSERT_CHUNK:
                        self.writer.put(self.inserts)
                        self.inserts = []
            else:
                if all_present and self._row(values)[1] == found[1]:
                    result.unchanged += 1
                else:
                    self.pending.append((row, found[0], values))
                    if len(self.pending) >= UPDATE_CHUNK:
                        self._flush_updates()
            if progress is not None and total % PROGRESS_EVERY == 0:
                # The callback throttles its own output (tqdm, the job's progress file).
                progress(total, max(total_hint or 0, total) or None)
        if self.writing and self.inserts:
            self.writer.put(self.inserts)
        self.inserts = []
        self._flush_updates()
        if self.writer is not None:
            self.writer.drain()
        if self.writing and self.created_virtual:
            created = [(key, dict(zip(self.names, values, strict=True))) for key, values in self.created_virtual]
            imp.write_virtual(self.department, created=created, updated=[])
        result.total = total
        result.set_errors(errors)
        if self.skip_invalid:
            result.skipped = bad_rows
        result.notes.extend(imp.notes())
        if progress is not None:
            progress(total, total)
        if not self.dry_run and (not errors or self.skip_invalid):
            record_import_event(result=result, department=self.department, actor=self.actor, spools=[self.spool])
            result.committed = True
        return result

    def _flush_updates(self) -> None:
        """Classifies the buffered known keys: unchanged, or changed (UPDATE + RecordChange)."""
        if not self.pending:
            return
        if self.writer is not None:
            self.writer.drain()  # the main thread is about to use the connection
        imp, result, specs = self.imp, self.result, self.imp.specs
        pending, self.pending = self.pending, []
        ids = [pk for _, pk, _ in pending]
        real_names = [specs[i].name for i in self.real_ix]
        old_rows = {row["id"]: row for row in imp.model.objects.filter(id__in=ids).values("id", *real_names)}
        if self.has_virtual:
            virtual = imp.load_virtual(ids)
            for pk, row in old_rows.items():
                row.update(virtual.get(pk, {}))
        params: list[tuple] = []
        digest_only: list[tuple] = []
        virtual_updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for _row, pk, values in pending:
            old = old_rows[pk]
            merged = [values[i] if (i in self.present_ix or s.name in imp.derived_fields) else old.get(s.name, s.default)
                      for i, s in enumerate(specs)]
            parts = self._parts(merged)
            digest = row_digest(parts)
            changed = {s.name: [_jsonable(old.get(s.name)), _jsonable(merged[i])]
                       for i, s in enumerate(specs) if _comparable(old.get(s.name)) != _comparable(merged[i])}
            if not changed:
                # Same content, stale or missing digest (e.g. the record was edited by
                # hand): store the digest so the next import sees it as unchanged at once.
                result.unchanged += 1
                digest_only.append((digest, pk))
                continue
            result.updated += 1
            if not self.writing:
                continue
            self.spool.add(pk, changed)
            db, _digest = self._row(merged)
            params.append((*db, digest, self.now_db, pk))
            if self.has_virtual and any(s.virtual and s.name in changed for s in specs):
                virtual_updates.append((pk, old, dict(zip(self.names, merged, strict=True))))
        if not self.writing:
            return
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            if params:
                cursor.executemany(self.update_sql, params)
            if digest_only:
                cursor.executemany(f"UPDATE {qn(self.table_name)} SET {qn('row_digest')} = %s WHERE {qn('id')} = %s",
                                   digest_only)
        if virtual_updates:
            imp.write_virtual(self.department, created=[], updated=virtual_updates)


def _comparable(value: Any) -> Any:
    return "" if value is None else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def chunked(items: Sequence[Any] | Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
