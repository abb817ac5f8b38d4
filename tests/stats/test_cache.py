"""Figures kept between requests (stats/cache.py): after every kind of change the kept
figures equal a fresh count; only the groups whose departments changed are counted again;
a new day, an event without a department or a chain that does not continue count all."""

import datetime as dt

import pytest

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.services import user_create
from shuangsuiji.disclosure.services import result_publish
from shuangsuiji.stats import cache as kept_cache
from shuangsuiji.stats.figures import Filters, figures_grouped
from shuangsuiji.stats.models import KeptFigures
from shuangsuiji.stats.selectors import figures_by_top
from tests.factories import disclosure as fd
from tests.factories.inspection import dispatched_scene, formed

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 6, 28)


@pytest.fixture
def counted(monkeypatch):
    """The groups each real count covered (the real function runs)."""
    calls: list[set[str]] = []
    real = kept_cache.figures_grouped

    def spy(f, *, groups):
        calls.append(set(groups.values()))
        return real(f, groups=groups)

    monkeypatch.setattr(kept_cache, "figures_grouped", spy)
    return calls


def _fresh(today=TODAY) -> dict[str, dict]:
    """An independent count of every top department, without the cache."""
    tops = {d.id: d.code for d in Department.objects.filter(parent__isnull=True)}
    groups = {d.id: tops[d.id] for d in Department.objects.all() if d.id in tops}
    figs = figures_grouped(
        Filters(year=2024, department_ids=frozenset(groups), today=today), groups=groups
    )
    return {k: v.as_dict() for k, v in figs.items()}


def _kept(today=TODAY) -> dict[str, dict]:
    return {d.code: f.as_dict() for d, f in figures_by_top(year=2024, today=today) if f.has_data}


def test_kept_figures_follow_every_change_and_count_only_what_changed(var_dir, counted):
    a = fd.formed_scene(targets=2)
    b = dispatched_scene(targets=2)
    code_a, code_b = a.dept.code, b.crew.dept.code

    assert _kept() == _fresh() and len(counted) == 1  # first look: everything counted
    assert _kept() == _fresh() and len(counted) == 1  # nothing changed: nothing counted

    result_publish(version=a.version, actor=a.operator)  # 公示 in A
    kept = _kept()
    assert kept == _fresh() and kept[code_a]["published"] == 1
    assert counted[-1] == {code_a}  # B was not counted again

    formed(b)  # a result in B, through the services (started, signed, approved)
    kept = _kept()
    assert kept == _fresh() and kept[code_b]["results"] == 1
    assert counted[-1] == {code_b}
    # (Rows written without a service, as the ORM factories of other tests do, would not
    # be seen until the next event of their department: every change goes through a
    # service with its audit event — the platform's rule this cache relies on.)

    # Another day: what is due changes, everything is counted for that day.
    before = len(counted)
    assert _kept(TODAY + dt.timedelta(days=30)) == _fresh(TODAY + dt.timedelta(days=30))
    assert len(counted) == before + 1 and {code_a, code_b} <= counted[-1]

    # An event without a department (an account created): counted again, all of it.
    user_create(username="someone", full_name="某人", password="Ssj-test-密码-2024")
    assert _kept() == _fresh() and {code_a, code_b} <= counted[-1]

    # A department's own publication deadline is part of the key.
    Department.objects.filter(pk=a.dept.pk).update(publish_deadline_workdays=1)
    before = len(counted)
    assert _kept() == _fresh() and len(counted) == before + 1


def test_a_chain_that_does_not_continue_counts_everything(var_dir, counted):
    a = fd.formed_scene(targets=1)
    other = dispatched_scene(targets=1)
    groups = {a.dept.pk: "A", other.crew.dept.pk: "B"}
    f = Filters(year=2024, department_ids=frozenset(groups), today=TODAY)
    kept_cache.figures_grouped_kept(f, groups=groups)
    # As after a restored backup: the kept head is no event of this chain any more.
    KeptFigures.objects.filter(key=kept_cache._key(f, groups)).update(chain_hash="f" * 64)
    figs = kept_cache.figures_grouped_kept(f, groups=groups)
    assert counted[-1] == {"A", "B"} and len(counted) == 2
    assert {k: v.as_dict() for k, v in figs.items()} == {
        k: v.as_dict() for k, v in figures_grouped(f, groups=groups).items()
    }


def test_warming_counts_the_days_views_before_anyone_opens_them(var_dir, counted, client):
    from shuangsuiji.stats.selectors import figures_warm

    a = fd.formed_scene(targets=1)
    # Kept for an old day: removed by the warm-up.
    KeptFigures.objects.create(key="old", day=TODAY - dt.timedelta(days=10), seq=1, chain_hash="x")
    n = figures_warm(today=TODAY)
    assert n == 2 * (2 + Department.objects.count()) and not KeptFigures.objects.filter(key="old")
    before = len(counted)
    assert _kept() == _fresh() and len(counted) == before  # read, not counted
    # The figures are kept in the database: another process (a web worker, ssj) reads them.
    assert KeptFigures.objects.filter(day=TODAY).count() == n
    assert a.dept.code in _kept()
