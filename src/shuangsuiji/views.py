"""The staff home page (工作台): a project-level view, since it gathers what every app offers."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.selectors import departments_readable
from shuangsuiji.common.todo import request_cards
from shuangsuiji.workdays.services import calendar_reminder


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """待办 per role (common/todo.py; issue 12 第 1 项): each card what waits, how many, and
    the list that shows them."""
    cards = request_cards(request)
    # Grouped under their headings, in the order the first card of each comes (urgent first).
    groups: dict[str, list] = {}
    for card in cards:
        groups.setdefault(card.group, []).append(card)
    by_role = list(groups.items())
    # 系统管理员 keep the holiday calendar: from 1 November they are told when next year's
    # notice is missing (deadlines reaching it are provisional until it is entered).
    reminder = calendar_reminder(today=timezone.localdate()) if request.user.is_superuser else ""
    return render(
        request,
        "home.html",
        {
            "cards": cards,
            "by_role": by_role,
            "departments": departments_readable(user=request.user),
            "calendar_reminder": reminder,
        },
    )


SEARCH_MAX = 100  # characters of a query
SEARCH_ROWS = 10  # per kind; "全部" opens the list with the same query


@dataclass
class SearchGroup:
    title: str
    rows: list
    more_url: str
    more: bool


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """全局搜索 (issue 16 第 4 项): one box for a company name, a 统一社会信用代码, a task
    number, an item, an inspector — each list searched as its own page searches it, with
    the user's scope; a whole credit code matches however it was typed (spaces, dashes,
    full-width characters)."""
    from shuangsuiji.catalog.selectors import item_search
    from shuangsuiji.inspection.selectors import staff_department_ids, visits_for_staff
    from shuangsuiji.planning.selectors import task_search
    from shuangsuiji.registry import selectors as registry

    typed = "".join(ch for ch in (request.GET.get("q") or "") if ch.isprintable())
    q = " ".join(typed.split())[:SEARCH_MAX]
    groups: list[SearchGroup] = []

    def add(title: str, qs, url_name: str, **params) -> None:
        rows = list(qs[: SEARCH_ROWS + 1])
        groups.append(
            SearchGroup(
                title,
                rows[:SEARCH_ROWS],
                f"{reverse(url_name)}?{urlencode({'q': q, **params})}",
                len(rows) > SEARCH_ROWS,
            )
        )

    if q:
        user = request.user
        add(
            "检查对象",
            registry.entity_queryset(user=user, filters=registry.EntityFilters(q=q))
            .select_related("department")
            .order_by("name", "id"),
            "registry:entity_list",
        )
        tasks = task_search(user=user, q=q)
        if " " in q:  # a task number typed with spaces: SJJW 2026 RQ02
            tasks = tasks | task_search(user=user, q=q.replace(" ", "-"))
        add("抽查任务", tasks.select_related("department"), "planning:task_list")
        if staff_department_ids(user=user):
            add("检查", visits_for_staff(user=user, q=q), "inspection:list")
        add(
            "抽查事项",
            item_search(user=user, q=q).select_related("current", "department"),
            "catalog:item_list",
        )
        add(
            "执法检查人员",
            registry.inspector_list(user=user, filters=registry.InspectorFilters(q=q)),
            "registry:inspector_list",
        )
    return render(
        request,
        "search.html",
        {"q": q, "groups": groups, "found": sum(len(g.rows) for g in groups)},
    )
