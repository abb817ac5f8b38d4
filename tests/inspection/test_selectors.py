"""Reads: my visits, the staff list's scope, who may read/record/review, the entity's past
inspections and penalties, the item version in force."""

import datetime as dt

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.catalog.models import ItemVersion
from shuangsuiji.inspection import selectors
from shuangsuiji.inspection.choices import VersionStatus, VisitStatus
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion, Visit
from tests import factories
from tests.factories.inspection import dispatched_scene, started

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return dispatched_scene()


def test_my_visits_are_those_where_i_am_in_the_team_grouped_by_status(scene):
    v0, v1 = scene.visits
    leader = scene.members_users(v0)[0]
    started(scene, v0)
    mine = {v.pk for g in selectors.visits_mine_grouped(user=leader) for v in g.visits}
    expected = {v.pk for v in (v0, v1) if leader in scene.members_users(v)}
    assert mine == expected
    groups = selectors.visits_mine_grouped(user=leader)
    assert groups[0].label in ("待检查", "检查中")
    assert [g.status for g in groups] == sorted(
        {g.status for g in groups}, key=[s.value for s in VisitStatus].index
    )
    assert next(g for g in groups if g.status == VisitStatus.IN_PROGRESS).visits == [v0]
    assert list(selectors.visits_mine(user=scene.crew.operator)) == []


def test_the_staff_list_is_scoped_to_lead_and_partner_departments(scene):
    partner = factories.department()
    scene.task.partners.add(partner)
    partner_reviewer = factories.user(department=partner, role=Role.REVIEWER)
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    inspector = scene.inspector_users[0]
    ids = {v.pk for v in scene.visits}
    for user in (scene.admin, scene.crew.operator, scene.crew.reviewer, partner_reviewer):
        assert {v.pk for v in selectors.visits_for_staff(user=user)} == ids
    for user in (outsider, inspector, scene.crew.witness):
        assert list(selectors.visits_for_staff(user=user)) == []
    assert list(selectors.visits_for_staff(user=scene.admin, status=VisitStatus.FORMED)) == []
    assert {
        v.pk for v in selectors.visits_for_staff(user=scene.admin, department=partner.code)
    } == ids


def test_read_record_and_review_rights(scene):
    visit = scene.visits[0]
    member = scene.members_users(visit)[1]
    other_team = next(u for u in scene.inspector_users if u not in scene.members_users(visit))
    outsider = factories.user(department=factories.department(), role=Role.DEPT_ADMIN)
    assert selectors.visit_can_read(user=member, visit=visit)
    assert selectors.visit_can_read(user=scene.admin, visit=visit)
    assert not selectors.visit_can_read(user=other_team, visit=visit)
    assert not selectors.visit_can_read(user=outsider, visit=visit)
    assert selectors.visit_can_record(user=member, visit=visit)
    assert selectors.visit_can_record(user=scene.crew.operator, visit=visit)
    assert not selectors.visit_can_record(user=scene.admin, visit=visit)
    assert selectors.visit_can_review(user=scene.crew.reviewer, visit=visit)
    assert not selectors.visit_can_review(user=member, visit=visit)


def _past_result(
    scene, visit, *, on, conclusion="rectified", penalty=None, status=VersionStatus.PUBLISHED
):
    old = Visit.objects.create(
        entity=visit.entity,
        target_id=visit.target_id,
        window_start=on,
        window_end=on,
        lead_task=scene.task,
        status=VisitStatus.FORMED,
    )
    result = Result.objects.create(visit=old)
    version = ResultVersion.objects.create(
        result=result,
        number=1,
        status=status,
        inspected_on=on,
        conclusion=conclusion,
        summary="往年检查",
        created_by=scene.admin,
    )
    if status != VersionStatus.DRAFT:
        result.current = version
        result.save()
    if penalty:
        FollowUp.objects.create(
            version=version, kind="case", case_no="松建罚〔2023〕1号", penalty_decided_on=penalty
        )
    return version


def test_history_shows_the_entitys_formed_results_and_penalties_but_not_drafts(scene):
    visit = scene.visits[0]
    shown = _past_result(scene, visit, on=dt.date(2023, 6, 1), penalty=dt.date(2023, 7, 1))
    _past_result(scene, visit, on=dt.date(2023, 9, 1), status=VersionStatus.DRAFT)
    _past_result(
        scene, scene.visits[1], on=dt.date(2023, 6, 1), penalty=dt.date(2023, 7, 1)
    )  # another entity
    history = list(selectors.visit_history(visit=visit))
    assert [r.current for r in history] == [shown]
    penalties = list(selectors.visit_penalties(visit=visit))
    assert [p.case_no for p in penalties] == ["松建罚〔2023〕1号"] and penalties[0].version == shown
    assert list(selectors.visit_history(visit=Visit.objects.get(pk=shown.result.visit_id))) == []


def test_item_version_in_force_is_the_latest_effective_on_the_day_else_the_latest(scene):
    item = scene.items[0]
    v1 = item.versions.get()
    v2 = ItemVersion.objects.create(
        item=item,
        number=2,
        name="新",
        target_type="x",
        change_kind="amend",
        change_reason="修订",
        effective_date=dt.date(2024, 6, 1),
    )
    assert selectors.item_version_in_force(item=item, on=dt.date(2024, 5, 31)) == v1
    assert selectors.item_version_in_force(item=item, on=dt.date(2024, 6, 1)) == v2
    assert selectors.item_version_in_force(item=item, on=dt.date(2023, 1, 1)) == v2


def test_visits_list_still_scopes_by_readable_departments(scene):
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    assert list(selectors.visits_list(user=outsider)) == []
    assert {v.pk for v in selectors.visits_list(user=scene.crew.operator)} == {
        v.pk for v in scene.visits
    }
