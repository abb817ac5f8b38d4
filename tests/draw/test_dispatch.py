"""进一次门、查多项事 [002 第十九条]: at dispatch a target already in a visit of another
dispatched task whose window overlaps joins that visit."""

import datetime as dt

import pytest

from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict
from shuangsuiji.draw import selectors, services
from shuangsuiji.draw.models import Assignment
from shuangsuiji.inspection import selectors as visit_selectors
from shuangsuiji.inspection.choices import VisitStatus
from shuangsuiji.inspection.models import Visit, VisitMember
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.registry.models import Entity
from tests.factories.ceremony import SEED, Crew, pool_for, tid

pytestmark = pytest.mark.django_db


def _dispatched(crew, ents, insp, *, start, end, item_code=None):
    task = crew.task(start=start, end=end)
    if item_code:
        task.items.add(Item.objects.create(department=crew.dept, code=item_code))
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (len(ents), ents)}, inspectors=insp),
    )
    draw = services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    report = services.draw_dispatch(draw=draw, actor=crew.operator)
    task.refresh_from_db()
    assert task.status == TaskStatus.DISPATCHED
    return task, draw, report


def test_dispatch_creates_one_visit_per_target_led_by_the_groups_leader():
    crew = Crew()
    ents, insp = crew.entities(3), crew.inspectors(6)
    task, draw, report = _dispatched(
        crew, ents, insp, start=dt.date(2024, 3, 1), end=dt.date(2024, 5, 31)
    )
    assert report.visits_created == 3 and report.visits_joined == 0
    for sel in draw.selections.all():
        visit = Visit.objects.get(target_id=sel.target_id)
        assert (
            visit.status == VisitStatus.PENDING
            and visit.lead_task == task
            and visit.entity == sel.entity
        )
        assert (visit.window_start, visit.window_end) == (task.window_start, task.window_end)
        team = selectors.selection_team(selection=sel)
        members = list(visit.members.order_by("-is_leader", "id"))
        assert [m.inspector for m in members] == [a.inspector for a in team]
        assert members[0].is_leader and not members[1].is_leader


def test_overlapping_tasks_of_two_departments_merge_into_one_visit():
    lead, partner = Crew(), Crew()
    shared = lead.entities(2)
    only_b = partner.entities(1)
    # The partner keeps the same company in its own library: same 统一社会信用代码.
    twin = Entity.objects.create(
        department=partner.dept, key=shared[1].uscc, uscc=shared[1].uscc, name="同一企业"
    )
    task_a, draw_a, _r = _dispatched(
        lead,
        shared,
        lead.inspectors(4),
        start=dt.date(2024, 3, 1),
        end=dt.date(2024, 5, 31),
        item_code="JZ-001",
    )
    task_b, draw_b, report = _dispatched(
        partner,
        [shared[0], twin, only_b[0]],
        partner.inspectors(6),
        start=dt.date(2024, 5, 1),
        end=dt.date(2024, 6, 30),
        item_code="RQ-001",
    )
    assert report.visits_joined == 2 and report.visits_created == 1
    assert Visit.objects.count() == 3
    for ent in shared:
        visit = Visit.objects.get(target_id=tid(ent))
        assert visit_selectors.visit_tasks(visit=visit) == [task_a, task_b]
        assert visit.lead_task == task_a
        # the window is the overlap, which suits both tasks
        assert (visit.window_start, visit.window_end) == (dt.date(2024, 5, 1), dt.date(2024, 5, 31))
        leader = visit_selectors.visit_leader(visit=visit)
        sel_a = draw_a.selections.get(target_id=tid(ent))
        assert leader.inspector == selectors.selection_team(selection=sel_a)[0].inspector
        assert leader.task == task_a
        assert visit.members.count() == 4 and visit.members.filter(task=task_b).count() == 2
        assert sorted(visit_selectors.visit_items(visit=visit).values_list("code", flat=True)) == [
            "JZ-001",
            "RQ-001",
        ]
    listed = list(visit_selectors.visits_list(merged_only=True))
    assert len(listed) == 2 and all(v.task_count == 2 for v in listed)
    assert [vt.task for vt in listed[0].visit_tasks.all()] == [task_a, task_b]
    assert visit_selectors.visits_list(user=partner.operator, task=task_a).count() == 2


def test_tasks_whose_windows_do_not_overlap_do_not_merge():
    crew = Crew()
    ents, insp = crew.entities(2), crew.inspectors(4)
    _dispatched(crew, ents, insp, start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30))
    _t, _d, report = _dispatched(
        crew, ents, insp, start=dt.date(2024, 5, 1), end=dt.date(2024, 6, 30)
    )
    assert report.visits_joined == 0 and report.visits_created == 2
    assert Visit.objects.count() == 4
    assert not visit_selectors.visits_list(merged_only=True).exists()


def test_dispatch_happens_once():
    crew = Crew()
    ents, insp = crew.entities(2), crew.inspectors(4)
    task, draw, _r = _dispatched(
        crew, ents, insp, start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30)
    )
    from shuangsuiji.common.errors import Conflict

    with pytest.raises(Conflict):
        services.draw_dispatch(draw=draw, actor=crew.operator)
    assert Visit.objects.count() == 2


def test_a_substitution_after_dispatch_updates_the_visit_team():
    crew = Crew()
    ents, insp = crew.entities(2), crew.inspectors(6)
    task, draw, _r = _dispatched(
        crew, ents, insp, start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30)
    )
    sel = draw.selections.order_by("rank").first()
    leader = Assignment.objects.get(selection=sel, position=0)
    sub = services.substitution_request(assignment=leader, reason="岗位调整", actor=crew.operator)
    services.substitution_decide(substitution=sub, approve=True, actor=crew.reviewer)
    visit = Visit.objects.get(target_id=sel.target_id)
    team = selectors.selection_team(selection=sel)
    assert [m.inspector for m in visit.members.order_by("-is_leader", "id")] == [
        a.inspector for a in team
    ]
    assert VisitMember.objects.get(visit=visit, is_leader=True).inspector == team[0].inspector
    assert not visit.members.filter(inspector=leader.inspector).exists()


def test_a_substitution_is_refused_once_the_visit_has_started():
    """The team records findings and signs (002 第二十五条): once a visit has started its
    members cannot be swapped — neither at request nor at approval — and nothing changes."""
    crew = Crew()
    ents, insp = crew.entities(2), crew.inspectors(6)
    task, draw, _r = _dispatched(
        crew, ents, insp, start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30)
    )
    sel = draw.selections.order_by("rank").first()
    first, second = Assignment.objects.filter(selection=sel).order_by("position")[:2]
    pending = services.substitution_request(
        assignment=second, reason="身体健康状况", actor=crew.operator
    )
    visit = Visit.objects.get(target_id=sel.target_id)
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.IN_PROGRESS)
    members_before = list(visit.members.values_list("inspector_id", "is_leader"))
    with pytest.raises(Conflict, match="不能再更换检查人员"):
        services.substitution_request(assignment=first, reason="岗位调整", actor=crew.operator)
    with pytest.raises(Conflict, match="不能再更换检查人员"):
        services.substitution_decide(substitution=pending, approve=True, actor=crew.reviewer)
    pending.refresh_from_db()
    assert pending.status == "pending" and Assignment.objects.get(pk=second.pk).active
    assert list(visit.members.values_list("inspector_id", "is_leader")) == members_before
