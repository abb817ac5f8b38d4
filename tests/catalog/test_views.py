import datetime as dt

import pytest
from django.urls import reverse

from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.services import item_repeal, item_revise
from tests import factories
from tests.factories.catalog import content, make_item

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    data = content()
    data["checklist"] = "\n".join(data["checklist"])
    data.update(department="SJJW", code="RQ-100", effective_date="2024-03-01", change_reason="")
    data.update(overrides)
    return data


def test_list_page_searches_filters_and_pages_in_chinese(client, trio):
    for n in range(25):
        make_item(department=trio["dept"], code=f"RQ-{n:03d}", name=f"燃气检查{n:03d}")
    make_item(
        department=trio["dept"], code="DX-001", name="地下空间安全使用执法检查", category="key"
    )
    client.force_login(trio["colleague"])
    page = client.get(reverse("catalog:item_list")).content.decode()
    assert "抽查事项清单" in page and "共 26 项" in page and "第 1 / 2 页" in page
    assert "新增事项" not in page  # the operator reads only
    page = client.get(reverse("catalog:item_list"), {"q": "地下空间"}).content.decode()
    assert "共 1 项" in page and "地下空间安全使用执法检查" in page
    page = client.get(reverse("catalog:item_list"), {"category": "key"}).content.decode()
    assert "共 1 项" in page and "重点检查事项" in page
    page = client.get(reverse("catalog:item_list"), {"q": "燃气", "page": 2}).content.decode()
    assert "燃气检查024" in page and "q=%E7%87%83%E6%B0%94&amp;page=1" in page


def test_list_hides_repealed_items_unless_asked(client, trio, item):
    item_repeal(item=item, change_reason="法规废止", effective_date=dt.date(2024, 6, 1), actor=None)
    client.force_login(trio["owner"])
    assert "共 0 项" in client.get(reverse("catalog:item_list")).content.decode()
    page = client.get(reverse("catalog:item_list"), {"include_repealed": "on"}).content.decode()
    assert "共 1 项" in page and "已废止" in page


def test_list_shows_the_outsider_nothing_of_another_department(client, trio, item):
    client.force_login(trio["outsider"])
    page = client.get(reverse("catalog:item_list")).content.decode()
    assert "共 0 项" in page and item.current.name not in page


def test_detail_shows_version_history_with_the_changed_fields(client, trio, item):
    item_revise(
        item=item,
        data=content(default_ratio="10", name="燃气经营监督检查"),
        change_reason="法规修订",
        effective_date=dt.date(2024, 7, 1),
        actor=trio["owner"],
    )
    client.force_login(trio["colleague"])
    page = client.get(reverse("catalog:item_detail", args=[item.pk])).content.decode()
    assert "版本历史" in page and "第2版" in page and "现行" in page and "法规修订" in page
    assert "<strong>抽查比例</strong>：<del>6%</del> → <ins>10%</ins>" in page
    assert "<strong>事项名称</strong>" in page and "<strong>检查依据</strong>" not in page
    assert "修订（改/释）" not in page  # the colleague cannot write


def test_outsider_gets_404_on_detail_and_on_the_write_pages(client, trio, item):
    client.force_login(trio["outsider"])
    for name in ("catalog:item_detail", "catalog:item_revise", "catalog:item_repeal"):
        response = client.get(reverse(name, args=[item.pk]))
        assert response.status_code == 404
        assert "抽查事项不存在或您无权查看" in response.content.decode()


