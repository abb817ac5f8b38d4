"""`ssj demo` carries the demo visits through inspection to the portal: a published result
for each conclusion of 002 第二十六条 with its follow-ups, a correction signed by the
principal, an answered objection on the portal and one under review, visits left for
我的检查; and loading it a second time changes nothing."""

import pytest
from django.utils import timezone

from shuangsuiji.audit.services import chain_verify
from shuangsuiji.demo.draws import demo_codes
from shuangsuiji.demo.timeline import Timeline
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.inspection import selectors
from shuangsuiji.inspection.choices import (
    Conclusion,
    FindingOutcome,
    FollowUpKind,
    FollowUpStatus,
    VersionStatus,
    VisitStatus,
)
from shuangsuiji.inspection.models import (
    Evidence,
    Finding,
    FollowUp,
    Visit,
)

pytestmark = pytest.mark.django_db


def _this_year() -> list[str]:
    codes = demo_codes()
    return [codes.joint, codes.match]


def _current(conclusion: str) -> PublishedResult:
    return PublishedResult.objects.get(
        conclusion=conclusion,
        superseded_by__isnull=True,
        result__visit__lead_task__code__in=_this_year(),
    )


@pytest.mark.parametrize("conclusion", Conclusion.values)
def test_each_conclusion_has_a_current_published_result(demo, conclusion):
    row = _current(conclusion)
    assert row.version.status == VersionStatus.PUBLISHED
    assert row.version.result.current_id == row.version_id
    today = timezone.localdate()
    assert row.inspected_on.year == today.year and row.inspected_on < today and row.inspectors


def test_every_published_result_was_signed_by_the_whole_team_and_approved(demo):
    for row in PublishedResult.objects.select_related("version__result__visit"):
        visit = row.version.result.visit
        first = row.version.result.versions.get(number=1)
        assert first.signatures.count() == visit.members.count() >= 2
        assert first.reviewed_by.username in ("sj_reviewer", "zp_reviewer")
        points = Finding.objects.filter(visit=visit)
        if row.conclusion in (Conclusion.UNREACHABLE, Conclusion.UNCOOPERATIVE):
            # 002 第二十九条: concluded from evidence, a photo among it.
            assert Evidence.objects.filter(visit=visit, kind="photo").exists()
            assert all(f.note for f in points)
        else:
            assert not points.filter(outcome=FindingOutcome.UNCHECKED).exists()


def test_the_generated_evidence_files_are_real_and_stored_by_hash(demo):
    import hashlib

    photo = Evidence.objects.filter(kind="photo").first()
    document = Evidence.objects.filter(kind="document").first()
    for ev, magic in ((photo, b"\x89PNG\r\n\x1a\n"), (document, b"%PDF-")):
        data = (demo["media"] / ev.file.name).read_bytes()
        assert data.startswith(magic) and hashlib.sha256(data).hexdigest() == ev.sha256


def test_the_follow_ups_are_recorded(demo):
    this_year = FollowUp.objects.filter(version__result__visit__lead_task__code__in=_this_year())
    rectify = this_year.get(
        version__published__conclusion=Conclusion.RECTIFIED, kind=FollowUpKind.RECTIFY
    )
    assert rectify.rectify_deadline and rectify.recheck_on > rectify.rectify_deadline
    assert rectify.status == FollowUpStatus.DONE
    case = this_year.get(kind=FollowUpKind.CASE)
    assert case.version.conclusion == Conclusion.PENDING_FOLLOWUP and case.case_no
    # The penalty decision 15 working days after the inspection — once that day has come.
    decided = Timeline.now().add(case.version.inspected_on, 15)
    if decided < timezone.localdate():
        assert case.penalty_decided_on == decided
    else:
        assert case.penalty_decided_on is None and case.status != FollowUpStatus.DONE
    transfer = this_year.get(kind=FollowUpKind.TRANSFER)
    assert transfer.recipient.endswith("市场监督管理局") and transfer.status == FollowUpStatus.DONE
    assert "公安局" in this_year.get(kind=FollowUpKind.POLICE).recipient  # 市局或其分局
    assert "移送公安机关" in _current(Conclusion.FALSE_DISCLOSURE).followup_text


def test_a_correction_signed_by_the_principal_supersedes_the_first_copy(demo, client):
    old = PublishedResult.objects.get(superseded_by__isnull=False)
    new = old.superseded_by
    assert new.is_correction and new.correction_reason and new.summary != old.summary
    reviewer = {"SJJW": "sj_reviewer", "ZPZJ": "zp_reviewer"}[
        new.result.visit.lead_task.department.code
    ]
    assert new.version.principal_signed_by.username == reviewer
    assert old.version.status == VersionStatus.SUPERSEDED
    page = client.get(f"/public/results/{old.pk}/").content.decode()
    assert "已被更正" in page
    assert new.entity_name in client.get("/public/corrections/").content.decode()


def test_an_answered_objection_shows_its_outcome_on_the_portal(demo, client):
    answered = Objection.objects.get(status=ObjectionStatus.ANSWERED)
    assert answered.reviewed_by.username == "zp_reviewer" and answered.answer
    page = client.get(f"/public/results/{answered.published_id}/").content.decode()
    assert "异议处理结果" in page and answered.number in page and "予以维持" in page
    assert answered.contact not in page
    assert answered.number in client.get("/public/objections/").content.decode()


def test_one_objection_is_still_under_review(demo):
    pending = Objection.objects.get(status=ObjectionStatus.RECEIVED)
    assert pending.published.conclusion == Conclusion.FALSE_DISCLOSURE and not pending.review_note


def test_visits_are_left_for_my_assignments_and_the_reviewers(demo):
    statuses = set(Visit.objects.values_list("status", flat=True))
    assert {
        VisitStatus.PENDING,
        VisitStatus.IN_PROGRESS,
        VisitStatus.SIGNING,
        VisitStatus.REVIEW,
    } <= statuses
    from shuangsuiji.accounts.models import User

    mine = selectors.visits_mine(user=User.objects.get(username="zp_inspector"))
    assert mine.filter(status=VisitStatus.IN_PROGRESS).exists()


def test_a_second_load_changes_nothing(demo):
    assert demo["second"] == demo["first"]
    assert "本次办理0个检查" in demo["text"] and "公示检查结果8份" in demo["text"]
    assert chain_verify().ok
