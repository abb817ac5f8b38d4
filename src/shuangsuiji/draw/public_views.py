"""Public pages of the draw (no login): task announcements and each draw's verification page.

一公开: the commitment (``C``, strata, the excluded list with reasons) is public from the
commit on; then the seed, the result and the files to re-run it. Void draws stay listed
with their reason. Only names, 统一社会信用代码 (manifest ids) and, for inspectors, name
and 执法证号 appear here — never a mobile or 身份证号.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from shuangsuiji.draw import selectors
from shuangsuiji.draw.exporting import draw_record
from shuangsuiji.draw.models import Draw
from shuangsuiji.planning.models import Task

PAGE_SIZE = 20
# The verification page leads with the check itself, run on the server as the page opens —
# up to this many manifest lines (a few milliseconds). A larger manifest takes about a second
# per run (docs/benchmarks.md, draw_compute), too much to spend on every anonymous view:
# there the page offers the button that runs it.
INLINE_CHECK_LINES = 20_000
RESULT_ROWS = 100  # per page of results on the public page; result.txt holds them all
EXCLUDED_ROWS = 500


def _task(code: str) -> Task:
    task = selectors.public_task(code=code)
    if task is None:
        raise Http404("没有该任务的摇号公告")
    return task


def _draw(code: str, number: int) -> Draw:
    draw = selectors.draw_get(task=_task(code), number=number)
    if draw is None:
        raise Http404("没有这次摇号")
    return draw


# --- pages -------------------------------------------------------------------------------


def task_list(request: HttpRequest) -> HttpResponse:
    """Every task with at least one draw (void ones included), newest first."""
    q = (request.GET.get("q") or "").strip()
    page = Paginator(selectors.public_tasks(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "public/draw_list.html", {"page": page, "q": q})


def task_announcement(request: HttpRequest, code: str) -> HttpResponse:
    """摇号公告 of one task: each draw's commitment, seed, result, substitutions; void
    draws marked with their reason."""
    task = _task(code)
    draws = list(selectors.draws_list(task=task))
    return render(
        request,
        "public/task.html",
        {
            "task": task,
            "draws": [_public_draw(d, request, paged=len(draws) == 1) for d in draws],
            "items": task.items.select_related("current").order_by("code"),
            "partners": task.partners.order_by("code"),
        },
    )


@dataclass
class PublicDraw:
    draw: Draw
    head: object
    rows: list
    page: object
    excluded: list
    substitutions: list
    direct: list


def _public_draw(draw: Draw, request: HttpRequest, *, paged: bool) -> PublicDraw:
    rows, page = [], None
    head = selectors.manifest_head(draw=draw)
    if draw.result_text:
        qs = selectors.draw_selections(draw=draw).prefetch_related("assignments__inspector")
        page = Paginator(qs, RESULT_ROWS).get_page(request.GET.get("page") if paged else 1)
        rows = selectors.selection_rows(selections=page.object_list, labels=head.labels)
    return PublicDraw(
        draw=draw,
        head=head,
        rows=rows,
        page=page,
        excluded=draw.excluded[:EXCLUDED_ROWS],
        substitutions=list(
            selectors.draw_substitutions(draw=draw).select_related(
                "selection", "out_assignment__inspector", "in_assignment__inspector"
            )
        ),
        direct=selectors.draw_direct_assignments(draw=draw),
    )


def draw_verification(request: HttpRequest, code: str, number: int) -> HttpResponse:
    draw = _draw(code, number)
    run = request.GET.get("run") == "1" or (
        bool(draw.result_text) and draw.manifest_lines <= INLINE_CHECK_LINES
    )
    check = selectors.draw_reverify_result(draw=draw) if run else None
    return render(
        request,
        "public/draw.html",
        {
            "draw": draw,
            "task": draw.task,
            "head": selectors.manifest_head(draw=draw),
            "check": check,
            "has_subs": selectors.draw_substitutions(draw=draw).exists(),
            "scope": draw.inspector_scope,
            "site_url": settings.SITE_URL,
        },
    )


def draw_reverify(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """Re-runs the draw in place (htmx fragment; the page's ``?run=1`` without script)."""
    draw = _draw(code, number)
    return render(
        request,
        "public/_verify.html",
        {"draw": draw, "check": selectors.draw_reverify_result(draw=draw)},
    )


# --- downloads ---------------------------------------------------------------------------


def _text(
    body: str, filename: str, content_type: str = "text/plain; charset=utf-8"
) -> HttpResponse:
    response = HttpResponse(body.encode("utf-8"), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _prefix(draw: Draw) -> str:
    return f"{draw.task.code}-{draw.number}"


def download_manifest(request: HttpRequest, code: str, number: int) -> StreamingHttpResponse:
    """The frozen manifest bytes, streamed: a 1,000,000-line manifest is never held whole."""
    draw = _draw(code, number)
    if not selectors.manifest_file(draw=draw).exists():
        raise Http404("名单文件缺失")
    response = StreamingHttpResponse(
        selectors.manifest_stream(draw=draw), content_type="text/plain; charset=ascii"
    )
    response["Content-Length"] = str(selectors.manifest_file(draw=draw).stat().st_size)
    response["Content-Disposition"] = f'attachment; filename="{_prefix(draw)}-manifest"'
    return response


def download_seed(request: HttpRequest, code: str, number: int) -> HttpResponse:
    draw = _draw(code, number)
    if not draw.result_text:
        raise Http404("尚未录入种子")
    return _text(
        draw.seed_text, f"{_prefix(draw)}-seed.txt"
    )  # exactly as entered: no newline added


def download_result(request: HttpRequest, code: str, number: int) -> HttpResponse:
    draw = _draw(code, number)
    if not draw.result_text:
        raise Http404("尚未摇号")
    return _text(selectors.draw_published_result(draw=draw), f"{_prefix(draw)}-result.txt")


def download_record(request: HttpRequest, code: str, number: int) -> HttpResponse:
    draw = _draw(code, number)
    body = (
        json.dumps(draw_record(draw=draw), ensure_ascii=False, indent=2) + "\n"
    )  # as draw_export writes it
    return _text(body, f"{_prefix(draw)}-record.json", "application/json; charset=utf-8")


def verifier_script(request: HttpRequest) -> FileResponse:
    """docs/verify_draw.py: the standalone verifier (standard library only)."""
    for base in (Path(settings.BASE_DIR), Path(__file__).resolve().parents[3]):
        path = base / "docs" / "verify_draw.py"
        if path.is_file():
            return FileResponse(
                path.open("rb"),
                as_attachment=True,
                filename="verify_draw.py",
                content_type="text/x-python; charset=utf-8",
            )
    raise Http404("验证脚本缺失")
