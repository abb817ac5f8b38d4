"""原则上同一生产经营单位在一年内被抽中不超过2次 (指引第十四条) — also when two operators
confirm at the same moment."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from shuangsuiji.common.errors import Conflict
from shuangsuiji.draw import services
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Draw, YearlyDrawCount
from tests.factories.ceremony import SEED, Crew, pool_for, tid


def _drawn_task(crew, ents, insp, *, start=dt.date(2024, 3, 1), operator=None):
    task = crew.task(start=start, end=start + dt.timedelta(days=60))
    draw = services.draw_commit(
        task=task,
        actor=operator or crew.operator,
        pool=pool_for(task, strata={"all": (len(ents), ents)}, inspectors=insp),
    )
    return services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )


@pytest.mark.django_db
def test_sequential_confirmations_respect_the_cap():
    crew = Crew()
    ents, insp = crew.entities(2), crew.inspectors(4)
    first = _drawn_task(crew, ents, insp)
    second = _drawn_task(crew, ents, insp)
    third = _drawn_task(crew, ents, insp)
    other_year = _drawn_task(crew, ents, insp, start=dt.date(2025, 1, 10))
    services.draw_confirm(draw=first, actor=crew.operator)
    services.draw_confirm(draw=second, actor=crew.operator)
    with pytest.raises(Conflict) as err:
        services.draw_confirm(draw=third, actor=crew.operator)
    assert (
        "上限2次" in err.value.message
        and ents[0].name in err.value.message
        and tid(ents[1]) in err.value.message
    )
    third.refresh_from_db()
    assert third.state == DrawState.DRAWN  # nothing changed
    assert dict(YearlyDrawCount.objects.filter(year=2024).values_list("target_id", "count")) == {
        tid(e): 2 for e in ents
    }
    services.draw_confirm(
        draw=other_year, actor=crew.operator
    )  # the year is the window's start year
    assert YearlyDrawCount.objects.get(target_id=tid(ents[0]), year=2025).count == 1


@pytest.mark.django_db
def test_a_refused_confirmation_creates_no_counter_rows():
    crew = Crew()
    crew.dept.yearly_draw_cap = 1
    crew.dept.save()
    shared, fresh = crew.entities(1), crew.entities(1)
    insp = crew.inspectors(4)
    services.draw_confirm(draw=_drawn_task(crew, shared, insp), actor=crew.operator)
    blocked = _drawn_task(crew, shared + fresh, insp)
    with pytest.raises(Conflict):
        services.draw_confirm(draw=blocked, actor=crew.operator)
    assert not YearlyDrawCount.objects.filter(target_id=tid(fresh[0])).exists()


def _confirm_concurrently(draws, operators):
    barrier = threading.Barrier(len(draws))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def confirm(draw, operator):
        try:
            barrier.wait()
            services.draw_confirm(draw=Draw.objects.get(pk=draw.pk), actor=operator)
            outcomes.append("confirmed")
        except Conflict:
            outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=confirm, args=pair) for pair in zip(draws, operators, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return sorted(outcomes)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_operators_confirming_at_the_same_moment_cannot_pass_the_cap():
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL 的行锁并发；SQLite 整库串行写入，顺序确认由上面的测试覆盖")
    from shuangsuiji.accounts.choices import Role
    from tests import factories

    crew = Crew()
    second_operator = factories.user(department=crew.dept, role=Role.OPERATOR, full_name="操作员乙")
    insp = crew.inspectors(6)
    for round_no in range(5):
        shared = crew.entities(3)
        # Different first targets too, so the two confirmations lock rows in a mixed order.
        a = _drawn_task(crew, crew.entities(2) + shared, insp)
        b = _drawn_task(crew, shared + crew.entities(2), insp, operator=second_operator)
        # One earlier confirmed draw already used one of the two chances of the shared targets.
        services.draw_confirm(draw=_drawn_task(crew, shared, insp), actor=crew.operator)
        outcomes = _confirm_concurrently([a, b], [crew.operator, second_operator])
        assert outcomes == ["confirmed", "refused"], f"round {round_no}"
        counts = dict(
            YearlyDrawCount.objects.filter(target_id__in=[tid(e) for e in shared]).values_list(
                "target_id", "count"
            )
        )
        assert counts == {tid(e): 2 for e in shared}
    assert not YearlyDrawCount.objects.filter(count__gt=crew.dept.yearly_draw_cap).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_of_disjoint_draws_both_pass():
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL 的行锁并发；SQLite 整库串行写入")
    crew = Crew()
    insp = crew.inspectors(6)
    a = _drawn_task(crew, crew.entities(4), insp)
    b = _drawn_task(crew, crew.entities(4), insp)
    assert _confirm_concurrently([a, b], [crew.operator, crew.operator]) == [
        "confirmed",
        "confirmed",
    ]
    assert set(YearlyDrawCount.objects.values_list("count", flat=True)) == {1}


@pytest.mark.django_db
def test_a_draw_of_items_without_a_cap_is_not_counted_toward_the_yearly_cap():
    """issue 14 第 2 项: a department's rule sets no cap (日常巡查): its confirmed draws neither
    stop at the cap nor count toward it (the counter rows exist, at 0, for dispatch's lock)."""
    from shuangsuiji.catalog.rules import supervision_rule_set
    from tests.factories.inspection import dispatched_scene

    crew = Crew()
    supervision_rule_set(
        department=crew.dept, actor=None, effective_from=dt.date(2024, 1, 1), cap_mode="off"
    )
    scene = dispatched_scene(targets=2, crew=crew)
    counts = list(YearlyDrawCount.objects.filter(year=2024).values_list("count", flat=True))
    assert len(counts) == 2 and set(counts) == {0}
    assert scene.task.status == "dispatched"


@pytest.mark.django_db
def test_a_monthly_cap_counts_per_month_and_not_toward_the_year():
    """issue 14 第 2 项: 004 四's 日常巡查 checks every object every month: a rule of "每月不超过
    1次" lets the same entities be drawn again next month, refuses a second draw in the same
    month, and never touches the yearly counter of 002 第十四条."""
    from shuangsuiji.catalog.rules import supervision_rule_set, task_cap
    from tests.factories.catalog import make_item

    crew = Crew()
    item = make_item(department=crew.dept, code="XC-01")
    supervision_rule_set(
        department=crew.dept,
        actor=None,
        item=item,
        effective_from=dt.date(2024, 1, 1),
        cap_mode="monthly",
        cap=1,
        note="每月巡查（004 四）",
    )
    ents, insp = crew.entities(2), crew.inspectors(4)

    def drawn(start):
        crew_task = crew.task
        task = crew_task(start=start, end=start + dt.timedelta(days=20))
        task.items.add(item)
        draw = services.draw_commit(
            task=task,
            actor=crew.operator,
            pool=pool_for(task, strata={"all": (len(ents), ents)}, inspectors=insp),
        )
        return task, services.draw_seed(
            draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
        )

    march, first = drawn(dt.date(2024, 3, 1))
    cap = task_cap(task=march)
    assert (cap.limit, cap.year, cap.month, cap.period_text) == (1, 2024, 3, "2024年3月")
    _, again = drawn(dt.date(2024, 3, 10))
    _, april = drawn(dt.date(2024, 4, 1))
    services.draw_confirm(draw=first, actor=crew.operator)
    with pytest.raises(Conflict) as err:
        services.draw_confirm(draw=again, actor=crew.operator)
    assert "2024年3月已被抽中1次（上限1次" in err.value.message
    services.draw_confirm(draw=april, actor=crew.operator)
    rows = dict(
        ((t, m), c)
        for t, m, c in YearlyDrawCount.objects.filter(target_id=tid(ents[0])).values_list(
            "target_id", "month", "count"
        )
    )
    assert rows == {(tid(ents[0]), 0): 0, (tid(ents[0]), 3): 1, (tid(ents[0]), 4): 1}
    # A yearly-capped item in the same task wins: the task is held to the yearly cap.
    task, _ = drawn(dt.date(2024, 5, 1))
    task.items.add(make_item(department=crew.dept, code="JZ-09"))
    assert task_cap(task=task).month == 0 and task_cap(task=task).limit == 2


@pytest.mark.django_db
def test_a_monthly_cap_needs_a_number():
    from shuangsuiji.catalog.rules import supervision_rule_set
    from shuangsuiji.common.errors import ValidationFailed

    crew = Crew()
    with pytest.raises(ValidationFailed) as err:
        supervision_rule_set(
            department=crew.dept, actor=None, effective_from=dt.date(2024, 1, 1), cap_mode="monthly"
        )
    assert "每月被抽中不超过几次" in err.value.message
