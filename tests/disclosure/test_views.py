"""Staff pages of 一公开: 待公示 with deadlines, publish / bulk / withhold, the published
list, the result page with its versions, corrections and the principal's signature,
objections with the masked contact and its audited reveal."""

import datetime as dt

import pytest
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.disclosure.services import correction_create, result_publish
from shuangsuiji.inspection.choices import Conclusion, VersionKind, VersionStatus
from shuangsuiji.inspection.models import ResultVersion
from tests import factories
from tests.factories.disclosure import formed_scene, objection

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_the_pending_list_shows_formed_results_with_their_deadline(client):
    f = formed_scene(targets=2)
    r = _login(client, f.operator).get(reverse("disclosure:pending"))
    assert r.status_code == 200
    html = r.content.decode()
    for v in f.versions:
        assert v.result.visit.entity.name in html and f'value="{v.pk}"' in html
    assert "2024年4月18日" in html  # formed 2024年3月20日, + 20 working days
    assert "不予公开…" not in html  # the operator does not withhold
    assert (
        "不予公开…"
        in _login(client, f.reviewer).get(reverse("disclosure:pending")).content.decode()
    )


def test_the_pending_list_shows_a_provisional_date_for_a_year_not_entered(client, time_machine):
    time_machine.move_to(dt.datetime(2099, 12, 2, 10, tzinfo=dt.UTC))
    f = formed_scene(targets=1, formed_at=dt.datetime(2099, 12, 1, 10, tzinfo=dt.UTC))
    html = _login(client, f.operator).get(reverse("disclosure:pending")).content.decode()
    assert "2099年12月29日" in html and "暂按双休日推算，待2099年节假日安排录入后自动更正" in html


def test_publish_button_publishes_and_a_second_click_is_refused(client):
    f = formed_scene(targets=1)
    _login(client, f.operator)
    url = reverse("disclosure:publish", args=[f.version.pk])
    r = client.post(url, follow=True)
    assert r.status_code == 200 and "已公示" in r.content.decode()
    r = client.post(url, follow=True)
    assert "不得擅自更改" in r.content.decode()
    assert PublishedResult.objects.filter(version=f.version).count() == 1


def test_bulk_publish_from_the_list(client):
    f = formed_scene(targets=3)
    r = _login(client, f.operator).post(
        reverse("disclosure:publish_bulk"),
        {"versions": [v.pk for v in f.versions[:2]]},
        follow=True,
    )
    assert "已公示 2 份检查结果" in r.content.decode()
    assert PublishedResult.objects.count() == 2
    f.versions[2].refresh_from_db()
    assert f.versions[2].status == VersionStatus.FORMED


def test_publish_pages_refuse_outsiders_and_colleagues_without_the_role(client):
    f = formed_scene(targets=1)
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    colleague = factories.user(department=f.dept, role=Role.WITNESS)
    url = reverse("disclosure:publish", args=[f.version.pk])
    assert _login(client, outsider).post(url).status_code == 404
    assert _login(client, colleague).post(url).status_code == 403
    assert (
        _login(client, outsider)
        .post(reverse("disclosure:publish_bulk"), {"versions": [f.version.pk]})
        .status_code
        == 404
    )
    assert not PublishedResult.objects.exists()


def test_withhold_form_records_the_legal_basis(client):
    f = formed_scene(targets=1)
    url = reverse("disclosure:withhold", args=[f.version.pk])
    _login(client, f.reviewer)
    assert client.get(url).status_code == 200
    r = client.post(url, {"reason": ""})
    assert r.status_code == 422 and "请填写不予公开的法律依据和理由" in r.content.decode()
    client.post(url, {"reason": "涉及国家秘密（政府信息公开条例第十四条）"})
    f.version.refresh_from_db()
    assert f.version.status == VersionStatus.WITHHELD
    assert _login(client, f.operator).post(url, {"reason": "x"}).status_code == 403


