"""The import page: choose library + department + file → preview → 确认导入.

Views only translate: the form into ``import_job_create``/``import_job_confirm`` calls,
the job into pages. The preview and the commit are background jobs
(``imports.jobs``); the job page polls its progress with htmx and reloads itself
when the job ends, so the user can leave and come back through "我的导入".
"""

from __future__ import annotations

import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from shuangsuiji.accounts.selectors import departments_writable
from shuangsuiji.common.errors import NotFound, ServiceError
from shuangsuiji.imports import tabular
from shuangsuiji.imports.choices import PAGE_KINDS, ImportKind
from shuangsuiji.imports.framework import ImportResult, get_importer
from shuangsuiji.imports.jobs import (
    import_job_confirm,
    import_job_create,
    import_job_for_user,
    import_job_progress,
    import_job_retry,
    import_jobs_recent,
    upload_limit_text,
)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="名录", choices=[(k.value, k.label) for k in PAGE_KINDS])
    department = forms.ModelChoiceField(label="部门", queryset=None, empty_label=None)
    file = forms.FileField(
        label="文件",
        help_text="xlsx、xls、ods 或 csv（UTF-8、带 BOM 的 UTF-8 或 GB18030）",
        error_messages={"empty": "文件是空的", "required": "请选择要上传的文件"},
    )
    skip_invalid = forms.BooleanField(
        label="跳过错误行（只导入正确的行，并生成错误报告）", required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments_writable(user=user)
        self.fields["file"].widget.attrs["accept"] = ",".join(tabular.ALLOWED_EXTENSIONS)


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"kind": request.GET.get("kind", ImportKind.ENTITIES)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                user=request.user,
                department=form.cleaned_data["department"],
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("imports:job", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    can_import = form.fields["department"].queryset.exists()
    return render(
        request,
        "imports/start.html",
        {
            "form": form,
            "jobs": import_jobs_recent(user=request.user),
            "can_import": can_import,
            "limit": upload_limit_text(),
            "kinds": [(k.value, k.label) for k in PAGE_KINDS],
        },
        status=status,
    )


@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    return render(
        request, "imports/jobs.html", {"jobs": import_jobs_recent(user=request.user, limit=100)}
    )


def _job_or_404(request: HttpRequest, pk: int):
    try:
        return import_job_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404("没有这个导入任务") from None


def _context(job) -> dict:
    # An importer with a home of its own (a plan table: its plan) says where "back" and
    # "upload again" go; the libraries come back to the import page.
    importer = get_importer(job.kind)
    home = getattr(importer, "home", None)
    start_url, home_link = reverse("imports:start"), None
    if home is not None:
        start_url, home_link = home(options=job.options)
    result = ImportResult.from_dict(job.result) if job.result else None
    preview = (result.preview if result else None) or {}
    error_rows = {e.row for e in result.errors} if result else set()
    return {
        "job": job,
        "result": result,
        "progress": import_job_progress(job),
        "preview": preview,
        "error_rows": error_rows,
        "commit": job.commits.order_by("-id").first() if job.dry_run else None,
        "errors_shown": result.errors[:500] if result else [],
        "start_url": start_url,
        "home_link": home_link,
    }


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/job.html", _context(_job_or_404(request, pk)))


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx-polled progress block; when the job has ended the page reloads itself."""
    job = _job_or_404(request, pk)
    if job.is_finished:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/_progress.html", _context(job))


@login_required
@require_POST
def job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    preview = _job_or_404(request, pk)
    request.back_url = reverse("imports:job", args=[preview.pk])  # a refusal: back to the preview
    skip = request.POST.get("skip_invalid") in ("on", "1", "true")
    commit = import_job_confirm(
        user=request.user, preview=preview, skip_invalid=skip or preview.skip_invalid
    )
    return redirect("imports:job", pk=commit.pk)


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    request.back_url = reverse("imports:job", args=[job.pk])
    import_job_retry(user=request.user, job=job)
    return redirect("imports:job", pk=job.pk)


@login_required
def job_error_report(request: HttpRequest, pk: int) -> FileResponse:
    job = _job_or_404(request, pk)
    if not job.error_report_path:
        raise Http404("该导入没有错误报告")
    try:
        fh = open(job.error_report_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except FileNotFoundError:
        raise Http404("错误报告已被清理") from None
    stem = job.file_name.rsplit(".", 1)[0]
    return FileResponse(fh, as_attachment=True, filename=f"{stem}-错误报告.xlsx")


@login_required
def template(request: HttpRequest, kind: str) -> FileResponse:
    """A blank xlsx with the columns the importer understands (required ones marked *)."""
    if kind not in ImportKind.values:
        raise Http404("未知的名录")
    try:
        importer = get_importer(kind)
    except ServiceError as exc:
        raise Http404(exc.message) from None
    buffer = io.BytesIO()
    headers = [f"{c.header}*" if c.required else c.header for c in importer.columns]
    with tabular.open_writer(buffer, "xlsx", headers, sheet_name=importer.label):
        pass
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=f"{importer.label}导入模板.xlsx")
