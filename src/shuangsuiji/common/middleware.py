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

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from shuangsuiji.common.errors import NotAllowed, NotFound, ServiceError

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
