"""待办 (to-do work): what is waiting for a user, as cards on the home page and as counts
on the menu (issue 12 第 1 项).

The rules of what is waiting belong to the app that owns the work: each app writes a
*provider* (``<app>/todo.py``: a function of the user and today giving ``TodoCard``s) and
registers it in its ``AppConfig.ready()`` with ``register_todo``, as importers are
registered with the imports app. ``common`` knows no app; it only collects the cards.

A card says what is waiting, how many, and links to the list that shows exactly those
(the count is the length of that list). ``menu`` is the key of the menu entry whose badge
the count adds to (``accounts.context_processors.NAV_ROLES``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TodoCard:
    key: str  # stable name, e.g. "draw.witness"; tests and the page anchor use it
    group: str  # the heading it is shown under: 摇号见证, 检查, 审核, 结果公示与异议 …
    title: str
    count: int
    url: str
    menu: str = ""
    hint: str = ""  # the rule behind it, e.g. 000 三(一)
    urgent: bool = False  # overdue or due within days
    reminder: bool = False  # a yearly duty (plan, library review), shown without a count


TodoProvider = Callable[[Any, dt.date], list[TodoCard]]
_providers: list[TodoProvider] = []


def register_todo(provider: TodoProvider) -> TodoProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def todo_cards(*, user: Any, today: dt.date) -> list[TodoCard]:
    """Every card with something waiting for ``user`` on ``today``, urgent ones first."""
    if not getattr(user, "is_authenticated", False):
        return []
    cards: list[TodoCard] = []
    for provider in _providers:
        cards.extend(c for c in provider(user, today) if c.count > 0 or c.reminder)
    return sorted(cards, key=lambda c: (not c.urgent, not c.reminder))


def menu_counts(*, cards: list[TodoCard]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for card in cards:
        if card.menu and card.count:
            counts[card.menu] = counts.get(card.menu, 0) + card.count
    return counts


def request_cards(request: HttpRequest) -> list[TodoCard]:
    """The cards of the request's user, computed once per request."""
    cards = getattr(request, "_ssj_todo_cards", None)
    if cards is None:
        cards = todo_cards(user=request.user, today=timezone.localdate())
        request._ssj_todo_cards = cards  # type: ignore[attr-defined]
    return cards


def _cached_menu(request: HttpRequest) -> dict[str, int]:
    # Every page shows the badges: kept for TODO_MENU_CACHE_SECONDS per user (the home page
    # itself always counts afresh and refreshes the cache).
    seconds = int(getattr(settings, "TODO_MENU_CACHE_SECONDS", 60))
    key = f"ssj:todo-menu:{request.user.pk}:{timezone.localdate().isoformat()}"
    if seconds and not hasattr(request, "_ssj_todo_cards"):
        hit = cache.get(key)
        if hit is not None:
            return hit
    counts = menu_counts(cards=request_cards(request))
    if seconds:
        cache.set(key, counts, seconds)
    return counts


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``todo_menu`` (menu key → count), computed only when a page with
    the menu reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"todo_menu": {}}
    return {"todo_menu": SimpleLazyObject(lambda: _cached_menu(request))}