def test_the_published_list_searches_by_name_and_code(client):
    f = formed_scene(targets=2)
    rows = [result_publish(version=v, actor=f.operator) for v in f.versions]
    _login(client, f.operator)
    html = client.get(
        reverse("disclosure:published"), {"q": rows[0].credit_code.lower()}
    ).content.decode()
    assert rows[0].entity_name in html and rows[1].entity_name not in html
    html = client.get(
        reverse("disclosure:published"), {"q": rows[1].entity_name[-6:]}
    ).content.decode()
    assert rows[1].entity_name in html
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    assert (
        rows[0].entity_name
        not in _login(client, outsider).get(reverse("disclosure:published")).content.decode()
    )


def test_correction_form_then_the_principal_signs_and_the_result_page_shows_both_versions(client):
    f = formed_scene(targets=1)
    old = result_publish(version=f.version, actor=f.operator)
    result = f.version.result
    _login(client, f.operator)
    r = client.get(reverse("disclosure:correct", args=[result.pk]))
    assert r.status_code == 200 and "配电箱未设置漏电保护器" in r.content.decode()  # prefilled
    form = {
        "reason": "",
        "conclusion": Conclusion.NO_PROBLEM,
        "non_cooperation": "",
        "summary": "未发现问题。",
        "problems": "",
        "followups-TOTAL_FORMS": "1",
        "followups-INITIAL_FORMS": "0",
        "followups-MIN_NUM_FORMS": "0",
        "followups-MAX_NUM_FORMS": "1000",
    }
    r = client.post(reverse("disclosure:correct", args=[result.pk]), form)
    assert r.status_code == 422 and "请填写更正理由" in r.content.decode()
    r = client.post(
        reverse("disclosure:correct", args=[result.pk]), form | {"reason": "复查发现记录错误"}
    )
    assert r.status_code == 302
    correction = ResultVersion.objects.get(kind=VersionKind.CORRECTION)
    assert correction.status == VersionStatus.REVIEW and not correction.followups.exists()
    sign_url = reverse("disclosure:sign", args=[correction.pk])
    page = client.get(sign_url).content.decode()
    assert "须由任务执行单位" in page and "签字确认并公示" not in page  # the operator cannot sign
    assert client.post(sign_url).status_code == 403
    _login(client, f.reviewer)
    assert (
        correction.result.visit.entity.name
        in client.get(reverse("disclosure:corrections")).content.decode()
    )
    assert "签字确认并公示" in client.get(sign_url).content.decode()
    r = client.post(sign_url, follow=True)
    assert "已签字确认并公示更正" in r.content.decode()
    old.refresh_from_db()
    assert old.superseded_by is not None
    html = client.get(reverse("disclosure:result", args=[result.pk])).content.decode()
    assert "第2版" in html and "第1版" in html and "已被更正" in html and "现行" in html


def test_a_correction_can_be_discarded_from_the_sign_page(client):
    f = formed_scene(targets=1)
    result_publish(version=f.version, actor=f.operator)
    correction = correction_create(
        result=f.version.result, reason="笔误", actor=f.operator, summary="新的情况"
    )
    _login(client, f.operator)
    r = client.post(reverse("disclosure:discard", args=[correction.pk]), {"reason": "提交错了"})
    assert r.status_code == 302
    correction.refresh_from_db()
    assert correction.status == VersionStatus.RETURNED and correction.review_note == "提交错了"


def test_the_objection_page_masks_the_contact_until_an_audited_reveal(client):
    f = formed_scene(targets=1)
    row = result_publish(version=f.version, actor=f.operator)
    o = objection(row, contact="13800138000")
    _login(client, f.operator)
    html = client.get(reverse("disclosure:objection", args=[o.pk])).content.decode()
    assert "138****8000" in html and "13800138000" not in html and "显示完整号码" in html
    assert "2024年10月30日" in html  # received 2024年9月27日 + 20 working days
    assert not Event.objects.filter(action="objection.reveal").exists()
    html = client.post(reverse("disclosure:objection_reveal", args=[o.pk])).content.decode()
    assert "13800138000" in html
    event = Event.objects.get(action="objection.reveal")
    assert event.actor == f.operator and event.object_id == str(o.pk)
    outsider = factories.user(department=factories.department(), role=Role.REVIEWER)
    assert (
        _login(client, outsider)
        .post(reverse("disclosure:objection_reveal", args=[o.pk]))
        .status_code
        == 404
    )
    assert Event.objects.filter(action="objection.reveal").count() == 1
    witness = factories.user(department=f.dept, role=Role.WITNESS)
    assert (
        _login(client, witness)
        .post(reverse("disclosure:objection_reveal", args=[o.pk]))
        .status_code
        == 403
    )
    list_html = _login(client, f.operator).get(reverse("disclosure:objections")).content.decode()
    assert o.number in list_html and "13800138000" not in list_html


