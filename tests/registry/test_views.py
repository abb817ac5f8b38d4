import datetime as dt

import pytest
from django.urls import reverse

from shuangsuiji.audit.models import Event
from shuangsuiji.registry.models import Conflict, Entity, Inspector, Tag
from shuangsuiji.registry.selectors import entity_fingerprint
from tests import factories

pytestmark = pytest.mark.django_db

MOBILE = "13905971234"


@pytest.fixture
def owner_client(client, trio):
    client.force_login(trio["owner"])
    return client


def _as(client, user):
    client.force_login(user)
    return client


def test_entity_list_searches_filters_and_shows_risk_badges_and_tags(owner_client, trio):
    tag = Tag.objects.create(department=trio["dept"], name="燃气子库")
    gas = factories.entity(
        department=trio["dept"], name="松江燃气有限公司", risk_class="D", region="松江区"
    )
    gas.tags.add(tag)
    factories.entity(department=trio["dept"], name="方松建筑公司", risk_class="A", region="松江区")
    factories.entity(department=trio["other"], name="闵行绿化公司")
    url = reverse("registry:entity_list")
    html = owner_client.get(url).content.decode()
    assert "松江燃气有限公司" in html and "方松建筑公司" in html and "闵行绿化公司" not in html
    assert 'class="badge risk-D"' in html and "燃气子库" in html
    html = owner_client.get(url, {"q": "燃气"}).content.decode()
    assert "松江燃气有限公司" in html and "方松建筑公司" not in html
    html = owner_client.get(url, {"risk_class": "A"}).content.decode()
    assert "方松建筑公司" in html and "松江燃气有限公司" not in html
    html = owner_client.get(url, {"tag": tag.id}).content.decode()
    assert "松江燃气有限公司" in html and "方松建筑公司" not in html
    html = owner_client.get(url, {"q": gas.uscc}).content.decode()
    assert "松江燃气有限公司" in html and "方松建筑公司" not in html


def test_entity_list_pages_sorts_and_keeps_the_filters(owner_client, trio, monkeypatch):
    """issue 16 第 4 项: page numbers and the total, a sortable column, the filters kept in
    every link; newest first by default."""
    import dataclasses

    from shuangsuiji.registry import views

    monkeypatch.setattr(views, "ENTITY_LIST", dataclasses.replace(views.ENTITY_LIST, per_page=2))
    names = [
        factories.entity(department=trio["dept"], name=f"企业{i}", industry="建筑").name
        for i in range(5)
    ]
    factories.entity(department=trio["dept"], name="别的行业", industry="餐饮")
    url = reverse("registry:entity_list")
    html = owner_client.get(url, {"industry": "建筑"}).content.decode()
    assert "共 5 个" in html and "第 1 / 3 页" in html
    assert names[4] in html and names[3] in html and names[2] not in html
    assert 'href="?industry=%E5%BB%BA%E7%AD%91&amp;page=3"' in html  # the filter kept
    html = owner_client.get(url, {"industry": "建筑", "sort": "name", "page": "3"}).content.decode()
    assert names[4] in html and names[0] not in html and "别的行业" not in html
    assert 'aria-sort="ascending"' in html and "sort=-name" in html
    assert 'href="?industry=%E5%BB%BA%E7%AD%91&amp;sort=name&amp;page=2"' in html
    html = owner_client.get(url, {"industry": "建筑", "sort": "-name"}).content.decode()
    assert html.index(names[4]) < html.index(names[3]) and 'aria-sort="descending"' in html
    # A page beyond the last shows the last; a bad sort key falls back to the default.
    assert owner_client.get(url, {"page": "999", "sort": "password"}).status_code == 200


def test_full_contact_phone_never_appears_in_list_or_detail(owner_client, trio):
    entity = factories.entity(department=trio["dept"], contact_phone=MOBILE)
    for url in (
        reverse("registry:entity_list"),
        reverse("registry:entity_detail", args=[entity.pk]),
    ):
        html = owner_client.get(url).content.decode()
        assert MOBILE not in html
    assert (
        "139****1234"
        in owner_client.get(reverse("registry:entity_detail", args=[entity.pk])).content.decode()
    )


def test_full_inspector_numbers_only_on_the_owner_edit_form_after_reveal(owner_client, trio):
    idn = "350881198501011234"
    from shuangsuiji.common.ids import id_number_check_digit

    idn = idn[:17] + id_number_check_digit(idn[:17])
    ins = factories.inspector(department=trio["dept"], mobile=MOBILE, id_number=idn)
    for url in (
        reverse("registry:inspector_list"),
        reverse("registry:inspector_detail", args=[ins.pk]),
        reverse("registry:inspector_edit", args=[ins.pk]),
    ):
        html = owner_client.get(url).content.decode()
        assert MOBILE not in html and idn not in html, url
    html = owner_client.get(
        reverse("registry:inspector_edit", args=[ins.pk]), {"reveal": "1"}
    ).content.decode()
    assert MOBILE in html and idn in html
    assert Event.objects.filter(action="inspector.reveal", object_id=str(ins.pk)).count() == 1


