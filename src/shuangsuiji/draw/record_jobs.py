"""The 抽查工作记录表 PDF of a large draw, rendered once per draw state and cached.

A 50,000-target record is ~1,500 pages and takes reportlab over a minute: far too long
for a request. So, as ``imports/jobs.py`` does for imports, the render goes onto the task
queue (django-tasks, a table of this database) and ``ssj worker`` does it, while the page
polls (htmx) until the file is there. Draws under ``INLINE_LIMIT`` selections still render
inside the request.

The file is kept under ``VAR_DIR/draws/<task>/<n>/record/<key>.pdf``, where ``key``
digests everything the record shows that can still change after the commit (state and
times, result text, approved substitutions, 直接委派, remedy draws, the task's void
draws, the public URL in the QR code). A new state is a new key: the stale file is never
served, and is removed once the new one is written. The record dates itself by its last
change, not by the clock (``record.data._last_change``), so the cached file is byte for byte
what an inline render of the same state gives.

Restarts: a restart of the web server loses nothing (the render waits in the queue; a
``.queued`` marker, created exclusively, keeps two requests from queueing it twice). A
worker killed mid-render leaves its ``.running`` marker naming its process; a marker of a
dead process, or older than ``STALE_AFTER``, is ignored and the render is queued again on
the next request. A render that fails leaves an ``.error`` file with the message, shown to
the user, and retried on request.

``settings.RECORD_JOBS_INLINE = True`` (tests) renders in the request thread through the
same ``_render``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max
from django_tasks import task

from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.processes import pid_alive
from shuangsuiji.draw import selectors
from shuangsuiji.draw.choices import AssignmentSource, DrawState, SubstitutionStatus
from shuangsuiji.draw.models import Assignment, Draw, Substitution

log = logging.getLogger(__name__)

INLINE_LIMIT = 2000  # selections; a smaller record renders in the request (a few seconds)
STALE_AFTER = 3600  # seconds: a render still "running" after this is taken for dead
RECORD_VERSION = "2"  # bump when the record's layout changes: every cached file is redone


@dataclass(frozen=True)
class RecordPdf:
    """What a request for the PDF gets: the bytes (inline), a cached file, or a wait."""

    body: bytes | None = None
    path: Path | None = None
    pending: bool = False
    error: str = ""


def record_key(*, draw: Draw) -> str:
    """A digest of the draw state the record shows (reads only; cheap even for 50,000
    targets: the result text is hashed, the rest are a few aggregates)."""
    draw = Draw.objects.select_related("task").get(pk=draw.pk)
    subs = Substitution.objects.filter(draw=draw, status=SubstitutionStatus.APPROVED).aggregate(
        n=Count("id"), last=Max("id")
    )
    direct = Assignment.objects.filter(
        selection__draw=draw, source=AssignmentSource.DIRECT
    ).aggregate(n=Count("id"), last=Max("id"))
    remedies = list(
        Draw.objects.filter(source=draw)
        .order_by("number")
        .values_list("number", "state", "confirmed_at", "voided_at")
    )
    voids = list(
        Draw.objects.filter(task_id=draw.task_id, state=DrawState.VOID)
        .order_by("number")
        .values_list("number", "voided_at")
    )
    parts = [
        RECORD_VERSION,
        settings.SITE_URL,
        draw.pk,
        draw.number,
        draw.state,
        draw.manifest_sha256,
        draw.key_hex,
        hashlib.sha256(draw.result_text.encode("utf-8")).hexdigest(),
        draw.seed_sources,
        draw.witnesses,
        draw.drawn_at,
        draw.confirmed_at,
        draw.dispatched_at,
        draw.voided_at,
        draw.void_reason,
        draw.task.updated_at,
        subs["n"],
        subs["last"],
        direct["n"],
        direct["last"],
        remedies,
        voids,
    ]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]


def _dir(draw: Draw) -> Path:
    return selectors.draw_dir(draw=draw) / "record"


def record_pdf_cached(*, draw: Draw, key: str | None = None) -> Path | None:
    """The cached PDF of the draw's current state, if it has been rendered."""
    path = _dir(draw) / f"{key or record_key(draw=draw)}.pdf"
    return path if path.is_file() else None