def test_review_and_answer_forms(client):
    f = formed_scene(targets=1)
    row = result_publish(version=f.version, actor=f.operator)
    o = objection(row)
    _login(client, f.reviewer)
    page = client.get(reverse("disclosure:objection", args=[o.pk])).content.decode()
    assert "提交复核结论" in page
    url = reverse("disclosure:objection_review", args=[o.pk])
    r = client.post(
        url,
        {
            "decision": "upheld",
            "note": "确有错误",
            "conclusion": Conclusion.RECTIFIED,
            "summary": f.version.summary,
            "problems": f.version.problems,
        },
    )
    assert r.status_code == 422 and "更正内容与现行版本相同" in r.content.decode()
    r = client.post(
        url,
        {
            "decision": "upheld",
            "note": "确有错误",
            "conclusion": Conclusion.NO_PROBLEM,
            "summary": "未发现问题",
            "problems": "",
        },
    )
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.status == ObjectionStatus.UPHELD
    correction = o.corrections.get()
    r = client.post(reverse("disclosure:objection_answer", args=[o.pk]), {"answer": "已更正"})
    assert r.status_code == 422 and "尚未经主要负责人签字" in r.content.decode()
    client.post(reverse("disclosure:sign", args=[correction.pk]))
    r = client.post(
        reverse("disclosure:objection_answer", args=[o.pk]), {"answer": "经复核确有错误，已更正。"}
    )
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.status == ObjectionStatus.ANSWERED


def test_every_page_renders_for_the_reviewer(client):
    f = formed_scene(targets=1)
    row = result_publish(version=f.version, actor=f.operator)
    o = objection(row)
    _login(client, f.reviewer)
    for url in (
        reverse("disclosure:index"),
        reverse("disclosure:pending"),
        reverse("disclosure:published"),
        reverse("disclosure:corrections"),
        reverse("disclosure:objections"),
        reverse("disclosure:result", args=[f.version.result_id]),
        reverse("disclosure:objection", args=[o.pk]),
    ):
        r = client.get(url, follow=True)
        assert r.status_code == 200, url
    assert client.get(reverse("disclosure:result", args=[999999])).status_code == 404


def test_an_upheld_objection_whose_correction_was_discarded_gets_a_new_one_from_its_page(client):
    from shuangsuiji.disclosure.services import correction_discard, objection_review

    f = formed_scene(targets=1)
    row = result_publish(version=f.version, actor=f.operator)
    o = objection(row)
    objection_review(
        objection=o,
        decision="upheld",
        note="确有错误",
        actor=f.reviewer,
        edits={"conclusion": Conclusion.NO_PROBLEM},
    )
    correction_discard(version=o.corrections.get(), reason="填错", actor=f.operator)
    _login(client, f.operator)
    html = client.get(reverse("disclosure:objection", args=[o.pk])).content.decode()
    assert "为此异议提出更正" in html
    url = reverse("disclosure:correct", args=[row.result_id])
    assert o.number in client.get(url, {"objection": o.pk}).content.decode()
    form = {
        "objection": o.pk,
        "reason": "重新更正",
        "conclusion": Conclusion.NO_PROBLEM,
        "non_cooperation": "",
        "summary": "未发现问题",
        "problems": "",
        "followups-TOTAL_FORMS": "0",
        "followups-INITIAL_FORMS": "0",
        "followups-MIN_NUM_FORMS": "0",
        "followups-MAX_NUM_FORMS": "1000",
    }
    assert client.post(url, form).status_code == 302
    assert o.corrections.filter(status=VersionStatus.REVIEW).count() == 1
    assert (
        "为此异议提出更正"
        not in client.get(reverse("disclosure:objection", args=[o.pk])).content.decode()
    )
