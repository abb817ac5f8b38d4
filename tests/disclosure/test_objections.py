"""异议 (002 第二十八条 第三款): reviewed within 20 working days of receipt (UPHELD goes
with a correction, REJECTED keeps the result), answered within 15 of the review."""

import datetime as dt

import pytest
from django.core.paginator import Paginator
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.disclosure import selectors
from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.disclosure.models import Objection
from shuangsuiji.disclosure.selectors import PUBLIC_OUTCOME_FIELDS
from shuangsuiji.disclosure.services import (
    correction_create,
    correction_discard,
    correction_sign,
    objection_answer,
    objection_review,
    result_publish,
)
from shuangsuiji.inspection.choices import Conclusion, VersionKind, VersionStatus
from shuangsuiji.inspection.models import ResultVersion
from tests import factories
from tests.factories.disclosure import TZ, formed_scene, objection

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed():
    f = formed_scene(targets=1)
    f.row = result_publish(version=f.version, actor=f.operator)
    f.objection = objection(f.row)
    return f


def _uphold(f, **kw):
    args = {
        "objection": f.objection,
        "decision": ObjectionDecision.UPHELD,
        "note": "经复查，检查当日已安装漏电保护器",
        "actor": f.reviewer,
        "edits": {"conclusion": Conclusion.NO_PROBLEM, "problems": ""},
    } | kw
    return objection_review(**args)


def test_upholding_creates_the_correction_linked_to_the_objection(filed):
    f = filed
    _uphold(f)
    f.objection.refresh_from_db()
    assert (
        f.objection.status == ObjectionStatus.UPHELD
        and f.objection.decision == ObjectionDecision.UPHELD
    )
    assert f.objection.reviewed_by == f.reviewer and f.objection.review_note.startswith("经复查")
    correction = ResultVersion.objects.get(kind=VersionKind.CORRECTION)
    assert correction.objection == f.objection and correction.status == VersionStatus.REVIEW
    assert (
        correction.conclusion == Conclusion.NO_PROBLEM and f.objection.number in correction.reason
    )
    assert Event.objects.get(action="objection.review").after["correction_version"] == 2


def test_upholding_may_link_a_correction_already_proposed(filed):
    f = filed
    proposed = correction_create(
        result=f.version.result, reason="自查发现错误", actor=f.operator, summary="更正后的检查情况"
    )
    _uphold(f, edits=None, correction=proposed)
    proposed.refresh_from_db()
    assert proposed.objection == f.objection
    assert ResultVersion.objects.filter(kind=VersionKind.CORRECTION).count() == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"edits": None}, "correction"),
        ({"decision": "maybe"}, "decision"),
        ({"note": " "}, "note"),
        ({"decision": ObjectionDecision.REJECTED}, "correction"),
        ({"edits": {"conclusion": "bad"}}, "conclusion"),
        ({"edits": {"colour": "red"}}, "edits"),
    ],
)
def test_bad_review_input_is_refused_and_changes_nothing(filed, kw, field):
    with pytest.raises(ValidationFailed) as err:
        _uphold(filed, **kw)
    assert field in err.value.errors
    filed.objection.refresh_from_db()
    assert filed.objection.status == ObjectionStatus.RECEIVED and not filed.objection.decision
    assert ResultVersion.objects.count() == 1


def test_rejecting_keeps_the_result_then_the_answer_closes_it(filed):
    f = filed
    objection_review(
        objection=f.objection,
        decision=ObjectionDecision.REJECTED,
        note="检查记录与照片一致，维持",
        actor=f.reviewer,
    )
    f.objection.refresh_from_db()
    assert f.objection.status == ObjectionStatus.REJECTED
    assert ResultVersion.objects.count() == 1 and f.version.result.current == f.version
    with pytest.raises(Conflict):
        _uphold(f)
    objection_answer(
        objection=f.objection, answer="经复核，检查结果无误，予以维持。", actor=f.operator
    )
    f.objection.refresh_from_db()
    assert f.objection.status == ObjectionStatus.ANSWERED and f.objection.answered_by == f.operator
    with pytest.raises(Conflict):
        objection_answer(objection=f.objection, answer="再次反馈", actor=f.operator)


def test_an_upheld_objection_is_answered_after_its_correction_is_signed(filed):
    f = filed
    _uphold(f)
    with pytest.raises(Conflict) as err:
        objection_answer(objection=f.objection, answer="已更正", actor=f.operator)
    assert "签字" in err.value.message
    correction_sign(
        version=ResultVersion.objects.get(kind=VersionKind.CORRECTION), actor=f.reviewer
    )
    objection_answer(objection=f.objection, answer="经复核确有错误，已更正公示。", actor=f.operator)
    f.objection.refresh_from_db()
    assert f.objection.status == ObjectionStatus.ANSWERED


def test_a_discarded_correction_can_be_replaced_for_an_upheld_objection(filed):
    f = filed
    _uphold(f)
    correction_discard(
        version=ResultVersion.objects.get(kind=VersionKind.CORRECTION),
        reason="填错",
        actor=f.operator,
    )
    again = correction_create(
        result=f.version.result,
        reason="重新更正",
        actor=f.operator,
        summary="新的检查情况",
        objection=f.objection,
    )
    correction_sign(version=again, actor=f.reviewer)
    objection_answer(objection=f.objection, answer="已更正", actor=f.operator)


