"""The draw reaches the visits through hooks inspection registers (draw/hooks.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from shuangsuiji.draw import hooks
from shuangsuiji.inspection.selectors import visits_list
from shuangsuiji.inspection.services.dispatch import visits_dispatch, visits_resync


def test_inspection_registers_its_visit_services_when_django_starts():
    registered = hooks.visit_hooks()
    assert registered.dispatch is visits_dispatch and registered.team_resync is visits_resync
    assert registered.visits_list is visits_list


def test_without_inspection_a_dispatch_is_refused_not_left_without_visits(monkeypatch):
    monkeypatch.setattr(hooks, "_registered", None)
    with pytest.raises(ImproperlyConfigured, match="派发需要它为每个抽中的对象建立检查"):
        hooks.visits_dispatch(draw=None, task=None, now=None)