def test_colleague_gets_403_on_the_write_pages(client, trio, item):
    client.force_login(trio["colleague"])
    assert client.get(reverse("catalog:item_create")).status_code == 403
    response = client.post(reverse("catalog:item_revise", args=[item.pk]), _form(change_reason="x"))
    assert (
        response.status_code == 403
        and "不是“松江区建设和管理委员会”的部门管理员" in response.content.decode()
    )
    assert (
        client.post(
            reverse("catalog:item_repeal", args=[item.pk]), {"change_reason": "x"}
        ).status_code
        == 403
    )
    assert item.versions.count() == 1


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("catalog:item_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_create_page_makes_an_item(client, trio):
    client.force_login(trio["owner"])
    page = client.get(reverse("catalog:item_create")).content.decode()
    assert "新增抽查事项" in page and "检查依据" in page and "不适用随机抽查的理由" in page
    response = client.post(reverse("catalog:item_create"), _form())
    item = Item.objects.get(code="RQ-100")
    assert response.status_code == 302 and response["Location"] == reverse(
        "catalog:item_detail", args=[item.pk]
    )
    assert item.current.effective_date == dt.date(2024, 3, 1)
    assert item.current.checklist == ["燃气经营许可证是否在有效期内", "是否向无证单位供气"]


def test_create_form_shows_each_error_beside_its_field(client, trio):
    client.force_login(trio["owner"])
    response = client.post(
        reverse("catalog:item_create"),
        _form(name="", basis="", default_ratio="120", random_exempt="on", exempt_reason=""),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "事项名称：事项名称不能为空" in page
    assert "检查依据：检查依据不能为空" in page
    assert "抽查比例应在0到100之间（百分比）" in page
    assert not Item.objects.exists()
    response = client.post(
        reverse("catalog:item_create"), _form(exempt_reason="", random_exempt="on")
    )
    assert "不适用随机抽查的理由：不适用随机抽查的事项必须写明理由" in response.content.decode()
    make_item(department=trio["dept"], code="RQ-100")
    response = client.post(reverse("catalog:item_create"), _form())
    assert "事项编码：本部门清单中已有事项编码 RQ-100" in response.content.decode()


def test_revise_page_is_prefilled_and_saves_a_new_version(client, trio, item):
    client.force_login(trio["owner"])
    page = client.get(reverse("catalog:item_revise", args=[item.pk])).content.decode()
    assert 'value="燃气经营监督执法检查"' in page and "是否向无证单位供气" in page
    assert 'name="expected_number" value="1"' in page and "变更理由" in page
    response = client.post(
        reverse("catalog:item_revise", args=[item.pk]),
        _form(
            change_kind="amend",
            change_reason="法规修订",
            effective_date="2024-08-01",
            default_ratio="8",
            expected_number="1",
        ),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.current.number == 2 and str(item.current.default_ratio.normalize()) == "8"


def test_revise_page_shows_missing_reason_and_stale_version(client, trio, item):
    client.force_login(trio["owner"])
    url = reverse("catalog:item_revise", args=[item.pk])
    page = client.post(
        url, _form(change_kind="amend", change_reason="", name="改名", expected_number="1")
    ).content.decode()
    assert "变更理由：请填写变更理由" in page
    item_revise(
        item=item,
        data=content(name="他人修改"),
        change_reason="他人",
        effective_date=dt.date(2024, 5, 1),
        actor=trio["owner"],
    )
    page = client.post(
        url, _form(change_kind="amend", change_reason="我的修改", name="改名", expected_number="1")
    ).content.decode()
    assert "已被他人修订为第2版" in page
    assert item.versions.count() == 2


def test_repeal_page_repeals_with_reason(client, trio, item):
    client.force_login(trio["owner"])
    url = reverse("catalog:item_repeal", args=[item.pk])
    assert "废止理由" in client.get(url).content.decode()
    page = client.post(
        url, {"change_reason": "", "effective_date": "2024-06-01", "expected_number": "1"}
    ).content.decode()
    assert "废止理由：请填写变更理由" in page
    response = client.post(
        url, {"change_reason": "规章废止", "effective_date": "2024-06-01", "expected_number": "1"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.is_repealed


def test_copy_page_lists_the_parents_items_and_copies_the_chosen_ones(client, trio):
    child = factories.department("SJJW-RQS", name="燃气所", parent=trio["dept"])
    child_admin = factories.user(department=child, role="dept_admin")
    a = make_item(department=trio["dept"], code="RQ-001")
    b = make_item(department=trio["dept"], code="RQ-002", name="瓶装燃气综合监管")
    make_item(department=trio["other"], code="MH-001", name="临时使用绿地检查")
    client.force_login(child_admin)
    page = client.get(reverse("catalog:item_copy")).content.decode()
    assert "引用上级清单" in page and "瓶装燃气综合监管" in page and "临时使用绿地检查" not in page
    response = client.post(
        reverse("catalog:item_copy"),
        {"department": "SJJW-RQS", "items": [str(a.pk), str(b.pk)], "effective_date": "2024-02-01"},
    )
    assert response.status_code == 302
    assert set(Item.objects.filter(department=child).values_list("copied_from", flat=True)) == {
        a.pk,
        b.pk,
    }
    page = client.get(reverse("catalog:item_copy")).content.decode()
    assert "上级部门清单中没有可引用的事项" in page  # already copied codes are not offered again


def test_copy_page_refuses_items_outside_the_parents_list(client, trio):
    child = factories.department("SJJW-RQS", name="燃气所", parent=trio["dept"])
    child_admin = factories.user(department=child, role="dept_admin")
    foreign = make_item(department=trio["other"], code="MH-001")
    client.force_login(child_admin)
    page = client.post(
        reverse("catalog:item_copy"), {"department": "SJJW-RQS", "items": [str(foreign.pk)]}
    )
    assert "所选事项不在可引用的上级清单中" in page.content.decode()
    assert not Item.objects.filter(department=child).exists()
    # A top-level department has nothing above it to copy from.
    client.force_login(trio["owner"])
    assert client.get(reverse("catalog:item_copy"), {"department": "SJJW"}).status_code == 403


def test_the_rules_page_sets_a_monthly_cap_and_a_publication_deadline(client, trio, item):
    """issue 14 第 2 项, on the page: the department admin sets a monthly cap and a 10-day
    publication deadline for one item; a bad value is named and nothing is saved."""
    from shuangsuiji.catalog.models import SupervisionRule

    client.force_login(trio["owner"])
    base = {"department": trio["dept"].code, "item": str(item.pk), "effective_from": "2020-01-01"}
    r = client.post("/catalog/rules/", {**base, "cap_mode": "monthly", "cap": ""})
    assert r.status_code == 422 and "每月被抽中不超过几次" in r.content.decode()
    r = client.post("/catalog/rules/", {**base, "publish_workdays": "0"})
    assert r.status_code == 422 and "结果公示时限（工作日）应为 1—60 的整数" in r.content.decode()
    assert not SupervisionRule.objects.exists()
    r = client.post(
        "/catalog/rules/", {**base, "cap_mode": "monthly", "cap": "1", "publish_workdays": "10"}
    )
    assert r.status_code == 302
    rule = SupervisionRule.objects.get()
    assert (rule.cap_mode, rule.cap, rule.publish_workdays) == ("monthly", 1, 10)
    page = client.get(r["Location"]).content.decode()
    assert "每月不超过1次" in page and "10 个工作日" in page
    client.force_login(trio["colleague"])
    assert client.post("/catalog/rules/", {**base, "publish_workdays": "5"}).status_code == 403
