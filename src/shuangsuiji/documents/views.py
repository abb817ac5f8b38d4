"""文书设置: the department admin sets the letterhead and the number forms (issue 13 第 3 项)."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.common.errors import NotAllowed, NotFound, ValidationFailed
from shuangsuiji.documents import batch, batch_jobs, selectors, services, visit_docs
from shuangsuiji.documents.archive import archive_task
from shuangsuiji.documents.choices import DocumentKind
from shuangsuiji.documents.layout import cn_date, document_pdf
from shuangsuiji.documents.models import Letterhead
from shuangsuiji.inspection.selectors import visit_get
from shuangsuiji.planning.selectors import task_get

FIELDS = ("full_name", "short_name", "address", "postcode", "telephone", "retention_years")


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    departments = selectors.admin_departments(user=request.user)
    if not departments:
        raise NotAllowed("只有部门管理员可以设置文书抬头和文号格式")
    code = request.POST.get("department") or request.GET.get("department") or departments[0].code
    dept = next((d for d in departments if d.code == code), None)
    if dept is None:
        raise NotAllowed("只能设置本部门的文书抬头和文号格式")
    head = Letterhead.objects.filter(department=dept).first()
    values = {f: getattr(head, f) if head else "" for f in FIELDS}
    if head is None:
        values["full_name"] = dept.name
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in FIELDS}
        patterns = {k: request.POST.get(f"pattern_{k}", "") for k in DocumentKind.values}
        try:
            services.letterhead_set(
                department=dept,
                actor=request.user,
                patterns={k: v for k, v in patterns.items() if v.strip()},
                **values,
            )
        except ValidationFailed as exc:
            errors = exc.errors or {"__all__": [exc.message]}
            messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, f"已保存“{dept.name}”的文书抬头和文号格式")
            return redirect(f"{request.path}?department={dept.code}")
    issuer = services.issuer_for(department=dept)
    series = selectors.series_for(department=dept, year=timezone.localdate().year)
    if errors:  # a refused form shows what was typed, to be corrected
        for row in series:
            row.pattern = request.POST.get(f"pattern_{row.kind}", row.pattern)
    return render(
        request,
        "documents/settings.html",
        {
            "departments": departments,
            "dept": dept,
            "issuer": issuer,
            "values": values,
            "errors": errors,
            "series": series,
            "pattern_help": services.PATTERN_HELP,
        },
        status=status,
    )


# --- the documents of a visit -----------------------------------------------------------


def _pdf(body: bytes, filename: str) -> HttpResponse:

    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def visit_document(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """GET: the visit's document (检查通知书, 结果告知书, 责令改正通知书) as PDF once it has its
    number; before that, a page that says so (with the button that numbers it, for the lead
    department's office). POST: number it (once) and open it."""

    visit = visit_get(user=request.user, pk=pk)
    doc = visit_docs.doc_for(slug)
    obj = doc.target(visit)  # NotFound says why there is none yet
    if request.method == "POST":
        numbered = visit_docs.issue(
            doc=doc, visit=visit, actor=request.user, today=timezone.localdate()
        )
        messages.success(request, f"{doc.title}已签发：{numbered.number}")
        return redirect("documents:visit_document", pk=visit.pk, slug=slug)
    numbered = visit_docs.issued(doc=doc, obj=obj)
    if numbered is not None:
        pdf = document_pdf(visit_docs.document(doc=doc, visit=visit))
        return _pdf(pdf, f"{doc.title}-{numbered.number}.pdf")
    today = timezone.localdate()
    late = ""
    if slug == "notice" and today > visit.window_start:
        # A notice goes to the entity before the visit: issuing it later is said plainly.
        late = (
            f"注意：检查期间已于{cn_date(visit.window_start)}开始，检查通知书应在检查前送达检查对象；"
            "现在签发，成文日期为今天。"
        )
    return render(
        request,
        "documents/issue.html",
        {
            "late": late,
            "visit": visit,
            "title": doc.title,
            "can_issue": visit_docs.can_issue(user=request.user, visit=visit),
            "next_number": selectors.next_number(
                department=visit.lead_task.department, kind=doc.kind, year=today.year
            ),
        },
    )


# --- the task case file -----------------------------------------------------------------

ARCHIVE_ROLES = (Role.OPERATOR, Role.REVIEWER, Role.DEPT_ADMIN, Role.AUDITOR)


@login_required
def task_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """The task's case file as a zip (documents/archive.py), for the lead department's
    office and its auditors: built into a temporary file and streamed from there (memory
    stays flat whatever the evidence weighs)."""

    task = task_get(user=request.user, pk=pk)
    if not any(
        user_has_role(user=request.user, role=r, department=task.department) for r in ARCHIVE_ROLES
    ):
        raise NotAllowed("只有牵头部门的抽查操作员、审核负责人、部门管理员或审计员可以下载电子档案")
    tmp = tempfile.TemporaryFile()  # removed when the response closes it
    archive_task(task=task, out=tmp)
    tmp.seek(0)
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=f"抽查档案-{task.code}.zip",
        content_type="application/zip",
    )


