"""The public portal of 一公开 (no login): 抽查事项清单, 年度抽查计划, 检查结果查询, 更正公告,
异议处理结果, and the objection form [domain.md 一公开; 003 附件4 六; 002 第二十八条].

Views only translate the request into selector/service calls and render. Every page is
public data; the objection form is the only write (rate-limited, CSRF-protected), and the
lookup of an objection's progress the only page that needs a pair of values to show
anything (rate-limited the same way).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from functools import wraps
from typing import ClassVar, Self
from urllib.parse import urlencode

from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from shuangsuiji.common.errors import Conflict, ServiceError
from shuangsuiji.common.http import client_address
from shuangsuiji.disclosure import portal_selectors as sel
from shuangsuiji.disclosure.exporting import published_results_csv, published_results_xlsx
from shuangsuiji.disclosure.models import Objection
from shuangsuiji.disclosure.portal_services import (
    ANSWER_WORKDAYS,
    CONTENT_MAX,
    LOOKUPS_PER_HOUR,
    REVIEW_WORKDAYS,
    RateLimited,
    client_key,
    objection_deadlines,
    objection_file,
)
from shuangsuiji.disclosure.portal_services import objection_lookup as objection_lookup_service

# Public downloads are capped: a 信用公示 system takes the whole table with
# ``ssj results export``; an anonymous request must not tie up a worker for minutes.
CSV_MAX_ROWS = 100_000
XLSX_MAX_ROWS = 20_000
OUTCOMES_PAGE = 50
_RECEIPT_SALT = "portal.objection.receipt"


# --- caching -----------------------------------------------------------------------------


def cached(max_age: int, *, private: bool = False):
    """Cache-Control for a public page. Pages with the objection form are ``private``: the
    CSRF token in them belongs to one browser and must not be served to another by a
    shared cache. Error responses are not cached."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if response.status_code >= 400 or request.method != "GET":
                patch_cache_control(response, no_store=True)
            elif "Cache-Control" not in response:
                if private:
                    patch_cache_control(response, private=True, max_age=max_age)
                else:
                    patch_cache_control(response, public=True, max_age=max_age)
            return response

        return wrapper

    return decorator


# --- pages -------------------------------------------------------------------------------


@require_safe
@cached(300)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/portal/home.html", {"latest": sel.latest_results(size=5)})