def record_pdf_get(*, draw: Draw, retry: bool = False) -> RecordPdf:
    """The PDF for a request: rendered inline for a small draw; otherwise the cached file
    of the current state, or — not there yet — a render in the background and
    ``pending``. A failed render is reported (``error``) until asked to ``retry``."""
    from shuangsuiji.draw.record import record_pdf

    if draw.selections.count() < INLINE_LIMIT:
        return RecordPdf(body=record_pdf(draw=draw))
    key = record_key(draw=draw)
    folder = _dir(draw)
    path, error = folder / f"{key}.pdf", folder / f"{key}.error"
    if path.is_file():
        return RecordPdf(path=path)
    if error.is_file() and not retry:
        return RecordPdf(error=error.read_text(encoding="utf-8"))
    if _running(folder / f"{key}.running", key):
        return RecordPdf(pending=True)
    error.unlink(missing_ok=True)
    _start(draw.pk, key)
    if path.is_file():  # rendered inline (tests)
        return RecordPdf(path=path)
    if error.is_file():
        return RecordPdf(error=error.read_text(encoding="utf-8"))
    return RecordPdf(pending=True)


def _running(marker: Path, key: str) -> bool:
    """Queued and not yet started, or being rendered by a live worker."""
    queued = marker.with_suffix(".queued")
    try:
        if time.time() - float(queued.read_text() or 0) < STALE_AFTER:
            return True
    except (FileNotFoundError, ValueError):
        pass
    try:
        # "pid started" written by the renderer: its own clock, not the file's mtime.
        pid_text, _, started = marker.read_text().partition(" ")
        pid, age = int(pid_text or 0), time.time() - float(started or 0)
    except (FileNotFoundError, ValueError):
        return False
    return pid_alive(pid) and age < STALE_AFTER


def _start(draw_id: int, key: str) -> None:
    if getattr(settings, "RECORD_JOBS_INLINE", False):
        _render(draw_id, key)
        return
    draw = Draw.objects.select_related("task").get(pk=draw_id)
    folder = _dir(draw)
    folder.mkdir(parents=True, exist_ok=True)
    queued = folder / f"{key}.queued"
    if not _running(folder / f"{key}.running", key):
        queued.unlink(missing_ok=True)  # a marker older than STALE_AFTER: its render was lost
    try:
        # Race: two requests for the same state would queue two renders; the exclusive
        # create lets one of them queue it.
        fd = os.open(queued, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(str(time.time()))
    record_pdf_task.enqueue(draw_id, key)


@task()
def record_pdf_task(draw_id: int, key: str) -> None:
    """The queued form of ``_render`` (run by ``ssj worker``)."""
    _render(draw_id, key)


def _render(draw_id: int, key: str) -> None:
    """Renders the PDF of ``key`` and stores it; never raises (an ``.error`` file says
    what went wrong). If the draw changed meanwhile the file is not kept: its key would
    name a state it does not show."""
    from shuangsuiji.draw.record import record_pdf

    draw = Draw.objects.select_related("task").get(pk=draw_id)
    folder = _dir(draw)
    folder.mkdir(parents=True, exist_ok=True)
    marker, error = folder / f"{key}.running", folder / f"{key}.error"
    marker.write_text(f"{os.getpid()} {time.time()}")
    (folder / f"{key}.queued").unlink(missing_ok=True)
    try:
        body = record_pdf(draw=draw)
        if record_key(draw=draw) != key:
            return
        tmp = folder / f".{key}.pdf.tmp"
        tmp.write_bytes(body)
        os.replace(tmp, folder / f"{key}.pdf")
        for old in folder.glob("*.pdf"):  # earlier states: never served again
            if old.stem != key:
                old.unlink(missing_ok=True)
    except ServiceError as exc:
        error.write_text(exc.message, encoding="utf-8")
    except Exception:  # noqa: BLE001 - the waiting page must learn that it failed
        log.exception("record PDF of draw %s failed", draw_id)
        error.write_text(
            "生成抽查工作记录表时出现内部错误，请稍后重试或联系系统管理员查看日志。",
            encoding="utf-8",
        )
    finally:
        marker.unlink(missing_ok=True)
