"""The streaming upsert engine behind the 名录库 importers (检查对象, 执法检查人员).

One pass over the file, one transaction (SQLite: see below), no per-row queries:

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

Speed (benchmarks/import_entities.py, docs/benchmarks.md): the hot loop checks text cells
inline and looks repeated cells (choices, dates, tags) up in the parsers' caches; INSERTs
go through ``executemany`` in chunks of ``INSERT_CHUNK`` rows; the cyclic garbage
collector is paused for the run (a million rows allocate millions of small lists it would
otherwise scan again and again — it is switched back on afterwards, also on error); on
SQLite the page cache is raised for the run (``bulk_session``): index pages of a million
random 统一社会信用代码 do not fit the 2 MB default. A writer thread overlapping parsing and
inserting was tried and measured slower: ``executemany`` gives up and re-takes the GIL for
every row, and the two threads spent their time waiting for each other.

Writes happen while reading (memory stays flat for a million rows) and stop for good at
the first error when the import is all-or-nothing; the rows after it are still validated
so the user gets every error at once. A dry run writes nothing and holds no lock: the
preview of a large file does not block other users.

On SQLite (one writer for the whole database) the writes are spooled instead and applied
after the last row was checked, in short transactions, undone on failure: ``staging.py``.
On PostgreSQL new rows go in with ``COPY``, and the table's statistics are refreshed
before the tag lookups once many rows were copied (``ANALYZE_AFTER``).

Columns missing from the file leave the stored value alone (the digest of an existing
record is then computed after merging in its stored values); an empty cell in a present
column clears the field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import operator
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.imports import staging, tabular
from shuangsuiji.imports.framework import (
    ChangeSpool,
    ErrorList,
    ImportResult,
    ProgressFn,
    check_write_scope,
    record_import_event,
)

# Rows are inserted in chunks sorted by key: the unique (department, key) index and the
# 统一社会信用代码 index then take their entries in order within a chunk (measured ~20 %
# less CPU for a million rows than unsorted chunks of 5,000).
INSERT_CHUNK = 50_000
UPDATE_CHUNK = 1000
STAGED_BATCH = 1000  # rows per INSERT batch of a staged SQLite import (staging.py)
ANALYZE_AFTER = 50_000  # rows COPYed before the table's statistics are refreshed (PostgreSQL)
PROGRESS_EVERY = 2000


@dataclass
class FieldSpec:
    """One imported field: its column, how a cell becomes the stored value, the value a
    new record gets when the column is absent, and whether it is a model column
    (``virtual`` fields such as tags are written by the importer's hooks).

    Values are always ``str`` ("" for empty; dates as ISO ``YYYY-MM-DD``): the digest is
    then one join, and the engine turns dates into what the database wants."""

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
    derived_fields: frozenset[str] = (
        frozenset()
    )  # always set by ``row_key`` (e.g. key ← 统一社会信用代码)

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

    def row_key(
        self,
        values: list[Any],
        failed: set[int] | None,
        row: int,
        bound: tabular.BoundTable,
        errors: ErrorList,
    ) -> str | None:
        """The row's key, or ``None`` (after adding an error unless a cell already has one)."""
        raise NotImplementedError

    def preload(self, department) -> dict[str, tuple[int, str]]:
        """``key → (id, row_digest)`` of the department's records."""
        qs = self.model.objects.filter(department=department).values_list(
            self.key_field, "id", "row_digest"
        )
        return {key: (pk, digest) for key, pk, digest in qs.iterator(chunk_size=20000)}

    def preload_extra(self, department) -> None:
        """Loads what ``check_row`` needs (e.g. keys held by other departments)."""

    def check_row(
        self,
        values: list[Any],
        key: str,
        row: int,
        bound: tabular.BoundTable,
        errors: ErrorList,
        is_new: bool,
    ) -> bool:
        """Cross-field and cross-record checks; returns False when the row is bad."""
        return True

    def has_virtual(self, values: list[Any]) -> bool:
        """Whether a new record's virtual fields need writing."""
        return False

    def load_virtual(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Stored values of the virtual fields of these records."""
        return {}

    def write_virtual(
        self,
        department,
        *,
        created: list[tuple[str, dict[str, Any]]],
        updated: list[tuple[int, dict[str, Any], dict[str, Any]]],
    ) -> None:
        """Writes virtual fields: ``created`` as (key, values), ``updated`` as (id, old, new)."""

    def undo_virtual(self, department) -> None:
        """A staged import was undone after its rows were deleted: remove what
        ``write_virtual`` created besides links (e.g. tags no record uses)."""

    def notes(self) -> list[str]:
        return []

    # -- the run ----------------------------------------------------------------------

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
        self.check_columns(bound)
        # A fresh instance per run: the hooks keep per-run state (e.g. the tags loaded)
        # and the registered importer is shared by concurrent web jobs.
        worker = self.__class__()
        if dry_run:
            # Nothing is written: no transaction, no lock (the preview never blocks writers).
            return _Run(worker, bound, department, actor, dry_run, skip_invalid, progress).execute()
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            # SQLite has one writer: validate first, then apply in short transactions, so a
            # million rows do not keep logins and saves waiting (staging.py, issue 11).
            table_name = self.model._meta.db_table
            with (
                bulk_session(),
                staging.department_lock(table=table_name, department_id=department.pk),
            ):
                staging.recover_interrupted(department_id=department.pk, locked=True)
                return _Run(
                    worker, bound, department, actor, dry_run, skip_invalid, progress, staged=True
                ).execute()
        with bulk_session(), transaction.atomic():
            # Serialises imports into one department: without the lock two concurrent
            # imports could both see a key as new and one would fail on the unique index.
            Department.objects.select_for_update().filter(pk=department.pk).first()
            result = _Run(
                worker, bound, department, actor, dry_run, skip_invalid, progress
            ).execute()
            if not result.committed:
                transaction.set_rollback(True)
            return result


class _Run:
    """The state of one import run."""

    def __init__(
        self,
        importer: UpsertImporter,
        bound: tabular.BoundTable,
        department,
        actor,
        dry_run: bool,
        skip_invalid: bool,
        progress: ProgressFn | None,
        staged: bool = False,
    ):
        self.imp = importer
        self.bound = bound
        self.department = department
        self.actor = actor
        self.dry_run = dry_run
        self.skip_invalid = skip_invalid
        self.progress = progress
        self.errors = ErrorList()
        self.result = ImportResult(
            kind=importer.kind,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            file_name=bound.table.name,
            file_sha256=bound.table.sha256,
            header_row=bound.header_row,
            unknown_headers=list(bound.unknown_headers),
        )
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
        self.all_present = all(
            i in self.present_ix or s.name in importer.derived_fields for i, s in enumerate(specs)
        )
        meta = importer.model._meta
        self.real_ix = [i for i, s in enumerate(specs) if not s.virtual]
        if self.real_ix != list(range(len(self.real_ix))):
            raise ValueError(
                f"{type(importer).__name__}.specs: virtual fields must come after the model fields"
            )
        self.n_real = len(self.real_ix)
        self.key_of = operator.itemgetter(self.names.index(importer.key_field))
        self.date_ix = [
            i
            for i, s in enumerate(specs)
            if not s.virtual and isinstance(meta.get_field(s.name), models.DateField)
        ]
        self.has_virtual = any(s.virtual for s in specs)
        self.sqlite = connection.vendor == "sqlite"
        # SQLite, outside any transaction: validate first, then apply in short transactions
        # (staging.py). Writes are spooled instead of executed during the first pass.
        self.deferred = staging.DeferredWrites(piece=STAGED_BATCH) if staged else None
        self.virtual_updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        self.copied = 0  # rows written with COPY (PostgreSQL)
        self._prepare_sql(meta)

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
            if (
                f.primary_key
                or f.name in real_names
                or f.name in ("department", "row_digest", "created_at", "updated_at")
            ):
                continue
            default = f.get_default() if f.has_default() or not f.null else None
            fixed.append((f.column, f.get_db_prep_save(default, connection)))
        now = ops.adapt_datetimefield_value(self.now)
        cols = (
            [meta.get_field(n).column for n in real_names]
            + ["department_id", "created_at", "updated_at"]
            + [c for c, _ in fixed]
            + ["row_digest"]
        )
        self.table_name = meta.db_table
        # Appended to the real fields of each row; the digest comes last.
        self.fixed_tail = (self.department.pk, now, now, *[v for _, v in fixed])
        self.insert_sql = (
            f"INSERT INTO {qn(self.table_name)} ({', '.join(qn(c) for c in cols)}) "
            f"VALUES ({', '.join(['%s'] * len(cols))})"
        )
        # PostgreSQL: COPY streams the rows in one command, several times faster than
        # INSERTs (issue 11: 1,000,000 rows in ≤ 45 s); same rows, same transaction.
        self.copy_sql = f"COPY {qn(self.table_name)} ({', '.join(qn(c) for c in cols)}) FROM STDIN"
        sets = ", ".join(f"{qn(meta.get_field(n).column)} = %s" for n in real_names)
        self.update_sql = (
            f"UPDATE {qn(self.table_name)} SET {sets}, {qn('row_digest')} = %s, "
            f"{qn('updated_at')} = %s WHERE {qn('id')} = %s"
        )
        self.digest_sql = (
            f"UPDATE {qn(self.table_name)} SET {qn('row_digest')} = %s WHERE {qn('id')} = %s"
        )
        self.now_db = now

    def _row(self, values: list[str]) -> tuple[list[Any], str]:
        """(INSERT parameters without the tail, digest) of a row's values (all ``str``)."""
        db = values[: self.n_real]
        for i in self.date_ix:
            v = db[i]
            # SQLite stores dates as ISO text; PostgreSQL gets a date. Empty → NULL.
            db[i] = (v if self.sqlite else dt.date.fromisoformat(v)) if v else None
        return db, hashlib.blake2b("\x1f".join(values).encode(), digest_size=16).hexdigest()

    # -- main loop --------------------------------------------------------------------

    def execute(self) -> ImportResult:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._execute()
        finally:
            if collecting:
                gc.enable()
            self.spool.close()
            if self.deferred is not None:
                self.deferred.close()

    def _insert(self, rows: list) -> None:
        rows.sort(key=self.key_of)
        if self.deferred is not None:
            self.deferred.add("insert", rows)
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The driver's own COPY, under Django's wrapper so its errors are Django's.
                with connection.wrap_database_errors, cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                self.copied += len(rows)
            else:
                cursor.executemany(self.insert_sql, rows)

    def _execute(self) -> ImportResult:
        imp, bound, errors, result = self.imp, self.bound, self.errors, self.result
        existing = imp.preload(self.department)
        imp.preload_extra(self.department)
        seen: dict[str, int] = {}
        specs = imp.specs
        present = sorted(
            (i, bound.field_index[s.column.field], bound.header_of(s.column.field), s.parse)
            for i, s in enumerate(specs)
            if i in self.present_ix
        )
        defaults = [s.default for s in specs]
        total_hint = bound.total_hint()
        progress = self.progress
        total = 0
        bad_rows = 0
        key_header = imp.key_header(bound)
        fixed_tail = self.fixed_tail
        blake2b = hashlib.blake2b
        has_virtual = self.has_virtual
        all_present = self.all_present
        unneutralise = tabular.unneutralise
        # The hot loop (a million rows). Fields are grouped by how they are read, so each
        # group's loop has no branching on the kind of field: plain text cells are checked
        # inline, repeated cells (choices, dates, tags) are looked up in their parser's
        # cache, the rest call their parser. Anything unusual — a cell that is not text, a
        # cache miss, a value that fails — goes to the full ``parse`` below, which also
        # words the error.
        texts, cached, plain = [], [], []
        for i, index, header, parse in present:
            full = (i, index, header, parse)
            if getattr(parse, "text_max", 0):
                texts.append((i, index, parse.text_max, parse.text_required, full))
            elif getattr(parse, "cache", None) is not None:
                cached.append((i, index, parse.cache, full))
            else:
                plain.append(full)
        width = max((index for _, index, _, _ in present), default=-1) + 1
        for row, cells in bound.data_rows():
            total += 1
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            values = defaults.copy()
            slow = None
            for i, index, text_max, required, full in texts:
                raw = cells[index]
                if raw.__class__ is str:
                    value = raw.strip()
                    if value and value[0] == "'":
                        value = unneutralise(value)
                    if len(value) <= text_max and (value or not required):
                        values[i] = value
                        continue
                if slow is None:
                    slow = []
                slow.append(full)
            for i, index, cache, full in cached:
                hit = cache.get(cells[index])
                if hit is not None and hit[0]:
                    values[i] = hit[1]
                    continue
                if slow is None:
                    slow = []
                slow.append(full)
            if slow is None:
                slow = plain
            else:
                slow = sorted(slow + plain)
            failed: set[int] | None = None
            for i, index, header, parse in slow:
                raw = cells[index]
                if raw.__class__ is str and raw[:1] == "'":
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
                        self._insert(self.inserts)
                        self.inserts = []
            else:
                if (
                    all_present
                    and blake2b("\x1f".join(values).encode(), digest_size=16).hexdigest()
                    == found[1]
                ):
                    result.unchanged += 1
                else:
                    self.pending.append((row, found[0], values))
                    if len(self.pending) >= UPDATE_CHUNK:
                        self._flush_updates()
            if progress is not None and total % PROGRESS_EVERY == 0:
                # The callback throttles its own output (tqdm, the job's progress file).
                progress(total, max(total_hint or 0, total) or None)
        if self.writing and self.inserts:
            self._insert(self.inserts)
        self.inserts = []
        self._flush_updates()
        result.total = total
        result.set_errors(errors)
        if self.skip_invalid:
            result.skipped = bad_rows
        result.notes.extend(imp.notes())
        if progress is not None:
            progress(total, total)
        if self.dry_run or (errors and not self.skip_invalid):
            return result
        if self.deferred is not None:
            self._apply_staged()
        else:
            self._finish()
        return result

    def _finish(self) -> None:
        """The writes that end a run: tags of new records (staged: written with their
        rows already), deferred updates, the audit event."""
        if self.copied > ANALYZE_AFTER:
            # PostgreSQL plans the tag lookups below with the statistics of the table before
            # the import: for a library that grew from nothing to a million rows in this
            # transaction it chose a sequential scan per batch of keys (31 s of 67 s for a
            # million rows). ANALYZE inside the transaction samples our own new rows.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(self.table_name)}")
        if self.created_virtual and self.deferred is None:
            created = [
                (key, dict(zip(self.names, values, strict=True)))
                for key, values in self.created_virtual
            ]
            self.imp.write_virtual(self.department, created=created, updated=[])
        if self.deferred is not None:
            with connection.cursor() as cursor:
                for kind, sql in (("update", self.update_sql), ("digest", self.digest_sql)):
                    for rows in self.deferred.read(kind):
                        cursor.executemany(sql, rows)
        if self.virtual_updates:
            self.imp.write_virtual(self.department, created=[], updated=self.virtual_updates)
        record_import_event(
            result=self.result, department=self.department, actor=self.actor, spools=[self.spool]
        )
        self.result.committed = True

    def _apply_staged(self) -> None:
        """Second pass on SQLite: the spooled new rows in short transactions with a pause
        between them (a waiting login or save gets the lock), then one short transaction
        with the rest. A failure deletes what was inserted (all or nothing, staging.py)."""
        department_id = self.department.pk
        journal = staging.Journal(
            table=self.table_name,
            department_id=department_id,
            created_at=self.now_db,
            kind=self.imp.kind,
            sha256=self.result.file_sha256,
            links=staging.link_tables(self.imp.model),
        )
        if not journal.data["sha256"]:
            raise ValueError("staged import without the file's SHA-256")
        journal.begin()
        try:
            self._apply_inserts()
            with transaction.atomic():
                self._finish()
        except BaseException as exc:
            self.result.committed = False
            staging.delete_inserted(
                table=self.table_name,
                department_id=department_id,
                created_at=self.now_db,
                links=journal.data["links"],
            )
            self.imp.undo_virtual(self.department)
            journal.end()
            if isinstance(exc, IntegrityError):
                # Someone added a record with one of the file's keys while it was written.
                self.errors.add(
                    0,
                    "",
                    "导入期间名录库被其他操作修改（出现了重复的编号），本次导入已全部撤销、"
                    "没有写入任何数据，请重新导入",
                )
                self.result.set_errors(self.errors)
                return
            raise
        journal.end()

    def _apply_inserts(self) -> None:
        """The spooled new rows (with their tags) in batches of ``STAGED_BATCH``, as many
        per transaction as fit in ``IMPORT_SQLITE_COMMIT_SECONDS``, with a pause after each
        transaction."""
        assert self.deferred is not None
        batches = self.deferred.read("insert")  # pieces of STAGED_BATCH rows
        virtual_of = {
            key: dict(zip(self.names, values, strict=True)) for key, values in self.created_virtual
        }
        key_of = self.key_of
        budget, pause = staging.commit_seconds(), staging.pause_seconds()
        batch = next(batches, None)
        while batch is not None:
            with transaction.atomic(), connection.cursor() as cursor:
                opened = time.monotonic()
                while batch is not None:
                    cursor.executemany(self.insert_sql, batch)
                    if virtual_of:
                        created = [
                            (key_of(row), virtual_of[key_of(row)])
                            for row in batch
                            if key_of(row) in virtual_of
                        ]
                        if created:
                            self.imp.write_virtual(self.department, created=created, updated=[])
                    batch = next(batches, None)
                    if time.monotonic() - opened > budget:
                        break
            if batch is not None:
                time.sleep(pause)

    def _flush_updates(self) -> None:
        """Classifies the buffered known keys: unchanged, or changed (UPDATE + RecordChange)."""
        if not self.pending:
            return
        imp, result, specs = self.imp, self.result, self.imp.specs
        pending, self.pending = self.pending, []
        ids = [pk for _, pk, _ in pending]
        real_names = [specs[i].name for i in self.real_ix]
        # Stored values as the parsers give them: text, dates ISO, NULL empty.
        old_rows = {
            row["id"]: {k: _as_text(v) for k, v in row.items()}
            for row in imp.model.objects.filter(id__in=ids).values("id", *real_names)
        }
        if self.has_virtual:
            virtual = imp.load_virtual(ids)
            for pk, row in old_rows.items():
                row.update(virtual.get(pk, {}))
        params: list[tuple] = []
        digest_only: list[tuple] = []
        virtual_updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for _row, pk, values in pending:
            old = old_rows[pk]
            merged = [
                values[i]
                if (i in self.present_ix or s.name in imp.derived_fields)
                else old.get(s.name, s.default)
                for i, s in enumerate(specs)
            ]
            db, digest = self._row(merged)
            changed = {
                s.name: [old.get(s.name, ""), merged[i]]
                for i, s in enumerate(specs)
                if old.get(s.name, "") != merged[i]
            }
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
            params.append((*db, digest, self.now_db, pk))
            if self.has_virtual and any(s.virtual and s.name in changed for s in specs):
                virtual_updates.append((pk, old, dict(zip(self.names, merged, strict=True))))
        if not self.writing:
            return
        if self.deferred is not None:
            self.deferred.add("update", params)
            self.deferred.add("digest", digest_only)
            self.virtual_updates.extend(virtual_updates)
            return
        with connection.cursor() as cursor:
            if params:
                cursor.executemany(self.update_sql, params)
            if digest_only:
                cursor.executemany(self.digest_sql, digest_only)
        if virtual_updates:
            imp.write_virtual(self.department, created=[], updated=virtual_updates)


def _as_text(value: Any) -> Any:
    if value is None:
        return ""
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
