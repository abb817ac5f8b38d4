"""Service errors become web responses here, once (the web counterpart of
``common/api.py:install_error_handlers``; the house style's rule 12).

A view fetches and calls services and reads straight through; what a service raises and the
view does not show next to a field ends here:

* ``NotFound`` → 404 and ``NotAllowed`` → 403, as one Chinese page (``refused.html``; the
  public portal's own look under ``/public/``) with links back into the section;
* any other ``ServiceError`` (``Conflict``, a ``ValidationFailed`` no form shows …) on a
  POST → its message as an error message and a redirect back to the page the action came
  from (``request.back_url`` when the view set it, else a safe ``next`` field or Referer,
  else the home page); on a GET → the same page with the error's status.

The JSON API never gets here: django-ninja's handlers answer first, in the error envelope.
"""

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from shuangsuiji.common.errors import NotAllowed, NotFound, ServiceError
from shuangsuiji.common.text import text_problem

log = logging.getLogger(__name__)

# Where a refused page points back to, by URL namespace (names only: common imports no app).
SECTION_LINKS: dict[str, list[tuple[str, str]]] = {
    "catalog": [("返回抽查事项清单", "catalog:item_list")],
    "registry": [
        ("检查对象名录库", "registry:entity_list"),
        ("执法检查人员名录库", "registry:inspector_list"),
    ],
    "planning": [("返回抽查计划", "planning:plan_list"), ("返回抽查任务", "planning:task_list")],
    "draw": [("返回摇号列表", "draw:list"), ("返回抽查任务", "planning:task_list")],
    "inspection": [("我的检查", "inspection:mine"), ("检查列表", "inspection:list")],
    "disclosure": [("返回待公示", "disclosure:pending"), ("已公示", "disclosure:published")],
    "oversight": [("期限督办", "oversight:index")],
    "imports": [("导入", "imports:start"), ("导入记录", "imports:jobs")],
}
PUBLIC_NAMESPACES = frozenset({"portal", "public_draw"})


def _namespace(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.namespace if match is not None else ""


def refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    """The page for a refusal: 404, 403, or the error's own status."""
    status = (
        404 if isinstance(exc, NotFound) else 403 if isinstance(exc, NotAllowed) else exc.status
    )
    namespace = _namespace(request)
    template = "public/refused.html" if namespace in PUBLIC_NAMESPACES else "refused.html"
    return render(
        request,
        template,
        {"message": exc.message, "status": status, "links": SECTION_LINKS.get(namespace, [])},
        status=status,
    )


def back_url(request: HttpRequest) -> str:
    """Where a refused POST goes back to: the view's choice, else where it came from."""
    for candidate in (
        getattr(request, "back_url", ""),
        request.POST.get("next", ""),
        request.META.get("HTTP_REFERER", ""),
    ):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"


class ServiceErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ServiceError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound | NotAllowed) or request.method != "POST":
            return refused(request, exception)
        messages.error(request, exception.message)
        return redirect(back_url(request))


# ---------------------------------------------------------------------------------------
# Input hygiene and a database that cannot answer (issue 11 items 3 and 6)
# ---------------------------------------------------------------------------------------


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every string in a decoded JSON body, keys included."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            yield name, str(key)
            yield from _strings(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}.{i}" if where else str(i))


def _request_strings(request: HttpRequest) -> Iterator[tuple[str, str]]:
    for key, values in request.GET.lists():
        yield key, key
        for value in values:
            yield key, value
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"null")
            except ValueError:
                return  # not JSON at all: the API answers that itself
            yield from _strings(body, "")
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, values in request.POST.lists():
                yield key, key
                for value in values:
                    yield key, value
            for _key, uploads in request.FILES.lists():
                for upload in uploads:
                    yield "文件名", getattr(upload, "name", "") or ""


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _plain_refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    template = "public/refused.html" if request.path.startswith("/public/") else "refused.html"
    return render(
        request, template, {"message": message, "status": status, "links": []}, status=status
    )


class InputHygieneMiddleware:
    """Refuses a request that carries a character no field may hold (``common/text.py``),
    naming the field, before any view or database sees it: 404 for a path, 422 JSON for
    the API, a 400 page otherwise. Nothing is stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if text_problem(request.path):
            if _is_api(request):
                return JsonResponse({"detail": "资源不存在", "errors": {}}, status=404)
            return _plain_refusal(request, "页面不存在：地址中含有不允许的字符", 404)
        for field, value in _request_strings(request):
            problem = text_problem(value)
            if problem:
                message = f"「{field}」{problem}"
                if _is_api(request):
                    return JsonResponse(
                        {"detail": message, "errors": {field: [message]}}, status=422
                    )
                return _plain_refusal(request, message, 400)
        return self.get_response(request)


_LONG_NUMBER = re.compile(r"\d{19,}")
_UNAVAILABLE = ("database is locked", "readonly database", "read-only", "could not connect")


def database_unavailable(exception: BaseException) -> bool:
    """A database that is busy (SQLite's write lock held too long), read-only or down: the
    request may succeed later, so it is a 503 with Retry-After, not a 500."""
    text = str(exception).lower()
    return isinstance(exception, OperationalError) and any(s in text for s in _UNAVAILABLE)


def exception_refusal(request: HttpRequest, exception: BaseException) -> tuple[int, str] | None:
    """(status, Chinese detail) for what no request should answer with a 500, else ``None``:
    a number beyond 64 bits (SQLite cannot even bind it: OverflowError) is a record that does
    not exist when it is in the path, a value out of range in the query; a database that
    cannot answer now is a 503 (send Retry-After). One rule for the pages (below) and the
    API (common/api.py)."""
    if isinstance(exception, OverflowError):
        if _LONG_NUMBER.search(request.path):
            return 404, "资源不存在（编号超出范围）"
        return 422, "数值超出范围"
    if database_unavailable(exception):
        log.warning("database unavailable for %s: %s", request.path, exception)
        return 503, "系统繁忙，请稍后重试"
    return None


class UnavailableMiddleware:
    """The pages' side of ``exception_refusal`` (the API answers it in its own handlers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        refusal = exception_refusal(request, exception)
        if refusal is None:
            return None
        status, detail = refusal
        # A page address out of range is a page that does not exist, whatever the part.
        response = _plain_refusal(request, detail, 404 if status == 422 else status)
        if status == 503:
            response["Retry-After"] = "5"
        return response
