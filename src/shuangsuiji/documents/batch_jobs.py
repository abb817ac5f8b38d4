"""A large batch (issue 13 第 4 项 and Numbers: 5,000 检查通知书 of one task) is numbered and
rendered in the background, with progress, as the large 抽查工作记录表 is
(``draw/record_jobs.py``): the page queues the job on the task queue (django-tasks, a
table of this database), ``ssj worker`` runs it, and the page polls until the PDF is there.

The job's state is a small JSON file, ``VAR_DIR/documents/batches/<task>/<slug>/job.json``,
not a row: the numbering transaction of 5,000 documents would hide a row update from the
poller, and on SQLite would block it. Its modification time is the heartbeat.

A batch is one file per task and kind, replaced by the next run; the page dates it and says
that a change made after (a substitution, a correction) needs a new run. Numbers are never
spent twice: a rerun numbers only what has none yet (``batch.batch_issue``).

Restarts: a queued job survives a web restart; a worker killed mid-job leaves ``running``
with a dead process (or no heartbeat for ``STALE_AFTER``), which the page shows as
interrupted, to be started again. The numbering is one transaction, so a kill during it
numbers nothing.

``settings.RECORD_JOBS_INLINE = True`` (tests) runs the job in the request thread.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from shuangsuiji.accounts.models import User
from shuangsuiji.common.errors import Conflict, NotAllowed, ServiceError
from shuangsuiji.common.processes import pid_alive
from shuangsuiji.documents import batch, visit_docs
from shuangsuiji.planning.models import Task

log = logging.getLogger(__name__)

STALE_AFTER = 600  # seconds without a heartbeat before a running job counts as dead
HEARTBEAT_EVERY = 25  # documents between two progress writes


@dataclass(frozen=True)
class BatchJob:
    """What the page shows: nothing yet, queued, running (done of total), done, or failed."""

    status: str = ""  # "", queued, running, done, failed
    done: int = 0
    total: int = 0
    error: str = ""
    finished: str = ""  # ISO time the PDF was written
    by: str = ""
    path: Path | None = None

    @property
    def waiting(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def percent(self) -> int | None:
        return int(self.done * 100 / self.total) if self.total else None


def _folder(task: Task, slug: str) -> Path:
    return Path(settings.VAR_DIR) / "documents" / "batches" / str(task.pk) / slug


def _write(folder: Path, state: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".job.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / "job.json")


def _read(folder: Path) -> tuple[dict[str, Any], float]:
    try:
        path = folder / "job.json"
        return json.loads(path.read_text(encoding="utf-8")), path.stat().st_mtime
    except (FileNotFoundError, ValueError):
        return {}, 0.0


def batch_job_get(*, task: Task, slug: str) -> BatchJob:
    """The job's state as the page shows it; a running job whose worker died is "failed"."""
    folder = _folder(task, slug)
    state, mtime = _read(folder)
    status = state.get("status", "")
    error = state.get("error", "")
    if status == "running" and (
        not pid_alive(state.get("pid")) or time.time() - mtime > STALE_AFTER
    ):
        status, error = (
            "failed",
            "后台生成中断（任务进程已停止）。已签发的文号不受影响，请重新生成。",
        )
    pdf = folder / "batch.pdf"
    return BatchJob(
        status=status,
        done=int(state.get("done", 0)),
        total=int(state.get("total", 0)),
        error=error,
        finished=state.get("finished", ""),
        by=state.get("by", ""),
        path=pdf if status == "done" and pdf.is_file() else None,
    )


def batch_job_start(*, task: Task, slug: str, actor: User) -> BatchJob:
    """Queues the numbering (what has no number yet) and the rendering of the whole batch.
    Refused while a job of the same batch is queued or running (a second click, a second
    tab): the exclusive create of the ``queued`` marker lets one request through."""
    doc = visit_docs.doc_for(slug)
    first = batch.batch_visits(task=task, slug=slug).first()
    if first is None:
        raise Conflict(f"任务{task.code}还没有可打印的{doc.title}")
    if not visit_docs.can_issue(user=actor, visit=first):
        raise NotAllowed(f"只有牵头部门的抽查操作员、审核负责人或部门管理员可以签发{doc.title}")
    folder = _folder(task, slug)
    folder.mkdir(parents=True, exist_ok=True)
    if batch_job_get(task=task, slug=slug).status == "running":
        raise Conflict(f"{doc.title}正在后台生成，请等待完成")
    marker = folder / "queued"
    try:
        if time.time() - marker.stat().st_mtime > STALE_AFTER * 6:
            marker.unlink()  # queued an hour ago and never started: the queue lost it
    except FileNotFoundError:
        pass
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise Conflict(f"{doc.title}已在排队生成，请等待完成") from None
    os.close(fd)
    _write(folder, {"status": "queued", "by": str(actor)})
    if getattr(settings, "RECORD_JOBS_INLINE", False):
        batch_job_run(task_id=task.pk, slug=slug, actor_id=actor.pk)
    else:
        batch_pdf_task.enqueue(task.pk, slug, actor.pk)
    return batch_job_get(task=task, slug=slug)


@task()
def batch_pdf_task(task_id: int, slug: str, actor_id: int) -> None:
    """The queued form of ``batch_job_run`` (run by ``ssj worker``)."""
    batch_job_run(task_id=task_id, slug=slug, actor_id=actor_id)


def batch_job_run(*, task_id: int, slug: str, actor_id: int) -> None:
    """Numbers the batch (one transaction) and writes its PDF, reporting progress; never
    raises (the state file says what went wrong)."""
    task_obj = Task.objects.select_related("department").get(pk=task_id)
    actor = User.objects.get(pk=actor_id)
    folder = _folder(task_obj, slug)
    by = str(actor)
    state: dict[str, Any] = {"status": "running", "pid": os.getpid(), "by": by, "done": 0}
    _write(folder, state)
    (folder / "queued").unlink(missing_ok=True)
    last = [0]

    def progress(done: int) -> None:
        if done - last[0] >= HEARTBEAT_EVERY or done == state.get("total"):
            last[0] = done
            _write(folder, {**state, "done": done})

    try:
        issued = batch.batch_issue(
            task=task_obj, slug=slug, actor=actor, today=timezone.localdate()
        )
        state["total"] = len(issued)
        _write(folder, state)
        tmp = folder / f".batch.{os.getpid()}.tmp"
        with tmp.open("wb") as fh:
            batch.batch_pdf(task=task_obj, slug=slug, out=fh, progress=progress)
        os.replace(tmp, folder / "batch.pdf")
        _write(
            folder,
            {
                **state,
                "status": "done",
                "done": state["total"],
                "finished": timezone.localtime().isoformat(timespec="minutes"),
            },
        )
    except ServiceError as exc:
        _write(folder, {**state, "status": "failed", "error": exc.message})
    except Exception:  # noqa: BLE001 - the waiting page must learn that it failed
        log.exception("batch %s of task %s failed", slug, task_id)
        _write(
            folder,
            {
                **state,
                "status": "failed",
                "error": "生成时出现内部错误，请稍后重试或联系系统管理员查看日志。",
            },
        )
