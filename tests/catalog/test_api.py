import json

import pytest

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.api import api
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.services import item_repeal
from tests import factories
from tests.factories.catalog import content, make_item

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


def _auth(user) -> dict:
    _, secret = api_token_create(user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, url, body, user):
    return client.post(url, data=json.dumps(body), content_type="application/json", **_auth(user))


def _new(**overrides) -> dict:
    body = content()
    body.update(department="SJJW", code="RQ-100", effective_date="2024-03-01")
    body.update(overrides)
    return body


def test_list_filters_and_pages(client, trio):
    for n in range(5):
        make_item(department=trio["dept"], code=f"RQ-{n}", name=f"燃气检查{n}")
    make_item(department=trio["dept"], code="DX-1", name="地下空间检查", category="key")
    make_item(department=trio["other"], code="MH-1", name="绿地检查")
    r = client.get(f"{BASE}/items", {"page_size": 2, "page": 2}, **_auth(trio["colleague"]))
    body = r.json()
    assert (
        r.status_code == 200
        and body["count"] == 6
        and [i["code"] for i in body["items"]] == ["RQ-1", "RQ-2"]
    )
    r = client.get(f"{BASE}/items", {"category": "key"}, **_auth(trio["colleague"]))
    assert [i["code"] for i in r.json()["items"]] == ["DX-1"]
    assert r.json()["items"][0]["current"]["category"] == "key"
    r = client.get(f"{BASE}/items", {"q": "燃气检查3"}, **_auth(trio["colleague"]))
    assert [i["code"] for i in r.json()["items"]] == ["RQ-3"]


def test_list_hides_repealed_unless_asked(client, trio, item):
    item_repeal(item=item, change_reason="废止", effective_date="2024-06-01", actor=None)
    assert client.get(f"{BASE}/items", **_auth(trio["owner"])).json()["count"] == 0
    r = client.get(f"{BASE}/items", {"include_repealed": True}, **_auth(trio["owner"]))
    assert r.json()["items"][0]["is_repealed"] is True


def test_list_errors_401_and_422(client, trio):
    r = client.get(f"{BASE}/items")
    assert r.status_code == 401 and r.json()["detail"] == "未登录或令牌无效"
    r = client.get(f"{BASE}/items", {"category": "urgent"}, **_auth(trio["owner"]))
    assert r.status_code == 422 and r.json()["errors"] == {"category": ["事项类别无效：urgent"]}
    r = client.get(f"{BASE}/items", {"page_size": 0}, **_auth(trio["owner"]))
    assert r.status_code == 422 and "page_size" in r.json()["errors"]


def test_get_returns_all_versions_and_404_for_other_departments(client, trio, item):
    r = client.get(f"{BASE}/items/{item.pk}", **_auth(trio["colleague"]))
    body = r.json()
    assert r.status_code == 200 and body["code"] == "RQ-001" and body["department"] == "SJJW"
    assert [v["number"] for v in body["versions"]] == [1] and body["current"]["methods"] == [
        "on_site",
        "document",
    ]
    r = client.get(f"{BASE}/items/{item.pk}", **_auth(trio["outsider"]))
    assert r.status_code == 404 and r.json()["detail"] == "抽查事项不存在或您无权查看"
    assert client.get(f"{BASE}/items/{item.pk}").status_code == 401


def test_session_auth_works_too(client, trio, item):
    client.force_login(trio["colleague"])
    assert client.get(f"{BASE}/items/{item.pk}").status_code == 200


def test_create_happy_path(client, trio):
    r = _post(client, f"{BASE}/items", _new(), trio["owner"])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["code"] == "RQ-100" and body["current"]["number"] == 1
    assert (
        body["current"]["change_kind"] == "create"
        and body["current"]["effective_date"] == "2024-03-01"
    )
    assert Item.objects.get(code="RQ-100").current.created_by == trio["owner"]


def test_create_errors(client, trio):
    r = client.post(f"{BASE}/items", data=json.dumps(_new()), content_type="application/json")
    assert r.status_code == 401
    r = _post(client, f"{BASE}/items", _new(), trio["colleague"])
    assert r.status_code == 403 and "部门管理员" in r.json()["detail"]
    r = _post(client, f"{BASE}/items", _new(department="NOPE"), trio["owner"])
    assert r.status_code == 404 and r.json()["errors"] == {"department": ["部门 NOPE 不存在"]}
    r = _post(
        client,
        f"{BASE}/items",
        _new(name="", methods=[], effective_date="2024-02-30"),
        trio["owner"],
    )
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"name", "methods", "effective_date"}
    r = client.post(
        f"{BASE}/items", data="{not json", content_type="application/json", **_auth(trio["owner"])
    )
    assert r.status_code == 400
    assert _post(client, f"{BASE}/items", _new(), trio["owner"]).status_code == 201
    r = _post(client, f"{BASE}/items", _new(), trio["owner"])
    assert r.status_code == 409 and r.json()["errors"] == {
        "code": ["本部门清单中已有事项编码 RQ-100"]
    }
    assert Item.objects.count() == 1


