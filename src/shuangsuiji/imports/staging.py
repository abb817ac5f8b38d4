"""Large imports on SQLite without holding the write lock (issue 11 第 6 项).

SQLite has one writer at a time. An import of a million rows in one transaction held the
write lock for half a minute: logins and every other write waited and, past the busy
timeout, failed. On SQLite the engine therefore works in two passes:

1. **Validate** the whole file with no transaction and no lock (WAL readers never block
   writers). New rows, updates and tag changes are not written but spooled to a temporary
   file (``DeferredWrites``). Any error in an all-or-nothing import ends here: nothing was
   written.
2. **Apply**: the new rows in short transactions of at most ``IMPORT_SQLITE_COMMIT_SECONDS``
   each, with a pause of ``IMPORT_SQLITE_PAUSE_MS`` between them in which a waiting login
   or save takes the lock; then one last short transaction with the updates, the tags,
   the audit event and the ``RecordChange`` rows.

All-or-nothing is kept by compensation: every row the run inserts carries the run's
``created_at`` timestamp, recorded in a journal file (``VAR_DIR/imports/applying``) before
the first insert. If the apply fails, the rows are deleted again before the error is
reported; if the process dies (kill -9, power), ``recover_interrupted`` deletes them on the
next import into the department and when ``ssj worker`` starts. A run whose audit event
exists committed: its journal is only removed.

While a run applies, ``applying(department_id)`` is true and the draw refuses to freeze
a pool of that department (the library is half written). Imports into one department are
serialised by a file lock (``department_lock``), the SQLite counterpart of the
``select_for_update`` on the department row that PostgreSQL uses.

PostgreSQL needs none of this: readers and other writers are not blocked by an open
transaction there, so the import stays one transaction (MVCC).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pickle
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from shuangsuiji.audit.models import ChainHead, Event

log = logging.getLogger(__name__)


def _journal_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports" / "applying"
    path.mkdir(parents=True, exist_ok=True)
    return path


class DeferredWrites:
    """Write parameters spooled to temporary files between the two passes (a million rows
    would not fit in memory as Python lists), one file per kind of write, in pieces of
    ``piece`` rows so that reading one back inside a short transaction costs little."""

    def __init__(self, *, piece: int = 1000) -> None:
        self.piece = piece
        self._files: dict[str, Any] = {}
        self.inserted = 0

    def add(self, kind: str, rows: list[Any]) -> None:
        if not rows:
            return
        if kind == "insert":
            self.inserted += len(rows)
        fh = self._files.get(kind)
        if fh is None:
            fh = self._files[kind] = tempfile.TemporaryFile(mode="w+b")
        for start in range(0, len(rows), self.piece):
            pickle.dump(rows[start : start + self.piece], fh, protocol=pickle.HIGHEST_PROTOCOL)

    def read(self, kind: str) -> Iterator[list[Any]]:
        fh = self._files.get(kind)
        if fh is None:
            return
        fh.seek(0)
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()


@contextlib.contextmanager
def department_lock(*, table: str, department_id: int) -> Iterator[None]:
    """Serialises the imports of one department into one table across processes."""
    path = _journal_dir() / f"{table}-{department_id}.lock"
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Journal:
    """What a crash in the apply pass leaves behind, so that it can be undone."""

    def __init__(
        self,
        *,
        table: str,
        department_id: int,
        created_at: Any,
        kind: str,
        sha256: str,
        links: Sequence[tuple[str, str]] = (),
    ):
        self.data = {
            "table": table,
            "links": [list(link) for link in links],
            "department_id": department_id,
            "created_at": str(created_at),
            "kind": kind,
            "sha256": sha256,
            "seq_before": ChainHead.objects.values_list("last_seq", flat=True).first() or 0,
            "pid": os.getpid(),
        }
        self.path = _journal_dir() / f"{table}-{department_id}-{uuid.uuid4().hex}.json"

    def begin(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def end(self) -> None:
        self.path.unlink(missing_ok=True)


def applying(department_id: int) -> bool:
    """Whether an import into the department is half applied right now. A journal left by
    a run that died is undone here (its department lock is free) and does not count."""
    directory = Path(settings.VAR_DIR) / "imports" / "applying"
    if not directory.is_dir():
        return False
    for path in sorted(directory.glob(f"*-{int(department_id)}-*.json")):
        table = path.name.rsplit(f"-{int(department_id)}-", 1)[0]
        with _try_lock(table=table, department_id=int(department_id)) as free:
            if not free:
                return True  # a live run holds the lock
            if path.exists():
                _recover_path(path)
    return False


@contextlib.contextmanager
def _try_lock(*, table: str, department_id: int) -> Iterator[bool]:
    path = _journal_dir() / f"{table}-{department_id}.lock"
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def link_tables(model: Any) -> list[tuple[str, str]]:
    """(table, column) of the many-to-many links pointing at ``model`` rows (e.g. the tags of
    an entity): the compensation deletes them before the rows themselves."""
    return [
        (f.remote_field.through._meta.db_table, f.m2m_column_name())
        for f in model._meta.many_to_many
    ]


def delete_inserted(*, table: str, department_id: int, created_at: str, links: Any = ()) -> int:
    """Deletes the rows one run inserted, and their links, in short transactions (the
    compensation)."""
    qn = connection.ops.quote_name
    removed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn('id')} FROM {qn(table)} WHERE {qn('department_id')} = %s "
                f"AND {qn('created_at')} = %s LIMIT 5000",
                [department_id, created_at],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                marks = ", ".join(["%s"] * len(ids))
                for link_table, column in links:
                    cursor.execute(
                        f"DELETE FROM {qn(link_table)} WHERE {qn(column)} IN ({marks})", ids
                    )
                cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn('id')} IN ({marks})", ids)
        removed += len(ids)
        if len(ids) < 5000:
            return removed
        time.sleep(pause_seconds())


def _committed(data: dict[str, Any]) -> bool:
    # The last transaction of a run writes its audit event: if it exists, the run committed.
    return Event.objects.filter(
        action=f"import.{data['kind']}",
        department_id=data["department_id"],
        object_id=data["sha256"][:16],
        seq__gt=data["seq_before"],
    ).exists()


def recover_interrupted(*, department_id: int | None = None, locked: bool = False) -> int:
    """Undoes the apply pass of runs that died half way; returns how many were undone.
    ``locked``: the caller holds the department lock already (the start of an import);
    otherwise the lock is taken first, so a live run is waited for, never undone."""
    if connection.vendor != "sqlite":
        return 0
    undone = 0
    pattern = f"*-{int(department_id)}-*.json" if department_id is not None else "*.json"
    for path in sorted(_journal_dir().glob(pattern)):
        if locked:
            undone += _recover_path(path)
            continue
        data = _read(path)
        if data is None:
            continue
        with department_lock(table=data["table"], department_id=data["department_id"]):
            if path.exists():
                undone += _recover_path(path)
    return undone


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _recover_path(path: Path) -> int:
    data = _read(path)
    if data is None:
        return 0
    if _committed(data):
        path.unlink(missing_ok=True)
        return 0
    removed = delete_inserted(
        table=data["table"],
        department_id=data["department_id"],
        created_at=data["created_at"],
        links=data.get("links", ()),
    )
    log.warning(
        "撤销了中断的导入：%s（部门 %s，删除 %d 行）", data["table"], data["department_id"], removed
    )
    path.unlink(missing_ok=True)
    return 1


def commit_seconds() -> float:
    return float(getattr(settings, "IMPORT_SQLITE_COMMIT_SECONDS", 0.2))


def pause_seconds() -> float:
    return int(getattr(settings, "IMPORT_SQLITE_PAUSE_MS", 100)) / 1000
