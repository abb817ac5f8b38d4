"""What the draw asks of the app that owns the visits, without importing it.

The draw sits below inspection (a visit points at the draw's selections), yet a dispatch
must give every selected target its visit [002 第十八条、第十九条] and a substitution must
keep the visit's team in step. Inspection registers its services here in its
``AppConfig.ready()`` (``inspection/apps.py``); the draw calls them inside its own
transaction. Without inspection installed, a dispatch is refused loudly rather than
leaving targets without a visit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from shuangsuiji.draw.models import Draw, Selection
    from shuangsuiji.planning.models import Task


class DispatchedVisits(Protocol):
    created: int
    joined_targets: list[str]


@dataclass(frozen=True)
class VisitHooks:
    # Gives every selected target of a confirmed draw its visit (created or joined).
    dispatch: Callable[..., DispatchedVisits]  # (*, draw: Draw, task: Task, now: datetime)
    # Refuses a change of team once a visit carrying the selection has started.
    team_change_check: Callable[..., None]  # (*, selection: Selection)
    # Rebuilds the members of the visits whose team comes from the selection.
    team_resync: Callable[..., None]  # (*, selection: Selection)
    # The visits for the draw's pages (of a task, or all a user may see).
    visits_list: Callable[..., Any]  # (*, user=None, task=None, merged_only=False)


_registered: VisitHooks | None = None


def visit_hooks_register(hooks: VisitHooks) -> None:
    global _registered
    _registered = hooks


def visit_hooks() -> VisitHooks:
    if _registered is None:
        raise ImproperlyConfigured(
            "检查（shuangsuiji.inspection）未安装：派发需要它为每个抽中的对象建立检查"
        )
    return _registered


def visits_dispatch(*, draw: Draw, task: Task, now: dt.datetime) -> DispatchedVisits:
    return visit_hooks().dispatch(draw=draw, task=task, now=now)


def team_change_check(*, selection: Selection) -> None:
    visit_hooks().team_change_check(selection=selection)


def team_resync(*, selection: Selection) -> None:
    visit_hooks().team_resync(selection=selection)