def test_revise_changes_only_the_fields_sent(client, trio, item):
    r = _post(
        client,
        f"{BASE}/items/{item.pk}/revise",
        {
            "default_ratio": "10",
            "change_reason": "法规修订",
            "effective_date": "2024-07-01",
            "expected_number": 1,
        },
        trio["owner"],
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["current"]["number"] == 2 and float(body["current"]["default_ratio"]) == 10
    assert body["current"]["name"] == "燃气经营监督执法检查"
    assert [v["number"] for v in body["versions"]] == [2, 1]


def test_revise_errors(client, trio, item):
    url = f"{BASE}/items/{item.pk}/revise"
    good = {"name": "改名", "change_reason": "法规修订", "effective_date": "2024-07-01"}
    assert (
        client.post(url, data=json.dumps(good), content_type="application/json").status_code == 401
    )
    assert _post(client, url, good, trio["colleague"]).status_code == 403
    assert _post(client, url, good, trio["outsider"]).status_code == 404
    assert _post(client, f"{BASE}/items/999999/revise", good, trio["owner"]).status_code == 404
    r = _post(client, url, {**good, "change_reason": ""}, trio["owner"])
    assert r.status_code == 422 and "change_reason" in r.json()["errors"]
    r = client.post(url, data="[", content_type="application/json", **_auth(trio["owner"]))
    assert r.status_code == 400
    assert _post(client, url, {**good, "expected_number": 1}, trio["owner"]).status_code == 200
    r = _post(client, url, {**good, "name": "再改", "expected_number": 1}, trio["owner"])
    assert r.status_code == 409 and "已被他人修订为第2版" in r.json()["detail"]
    assert item.versions.count() == 2


def test_repeal_and_its_errors(client, trio, item):
    url = f"{BASE}/items/{item.pk}/repeal"
    good = {"change_reason": "依据的规章已废止", "effective_date": "2024-07-01"}
    assert (
        client.post(url, data=json.dumps(good), content_type="application/json").status_code == 401
    )
    assert _post(client, url, good, trio["colleague"]).status_code == 403
    assert _post(client, url, good, trio["outsider"]).status_code == 404
    r = _post(client, url, {"change_reason": "", "effective_date": ""}, trio["owner"])
    assert r.status_code == 422 and set(r.json()["errors"]) == {"change_reason", "effective_date"}
    assert (
        client.post(
            url, data="x", content_type="application/json", **_auth(trio["owner"])
        ).status_code
        == 400
    )
    r = _post(client, url, good, trio["owner"])
    assert r.status_code == 200 and r.json()["is_repealed"] is True
    assert r.json()["current"]["change_kind"] == "repeal"
    assert _post(client, url, good, trio["owner"]).status_code == 409


def test_copy_and_its_errors(client, trio):
    child = factories.department("SJJW-RQS", name="燃气所", parent=trio["dept"])
    child_admin = factories.user(department=child, role="dept_admin")
    a = make_item(department=trio["dept"], code="RQ-001")
    foreign = make_item(department=trio["other"], code="MH-001")
    url = f"{BASE}/items/copy"
    body = {"department": "SJJW-RQS", "item_ids": [a.pk]}
    assert (
        client.post(url, data=json.dumps(body), content_type="application/json").status_code == 401
    )
    assert _post(client, url, body, trio["colleague"]).status_code == 403
    r = _post(client, url, {"department": "SJJW-RQS", "item_ids": [foreign.pk]}, child_admin)
    assert r.status_code == 403 and "不是“燃气所”的上级部门" in r.json()["detail"]
    r = _post(client, url, {"department": "SJJW-RQS", "item_ids": [999999]}, child_admin)
    assert r.status_code == 404 and "999999" in r.json()["detail"]
    assert (
        _post(client, url, {"department": "SJJW-RQS", "item_ids": []}, child_admin).status_code
        == 422
    )
    assert (
        _post(client, url, {"department": "SJJW-RQS", "item_ids": ["x"]}, child_admin).status_code
        == 422
    )
    assert (
        client.post(
            url, data="{", content_type="application/json", **_auth(child_admin)
        ).status_code
        == 400
    )
    r = _post(client, url, body, child_admin)
    assert (
        r.status_code == 201
        and r.json()[0]["copied_from"] == a.pk
        and r.json()[0]["department"] == "SJJW-RQS"
    )
    assert _post(client, url, body, child_admin).status_code == 409


def test_every_operation_declares_its_error_responses():
    schema = api.get_openapi_schema()
    ops = {
        (path, method): op
        for path, methods in schema["paths"].items()
        if "/catalog/" in path
        for method, op in methods.items()
    }
    assert len(ops) == 6
    for (path, method), op in ops.items():
        codes = {str(code) for code in op["responses"]}
        assert "401" in codes, (path, method)
        if method == "post":
            assert {"400", "403", "404", "409", "422"} <= codes, (path, method)
