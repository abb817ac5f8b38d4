"""Objections filed on the portal (002 第二十八条) and the form's rate limit."""

import datetime as dt
import hashlib
import hmac

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PortalSubmission
from shuangsuiji.disclosure.portal_services import (
    RateLimited,
    client_key,
    objection_deadlines,
    objection_file,
)
from tests.factories.portal import published_scene

pytestmark = pytest.mark.django_db

CLIENT = client_key(address="203.0.113.7")
TODAY = dt.date(2024, 5, 6)


@pytest.fixture
def pub():
    return published_scene()


def _file(row, **over):
    args = dict(
        published=row,
        credit_code=row.credit_code,
        applicant="上海某建筑公司 张经理",
        contact="13512345678",
        content="检查结论与现场实际不符。",
        client=CLIENT,
        today=TODAY,
    )
    args.update(over)
    return objection_file(**args)


def _counts():
    return Objection.objects.count(), PortalSubmission.objects.count(), Event.objects.count()


# --- objection_file ------------------------------------------------------------------------


def test_it_files_an_objection_received_today_with_a_number_and_a_masked_audit_event(pub):
    row = pub.rows[2]
    objection = _file(row)
    objection.refresh_from_db()
    assert objection.number == f"YY-{objection.pk:06d}"
    assert objection.status == ObjectionStatus.RECEIVED and objection.received_on == TODAY
    assert objection.published == row and objection.result_id == row.result_id
    assert objection.contact == "13512345678"  # kept for the department's staff
    event = Event.objects.get(action="objection.file", object_id=str(objection.pk))
    assert event.department_id == row.department_id
    assert event.after["contact"] == "135****5678" and "13512345678" not in str(event.after)
    assert event.after["number"] == objection.number
    assert PortalSubmission.objects.get(client=CLIENT).accepted is True


def test_received_on_is_today_in_shanghai_by_default(pub):
    objection = _file(pub.rows[2], today=None)
    assert objection.received_on == timezone.localdate()


def test_numbers_are_unique(pub):
    first = _file(pub.rows[1])
    second = _file(pub.rows[2], client=client_key(address="198.51.100.1"))
    assert (
        first.number != second.number and first.number.startswith("YY-") and len(first.number) == 9
    )


def test_it_normalises_the_credit_code_typed_in_lower_case_and_full_width(pub):
    row = pub.rows[2]
    typed = " " + row.credit_code.lower().replace("1", "１") + " "
    assert _file(row, credit_code=typed).credit_code == row.credit_code


def test_it_refuses_the_credit_code_of_another_entity_and_files_nothing(pub):
    row = pub.rows[2]
    before = Objection.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        _file(row, credit_code=pub.rows[1].credit_code)
    assert "统一社会信用代码与该检查结果的检查对象不一致" in exc.value.errors["credit_code"][0]
    assert Objection.objects.count() == before
    # The attempt itself is counted (that is what stops guessing), and not as accepted.
    assert list(PortalSubmission.objects.values_list("accepted", flat=True)) == [False]


@pytest.mark.parametrize(
    "contact",
    [
        "13512345678",
        "135 1234 5678",
        "+86 13512345678",
        "021-57681234",
        "02157681234",
        "57681234",
        "0592-5123456-801",
        "（021）57681234",
    ],
)
def test_it_accepts_a_mobile_or_a_landline(pub, contact):
    assert _file(pub.rows[2], contact=contact).pk


@pytest.mark.parametrize(
    "contact", ["", "1351234567", "12512345678", "abc", "021-123", "135123456789"]
)
def test_it_refuses_a_bad_phone_number(pub, contact):
    with pytest.raises(ValidationFailed) as exc:
        _file(pub.rows[2], contact=contact)
    assert "contact" in exc.value.errors
    assert Objection.objects.filter(published=pub.rows[2]).count() == 0


def test_it_refuses_content_over_2000_characters_and_an_empty_applicant(pub):
    with pytest.raises(ValidationFailed) as exc:
        _file(pub.rows[2], content="字" * 2001, applicant=" ")
    assert "2000" in exc.value.errors["content"][0] and "applicant" in exc.value.errors
    assert _file(pub.rows[2], content="字" * 2000).pk


