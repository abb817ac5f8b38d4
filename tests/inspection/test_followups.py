"""后续处理 after forming: appended facts (复查, 处罚决定, 办结), audited, the version text untouched."""

import datetime as dt

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.inspection import services
from shuangsuiji.inspection.choices import Conclusion, FollowUpStatus
from shuangsuiji.inspection.models import FollowUp
from shuangsuiji.inspection.selectors import result_followup_facts
from shuangsuiji.inspection.services import DraftInput, FollowUpInput
from tests import factories
from tests.factories.inspection import TODAY, dispatched_scene, formed, in_review

pytestmark = pytest.mark.django_db
LATER = dt.date(2024, 4, 20)

DRAFT = DraftInput(
    inspected_on=TODAY,
    conclusion=Conclusion.PENDING_FOLLOWUP,
    summary="检查",
    problems="临时用电不规范",
    followups=(
        FollowUpInput(kind="rectify", rectify_deadline=dt.date(2024, 4, 10), detail="限期整改"),
        FollowUpInput(kind="case", detail="立案调查"),
        FollowUpInput(kind="transfer", recipient="区市场监管局"),
    ),
)


@pytest.fixture
def scene():
    return dispatched_scene()


@pytest.fixture
def result(scene):
    visit, version = formed(scene, draft=DRAFT)
    return visit, version, {f.kind: f for f in version.followups.all()}


def test_a_recheck_closes_a_rectify_and_keeps_the_version_text(scene, result):
    visit, version, fus = result
    leader = scene.members_users(visit)[0]
    services.followup_recheck(
        followup=fus["rectify"],
        recheck_on=dt.date(2024, 4, 11),
        recheck_note="已整改到位",
        status=FollowUpStatus.DONE,
        actor=leader,
        today=LATER,
    )
    f = FollowUp.objects.get(pk=fus["rectify"].pk)
    assert (f.status, f.recheck_on, f.recheck_note) == (
        FollowUpStatus.DONE,
        dt.date(2024, 4, 11),
        "已整改到位",
    )
    version.refresh_from_db()
    assert version.summary == "检查" and version.problems == "临时用电不规范"
    ev = Event.objects.get(action="followup.recheck")
    assert ev.before["status"] == "open" and ev.after["status"] == "done"
    with pytest.raises(Conflict, match="不能再次登记复查"):
        services.followup_recheck(
            followup=f,
            recheck_on=LATER,
            recheck_note="再查",
            status="failed",
            actor=leader,
            today=LATER,
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"recheck_on": None}, "recheck_on"),
        ({"recheck_on": dt.date(2024, 3, 1)}, "recheck_on"),  # before the inspection
        ({"recheck_on": LATER + dt.timedelta(days=1)}, "recheck_on"),  # in the future
        ({"recheck_note": " "}, "recheck_note"),
        ({"status": "open"}, "status"),
    ],
)
def test_a_wrong_recheck_is_refused_and_changes_nothing(scene, result, kwargs, field):
    visit, _version, fus = result
    args = {
        "recheck_on": dt.date(2024, 4, 11),
        "recheck_note": "已整改",
        "status": FollowUpStatus.FAILED,
        **kwargs,
    }
    with pytest.raises(ValidationFailed) as exc:
        services.followup_recheck(
            followup=fus["rectify"], actor=scene.members_users(visit)[0], today=LATER, **args
        )
    assert field in exc.value.errors
    assert FollowUp.objects.get(pk=fus["rectify"].pk).status == FollowUpStatus.OPEN


def test_only_a_case_gets_a_penalty_and_only_once(scene, result):
    visit, _version, fus = result
    operator = scene.crew.operator
    with pytest.raises(ValidationFailed, match="只有“立案查处”"):
        services.followup_penalty(
            followup=fus["rectify"],
            case_no="X",
            penalty_decided_on=LATER,
            actor=operator,
            today=LATER,
        )
    with pytest.raises(ValidationFailed) as exc:
        services.followup_penalty(
            followup=fus["case"], case_no="", penalty_decided_on=LATER, actor=operator, today=LATER
        )
    assert "case_no" in exc.value.errors
    services.followup_penalty(
        followup=fus["case"],
        case_no="松建罚〔2024〕12号",
        penalty_decided_on=LATER,
        actor=operator,
        today=LATER,
    )
    f = FollowUp.objects.get(pk=fus["case"].pk)
    assert (f.case_no, f.penalty_decided_on) == ("松建罚〔2024〕12号", LATER)
    with pytest.raises(Conflict, match="不能改写"):
        services.followup_penalty(
            followup=f, case_no="改", penalty_decided_on=LATER, actor=operator, today=LATER
        )