def test_editing_without_reveal_keeps_the_numbers(owner_client, trio):
    ins = factories.inspector(department=trio["dept"], mobile=MOBILE, name="旧名")
    resp = owner_client.post(
        reverse("registry:inspector_edit", args=[ins.pk]),
        {
            "name": "新名",
            "cert_no": ins.cert_no,
            "kind": "officer",
            "status": "on_duty",
            "mobile": "",
        },
    )
    assert resp.status_code == 302
    ins.refresh_from_db()
    assert ins.name == "新名" and ins.mobile == MOBILE


def test_entity_create_page_shows_field_errors_and_writes_nothing(owner_client, trio):
    resp = owner_client.post(
        reverse("registry:entity_create"),
        {
            "department": trio["dept"].id,
            "name": "",
            "uscc": "91310117MA1G000000",
            "entity_type": "legal_person",
            "subject_kind": "entity",
            "status": "active",
            "contact_phone": "123",
        },
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "名称不能为空" in html and "统一社会信用代码校验位错误" in html and "联系电话" in html
    assert not Entity.objects.exists()


def test_entity_create_and_edit_round_trip(owner_client, trio):
    tag = Tag.objects.create(department=trio["dept"], name="重点库", kind="key")
    code = factories.uscc()
    resp = owner_client.post(
        reverse("registry:entity_create"),
        {
            "department": trio["dept"].id,
            "name": "松江某公司",
            "uscc": code,
            "entity_type": "legal_person",
            "subject_kind": "entity",
            "status": "active",
            "risk_class": "B",
            "risk_date": "2024-06-01",
            "risk_source": "信用评价",
            "tags": [tag.id],
        },
    )
    entity = Entity.objects.get(uscc=code)
    assert resp.status_code == 302 and resp["Location"] == reverse(
        "registry:entity_detail", args=[entity.pk]
    )
    assert list(entity.tags.all()) == [tag]
    edit = reverse("registry:entity_edit", args=[entity.pk])
    assert owner_client.get(edit).status_code == 200
    resp = owner_client.post(
        edit,
        {
            "name": "松江某公司（更名）",
            "uscc": code,
            "key": code,
            "entity_type": "legal_person",
            "subject_kind": "entity",
            "status": "revoked",
            "risk_class": "B",
            "risk_date": "2024-06-01",
            "risk_source": "信用评价",
            "fingerprint": entity_fingerprint(entity=entity),
        },
    )
    assert resp.status_code == 302
    entity.refresh_from_db()
    assert entity.status == "revoked" and not entity.tags.exists()
    detail = owner_client.get(reverse("registry:entity_detail", args=[entity.pk])).content.decode()
    assert "变更记录" in detail and "松江某公司（更名）" in detail and "吊销" in detail


def test_a_stale_edit_form_is_refused_with_a_message(owner_client, trio):
    entity = factories.entity(department=trio["dept"], name="原名")
    stale = entity_fingerprint(entity=entity)
    Entity.objects.filter(pk=entity.pk).update(name="别人改过")
    resp = owner_client.post(
        reverse("registry:entity_edit", args=[entity.pk]),
        {
            "name": "我的修改",
            "key": entity.key,
            "uscc": entity.uscc,
            "entity_type": "legal_person",
            "subject_kind": "entity",
            "status": "active",
            "fingerprint": stale,
        },
    )
    assert resp.status_code == 422 and "已被他人修改" in resp.content.decode()
    entity.refresh_from_db()
    assert entity.name == "别人改过"


def test_colleague_reads_but_cannot_write(client, trio):
    entity = factories.entity(department=trio["dept"])
    ins = factories.inspector(department=trio["dept"])
    c = _as(client, trio["colleague"])
    detail = c.get(reverse("registry:entity_detail", args=[entity.pk]))
    assert detail.status_code == 200
    assert reverse("registry:entity_edit", args=[entity.pk]) not in detail.content.decode()
    assert "录入检查对象" not in c.get(reverse("registry:entity_list")).content.decode()
    idetail = c.get(reverse("registry:inspector_detail", args=[ins.pk])).content.decode()
    assert (
        reverse("registry:inspector_edit", args=[ins.pk]) not in idetail
        and "申报利害关系" not in idetail
    )
    assert (
        c.post(reverse("registry:entity_edit", args=[entity.pk]), {"name": "x"}).status_code == 403
    )
    assert c.post(reverse("registry:entity_create"), {"name": "x"}).status_code == 403
    assert (
        c.post(reverse("registry:inspector_edit", args=[ins.pk]), {"name": "x"}).status_code == 403
    )
    assert (
        c.post(reverse("registry:conflict_declare", args=[ins.pk]), {"reason": "x"}).status_code
        == 403
    )
    assert c.post(reverse("registry:tag_list"), {"name": "x"}).status_code == 403
    assert not Event.objects.exists()


def test_outsider_gets_404_for_records_of_other_departments(client, trio):
    entity = factories.entity(department=trio["dept"])
    ins = factories.inspector(department=trio["dept"])
    c = _as(client, trio["outsider"])
    for url in (
        reverse("registry:entity_detail", args=[entity.pk]),
        reverse("registry:entity_edit", args=[entity.pk]),
        reverse("registry:inspector_detail", args=[ins.pk]),
        reverse("registry:inspector_edit", args=[ins.pk]),
    ):
        assert c.get(url).status_code == 404, url
    assert (
        c.post(reverse("registry:conflict_declare", args=[ins.pk]), {"reason": "x"}).status_code
        == 404
    )


def test_anonymous_users_are_sent_to_login(client):
    resp = client.get(reverse("registry:entity_list"))
    assert resp.status_code == 302 and reverse("accounts:login") in resp["Location"]


def test_inspector_pages_show_certificate_validity_and_highlight_expired(owner_client, trio):
    factories.inspector(
        department=trio["dept"], name="过期者", cert_valid_until=dt.date(2020, 1, 1)
    )
    valid = factories.inspector(
        department=trio["dept"], name="有效者", cert_valid_until=dt.date(2099, 1, 1)
    )
    html = owner_client.get(reverse("registry:inspector_list")).content.decode()
    assert "过期者" in html and "已过期" in html and "2099年1月1日" in html
    html = owner_client.get(
        reverse("registry:inspector_list"), {"cert": "expired"}
    ).content.decode()
    assert "过期者" in html and "有效者" not in html
    html = owner_client.get(reverse("registry:inspector_detail", args=[valid.pk])).content.decode()
    assert "2099年1月1日" in html and "有效" in html


def test_inspector_create_page_names_bad_fields(owner_client, trio):
    resp = owner_client.post(
        reverse("registry:inspector_create"),
        {
            "department": trio["dept"].id,
            "name": "张三",
            "cert_no": "",
            "kind": "officer",
            "status": "on_duty",
            "mobile": "139",
            "cert_valid_until": "not-a-date",
        },
    )
    html = resp.content.decode()
    assert resp.status_code == 422
    assert (
        "执法证号不能为空" in html
        and "手机号码应为1开头的11位数字" in html
        and "证件有效期不是有效日期" in html
    )
    assert not Inspector.objects.exists()
    resp = owner_client.post(
        reverse("registry:inspector_create"),
        {
            "department": trio["dept"].id,
            "name": "张三",
            "cert_no": "13080001",
            "kind": "expert",
            "status": "on_duty",
            "mobile": MOBILE,
            "cert_valid_until": "2027-06-30",
            "expertise": "燃气安全",
        },
    )
    assert resp.status_code == 302
    assert Inspector.objects.get(cert_no="13080001").expertise == "燃气安全"


def test_conflict_declare_and_withdraw_from_the_inspector_page(owner_client, trio):
    ins = factories.inspector(department=trio["dept"])
    entity = factories.entity(department=trio["dept"], name="利害公司")
    declare = reverse("registry:conflict_declare", args=[ins.pk])
    resp = owner_client.post(declare, {"entity": entity.uscc, "reason": ""})
    assert resp.status_code == 422 and "请填写回避事由" in resp.content.decode()
    resp = owner_client.post(declare, {"entity": "NOPE", "reason": "亲属"})
    assert resp.status_code == 422 and "找不到该统一社会信用代码或名录编号" in resp.content.decode()
    assert (
        owner_client.post(declare, {"entity": entity.uscc, "reason": "配偶任职"}).status_code == 302
    )
    conflict = Conflict.objects.get()
    html = owner_client.get(reverse("registry:inspector_detail", args=[ins.pk])).content.decode()
    assert "利害公司" in html and "配偶任职" in html
    withdraw = reverse("registry:conflict_withdraw", args=[conflict.pk])
    resp = owner_client.post(withdraw, {"withdraw_reason": ""})
    assert resp.status_code == 422 and "请填写撤销理由" in resp.content.decode()
    assert owner_client.post(withdraw, {"withdraw_reason": "配偶离职"}).status_code == 302
    conflict.refresh_from_db()
    assert not conflict.is_active
    html = owner_client.get(reverse("registry:entity_detail", args=[entity.pk])).content.decode()
    assert "已撤销" in html and "配偶离职" in html


def test_tag_page_lists_and_creates_tags(owner_client, trio):
    url = reverse("registry:tag_list")
    resp = owner_client.post(url, {"department": trio["dept"].id, "name": "", "kind": "sub"})
    assert resp.status_code == 422 and "名称不能为空" in resp.content.decode()
    assert (
        owner_client.post(
            url, {"department": trio["dept"].id, "name": "专项整治2025", "kind": "campaign"}
        ).status_code
        == 302
    )
    html = owner_client.get(url).content.decode()
    assert "专项整治2025" in html and "专项整治库" in html
    assert Tag.objects.get().kind == "campaign"