def test_it_refuses_an_objection_to_a_superseded_result(pub):
    with pytest.raises(Conflict) as exc:
        _file(pub.superseded, credit_code=pub.superseded.credit_code)
    assert "已被更正" in exc.value.message
    assert not Objection.objects.filter(
        published=pub.superseded, status=ObjectionStatus.RECEIVED
    ).exists()


# --- rate limit ----------------------------------------------------------------------------


def test_a_fourth_accepted_objection_in_24_hours_is_refused_and_writes_nothing(pub):
    for _ in range(3):
        _file(pub.rows[2])
    counts = _counts()
    with pytest.raises(RateLimited) as exc:
        _file(pub.rows[2])
    assert exc.value.status == 429 and "24小时内最多提交3件" in exc.value.message
    assert _counts() == counts
    assert _file(
        pub.rows[2], client=client_key(address="198.51.100.9")
    ).pk  # another client is not limited


def test_the_eleventh_attempt_in_an_hour_is_refused(pub):
    for _ in range(10):
        with pytest.raises(ValidationFailed):
            _file(pub.rows[2], contact="bad")
    counts = _counts()
    with pytest.raises(RateLimited) as exc:
        _file(pub.rows[2])
    assert "每小时最多提交10次" in exc.value.message and _counts() == counts


def test_attempts_older_than_the_windows_do_not_count(pub):
    for _ in range(7):
        with pytest.raises(ValidationFailed):
            _file(pub.rows[2], contact="bad")
    for _ in range(3):
        _file(pub.rows[2])
    with pytest.raises(RateLimited):
        _file(pub.rows[2])
    PortalSubmission.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert _file(pub.rows[2]).pk


def test_the_client_is_a_keyed_hash_of_the_address_never_the_address():
    expected = hmac.new(settings.SECRET_KEY.encode(), b"203.0.113.7", hashlib.sha256).hexdigest()
    assert client_key(address="203.0.113.7") == expected and "203.0.113.7" not in expected
    assert client_key(address="203.0.113.8") != expected


# --- deadlines -----------------------------------------------------------------------------


def test_deadlines_count_working_days_on_the_chinese_calendar():
    # Received Mon 2024-05-06: 20 working days, counting the make-up Saturday 5-11 → Fri 5-31;
    # 15 more, skipping 端午 (6-10) → 2024-06-24.
    d = objection_deadlines(received_on=dt.date(2024, 5, 6))
    assert (d.review_by, d.answer_by, d.provisional, d.note) == (
        dt.date(2024, 5, 31),
        dt.date(2024, 6, 24),
        False,
        "",
    )


def test_deadlines_in_a_year_without_calendar_data_are_provisional_and_labelled():
    d = objection_deadlines(received_on=dt.date(2031, 3, 3))
    assert (d.review_by, d.answer_by) == (dt.date(2031, 3, 31), dt.date(2031, 4, 21))
    assert d.provisional and d.note == "暂按双休日推算，待2031年节假日安排录入后自动更正"


# --- the form on the result page ---------------------------------------------------------------


def _post(client, row, **over):
    data = dict(
        credit_code=row.credit_code, applicant="张经理", contact="13512345678", content="结论有误。"
    )
    data.update(over)
    return client.post(
        reverse("portal:objection_submit", args=[row.pk]), data, REMOTE_ADDR="192.0.2.10"
    )


def test_filing_on_the_result_page_shows_the_receipt_with_number_and_due_dates(client, pub):
    row = pub.rows[2]
    response = _post(client, row)
    assert response.status_code == 302
    receipt = client.get(response["Location"])
    objection = Objection.objects.get(published=row)
    body = receipt.content.decode()
    assert objection.number in body and "复核期限" in body and "个工作日" in body
    assert "13512345678" not in body
    assert "no-store" in response["Cache-Control"]
    expected = client_key(address="192.0.2.10")
    assert PortalSubmission.objects.get().client == expected


def test_the_receipt_shows_provisional_dates_when_the_year_is_unknown(client, pub):
    from django.core import signing

    objection = _file(pub.rows[2], today=dt.date(2031, 3, 3))
    token = signing.dumps(objection.number, salt="portal.objection.receipt")
    body = client.get(reverse("portal:objection_received"), {"t": token}).content.decode()
    assert objection.number in body and "2031年3月31日" in body and "2031年4月21日" in body
    assert "暂按双休日推算，待2031年节假日安排录入后自动更正" in body


