"""The result: draft rules, the consistency checks of submit, signing, withdrawal, review."""

import datetime as dt

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.inspection import services
from shuangsuiji.inspection.choices import Conclusion, FindingOutcome, VersionStatus, VisitStatus
from shuangsuiji.inspection.models import (
    Evidence,
    Finding,
    FollowUp,
    Result,
    ResultVersion,
    Signature,
)
from shuangsuiji.inspection.services import DraftInput, FollowUpInput
from tests import factories
from tests.factories.files import image
from tests.factories.inspection import (
    JPEG,
    PDF,
    TODAY,
    all_findings,
    dispatched_scene,
    in_review,
    started,
    submitted,
    upload,
)

pytestmark = pytest.mark.django_db

PNG_REAL = image("PNG")


@pytest.fixture
def scene():
    return dispatched_scene()


def _save(visit, actor, **fields):
    return services.result_draft_save(
        visit=visit, actor=actor, today=TODAY, data=DraftInput(**fields)
    )


def _draft(visit) -> ResultVersion:
    return ResultVersion.objects.get(result__visit=visit, status=VersionStatus.DRAFT)


def _errors(exc) -> dict:
    return exc.value.errors


# --- draft -------------------------------------------------------------------------------------


def test_a_draft_saves_its_content_and_follow_ups_and_is_audited(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=Conclusion.RECTIFIED,
        summary="现场检查",
        problems="临时用电不规范",
        followups=(
            FollowUpInput(
                kind="rectify",
                rectify_deadline=dt.date(2024, 3, 31),
                detail="限期整改",
                recipient="不该保存",
            ),
        ),
    )
    version = _draft(visit)
    assert (version.conclusion, version.problems) == (Conclusion.RECTIFIED, "临时用电不规范")
    fu = version.followups.get()
    assert (fu.kind, fu.rectify_deadline, fu.recipient) == ("rectify", dt.date(2024, 3, 31), "")
    _save(
        visit, leader, inspected_on=TODAY, conclusion=Conclusion.OTHER, summary="改", followups=None
    )
    assert version.followups.count() == 1  # None keeps the follow-ups
    assert Event.objects.filter(action="result.draft_save").count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"inspected_on": dt.date(2024, 2, 29)}, "inspected_on", "不能早于检查期间的开始日期"),
        ({"inspected_on": TODAY + dt.timedelta(days=1)}, "inspected_on", "不能晚于今天"),
        ({"conclusion": "bad"}, "conclusion", "八种结论"),
        ({"conclusion": Conclusion.UNCOOPERATIVE}, "non_cooperation", "第二十七条"),
        (
            {"conclusion": Conclusion.NO_PROBLEM, "non_cooperation": "refuse_entry"},
            "non_cooperation",
            "才选择",
        ),
        (
            {"followups": (FollowUpInput(kind="rectify"),)},
            "followups.0.rectify_deadline",
            "须填写整改期限",
        ),
        (
            {
                "inspected_on": TODAY,
                "followups": (
                    FollowUpInput(kind="rectify", rectify_deadline=TODAY - dt.timedelta(1)),
                ),
            },
            "followups.0.rectify_deadline",
            "不能早于检查日期",
        ),
        ({"followups": (FollowUpInput(kind="transfer"),)}, "followups.0.recipient", "移交"),
        ({"followups": (FollowUpInput(kind="police"),)}, "followups.0.recipient", "公安机关"),
        ({"followups": (FollowUpInput(kind="nonsense"),)}, "followups.0.kind", "处理方式"),
    ],
)
def test_a_draft_with_a_wrong_field_is_refused_and_changes_nothing(scene, fields, field, words):
    visit = started(scene)
    with pytest.raises(ValidationFailed) as exc:
        _save(visit, scene.members_users(visit)[0], summary="不会保存", **fields)
    assert any(words in m for m in _errors(exc)[field]), _errors(exc)
    version = _draft(visit)
    assert version.summary == "" and not version.followups.exists()


def test_a_case_follow_up_needs_no_case_number(scene):
    visit = started(scene)
    _save(visit, scene.members_users(visit)[0], followups=(FollowUpInput(kind="case"),))
    assert _draft(visit).followups.get().kind == "case"


def test_an_outsider_cannot_write_the_draft(scene):
    visit = started(scene)
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    with pytest.raises(NotAllowed):
        _save(visit, outsider, summary="x")
    with pytest.raises(NotAllowed):  # the reviewer approves, he does not write
        _save(visit, scene.crew.reviewer, summary="x")


# --- submit: the consistency checks ------------------------------------------------------------


def _submit(visit, actor):
    return services.result_submit(version=_draft(visit), actor=actor, today=TODAY)


