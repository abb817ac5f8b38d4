"""查询办理进度 (issue: pages for civil servants and citizens, item 2): the applicant looks his
objection up by 受理编号 and 统一社会信用代码 and sees its status and due dates — nothing of
anyone else's; a wrong pair gets one neutral answer; the lookup is rate-limited per client;
no personal data on the page or in the log. And the objection form on a result page keeps
what was typed and lists its errors at its top."""

import datetime as dt
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.disclosure.models import PortalSubmission
from shuangsuiji.disclosure.portal_services import (
    FORM_LOOKUP,
    LOOKUPS_PER_HOUR,
    RateLimited,
    client_key,
    objection_lookup,
    objection_number_normalize,
)
from tests.factories.portal import (
    OBJECTION_APPLICANT,
    OBJECTION_CONTACT,
    PENDING_CONTACT,
    published_scene,
)

pytestmark = pytest.mark.django_db

URL = "/public/objections/lookup/"
ADDRESS = "192.0.2.44"
NOT_FOUND = "未找到：没有与这个受理编号和统一社会信用代码都相符的异议申请"


@pytest.fixture
def pub():
    return published_scene()


def _lookup(client, number, code, address=ADDRESS):
    return client.post(URL, {"number": number, "credit_code": code}, REMOTE_ADDR=address)


def _body(response) -> str:
    return response.content.decode()


def test_the_right_pair_shows_the_status_and_the_due_dates(client, pub):
    o = pub.pending
    response = _lookup(client, o.number, o.credit_code)
    body = _body(response)
    assert response.status_code == 200
    assert f'<span class="code">{o.number}</span> · 已受理' in body
    assert "检查实施机关正在复核" in body
    # 2024-05-06 + 20 working days (Saturday 11 May was a working day after 劳动节), then
    # + 15 (端午 on 10 June); long past on the test day, and the page says so.
    assert '复核期限</dt><dd id="review-by">2024年5月31日 前' in body
    assert "最迟 2024年6月24日" in body and "已超过期限" in body
    assert o.published.entity_name in body
    assert "no-store" in response["Cache-Control"]


def test_an_answered_objection_shows_the_review_the_answer_and_the_correction(client, pub):
    o = pub.answered
    body = _body(_lookup(client, o.number.lower(), o.credit_code.lower()))
    assert "已反馈" in body and "办理完毕" in body
    assert "已于 2024年5月20日 作出复核结果" in body and "已于 2024年5月20日 反馈" in body
    assert "确有错误，予以更正" in body and "已予更正" in body
    assert reverse("portal:result", args=[pub.correction.pk]) in body


def test_a_wrong_code_and_a_number_that_does_not_exist_get_the_same_neutral_answer(client, pub):
    o = pub.pending
    other = pub.answered
    answers = [
        _lookup(client, o.number, other.credit_code),  # right number, another entity's code
        _lookup(client, other.number, o.credit_code),  # another's number with my code
        _lookup(client, "YY-999999", o.credit_code),  # no such number
    ]
    bodies = [_body(r).replace(r.wsgi_request.POST["number"], "") for r in answers]
    for response, body in zip(answers, bodies, strict=True):
        assert response.status_code == 200 and NOT_FOUND in body
        for hidden in (other.published.entity_name, o.published.entity_name, 'id="progress"'):
            assert hidden not in body
    # The same page whichever half was wrong (only the typed values differ).
    strip = [b.replace(o.credit_code, "").replace(other.credit_code, "") for b in bodies]
    assert len({s.split('name="csrfmiddlewaretoken" value="')[0] for s in strip}) == 1


def test_an_empty_or_malformed_number_is_explained_at_the_field_and_not_counted(client, pub):
    response = _lookup(client, "", "")
    body = _body(response)
    assert response.status_code == 422
    assert 'id="lookup-errors"' in body and 'href="#id_number"' in body
    assert "请填写受理编号" in body and "请填写被检查对象的统一社会信用代码" in body
    body = _body(_lookup(client, "第三号", pub.pending.credit_code))
    assert "受理编号的格式为 YY-000123" in body and f'value="{pub.pending.credit_code}"' in body
    assert not PortalSubmission.objects.filter(form=FORM_LOOKUP).exists()


def test_the_number_may_be_typed_loosely():
    for typed in ("yy-000123", "ＹＹ－０００１２３", "YY000123", "000123", " 123 "):
        assert objection_number_normalize(typed) == "YY-000123"
    for typed in ("", "YY-", "ZZ-000123", "YY-12a"):
        assert objection_number_normalize(typed) == ""