# --- batch printing ----------------------------------------------------------------------

# A batch larger than this is numbered and rendered in the background (documents/batch_jobs.py):
# a PDF of thousands of pages is not built inside a web request.
BATCH_INLINE_LIMIT = 500


@login_required
def task_batch(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """All 检查通知书 (or 结果告知书) of a task in one PDF, in selection order. GET: the PDF
    when every one is numbered, else a page with the count and the button; POST: number
    the rest (consecutive numbers, one transaction) and open it. Above
    ``BATCH_INLINE_LIMIT`` both go through a background job with progress."""

    task = task_get(user=request.user, pk=pk)
    if slug not in batch.BATCHES:
        raise NotAllowed("不能批量打印这种文书")
    title = batch.BATCHES[slug]
    total = batch.batch_visits(task=task, slug=slug).count()
    first = batch.batch_visits(task=task, slug=slug).first()
    can_issue = bool(first) and visit_docs.can_issue(user=request.user, visit=first)
    if total > BATCH_INLINE_LIMIT:
        return _batch_background(request, task, slug, title, total, can_issue)
    if request.method == "POST":
        issued = batch.batch_issue(
            task=task, slug=slug, actor=request.user, today=timezone.localdate()
        )
        messages.success(request, f"已签发{title}{len(issued)}份")
        return redirect("documents:task_batch", pk=task.pk, slug=slug)
    pending = batch.batch_pending(task=task, slug=slug)
    if total and not pending:
        body = batch.batch_pdf(task=task, slug=slug)
        assert body is not None
        return _pdf(body, f"{task.code}-{title}（{total}份）.pdf")
    return render(
        request,
        "documents/batch.html",
        {
            "task": task,
            "title": title,
            "total": total,
            "pending": pending,
            "slug": slug,
            "can_issue": can_issue,
        },
    )


def _batch_background(
    request: HttpRequest, task, slug: str, title: str, total: int, can_issue: bool
) -> HttpResponse:
    if request.method == "POST":
        batch_jobs.batch_job_start(task=task, slug=slug, actor=request.user)
        return redirect("documents:task_batch", pk=task.pk, slug=slug)
    job = batch_jobs.batch_job_get(task=task, slug=slug)
    if request.GET.get("download") == "1":
        if job.path is None:
            raise NotFound(f"{title}尚未生成完毕")
        return FileResponse(
            job.path.open("rb"),
            as_attachment=True,
            filename=f"{task.code}-{title}（{job.total}份）.pdf",
            content_type="application/pdf",
        )
    return render(
        request,
        "documents/batch.html",
        {
            "task": task,
            "title": title,
            "total": total,
            "pending": batch.batch_pending(task=task, slug=slug),
            "slug": slug,
            "can_issue": can_issue,
            "job": job,
            "background": True,
        },
    )


@login_required
def task_batch_status(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """The htmx poll of a background batch."""
    task = task_get(user=request.user, pk=pk)
    if slug not in batch.BATCHES:
        raise NotAllowed("不能批量打印这种文书")
    job = batch_jobs.batch_job_get(task=task, slug=slug)
    return render(
        request,
        "documents/_batch_status.html",
        {"task": task, "slug": slug, "title": batch.BATCHES[slug], "job": job},
    )
