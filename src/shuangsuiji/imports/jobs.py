"""Web imports as background jobs: upload → preview (dry run) → confirm (commit).

A large file takes a while, so the web page never imports inside the request: the upload
is stored under ``UPLOAD_DIR/imports/`` with its sha256, an ``ImportJob`` is created and
put on the task queue, a table of the project's own database (django-tasks with its
database backend: no broker to deploy on an intranet), where ``ssj worker`` runs it. The
page polls the job (htmx) and the user may leave and come back ("我的导入").

Progress is written to a small JSON file next to the upload, not to the database: while
the import's transaction is open, an UPDATE of the job row from the same connection would
be invisible to the poller, and from another connection it would wait for the SQLite
write lock the import holds. The file's modification time doubles as the heartbeat.

Restarts: a restart of the web server loses nothing (the job waits in the queue). A worker
killed mid-import takes its open transaction with it — the database rolls it back, nothing
is half-written; a job still marked ``running`` whose runner process is gone (or whose
heartbeat is older than ``STALE_AFTER`` seconds) is marked failed with that explanation the
next time anyone looks (``import_jobs_recover``), and the user can run it again (重试,
``import_job_retry``) from the stored file.

``settings.IMPORT_JOBS_INLINE = True`` (tests) runs the job in the request thread through
the same ``import_job_run``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from shuangsuiji.common.errors import Conflict, NotFound, ServiceError, ValidationFailed
from shuangsuiji.common.processes import pid_alive
from shuangsuiji.imports import staging, tabular
from shuangsuiji.imports.choices import ImportJobStatus, ImportKind
from shuangsuiji.imports.framework import (
    KIND_LABELS,
    ImportResult,
    check_import_scope,
    get_importer,
    import_file,
)
from shuangsuiji.imports.models import ImportJob

log = logging.getLogger(__name__)

STALE_AFTER = 300  # seconds without a heartbeat before a running job counts as dead
ERRORS_IN_RESULT = 1000  # errors kept in the job's JSON; the xlsx report has them all
KEEP_UPLOADS_DAYS = 7


def _job_dir() -> Path:
    path = Path(settings.UPLOAD_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_path(job: ImportJob) -> Path:
    return _job_dir() / f"job-{job.pk}.progress.json"


def _max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 512 * 1024 * 1024))


def upload_limit_text() -> str:
    return f"{_max_bytes() / 1024 / 1024:.0f} MB"


# ---------------------------------------------------------------------------------------
# Creating jobs
# ---------------------------------------------------------------------------------------


def import_job_create(
    *,
    user,
    department,
    kind: str,
    upload,
    skip_invalid: bool = False,
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """Stores the upload and starts its preview (a dry run). ``options`` are the kind's own
    (see ``ImportJob.options``); the confirm runs with the same ones."""
    if kind not in ImportKind.values:
        raise ValidationFailed("请选择要导入的名录", field="kind")
    importer = get_importer(kind)  # says clearly when a library has no importer yet
    check_import_scope(importer=importer, actor=user, department=department, options=options)
    name = os.path.basename(upload.name or "")
    ext = Path(name).suffix.lower()
    if ext not in tabular.ALLOWED_EXTENSIONS:
        raise ValidationFailed(
            f"不支持的文件类型「{ext or '无扩展名'}」：请上传 xlsx、xls、ods 或 csv 文件",
            field="file",
        )
    if upload.size == 0:
        raise ValidationFailed("文件是空的", field="file")
    if upload.size > _max_bytes():
        raise ValidationFailed(
            f"文件大小 {upload.size / 1024 / 1024:.1f} MB 超过上限 {upload_limit_text()}",
            field="file",
        )
    target = _job_dir() / f"{uuid.uuid4().hex}{ext}"
    sha = hashlib.sha256()
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            sha.update(chunk)
            fh.write(chunk)
    job = ImportJob.objects.create(
        kind=kind,
        department=department,
        created_by=user,
        dry_run=True,
        skip_invalid=skip_invalid,
        options=options or {},
        file_name=name[:255],
        file_path=str(target),
        file_size=upload.size,
        file_sha256=sha.hexdigest(),
    )
    _prune_uploads()
    import_job_start(job)
    return job


def import_job_confirm(*, user, preview: ImportJob, skip_invalid: bool | None = None) -> ImportJob:
    """确认导入: a second job that commits the previewed file."""
    if preview.created_by_id != user.pk:
        raise NotFound("没有这个导入任务")
    check_import_scope(
        importer=get_importer(preview.kind),
        actor=user,
        department=preview.department,
        options=preview.options,
    )
    if not preview.dry_run or preview.status != ImportJobStatus.SUCCEEDED:
        raise Conflict("只能确认已完成预检的导入")
    if preview.commits.exclude(status=ImportJobStatus.FAILED).exists():
        raise Conflict("该文件已确认导入，请勿重复提交")
    result = ImportResult.from_dict(preview.result or {})
    skip = preview.skip_invalid if skip_invalid is None else skip_invalid
    if result.file_error is not None:
        raise Conflict("文件无法读取，不能导入：" + result.file_error.message)
    if result.has_errors and not skip:
        raise Conflict(
            f"预检发现 {result.error_count} 处错误：请修改文件后重新上传，或勾选“跳过错误行”只导入正确的行"
        )
    path = Path(preview.file_path)
    if not path.exists():
        raise Conflict("上传的文件已被清理，请重新上传")
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            sha.update(chunk)
    if sha.hexdigest() != preview.file_sha256:
        raise Conflict("上传的文件在预检后被改动，请重新上传")
    job = ImportJob.objects.create(
        kind=preview.kind,
        department=preview.department,
        created_by=user,
        dry_run=False,
        skip_invalid=skip,
        parent=preview,
        options=preview.options,
        file_name=preview.file_name,
        file_path=preview.file_path,
        file_size=preview.file_size,
        file_sha256=preview.file_sha256,
        progress_total=preview.progress_total,
    )
    import_job_start(job)
    return job


def import_job_start(job: ImportJob) -> None:
    if getattr(settings, "IMPORT_JOBS_INLINE", False):
        import_job_run(job.pk)
        job.refresh_from_db()
        return
    # Onto the task queue (a table of this database, django-tasks-db): its row commits with
    # the job's, and ``ssj worker`` picks it up — a restart of the web server loses nothing.
    import_job_task.enqueue(job.pk)


@task()
def import_job_task(job_id: int) -> None:
    """The queued form of ``import_job_run`` (run by ``ssj worker``)."""
    import_job_run(job_id)


def import_job_retry(*, user, job: ImportJob) -> ImportJob:
    """重试: a job that failed (a worker killed mid-way, an internal error) runs again from its
    stored file; a finished one is never run twice."""
    if job.created_by_id != user.pk:
        raise NotFound("没有这个导入任务")
    check_import_scope(
        importer=get_importer(job.kind), actor=user, department=job.department, options=job.options
    )
    if not Path(job.file_path).exists():
        raise Conflict("上传的文件已被清理，请重新上传")
    with transaction.atomic():
        # Race: two clicks on 重试 would queue the job twice; the status flip happens once.
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.FAILED).update(
            status=ImportJobStatus.PENDING,
            message="",
            started_at=None,
            finished_at=None,
            runner_pid=None,
            progress_done=0,
        )
        if not updated:
            raise Conflict("只有失败的导入任务可以重试")
        job.refresh_from_db()
        import_job_start(job)
    return job


# ---------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------


class _Progress:
    def __init__(self, job: ImportJob):
        self.path = _progress_path(job)
        self.last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and done != total:
            return
        self.last = now
        tmp = self.path.with_suffix(".tmp")
        # The heartbeat is a time written by the runner, not the file's mtime: one clock
        # (the application's) for writing and for judging staleness.
        tmp.write_text(json.dumps({"done": done, "total": total, "beat": time.time()}))
        os.replace(tmp, self.path)


def import_job_run(job_id: int) -> None:
    """Runs one job to its end; never raises (the job records what went wrong)."""
    job = ImportJob.objects.select_related("department", "created_by").get(pk=job_id)
    if job.status != ImportJobStatus.PENDING:
        return
    job.status, job.started_at, job.runner_pid = (
        ImportJobStatus.RUNNING,
        timezone.now(),
        os.getpid(),
    )
    job.save(update_fields=["status", "started_at", "runner_pid"])
    progress = _Progress(job)
    progress(0, job.progress_total)
    report = _job_dir() / f"job-{job.pk}-错误报告.xlsx"
    try:
        result = import_file(
            job.kind,
            path=job.file_path,
            filename=job.file_name,
            department=job.department,
            actor=job.created_by,
            dry_run=job.dry_run,
            skip_invalid=job.skip_invalid,
            error_report=report,
            progress=progress,
            sha256=job.file_sha256,
            preview=job.dry_run,
            options=job.options,
        )
    except ServiceError as exc:
        _finish(job, ImportJobStatus.FAILED, message=exc.message)
        return
    except Exception:  # noqa: BLE001 - the job must record any failure
        log.exception("import job %s failed", job_id)
        _finish(
            job,
            ImportJobStatus.FAILED,
            message="导入过程中出现内部错误，事务已回滚，未写入任何数据。请联系系统管理员查看日志。",
        )
        return
    data = result.to_dict()
    data["errors"] = data["errors"][:ERRORS_IN_RESULT]
    job.result = data
    job.progress_done = result.total
    job.progress_total = result.total
    job.error_report_path = result.error_report or ""
    _finish(job, ImportJobStatus.SUCCEEDED, message=result.summary())
    if job.parent_id and result.committed:
        # The file has been imported; its sha256 stays in the job and the audit event.
        _remove(Path(job.file_path))


def _finish(job: ImportJob, status: str, *, message: str) -> None:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    job.save(
        update_fields=[
            "status",
            "message",
            "finished_at",
            "result",
            "progress_done",
            "progress_total",
            "error_report_path",
        ]
    )
    _remove(_progress_path(job))


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def import_job_progress(job: ImportJob) -> dict[str, Any]:
    """{"done", "total", "percent"} for the progress display."""
    done, total = job.progress_done, job.progress_total
    if job.status == ImportJobStatus.RUNNING:
        try:
            data = json.loads(_progress_path(job).read_text())
            done, total = data.get("done", done), data.get("total") or total
        except (FileNotFoundError, ValueError):
            pass
    percent = int(done * 100 / total) if total else None
    return {
        "done": done,
        "total": total,
        "percent": min(percent, 100) if percent is not None else None,
    }


def import_jobs_recover(*, jobs=None) -> int:
    """Marks jobs that died with their process as failed; returns how many."""
    qs = ImportJob.objects.filter(status=ImportJobStatus.RUNNING)
    if jobs is not None:
        qs = qs.filter(pk__in=[j.pk for j in jobs])
    count = 0
    now = time.time()
    for job in qs:
        try:
            beat = float(json.loads(_progress_path(job).read_text())["beat"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            beat = (job.started_at or job.created_at).timestamp()
        alive = job.runner_pid == os.getpid() or pid_alive(job.runner_pid)
        stale = now - beat > STALE_AFTER
        # A pending job waits in the queue for ``ssj worker`` however long that takes.
        dead = job.status == ImportJobStatus.RUNNING and (not alive or stale)
        if dead:
            updated = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=ImportJobStatus.FAILED,
                finished_at=timezone.now(),
                message="导入进程已中断（后台任务进程重启或退出）：事务随进程结束而回滚，数据库保持导入前的状态。可点击“重试”重新运行。",
            )
            count += updated
            _remove(_progress_path(job))
            # A large SQLite import cut off half way is undone here (imports/staging.py).
            staging.applying(job.department_id)
    return count


def _prune_uploads() -> None:
    """Deletes the stored uploads and reports of jobs created more than ``KEEP_UPLOADS_DAYS``
    ago (the job keeps the file's name, size and sha256). The age is the job row's, on the
    application's clock — not the file's mtime, which another clock may have written."""
    limit = timezone.now() - dt.timedelta(days=KEEP_UPLOADS_DAYS)
    for job in ImportJob.objects.filter(created_at__lt=limit).only("pk", "file_path"):
        for path in (
            Path(job.file_path) if job.file_path else None,
            _progress_path(job),
            _job_dir() / f"job-{job.pk}-错误报告.xlsx",
        ):
            if path is not None and path.parent == _job_dir():
                _remove(path)


def import_job_for_user(*, user, pk: int) -> ImportJob:
    job = (
        ImportJob.objects.select_related("department", "parent")
        .filter(pk=pk, created_by=user)
        .first()
    )
    if job is None:
        raise NotFound("没有这个导入任务")
    if not job.is_finished:
        import_jobs_recover(jobs=[job])
        job.refresh_from_db()
    return job


def import_jobs_recent(*, user, limit: int = 20):
    jobs = list(ImportJob.objects.select_related("department").filter(created_by=user)[:limit])
    if any(not j.is_finished for j in jobs):
        import_jobs_recover(jobs=[j for j in jobs if not j.is_finished])
        jobs = list(ImportJob.objects.select_related("department").filter(created_by=user)[:limit])
    return jobs


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)
