"""The staff home page (工作台): a project-level view, since it gathers what every app offers."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
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
