"""更正 (002 第二十八条 第二款): a new version with the reason, signed by the principal of the
任务执行单位 and published at once; the old public copy stays visible, marked superseded."""

import datetime as dt

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.disclosure import selectors
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.disclosure.services import (
    correction_create,
    correction_discard,
    correction_sign,
    result_publish,
    version_assert_unpublished,
)
from shuangsuiji.inspection.choices import (
    Conclusion,
    FollowUpKind,
    NonCooperation,
    VersionKind,
    VersionStatus,
)
from shuangsuiji.inspection.models import ResultVersion
from tests import factories
from tests.factories.disclosure import formed_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    f = formed_scene(targets=1)
    f.row = result_publish(version=f.version, actor=f.operator)
    f.version.refresh_from_db()
    return f


def _correct(f, **kw):
    args = {
        "result": f.version.result,
        "reason": "复查发现检查日配电箱已整改",
        "actor": f.operator,
        "conclusion": Conclusion.NO_PROBLEM,
        "summary": "现场检查未发现问题。",
        "problems": "",
        "followups": [],
    } | kw
    return correction_create(**args)


def test_a_correction_is_a_new_version_awaiting_the_principal(published):
    f = published
    correction = _correct(f)
    assert correction.kind == VersionKind.CORRECTION and correction.number == 2
    assert (
        correction.status == VersionStatus.REVIEW
        and correction.reason == "复查发现检查日配电箱已整改"
    )
    assert (
        correction.conclusion == Conclusion.NO_PROBLEM
        and correction.summary == "现场检查未发现问题。"
    )
    assert correction.inspected_on == f.version.inspected_on and not correction.followups.exists()
    assert correction.principal_signed_by is None
    f.version.refresh_from_db()
    f.version.result.refresh_from_db()
    assert f.version.status == VersionStatus.PUBLISHED and f.version.result.current == f.version
    assert list(selectors.corrections_pending(user=f.reviewer)) == [correction]
    assert (
        Event.objects.get(action="result.correction_create").after["reason"]
        == "复查发现检查日配电箱已整改"
    )


def test_unchanged_fields_are_copied_from_the_current_version(published):
    f = published
    correction = _correct(
        f, conclusion=None, summary="更正后的检查情况。", problems=None, followups=None
    )
    assert (
        correction.conclusion == Conclusion.RECTIFIED and correction.problems == f.version.problems
    )
    assert [(x.kind, x.rectify_deadline) for x in correction.followups.all()] == [
        (FollowUpKind.RECTIFY, dt.date(2024, 4, 15))
    ]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"conclusion": "wrong"}, "conclusion"),
        ({"conclusion": Conclusion.UNCOOPERATIVE}, "non_cooperation"),
        ({"non_cooperation": NonCooperation.OBSTRUCT}, "non_cooperation"),
        ({"followups": [{"kind": FollowUpKind.RECTIFY}]}, "followups"),
        ({"followups": [{"kind": FollowUpKind.TRANSFER}]}, "followups"),
        ({"followups": [{"kind": "nonsense"}]}, "followups"),
        ({"conclusion": None, "summary": None, "problems": None, "followups": None}, "summary"),
    ],
)
def test_bad_correction_input_is_refused_and_writes_nothing(published, kw, field):
    with pytest.raises(ValidationFailed) as err:
        _correct(published, **kw)
    assert field in err.value.errors
    assert ResultVersion.objects.count() == 1


def test_correction_permission_owner_colleague_outsider(published):
    f = published
    colleague = factories.user(department=f.dept, role=Role.INSPECTOR)
    outsider = factories.user(department=factories.department(), role=Role.REVIEWER)
    for actor in (colleague, outsider):
        with pytest.raises(NotAllowed):
            _correct(f, actor=actor)
    assert ResultVersion.objects.count() == 1
    correction = _correct(f)  # owner
    for actor in (f.operator, colleague, outsider):  # only the principal (审核负责人) signs
        with pytest.raises(NotAllowed):
            correction_sign(version=correction, actor=actor)
    correction.refresh_from_db()
    assert correction.status == VersionStatus.REVIEW and correction.principal_signed_by is None


def test_an_unpublished_result_is_not_corrected_and_one_correction_waits_at_a_time(published):
    f = published
    _correct(f)
    with pytest.raises(Conflict) as err:
        _correct(f, summary="另一份更正")
    assert "待主要负责人签字" in err.value.message
    unpublished = formed_scene(targets=1)
    with pytest.raises(Conflict):
        _correct(unpublished)