def test_the_lookup_is_rate_limited_per_client_and_the_limit_says_so_in_chinese(client, pub):
    o = pub.pending
    for _ in range(LOOKUPS_PER_HOUR):
        assert _lookup(client, "YY-999999", o.credit_code).status_code == 200
    response = _lookup(client, o.number, o.credit_code)  # even the right pair, now
    body = _body(response)
    assert response.status_code == 429 and f"同一来源每小时最多查询{LOOKUPS_PER_HOUR}次" in body
    assert "检查实施机关正在复核" not in body
    assert PortalSubmission.objects.filter(form=FORM_LOOKUP).count() == LOOKUPS_PER_HOUR
    # Another client is not held up; an hour later this one is not either.
    assert "正在复核" in _body(_lookup(client, o.number, o.credit_code, address="198.51.100.3"))
    PortalSubmission.objects.filter(form=FORM_LOOKUP).update(
        created_at=timezone.now() - dt.timedelta(hours=1, minutes=1)
    )
    assert "正在复核" in _body(_lookup(client, o.number, o.credit_code))


def test_lookups_and_objections_are_counted_apart(pub):
    client = client_key(address=ADDRESS)
    for _ in range(LOOKUPS_PER_HOUR):
        objection_lookup(number="YY-999999", credit_code="X", client=client)
    with pytest.raises(RateLimited):
        objection_lookup(number=pub.pending.number, credit_code="X", client=client)
    assert not PortalSubmission.objects.exclude(form=FORM_LOOKUP).exists()
    with pytest.raises(ValidationFailed):
        objection_lookup(number="", credit_code="", client=client)


def test_the_page_and_the_log_hold_no_personal_data(client, pub, caplog):
    events = Event.objects.count()
    with caplog.at_level(logging.DEBUG):
        for o in (pub.pending, pub.answered):
            body = _body(_lookup(client, o.number, o.credit_code))
            for secret in (OBJECTION_APPLICANT, OBJECTION_CONTACT, PENDING_CONTACT, o.applicant):
                assert secret not in body
            assert o.content not in body
        _lookup(client, pub.pending.number, "91310000000000000X")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for typed in (pub.pending.number, pub.pending.credit_code, pub.answered.credit_code):
        assert typed not in logged
    assert Event.objects.count() == events  # a lookup changes nobody's data: no audit event
    row = PortalSubmission.objects.filter(form=FORM_LOOKUP).first()
    assert row.client == client_key(address=ADDRESS) and ADDRESS not in row.client


def test_the_receipt_the_guide_and_the_list_link_the_lookup(client, pub):
    from django.core import signing

    token = signing.dumps(pub.pending.number, salt="portal.objection.receipt")
    receipt = _body(client.get(reverse("portal:objection_received"), {"t": token}))
    assert f'href="{URL}?number={pub.pending.number}" id="lookup-link"' in receipt
    prefilled = _body(client.get(URL, {"number": pub.pending.number}))
    assert f'value="{pub.pending.number}"' in prefilled and pub.pending.credit_code not in prefilled
    for name in ("portal:objection_guide", "portal:objections"):
        assert f'href="{URL}"' in _body(client.get(reverse(name)))


# --- the objection form on a result page ---------------------------------------------------


def test_objection_errors_are_listed_at_the_top_linked_and_described_at_each_field(client, pub):
    row = pub.rows[2]
    data = {"credit_code": row.credit_code, "applicant": "", "contact": "123", "content": "有误"}
    response = client.post(
        reverse("portal:objection_submit", args=[row.pk]), data, REMOTE_ADDR=ADDRESS
    )
    body = _body(response)
    assert response.status_code == 422
    summary = body[
        body.index('id="objection-errors"') : body.index(
            "</div>", body.index('id="objection-errors"')
        )
    ]
    assert 'tabindex="-1" autofocus data-error-summary' in summary
    assert summary.index('href="#id_applicant"') < summary.index('href="#id_contact"')
    assert "申请人：请填写申请人" in summary and "联系电话：联系电话应为11位手机号码" in summary
    assert 'aria-describedby="id_contact-error id_contact-help" aria-invalid="true"' in body
    assert 'id="id_contact-error"' in body and 'id="id_credit_code-error"' not in body
    assert (
        f'value="{row.credit_code}"' in body
        and 'value="123"' in body
        and ">有误</textarea>" in body
    )