@require_safe
@cached(3600)
def objection_guide(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/portal/objection_guide.html",
        {
            "review_days": REVIEW_WORKDAYS,
            "answer_days": ANSWER_WORKDAYS,
            "content_max": CONTENT_MAX,
            "lookups_per_hour": LOOKUPS_PER_HOUR,
        },
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@require_safe
@cached(600)
def items(request: HttpRequest) -> HttpResponse:
    department_id = _int(request.GET.get("department"))
    return render(
        request,
        "public/portal/items.html",
        {
            "items": sel.items_public(department_id=department_id),
            "department_groups": sel.department_groups_public(),
            "department_id": department_id,
        },
    )


@require_safe
@cached(600)
def plans(request: HttpRequest) -> HttpResponse:
    return render(request, "public/portal/plans.html", {"plans": sel.plans_public()})


@require_safe
@cached(600)
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    found = sel.plan_public(pk=pk, version=_int(request.GET.get("version")))
    if found is None:
        raise Http404("没有该年度抽查计划，或计划尚未公开")
    return render(request, "public/portal/plan.html", {"p": found, "plan": found.plan})


# --- results -----------------------------------------------------------------------------


def _filters(request: HttpRequest) -> sel.ResultFilters:
    get = request.GET
    conclusion = get.get("conclusion", "")
    status = get.get("status", "")
    return sel.ResultFilters(
        q=(get.get("q") or "").strip()[:100],
        department_id=_int(get.get("department")),
        year=_int(get.get("year")),
        item_code=(get.get("item") or "").strip()[:64],
        conclusion=conclusion if conclusion in dict(sel.conclusion_choices()) else "",
        status=status if status in dict(sel.STATUS_CHOICES) else "",
    )


def _filter_query(f: sel.ResultFilters) -> str:
    pairs = [
        ("q", f.q),
        ("department", f.department_id or ""),
        ("year", f.year or ""),
        ("item", f.item_code),
        ("conclusion", f.conclusion),
        ("status", f.status),
    ]
    return urlencode([(k, v) for k, v in pairs if v not in ("", None)])


@require_safe
@cached(120)
def results(request: HttpRequest) -> HttpResponse:
    f = _filters(request)
    page = sel.published_results_page(
        filters=f, after=request.GET.get("after"), before=request.GET.get("before")
    )
    count, more = sel.count_capped(qs=sel.published_results_filter(filters=f))
    query = _filter_query(f)
    return render(
        request,
        "public/portal/results.html",
        {
            "f": f,
            "page": page,
            "count": count,
            "count_more": more,
            "query": query,
            "department_groups": sel.department_groups_public(),
            "years": sel.years_public(),
            "item_choices": sel.item_choices(department_id=f.department_id),
            "conclusions": sel.conclusion_choices(),
            "statuses": sel.STATUS_CHOICES,
            "code_search": f.credit_code is not None,
            "csv_max": CSV_MAX_ROWS,
            "xlsx_max": XLSX_MAX_ROWS,
        },
    )


def _export_qs(request: HttpRequest, cap: int):
    f = _filters(request)
    qs = sel.published_results_filter(filters=f)
    n, more = sel.count_capped(qs=qs, cap=cap)
    return f, qs, more


def _too_many(request: HttpRequest, cap: int) -> HttpResponse:
    return render(
        request,
        "public/portal/message.html",
        {
            "title": "导出范围过大",
            "message": f"当前查询结果超过 {cap} 条，请按部门、年度或抽查事项缩小范围后再下载。",
        },
        status=413,
    )


def _filename(f: sel.ResultFilters, ext: str) -> str:
    stamp = timezone.localdate().strftime("%Y%m%d")
    return f"published-results-{stamp}.{ext}"


@require_safe
@cached(300)
def results_export_csv(request: HttpRequest) -> HttpResponse:
    f, qs, more = _export_qs(request, CSV_MAX_ROWS)
    if more:
        return _too_many(request, CSV_MAX_ROWS)
    response = StreamingHttpResponse(
        published_results_csv(qs=qs), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(f, "csv")}"'
    return response


@require_safe
@cached(300)
def results_export_xlsx(request: HttpRequest) -> HttpResponse:
    f, qs, more = _export_qs(request, XLSX_MAX_ROWS)
    if more:
        return _too_many(request, XLSX_MAX_ROWS)
    # Written to a temporary file (constant_memory), then streamed; the file is deleted
    # when the response closes it.
    fh = tempfile.TemporaryFile()
    published_results_xlsx(qs=qs, path_or_buffer=fh)
    fh.seek(0)
    return FileResponse(
        fh,
        as_attachment=True,
        filename=_filename(f, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@dataclass
class PortalForm:
    """What a page needs of a public form: the values typed (kept when it is shown again)
    and the errors per field. No ``forms.Form``: every rule is the service's (so a wrong
    attempt still counts towards the rate limit), and widget templates would cost more than
    the rest of the result page, which is load-tested."""

    data: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    FIELDS: ClassVar[tuple[str, ...]] = ()
    LABELS: ClassVar[dict[str, str]] = {}
    MAX_LENGTH: ClassVar[int] = 100

    @classmethod
    def from_post(cls, post) -> Self:
        return cls(data={name: (post.get(name) or "")[: cls.MAX_LENGTH] for name in cls.FIELDS})

    def take_errors(self, exc: ServiceError) -> None:
        self.errors.update({k: v for k, v in exc.errors.items() if k in self.FIELDS})

    @property
    def error_items(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) in the order of the form, for the error summary at its
        top (public/portal/_error_summary.html): each links to its field."""
        return [
            (f"id_{name}", self.LABELS[name], message)
            for name in self.FIELDS
            for message in self.errors.get(name, ())
        ]


@dataclass
class ObjectionForm(PortalForm):
    """对本结果提出异议 (rules: ``objection_file``)."""

    FIELDS = ("credit_code", "applicant", "contact", "content")
    LABELS = {
        "credit_code": "统一社会信用代码",
        "applicant": "申请人",
        "contact": "联系电话",
        "content": "异议内容",
    }
    MAX_LENGTH = CONTENT_MAX + 100


@dataclass
class LookupForm(PortalForm):
    """查询办理进度: 受理编号 and 统一社会信用代码 (rules: ``objection_lookup``)."""

    FIELDS = ("number", "credit_code")
    LABELS = {"number": "受理编号", "credit_code": "统一社会信用代码"}


def _result_page(
    request: HttpRequest,
    pk: int,
    *,
    form: ObjectionForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    detail = sel.published_result_detail(pk=pk)
    if detail is None:
        raise Http404("没有该公示结果")
    return render(
        request,
        "public/portal/result.html",
        {
            "d": detail,
            "r": detail.row,
            "form": form or ObjectionForm(),
            "error": error,
            "review_days": REVIEW_WORKDAYS,
            "answer_days": ANSWER_WORKDAYS,
            "content_max": CONTENT_MAX,
        },
        status=status,
    )


@require_safe
@cached(60, private=True)
def result(request: HttpRequest, pk: int) -> HttpResponse:
    return _result_page(request, pk)


@require_POST
@cached(0)
def objection_submit(request: HttpRequest, pk: int) -> HttpResponse:
    published = sel.published_result_get(pk=pk)
    if published is None:
        raise Http404("没有该公示结果")
    form = ObjectionForm.from_post(request.POST)
    data = form.data
    try:
        objection = objection_file(
            published=published,
            credit_code=data["credit_code"],
            applicant=data["applicant"],
            contact=data["contact"],
            content=data["content"],
            client=client_key(address=client_address(request)),
        )
    except RateLimited as exc:
        return _result_page(request, pk, form=form, error=exc.message, status=429)
    except Conflict as exc:  # superseded meanwhile: the page links the current version
        return _result_page(request, pk, form=form, error=exc.message, status=exc.status)
    except ServiceError as exc:
        form.take_errors(exc)
        return _result_page(request, pk, form=form, error=exc.message, status=exc.status)
    token = signing.dumps(objection.number, salt=_RECEIPT_SALT)
    return redirect(f"{reverse('portal:objection_received')}?t={token}")


@require_safe
@cached(0, private=True)
def objection_received(request: HttpRequest) -> HttpResponse:
    """The receipt (回执) after filing: 受理编号 and the due dates. The link is signed, so
    receipts cannot be enumerated by number."""
    try:
        number = signing.loads(request.GET.get("t", ""), salt=_RECEIPT_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature:
        raise Http404("回执链接无效或已过期") from None
    objection = (
        Objection.objects.filter(number=number)
        .select_related("published")
        .only(
            "number",
            "received_on",
            "status",
            "published__id",
            "published__entity_name",
            "published__credit_code",
            "published__department_names",
        )
        .first()
    )
    if objection is None:
        raise Http404("没有该异议申请")
    return render(
        request,
        "public/portal/objection_received.html",
        {
            "o": objection,
            "deadlines": objection_deadlines(received_on=objection.received_on),
            "review_days": REVIEW_WORKDAYS,
            "answer_days": ANSWER_WORKDAYS,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@cached(0, private=True)
def objection_lookup(request: HttpRequest) -> HttpResponse:
    """查询办理进度: the applicant types the 受理编号 of his receipt and the entity's
    统一社会信用代码 and sees the status and due dates of that objection only. A wrong pair
    — either half — gets one neutral "未找到", whatever exists. Sent by POST, so neither
    value is written into an address, a proxy's log or the browser history (a GET only
    fills the number in, as the receipt's link does)."""
    progress = None
    not_found = False
    error = ""
    status = 200
    if request.method == "POST":
        form = LookupForm.from_post(request.POST)
        try:
            found = objection_lookup_service(
                number=form.data["number"],
                credit_code=form.data["credit_code"],
                client=client_key(address=client_address(request)),
            )
        except RateLimited as exc:
            error, status = exc.message, exc.status
        except ServiceError as exc:
            form.take_errors(exc)
            error, status = exc.message, exc.status
        else:
            if found is None:
                not_found = True
            else:
                progress = sel.objection_progress(objection=found)
    else:
        form = LookupForm(
            data={"number": (request.GET.get("number") or "")[:32], "credit_code": ""}
        )
    return render(
        request,
        "public/portal/objection_lookup.html",
        {
            "form": form,
            "p": progress,
            "not_found": not_found,
            "error": error,
            "review_days": REVIEW_WORKDAYS,
            "answer_days": ANSWER_WORKDAYS,
            "per_hour": LOOKUPS_PER_HOUR,
        },
        status=status,
    )


@require_safe
@cached(300)
def entity(request: HttpRequest, code: str) -> HttpResponse:
    rows = sel.entity_results(credit_code=code)
    if not rows:
        raise Http404("没有该统一社会信用代码的公示结果")
    return render(
        request,
        "public/portal/entity.html",
        {"rows": rows, "name": rows[0].entity_name, "code": rows[0].credit_code},
    )


@require_safe
@cached(300)
def bulletin(request: HttpRequest, code: str) -> HttpResponse:
    """一抽查一通报 (003 第十一条): a task's published results on one page."""
    found = sel.task_bulletin(code=code[:64])
    if found is None:
        raise Http404("该任务还没有公示的检查结果")
    return render(request, "public/portal/bulletin.html", {"b": found})


@require_safe
@cached(300)
def corrections(request: HttpRequest) -> HttpResponse:
    page = sel.corrections_page(after=request.GET.get("after"), before=request.GET.get("before"))
    return render(request, "public/portal/corrections.html", {"page": page})


@require_safe
@cached(300)
def objections(request: HttpRequest) -> HttpResponse:
    number = max(_int(request.GET.get("page")) or 1, 1)
    rows = sel.objection_outcomes(limit=OUTCOMES_PAGE + 1, offset=(number - 1) * OUTCOMES_PAGE)
    return render(
        request,
        "public/portal/objections.html",
        {"rows": rows[:OUTCOMES_PAGE], "number": number, "has_next": len(rows) > OUTCOMES_PAGE},
    )