def test_answering_before_review_is_refused(filed):
    with pytest.raises(Conflict):
        objection_answer(objection=filed.objection, answer="反馈", actor=filed.operator)
    with pytest.raises(ValidationFailed):
        objection_answer(objection=filed.objection, answer="", actor=filed.operator)


def test_objection_permission_owner_colleague_outsider(filed):
    f = filed
    colleague = factories.user(department=f.dept, role=Role.WITNESS)
    outsider = factories.user(department=factories.department(), role=Role.REVIEWER)
    for actor in (f.operator, colleague, outsider):  # review: the principal only
        with pytest.raises(NotAllowed):
            _uphold(f, actor=actor)
    f.objection.refresh_from_db()
    assert f.objection.status == ObjectionStatus.RECEIVED
    objection_review(
        objection=f.objection, decision=ObjectionDecision.REJECTED, note="维持", actor=f.reviewer
    )
    for actor in (colleague, outsider):
        with pytest.raises(NotAllowed):
            objection_answer(objection=f.objection, answer="反馈", actor=actor)
    objection_answer(objection=f.objection, answer="反馈", actor=f.operator)


def test_due_dates_count_working_days_across_national_day_and_its_make_up_saturdays(filed):
    """Received Friday 2024-09-27: Sunday 29 Sep is worked (调休), 1–7 Oct off, Saturday
    12 Oct worked. The 20th working day is Wednesday 30 October (calendar counting with
    the weekends alone would give 25 October)."""
    f = filed
    due = selectors.objection_due_dates(objection=f.objection, today=dt.date(2024, 10, 29))
    assert (
        due.review.date == dt.date(2024, 10, 30)
        and due.review.days_left == 1
        and not due.review.overdue
    )
    assert due.answer.date is None
    assert selectors.objection_due_dates(
        objection=f.objection, today=dt.date(2024, 10, 31)
    ).review.overdue
    objection_review(
        objection=f.objection, decision=ObjectionDecision.REJECTED, note="维持", actor=f.reviewer
    )
    # Reviewed Monday 30 September: 15 working days count Saturday 12 October → Friday 25 October.
    Objection.objects.filter(pk=f.objection.pk).update(
        reviewed_at=dt.datetime(2024, 9, 30, 16, tzinfo=TZ)
    )
    f.objection.refresh_from_db()
    due = selectors.objection_due_dates(objection=f.objection, today=dt.date(2024, 10, 24))
    assert due.answer.date == dt.date(2024, 10, 25) and due.answer.days_left == 1
    assert due.review.date == dt.date(2024, 10, 30) and due.review.days_left is None  # done


def test_due_dates_in_a_year_without_calendar_are_provisional_and_say_so(filed):
    o = objection(filed.row, received_on=dt.date(2099, 12, 20))
    due = selectors.objection_due_dates(objection=o, today=dt.date(2099, 12, 21))
    # Sunday 2099-12-20 + 20 working days, Monday–Friday through two unknown years.
    assert (due.review.date, due.review.days_left) == (dt.date(2100, 1, 15), 19)
    assert due.review.note == "暂按双休日推算，待2099、2100年节假日安排录入后自动更正"


def test_a_reviewed_objection_shows_its_review_date_without_a_warning(filed):
    o = objection(filed.row, received_on=dt.date(2099, 12, 20))
    o.status = ObjectionStatus.REJECTED
    due = selectors.objection_due_dates(objection=o, today=dt.date(2100, 2, 1))
    assert (due.review.date, due.review.note, due.review.days_left) == (
        dt.date(2100, 1, 15),
        "",
        None,
    )


def test_public_outcomes_hold_answered_objections_without_the_applicant(filed):
    f = filed
    other = objection(f.row, applicant="王五", contact="13700001111")  # still RECEIVED: not public
    _uphold(f)
    new_row = correction_sign(
        version=ResultVersion.objects.get(kind=VersionKind.CORRECTION), actor=f.reviewer
    )
    objection_answer(
        objection=f.objection,
        answer="李四：经复核确有错误，已更正公示。如有疑问请回电13800138000。",
        actor=f.operator,
    )
    rows = list(selectors.objection_outcomes_public())
    assert len(rows) == 1
    [row] = rows
    assert tuple(row) == PUBLIC_OUTCOME_FIELDS
    assert row["number"] == f.objection.number and row["entity_name"] == f.row.entity_name
    assert row["published_id"] == f.row.pk and row["correction_published_id"] == new_row.pk
    assert (
        row["decision"] == ObjectionDecision.UPHELD
        and row["decision_label"] == "确有错误，予以更正"
    )
    f.objection.refresh_from_db()
    assert row["reviewed_on"] == timezone.localtime(f.objection.reviewed_at).date()
    assert row["answer"] == "申请人：经复核确有错误，已更正公示。如有疑问请回电（联系电话）。"
    assert row["version_number"] == 1
    text = repr(rows)
    for secret in ("李四", "13800138000", "王五", "13700001111", other.number):
        assert secret not in text
    assert list(selectors.objection_outcomes_public(credit_code="nothing")) == []
    page = Paginator(
        selectors.objection_outcomes_public(credit_code=f.row.credit_code.lower()), 10
    ).page(1)
    assert [r["number"] for r in page] == [f.objection.number]