def test_signing_publishes_the_correction_and_keeps_the_old_copy_visible_marked_superseded(
    published,
):
    f = published
    old_row = f.row
    old_fields = {
        fld.attname: getattr(old_row, fld.attname)
        for fld in PublishedResult._meta.concrete_fields
        if fld.attname not in ("superseded_by_id", "superseded_at")
    }
    correction = _correct(f)
    new_row = correction_sign(version=correction, actor=f.reviewer)

    correction.refresh_from_db()
    f.version.refresh_from_db()
    old_row.refresh_from_db()
    result = f.version.result
    result.refresh_from_db()
    assert (
        correction.status == VersionStatus.PUBLISHED
        and correction.principal_signed_by == f.reviewer
    )
    assert correction.principal_signed_at == new_row.published_at == correction.published_at
    assert new_row.is_correction and new_row.correction_reason == "复查发现检查日配电箱已整改"
    assert new_row.version_number == 2 and new_row.conclusion == Conclusion.NO_PROBLEM
    assert new_row.followup_text == "" and new_row.credit_code == old_row.credit_code
    assert (
        f.version.status == VersionStatus.SUPERSEDED
        and f.version.superseded_at == new_row.published_at
    )
    assert result.current == correction and result.first_published_at == old_row.published_at
    # The old copy is still there, unchanged except for the superseded mark.
    assert old_row.superseded_by == new_row and old_row.superseded_at == new_row.published_at
    assert {k: getattr(old_row, k) for k in old_fields} == old_fields
    by_code = list(selectors.published_results_for_code(code=old_row.credit_code.lower()))
    assert by_code == [new_row, old_row]
    assert list(
        selectors.published_results_for_code(code=old_row.credit_code, current_only=True)
    ) == [new_row]
    assert Event.objects.get(action="result.correction_sign").after["superseded_version"] == 1


def test_a_second_correction_supersedes_the_first(published):
    f = published
    first = correction_sign(version=_correct(f), actor=f.reviewer)
    second = correction_sign(
        version=_correct(f, summary="第二次更正后的检查情况。", reason="笔误"), actor=f.reviewer
    )
    first.refresh_from_db()
    assert first.superseded_by == second and second.version_number == 3
    assert (
        PublishedResult.objects.filter(result=f.version.result, superseded_by__isnull=True).get()
        == second
    )
    assert list(
        ResultVersion.objects.filter(result=f.version.result)
        .order_by("number")
        .values_list("status", flat=True)
    ) == [VersionStatus.SUPERSEDED, VersionStatus.SUPERSEDED, VersionStatus.PUBLISHED]


def test_signing_twice_is_refused(published):
    f = published
    correction = _correct(f)
    correction_sign(version=correction, actor=f.reviewer)
    with pytest.raises(Conflict) as err:
        correction_sign(version=correction, actor=f.reviewer)
    assert "不得擅自更改" in err.value.message
    assert PublishedResult.objects.filter(version=correction).count() == 1


def test_discarding_an_unsigned_correction_keeps_it_in_the_history(published):
    f = published
    correction = _correct(f)
    with pytest.raises(ValidationFailed):
        correction_discard(version=correction, reason="", actor=f.operator)
    correction_discard(version=correction, reason="内容填错，重新提出", actor=f.operator)
    correction.refresh_from_db()
    assert (
        correction.status == VersionStatus.RETURNED
        and correction.review_note == "内容填错，重新提出"
    )
    f.version.refresh_from_db()
    assert f.version.status == VersionStatus.PUBLISHED
    with pytest.raises(Conflict):
        correction_sign(version=correction, actor=f.reviewer)
    assert _correct(f).number == 3  # a new one may be proposed


def test_a_signed_correction_cannot_be_discarded(published):
    f = published
    correction = _correct(f)
    correction_sign(version=correction, actor=f.reviewer)
    with pytest.raises(Conflict):
        correction_discard(version=correction, reason="撤回", actor=f.reviewer)
    correction.refresh_from_db()
    assert correction.status == VersionStatus.PUBLISHED


def test_the_guard_refuses_published_and_superseded_versions(published):
    f = published
    with pytest.raises(Conflict) as err:
        version_assert_unpublished(version=f.version)
    assert "002 第二十八条" in err.value.message
    correction_sign(version=_correct(f), actor=f.reviewer)
    f.version.refresh_from_db()
    with pytest.raises(Conflict):
        version_assert_unpublished(version=f.version)
    version_assert_unpublished(version=formed_scene(targets=1).version)  # formed: not fixed yet


def test_the_teams_review_cannot_approve_or_return_a_correction(published):
    """Only the principal's signature forms a correction (002 第二十八条): the reviewer's
    审核通过/退回 of ordinary results must refuse it and change nothing."""
    from shuangsuiji.inspection.services import result_approve, result_return

    f = published
    correction = _correct(f)
    with pytest.raises(Conflict, match="更正版本"):
        result_approve(version=correction, actor=f.reviewer)
    with pytest.raises(Conflict, match="更正版本"):
        result_return(version=correction, actor=f.reviewer, note="退回")
    correction.refresh_from_db()
    f.version.result.refresh_from_db()
    assert correction.status == VersionStatus.REVIEW and f.version.result.current == f.version