def test_submit_needs_date_conclusion_and_summary(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    with pytest.raises(ValidationFailed) as exc:
        _submit(visit, leader)
    assert set(_errors(exc)) >= {"inspected_on", "conclusion", "summary"}
    assert _draft(visit).status == VersionStatus.DRAFT
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS


def test_submit_needs_every_check_point_decided(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    _save(visit, leader, inspected_on=TODAY, conclusion=Conclusion.NO_PROBLEM, summary="检查")
    with pytest.raises(ValidationFailed) as exc:
        _submit(visit, leader)
    assert "尚未检查" in _errors(exc)["findings"][0] and "第1项" in _errors(exc)["findings"][0]
    all_findings(visit, actor=leader)
    assert _submit(visit, leader).status == VersionStatus.SIGNING


@pytest.mark.parametrize("conclusion", [Conclusion.UNREACHABLE, Conclusion.UNCOOPERATIVE])
def test_evidence_only_conclusions_need_evidence_instead_of_findings(scene, conclusion):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    extra = {"non_cooperation": "refuse_entry"} if conclusion == Conclusion.UNCOOPERATIVE else {}
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=conclusion,
        summary="无法开展实质性检查",
        **extra,
    )
    with pytest.raises(ValidationFailed) as exc:
        _submit(visit, leader)
    assert "第二十九条" in _errors(exc)["evidence"][0] and "findings" not in _errors(exc)
    services.evidence_upload(
        visit=visit, upload=upload("门店照片.jpg", JPEG), kind="photo", actor=leader
    )
    assert _submit(visit, leader).status == VersionStatus.SIGNING  # no finding was decided


def test_no_problem_contradicts_a_problem_finding(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    all_findings(visit, actor=leader)
    f = Finding.objects.filter(visit=visit).first()
    services.findings_record(
        visit=visit,
        actor=leader,
        entries=[
            services.FindingInput(item_id=f.item_id, point=f.point, outcome="problem", note="无证")
        ],
    )
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=Conclusion.NO_PROBLEM,
        summary="检查",
        problems="无证",
    )
    with pytest.raises(ValidationFailed) as exc:
        _submit(visit, leader)
    assert "不能为“未发现问题”" in _errors(exc)["conclusion"][0]


def test_a_problem_finding_needs_the_problems_text(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    all_findings(visit, outcome=FindingOutcome.PROBLEM, actor=leader)
    _save(visit, leader, inspected_on=TODAY, conclusion=Conclusion.OTHER, summary="检查")
    with pytest.raises(ValidationFailed) as exc:
        _submit(visit, leader)
    assert list(_errors(exc)) == ["problems"]


def test_rectified_needs_a_rectify_follow_up(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    all_findings(visit, outcome=FindingOutcome.PROBLEM, actor=leader)
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=Conclusion.RECTIFIED,
        summary="检查",
        problems="问题",
        followups=(FollowUpInput(kind="case"),),
    )
    with pytest.raises(ValidationFailed) as exc:
        _submit(visit, leader)
    assert "责令改正" in _errors(exc)["followups"][0]
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=Conclusion.RECTIFIED,
        summary="检查",
        problems="问题",
        followups=(FollowUpInput(kind="rectify", rectify_deadline=TODAY),),
    )
    assert _submit(visit, leader).status == VersionStatus.SIGNING


def test_pending_followup_needs_at_least_one_follow_up(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    all_findings(visit, outcome=FindingOutcome.PROBLEM, actor=leader)
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=Conclusion.PENDING_FOLLOWUP,
        summary="检查",
        problems="问题",
    )
    with pytest.raises(ValidationFailed) as exc:
        _submit(visit, leader)
    assert "至少填写一项后续处理" in _errors(exc)["followups"][0]


def test_submit_moves_version_and_visit_to_signing(scene):
    visit, version = submitted(scene)
    visit.refresh_from_db()
    assert (version.status, visit.status) == (VersionStatus.SIGNING, VisitStatus.SIGNING)
    assert version.submitted_at is not None
    with pytest.raises(Conflict):
        services.result_submit(version=version, actor=scene.members_users(visit)[0], today=TODAY)


# --- edits after submit ------------------------------------------------------------------------


def test_nothing_is_edited_once_submitted(scene):
    visit, version = submitted(scene)
    leader = scene.members_users(visit)[0]
    f = Finding.objects.filter(visit=visit).first()
    attempts = [
        lambda: _save(visit, leader, summary="改"),
        lambda: services.findings_record(
            visit=visit,
            actor=leader,
            entries=[
                services.FindingInput(
                    item_id=f.item_id, point=f.point, outcome="problem", note="改"
                )
            ],
        ),
        lambda: services.evidence_upload(
            visit=visit, upload=upload("a.jpg", JPEG), kind="photo", actor=leader
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as exc:
            attempt()
        assert exc.value.message == services.EDIT_REFUSED
    version.refresh_from_db()
    assert version.summary == "现场检查安全生产条件，未发现问题"
    assert Finding.objects.get(pk=f.pk).outcome == FindingOutcome.COMPLIANT


# --- signing -----------------------------------------------------------------------------------


def test_each_member_signs_for_himself_and_the_last_sends_it_to_review(scene):
    visit, version = submitted(scene)
    leader, member = scene.members_users(visit)
    services.result_sign(version=version, actor=leader)
    version.refresh_from_db()
    assert version.status == VersionStatus.SIGNING
    with pytest.raises(Conflict, match="已签字确认"):
        services.result_sign(version=version, actor=leader)
    with pytest.raises(NotAllowed, match="本人"):
        services.result_sign(version=version, actor=scene.crew.operator)
    services.result_sign(version=version, actor=member)
    version.refresh_from_db()
    visit.refresh_from_db()
    assert (version.status, visit.status) == (VersionStatus.REVIEW, VisitStatus.REVIEW)
    assert Signature.objects.filter(version=version, on_paper=False).count() == 2
    assert Event.objects.filter(action="result.signed_all").count() == 1


def test_a_draft_cannot_be_signed(scene):
    visit = started(scene)
    with pytest.raises(Conflict, match="不在签字确认阶段"):
        services.result_sign(version=_draft(visit), actor=scene.members_users(visit)[0])


def test_a_member_without_account_signs_on_paper_through_the_leader_or_operator(scene, media_root):
    visit, version = submitted(scene)
    leader, member_user = scene.members_users(visit)
    member = visit.members.get(inspector__user=member_user)
    with pytest.raises(ValidationFailed, match="须本人签字确认"):
        services.result_sign_on_paper(
            version=version, member=member, actor=leader, scan=upload("签字页.jpg", JPEG)
        )
    member.inspector.user = None
    member.inspector.save(update_fields=["user"])
    with pytest.raises(NotAllowed):
        services.result_sign_on_paper(
            version=version,
            member=member,
            actor=scene.crew.reviewer,
            scan=upload("签字页.jpg", JPEG),
        )
    assert not Evidence.objects.filter(visit=visit).exists()  # refused: no file kept either
    assert not [f for f in media_root.rglob("*") if f.is_file()]  # the stored scan removed
    services.result_sign_on_paper(
        version=version, member=member, actor=scene.crew.operator, scan=upload("签字页.pdf", PDF)
    )
    sig = Signature.objects.select_related("scan").get(version=version, member=member)
    assert sig.on_paper and sig.signed_by == scene.crew.operator
    assert sig.scan.visit == visit and sig.scan.original_name == "签字页.pdf"
    assert sig.scan.kind == "document" and "纸质签字页扫描件" in sig.scan.description
    assert sig.scan.file.read() == PDF
    sign_event = Event.objects.filter(action="result.sign").order_by("-seq").first()
    assert sign_event.after["on_paper"] and sign_event.after["scan"] == sig.scan.sha256
    assert Event.objects.filter(action="evidence.upload", object_id=str(sig.scan.pk)).exists()
    services.result_sign(version=version, actor=leader)
    version.refresh_from_db()
    assert version.status == VersionStatus.REVIEW


@pytest.mark.parametrize(
    "scan,words",
    [
        (None, "须上传该成员签字的纸质页扫描件"),
        (("签字页.docx", b"PK\x03\x04" + b"0" * 100), "签字页扫描件只接受以下格式"),
        (("签字页.jpg", b"not a picture at all"), "扩展名与文件内容不符"),
        (("签字页.png", b""), "空文件"),
    ],
)
def test_a_paper_signature_without_a_real_scan_is_refused_and_changes_nothing(
    scene, media_root, scan, words
):
    visit, version = submitted(scene)
    member = visit.members.exclude(is_leader=True).first()
    member.inspector.user = None
    member.inspector.save(update_fields=["user"])
    events = Event.objects.count()
    with pytest.raises(ValidationFailed, match=words) as exc:
        services.result_sign_on_paper(
            version=version,
            member=member,
            actor=scene.crew.operator,
            scan=upload(*scan) if scan else None,
        )
    assert exc.value.field == "scan"
    assert not Signature.objects.filter(version=version).exists()
    assert not Evidence.objects.filter(visit=visit).exists()
    assert Event.objects.count() == events
    version.refresh_from_db()
    assert version.status == VersionStatus.SIGNING


def test_the_scan_of_a_paper_signature_cannot_be_deleted_after_a_withdrawal(scene, media_root):
    visit, version = submitted(scene)
    leader = scene.members_users(visit)[0]
    member = visit.members.exclude(is_leader=True).first()
    member.inspector.user = None
    member.inspector.save(update_fields=["user"])
    sig = services.result_sign_on_paper(
        version=version, member=member, actor=leader, scan=upload("签字页.png", PNG_REAL)
    )
    services.result_withdraw(version=version, actor=leader, reason="补充检查情况")
    with pytest.raises(Conflict, match="纸质签字页的扫描件"):
        services.evidence_delete(evidence=sig.scan, actor=leader)
    assert Evidence.objects.filter(pk=sig.scan_id).exists()


def test_the_leader_withdraws_while_signing_and_a_new_draft_copies_the_content(scene):
    visit, version = submitted(scene)
    leader, member = scene.members_users(visit)
    services.result_sign(version=version, actor=member)
    with pytest.raises(NotAllowed, match="只有组长"):
        services.result_withdraw(version=version, actor=member)
    draft = services.result_withdraw(version=version, actor=leader, reason="检查日期填错")
    version.refresh_from_db()
    visit.refresh_from_db()
    assert version.status == VersionStatus.RETURNED and version.signatures.count() == 1
    assert (draft.number, draft.status, draft.summary) == (2, VersionStatus.DRAFT, version.summary)
    assert draft.signatures.count() == 0 and visit.status == VisitStatus.IN_PROGRESS
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=Conclusion.NO_PROBLEM,
        summary="改正后的检查情况",
    )
    draft.refresh_from_db()
    version.refresh_from_db()
    assert draft.summary == "改正后的检查情况" and version.summary != draft.summary


def test_follow_ups_are_copied_to_the_new_draft(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    all_findings(visit, outcome=FindingOutcome.PROBLEM, actor=leader)
    _save(
        visit,
        leader,
        inspected_on=TODAY,
        conclusion=Conclusion.PENDING_FOLLOWUP,
        summary="检查",
        problems="问题",
        followups=(
            FollowUpInput(kind="transfer", recipient="区市场监管局", detail="移交无照经营线索"),
        ),
    )
    version = _submit(visit, leader)
    draft = services.result_withdraw(version=version, actor=leader)
    assert list(draft.followups.values_list("kind", "recipient")) == [("transfer", "区市场监管局")]
    assert FollowUp.objects.filter(version=version).count() == 1


# --- review ------------------------------------------------------------------------------------


def test_the_reviewer_approves_and_the_result_is_formed(scene):
    visit, version = in_review(scene)
    with pytest.raises(NotAllowed):
        services.result_approve(version=version, actor=scene.crew.operator)
    other_reviewer = factories.user(department=factories.department(), role=Role.REVIEWER)
    with pytest.raises(NotAllowed):
        services.result_approve(version=version, actor=other_reviewer)
    services.result_approve(version=version, actor=scene.crew.reviewer, note="同意")
    version.refresh_from_db()
    visit.refresh_from_db()
    result = Result.objects.get(visit=visit)
    assert version.status == VersionStatus.FORMED and version.reviewed_by == scene.crew.reviewer
    assert (
        result.current == version
        and result.formed_at is not None
        and visit.status == VisitStatus.FORMED
    )
    with pytest.raises(Conflict):
        services.result_return(version=version, actor=scene.crew.reviewer, note="晚了")
    with pytest.raises(Conflict) as exc:
        _save(visit, scene.members_users(visit)[0], summary="改")
    assert exc.value.message == services.EDIT_REFUSED


def test_a_reviewer_of_a_parent_department_may_approve(scene):
    parent = factories.department()
    scene.crew.dept.parent = parent
    scene.crew.dept.save()
    boss = factories.user(department=parent, role=Role.REVIEWER)
    visit, version = in_review(scene)
    services.result_approve(version=version, actor=boss)
    version.refresh_from_db()
    assert version.status == VersionStatus.FORMED


def test_the_reviewer_returns_with_a_note_and_a_new_draft_opens(scene):
    visit, version = in_review(scene)
    with pytest.raises(ValidationFailed) as exc:
        services.result_return(version=version, actor=scene.crew.reviewer, note="  ")
    assert "note" in exc.value.errors
    version.refresh_from_db()
    assert version.status == VersionStatus.REVIEW
    draft = services.result_return(
        version=version, actor=scene.crew.reviewer, note="检查情况过于简单"
    )
    version.refresh_from_db()
    visit.refresh_from_db()
    assert (version.status, version.review_note) == (VersionStatus.RETURNED, "检查情况过于简单")
    assert (
        draft.number == 2
        and draft.status == VersionStatus.DRAFT
        and visit.status == VisitStatus.IN_PROGRESS
    )
    assert version.signatures.count() == 2 and Result.objects.get(visit=visit).current is None