def test_a_receipt_filed_in_december_2026_shows_the_dates_and_that_they_are_provisional(
    client, pub, time_machine
):
    # The day CI first failed: the review deadline falls in January 2027, not yet entered.
    time_machine.move_to(dt.datetime(2026, 12, 5, 10))
    response = _post(client, pub.rows[2])
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    objection = Objection.objects.get(published=pub.rows[2])
    assert objection.received_on == dt.date(2026, 12, 5)
    assert "复核期限" in body and "2027年1月1日" in body and "反馈期限" in body
    assert "暂按双休日推算，待2027年节假日安排录入后自动更正" in body


def test_a_forged_receipt_link_is_404(client, pub):
    assert client.get(reverse("portal:objection_received"), {"t": "YY-000001"}).status_code == 404


def test_a_wrong_credit_code_is_shown_beside_the_field_in_chinese(client, pub):
    response = _post(client, pub.rows[2], credit_code=pub.rows[1].credit_code)
    assert response.status_code == 422
    body = response.content.decode()
    assert "统一社会信用代码与该检查结果的检查对象不一致" in body
    assert 'value="张经理"' in body and "结论有误。</textarea>" in body  # what was typed stays
    assert not Objection.objects.filter(published=pub.rows[2]).exists()


def test_over_the_limit_the_form_answers_429_in_chinese_and_writes_nothing(client, pub):
    for _ in range(3):
        assert _post(client, pub.rows[2]).status_code == 302
    counts = _counts()
    response = _post(client, pub.rows[2])
    assert response.status_code == 429 and "24小时内最多提交3件" in response.content.decode()
    assert _counts() == counts


def test_behind_a_trusted_proxy_the_limit_counts_each_client_not_the_proxy(client, pub, settings):
    # nginx on the same host: every request arrives from 127.0.0.1 with the client's
    # address appended to X-Forwarded-For. Without SSJ_TRUSTED_PROXIES all the public
    # would share one quota; a client's own X-Forwarded-For value must not count.
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    def via_proxy(forwarded: str):
        data = dict(
            credit_code=pub.rows[2].credit_code,
            applicant="张经理",
            contact="13512345678",
            content="结论有误。",
        )
        return client.post(
            reverse("portal:objection_submit", args=[pub.rows[2].pk]),
            data,
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(3):  # one client, pretending each time to be someone else
        assert via_proxy(f"198.51.100.{n}, 203.0.113.7").status_code == 302
    assert via_proxy("198.51.100.99, 203.0.113.7").status_code == 429
    assert via_proxy("203.0.113.8").status_code == 302  # another client still may file
    keys = set(PortalSubmission.objects.values_list("client", flat=True))
    assert keys == {client_key(address="203.0.113.7"), client_key(address="203.0.113.8")}


def test_x_forwarded_for_from_an_untrusted_address_is_ignored(client, pub, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    data = dict(
        credit_code=pub.rows[2].credit_code,
        applicant="张经理",
        contact="13512345678",
        content="结论有误。",
    )
    response = client.post(
        reverse("portal:objection_submit", args=[pub.rows[2].pk]),
        data,
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 302
    assert PortalSubmission.objects.get().client == client_key(address="192.0.2.10")


def test_objecting_to_a_superseded_result_points_to_the_current_one(client, pub):
    response = _post(client, pub.superseded)
    assert response.status_code == 409
    assert reverse("portal:result", args=[pub.correction.pk]) in response.content.decode()


def test_the_form_keeps_csrf_protection(pub):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("portal:objection_submit", args=[pub.rows[2].pk]),
        {"credit_code": pub.rows[2].credit_code},
    )
    assert response.status_code == 403 and PortalSubmission.objects.count() == 0
    page = strict.get(reverse("portal:result", args=[pub.rows[2].pk]))
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    ok = strict.post(
        reverse("portal:objection_submit", args=[pub.rows[2].pk]),
        {
            "csrfmiddlewaretoken": token,
            "credit_code": pub.rows[2].credit_code,
            "applicant": "张经理",
            "contact": "13512345678",
            "content": "结论有误。",
        },
    )
    assert ok.status_code == 302


def test_the_submit_url_takes_no_get(client, pub):
    assert client.get(reverse("portal:objection_submit", args=[pub.rows[2].pk])).status_code == 405
