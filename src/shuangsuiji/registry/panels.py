"""Sections other apps add to the entity page — its inspections, results and follow-ups
(issue 16 第 4 项) — while the library stays below them (tests/test_layers.py): an app
registers a provider in its ``ready()``; the page renders each panel's template with its
context. As ``common.todo`` does for the home page's cards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shuangsuiji.accounts.models import User
from shuangsuiji.registry.models import Entity


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)


Provider = Callable[..., "Panel | None"]
_providers: list[Provider] = []


def entity_panel_register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def entity_panels(*, entity: Entity, user: User) -> list[Panel]:
    """The panels of ``entity`` for ``user``, who may already read the entity."""
    return [p for p in (provider(entity=entity, user=user) for provider in _providers) if p]
