"""开始检查 and findings per check point: states, the frozen checklist, who may record."""

import datetime as dt

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.catalog.models import ItemVersion
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.inspection import services
from shuangsuiji.inspection.choices import FindingOutcome, VersionKind, VersionStatus, VisitStatus
from shuangsuiji.inspection.models import Finding, Result
from tests import factories
from tests.factories.inspection import CHECKLIST, TODAY, dispatched_scene, started

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return dispatched_scene()


def test_start_moves_pending_to_in_progress_with_the_checklist_and_a_first_draft(scene):
    visit = scene.visits[0]
    leader = scene.members_users(visit)[0]
    services.visit_start(visit=visit, actor=leader, today=TODAY)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS and visit.started_at is not None
    points = list(
        Finding.objects.filter(visit=visit)
        .order_by("item__code", "point")
        .values_list("item__code", "point", "point_text", "outcome")
    )
    assert len(points) == 2 * len(CHECKLIST)
    assert points[0][1:] == (1, CHECKLIST[0], FindingOutcome.UNCHECKED)
    version = Result.objects.get(visit=visit).versions.get()
    assert (version.number, version.kind, version.status) == (
        1,
        VersionKind.ORIGINAL,
        VersionStatus.DRAFT,
    )
    assert Event.objects.filter(action="visit.start", object_id=str(visit.pk)).count() == 1


def test_start_uses_the_item_version_in_force_on_the_day(scene):
    item = scene.items[0]
    v1 = item.versions.get()
    ItemVersion.objects.create(
        item=item,
        number=2,
        name=v1.name,
        target_type=v1.target_type,
        change_kind="amend",
        change_reason="法规修订",
        effective_date=dt.date(2024, 4, 1),
        checklist=["新要点甲", "新要点乙"],
    )
    early, late = scene.visits
    started(scene, early, today=TODAY)
    started(scene, late, today=dt.date(2024, 4, 2))
    assert set(
        Finding.objects.filter(visit=early, item=item).values_list("item_version", flat=True)
    ) == {v1.pk}
    assert list(
        Finding.objects.filter(visit=late, item=item)
        .order_by("point")
        .values_list("point_text", flat=True)
    ) == ["新要点甲", "新要点乙"]


def test_start_is_refused_before_the_window_and_twice(scene):
    visit = scene.visits[0]
    leader = scene.members_users(visit)[0]
    with pytest.raises(Conflict, match="尚未到开始日期"):
        services.visit_start(visit=visit, actor=leader, today=dt.date(2024, 2, 28))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PENDING and not Finding.objects.filter(visit=visit).exists()
    services.visit_start(visit=visit, actor=leader, today=TODAY)
    with pytest.raises(Conflict, match="不能重复开始"):
        services.visit_start(visit=visit, actor=leader, today=TODAY)
    assert Result.objects.get(visit=visit).versions.count() == 1


def test_only_the_team_and_the_lead_operator_may_start_or_record(scene):
    visit = scene.visits[0]
    other_team = next(u for u in scene.inspector_users if u not in scene.members_users(visit))
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    for user in (other_team, outsider, scene.crew.reviewer, scene.crew.witness):
        with pytest.raises(NotAllowed):
            services.visit_start(visit=visit, actor=user, today=TODAY)
    services.visit_start(visit=visit, actor=scene.crew.operator, today=TODAY)  # the lead operator
    f = Finding.objects.filter(visit=visit).first()
    entry = [services.FindingInput(item_id=f.item_id, point=f.point, outcome="compliant")]
    with pytest.raises(NotAllowed):
        services.findings_record(visit=visit, entries=entry, actor=other_team)
    services.findings_record(visit=visit, entries=entry, actor=scene.members_users(visit)[1])
    f.refresh_from_db()
    assert f.outcome == FindingOutcome.COMPLIANT and f.updated_by == scene.members_users(visit)[1]