def test_close_appends_a_note_and_is_refused_for_rectify(scene, result):
    visit, _version, fus = result
    leader = scene.members_users(visit)[0]
    with pytest.raises(ValidationFailed, match="复查"):
        services.followup_close(followup=fus["rectify"], note="办结", actor=leader, today=LATER)
    with pytest.raises(ValidationFailed):
        services.followup_close(followup=fus["transfer"], note="", actor=leader, today=LATER)
    services.followup_close(
        followup=fus["transfer"], note="已移交，对方已接收", actor=leader, today=LATER
    )
    f = FollowUp.objects.get(pk=fus["transfer"].pk)
    assert (
        f.status == FollowUpStatus.DONE and f.detail == "【2024年4月20日 办结】已移交，对方已接收"
    )
    assert f.recipient == "区市场监管局"


def test_an_outsider_cannot_record_follow_up(scene, result):
    _visit, _version, fus = result
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    with pytest.raises(NotAllowed):
        services.followup_close(followup=fus["case"], note="x", actor=outsider, today=LATER)
    with pytest.raises(NotAllowed):
        services.followup_add(
            version=fus["case"].version, data=FollowUpInput(kind="case"), actor=outsider
        )


def test_follow_up_is_refused_before_the_result_is_formed(scene):
    visit, version = in_review(scene)
    f = FollowUp.objects.create(version=version, kind="case")
    with pytest.raises(Conflict, match="已形成"):
        services.followup_close(followup=f, note="x", actor=scene.crew.operator, today=LATER)
    with pytest.raises(Conflict, match="已形成"):
        services.followup_add(
            version=version, data=FollowUpInput(kind="case"), actor=scene.crew.operator
        )


def test_a_follow_up_is_appended_after_a_failed_recheck(scene, result):
    visit, version, fus = result
    leader = scene.members_users(visit)[0]
    services.followup_recheck(
        followup=fus["rectify"],
        recheck_on=dt.date(2024, 4, 11),
        recheck_note="未整改",
        status=FollowUpStatus.FAILED,
        actor=leader,
        today=LATER,
    )
    with pytest.raises(ValidationFailed) as exc:
        services.followup_add(version=version, data=FollowUpInput(kind="police"), actor=leader)
    assert "recipient" in exc.value.errors
    services.followup_add(
        version=version, data=FollowUpInput(kind="case", case_no="松建立〔2024〕3号"), actor=leader
    )
    assert (
        version.followups.count() == 4 and Event.objects.filter(action="followup.add").count() == 1
    )


def test_the_facts_selector_lists_what_was_appended(scene, result):
    visit, version, fus = result
    leader = scene.members_users(visit)[0]
    services.followup_recheck(
        followup=fus["rectify"],
        recheck_on=dt.date(2024, 4, 11),
        recheck_note="已整改",
        status=FollowUpStatus.DONE,
        actor=leader,
        today=LATER,
    )
    services.followup_penalty(
        followup=fus["case"],
        case_no="松建罚〔2024〕12号",
        penalty_decided_on=LATER,
        actor=leader,
        today=LATER,
    )
    facts = result_followup_facts(result=version.result)
    assert [f.kind for f in facts] == ["rectify", "case", "transfer"]
    assert facts[0].text == "责令改正；整改期限2024年4月10日；2024年4月11日复查：已整改"
    assert facts[1].penalty_decided_on == LATER and "2024年4月20日作出行政处罚决定" in facts[1].text
    assert facts[2].recipient == "区市场监管局"


def test_the_penalty_publication_date_is_recorded_once_after_the_decision(scene, result):
    """行政处罚信息 7个工作日内公开 (000 三(六)): the date is what ends the oversight flag."""
    visit, _version, fus = result
    operator = scene.crew.operator
    with pytest.raises(ValidationFailed, match="先登记行政处罚决定"):
        services.followup_penalty_published(
            followup=fus["case"], published_on=LATER, actor=operator, today=LATER
        )
    decided = dt.date(2024, 4, 15)
    services.followup_penalty(
        followup=fus["case"],
        case_no="松建罚〔2024〕12号",
        penalty_decided_on=decided,
        actor=operator,
        today=LATER,
    )
    for wrong in (None, dt.date(2024, 4, 14), LATER + dt.timedelta(days=1)):
        with pytest.raises(ValidationFailed) as exc:
            services.followup_penalty_published(
                followup=fus["case"], published_on=wrong, actor=operator, today=LATER
            )
        assert "penalty_published_on" in exc.value.errors
    assert FollowUp.objects.get(pk=fus["case"].pk).penalty_published_on is None
    with pytest.raises(NotAllowed):
        services.followup_penalty_published(
            followup=fus["case"], published_on=LATER, actor=factories.user(), today=LATER
        )
    services.followup_penalty_published(
        followup=fus["case"], published_on=dt.date(2024, 4, 18), actor=operator, today=LATER
    )
    assert FollowUp.objects.get(pk=fus["case"].pk).penalty_published_on == dt.date(2024, 4, 18)
    assert Event.objects.filter(action="followup.penalty_published").count() == 1
    with pytest.raises(Conflict, match="不能改写"):
        services.followup_penalty_published(
            followup=fus["case"], published_on=LATER, actor=operator, today=LATER
        )