def test_findings_are_recorded_and_audited(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    f1, f2 = Finding.objects.filter(visit=visit).order_by("item_id", "point")[:2]
    changed = services.findings_record(
        visit=visit,
        actor=leader,
        entries=[
            services.FindingInput(
                item_id=f1.item_id, point=f1.point, outcome="problem", note="电工无证上岗"
            ),
            services.FindingInput(item_id=f2.item_id, point=f2.point, outcome="not_applicable"),
        ],
    )
    assert len(changed) == 2
    f1.refresh_from_db()
    assert (f1.outcome, f1.note) == (FindingOutcome.PROBLEM, "电工无证上岗")
    ev = Event.objects.get(action="finding.record")
    assert ev.after[f"{f1.item.code}:1"] == {"outcome": "problem", "note": "电工无证上岗"}


def test_findings_refuse_bad_input_and_change_nothing(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    f = Finding.objects.filter(visit=visit).first()
    good = services.FindingInput(item_id=f.item_id, point=f.point, outcome="compliant")
    cases = [
        [good, services.FindingInput(item_id=f.item_id, point=f.point, outcome="problem", note="")],
        [good, services.FindingInput(item_id=f.item_id, point=f.point, outcome="maybe")],
        [good, services.FindingInput(item_id=f.item_id, point=99, outcome="compliant")],
    ]
    for entries in cases:
        with pytest.raises(ValidationFailed):
            services.findings_record(visit=visit, entries=entries, actor=leader)
    assert (
        not Finding.objects.filter(visit=visit).exclude(outcome=FindingOutcome.UNCHECKED).exists()
    )


def test_findings_are_refused_before_start(scene):
    visit = scene.visits[0]
    with pytest.raises(Conflict, match="请先点击"):
        services.findings_record(visit=visit, entries=[], actor=scene.members_users(visit)[0])


def test_in_a_joint_visit_each_department_records_its_own_items(scene):
    """issue 14 第 1 项: 进一次门、查多项事 — the partner's member records the partner's item,
    the lead's member the lead's; neither the other's. The operator entering a paper record
    is not limited."""
    from shuangsuiji.inspection.models import VisitMember
    from shuangsuiji.registry.models import Inspector
    from tests.factories.catalog import make_item

    visit = started(scene)
    lead_user, partner_user = scene.members_users(visit)[:2]
    partner = factories.department("SJSC-J", name="区市场监管局（测试）")
    partner_member = VisitMember.objects.get(visit=visit, inspector__user=partner_user)
    Inspector.objects.filter(pk=partner_member.inspector_id).update(department=partner)
    partner_item = make_item(department=partner, code="SC-ZL-01")
    Finding.objects.create(
        visit=visit,
        item=partner_item,
        item_version=partner_item.current,
        point=1,
        point_text="气瓶标识与检验期限",
    )
    lead_f = Finding.objects.filter(visit=visit).exclude(item=partner_item).first()

    def entry(f):
        return [services.FindingInput(item_id=f.item_id, point=f.point, outcome="compliant")]

    partner_f = Finding.objects.get(visit=visit, item=partner_item)
    with pytest.raises(NotAllowed) as exc:
        services.findings_record(visit=visit, entries=entry(partner_f), actor=lead_user)
    assert "SC-ZL-01" in exc.value.message and "由该部门的检查人员录入" in exc.value.message
    with pytest.raises(NotAllowed):
        services.findings_record(visit=visit, entries=entry(lead_f), actor=partner_user)
    services.findings_record(visit=visit, entries=entry(partner_f), actor=partner_user)
    services.findings_record(visit=visit, entries=entry(lead_f), actor=lead_user)
    paper = [services.FindingInput(item_id=partner_f.item_id, point=1, outcome="not_applicable")]
    services.findings_record(visit=visit, entries=paper, actor=scene.crew.operator)
    assert Finding.objects.get(pk=partner_f.pk).updated_by == scene.crew.operator
