import pytest

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.audit.models import Event
from shuangsuiji.registry.models import Conflict, Entity, Inspector, Tag
from tests import factories

pytestmark = pytest.mark.django_db

BASE = "/api/v1/registry"
MOBILE = "13905971234"


@pytest.fixture
def api(client, trio):
    """A client authenticated with a bearer token of the department admin."""
    _, secret = api_token_create(user=trio["owner"], name="测试")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _token_client(client, user):
    _, secret = api_token_create(user=user, name="测试")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


# --- auth and OpenAPI ------------------------------------------------------------------------


def test_requests_without_auth_get_401_in_chinese(client, trio):
    resp = client.get(f"{BASE}/entities")
    assert resp.status_code == 401 and resp.json()["detail"] == "未登录或令牌无效"
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer wrong"
    assert client.get(f"{BASE}/entities").status_code == 401


def test_session_auth_works_too(client, trio):
    factories.entity(department=trio["dept"], name="会话公司")
    client.force_login(trio["colleague"])
    resp = client.get(f"{BASE}/entities")
    assert resp.status_code == 200 and resp.json()["items"][0]["name"] == "会话公司"


def test_openapi_lists_every_operation_with_its_errors(client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    expected = {
        ("get", "/entities"),
        ("post", "/entities"),
        ("get", "/entities/{entity_id}"),
        ("patch", "/entities/{entity_id}"),
        ("get", "/inspectors"),
        ("post", "/inspectors"),
        ("get", "/inspectors/{inspector_id}"),
        ("patch", "/inspectors/{inspector_id}"),
        ("get", "/conflicts"),
        ("post", "/conflicts"),
        ("post", "/conflicts/{conflict_id}/withdraw"),
        ("get", "/tags"),
        ("post", "/tags"),
    }
    for method, path in expected:
        op = paths[f"/api/v1/registry{path}"][method]
        codes = set(op["responses"])
        assert {"401", "403"} <= codes, (method, path)
        if method in ("post", "patch"):
            assert {"400", "404", "409", "422"} <= codes, (method, path)
        if "{" in path and method == "get":
            assert "404" in codes


# --- entities --------------------------------------------------------------------------------


def test_entity_create_get_patch_round_trip_with_masked_phone(api, trio):
    tag = Tag.objects.create(department=trio["dept"], name="燃气子库")
    code = factories.uscc()
    resp = _post(
        api,
        f"{BASE}/entities",
        {
            "department": trio["dept"].code,
            "name": "松江燃气公司",
            "uscc": code,
            "contact_phone": MOBILE,
            "risk_class": "C",
            "risk_date": "2024-06-30",
            "risk_source": "信用分类",
            "tags": [tag.id],
        },
    )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert (
        body["key"] == code
        and body["contact_phone"] == "139****1234"
        and body["tags"][0]["name"] == "燃气子库"
    )
    assert MOBILE not in resp.content.decode()
    got = api.get(f"{BASE}/entities/{body['id']}")
    assert got.status_code == 200 and MOBILE not in got.content.decode()
    resp = _patch(
        api,
        f"{BASE}/entities/{body['id']}",
        {"status": "deregistered", "version": body["version"], "tags": []},
    )
    assert (
        resp.status_code == 200
        and resp.json()["status"] == "deregistered"
        and resp.json()["tags"] == []
    )
    entity = Entity.objects.get(pk=body["id"])
    assert entity.contact_phone == MOBILE and entity.status == "deregistered"
    assert Event.objects.filter(object_id=str(entity.pk), action__startswith="entity.").count() == 2


def test_entity_patch_with_an_old_version_is_409(api, trio):
    entity = factories.entity(department=trio["dept"])
    version = api.get(f"{BASE}/entities/{entity.pk}").json()["version"]
    assert (
        _patch(
            api, f"{BASE}/entities/{entity.pk}", {"name": "一改", "version": version}
        ).status_code
        == 200
    )
    resp = _patch(api, f"{BASE}/entities/{entity.pk}", {"name": "二改", "version": version})
    assert resp.status_code == 409 and "已被他人修改" in resp.json()["detail"]
    entity.refresh_from_db()
    assert entity.name == "一改"


def test_entity_create_errors_name_the_fields(api, trio):
    resp = _post(
        api,
        f"{BASE}/entities",
        {"department": trio["dept"].code, "name": "", "uscc": "91310117MA1G000000"},
    )
    assert resp.status_code == 422
    assert set(resp.json()["errors"]) >= {"name", "uscc"}
    resp = _post(api, f"{BASE}/entities", {"department": trio["dept"].code})  # schema: name missing
    assert resp.status_code == 422 and "name" in resp.json()["errors"]
    resp = _post(
        api, f"{BASE}/entities", {"department": "NOPE", "name": "甲", "uscc": factories.uscc()}
    )
    assert resp.status_code == 422 and "department" in resp.json()["errors"]
    code = factories.uscc()
    assert (
        _post(
            api, f"{BASE}/entities", {"department": trio["dept"].code, "name": "甲", "uscc": code}
        ).status_code
        == 201
    )
    resp = _post(
        api, f"{BASE}/entities", {"department": trio["dept"].code, "name": "乙", "uscc": code}
    )
    assert resp.status_code == 409 and "uscc" in resp.json()["errors"]
    assert Entity.objects.count() == 1


def test_entity_list_filters_and_pages(api, trio):
    rows = [
        factories.entity(department=trio["dept"], name=f"企业{i}", risk_class="AB"[i % 2])
        for i in range(5)
    ]
    factories.entity(department=trio["other"], name="他部门企业")
    page = api.get(f"{BASE}/entities", {"limit": 2}).json()
    assert [e["name"] for e in page["items"]] == ["企业4", "企业3"] and page["count"] == 5
    page2 = api.get(f"{BASE}/entities", {"limit": 2, "after": page["next_after"]}).json()
    assert [e["name"] for e in page2["items"]] == ["企业2", "企业1"]
    back = api.get(f"{BASE}/entities", {"limit": 2, "before": page2["prev_before"]}).json()
    assert [e["name"] for e in back["items"]] == ["企业4", "企业3"]
    only_b = api.get(f"{BASE}/entities", {"risk_class": "B"}).json()
    assert {e["id"] for e in only_b["items"]} == {rows[1].id, rows[3].id}
    assert api.get(f"{BASE}/entities", {"department": "MHLH"}).json()["items"] == []
    assert api.get(f"{BASE}/entities", {"limit": 1000}).status_code == 422


def test_entity_scope_outsider_404_colleague_403(client, trio):
    entity = factories.entity(department=trio["dept"])
    outsider = _token_client(client, trio["outsider"])
    assert outsider.get(f"{BASE}/entities/{entity.pk}").status_code == 404
    assert _patch(outsider, f"{BASE}/entities/{entity.pk}", {"name": "x"}).status_code == 404
    colleague = _token_client(client, trio["colleague"])
    assert colleague.get(f"{BASE}/entities/{entity.pk}").status_code == 200
    resp = _patch(colleague, f"{BASE}/entities/{entity.pk}", {"name": "x"})
    assert resp.status_code == 403 and "部门管理员" in resp.json()["detail"]
    resp = _post(
        colleague,
        f"{BASE}/entities",
        {"department": trio["dept"].code, "name": "x", "uscc": factories.uscc()},
    )
    assert resp.status_code == 403
    entity.refresh_from_db()
    assert entity.name != "x" and not Event.objects.filter(action__startswith="entity.").exists()


# --- inspectors ------------------------------------------------------------------------------


def test_inspector_endpoints_mask_numbers_and_validate(api, trio, client):
    from shuangsuiji.common.ids import make_id_number

    idn = make_id_number(factories.rng)
    resp = _post(
        api,
        f"{BASE}/inspectors",
        {
            "department": trio["dept"].code,
            "cert_no": "13080099",
            "name": "林建华",
            "mobile": MOBILE,
            "id_number": idn,
            "kind": "officer",
            "cert_valid_until": "2020-12-31",
            "expertise": "燃气",
        },
    )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["mobile"] == "139****1234" and body["cert_expired"] is True
    assert idn not in resp.content.decode() and MOBILE not in resp.content.decode()
    dup = _post(
        api,
        f"{BASE}/inspectors",
        {"department": trio["dept"].code, "cert_no": "13080099", "name": "乙"},
    )
    assert dup.status_code == 409 and "cert_no" in dup.json()["errors"]
    bad = _post(
        api,
        f"{BASE}/inspectors",
        {
            "department": trio["dept"].code,
            "cert_no": "X1",
            "name": "丙",
            "mobile": "123",
            "kind": "boss",
        },
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"mobile", "kind"}
    listing = api.get(f"{BASE}/inspectors", {"cert": "expired"})
    assert listing.status_code == 200 and listing.json()["count"] == 1
    assert MOBILE not in listing.content.decode()
    resp = _patch(
        api, f"{BASE}/inspectors/{body['id']}", {"cert_valid_until": "2099-12-31", "post": "科员"}
    )
    assert (
        resp.status_code == 200
        and resp.json()["cert_expired"] is False
        and resp.json()["post"] == "科员"
    )
    assert api.get(f"{BASE}/inspectors/{body['id']}").status_code == 200
    assert Inspector.objects.count() == 1
    outsider = _token_client(client, trio["outsider"])
    assert outsider.get(f"{BASE}/inspectors/{body['id']}").status_code == 404
    assert outsider.get(f"{BASE}/inspectors").json()["count"] == 0


# --- conflicts and tags ---------------------------------------------------------------------


def test_conflict_endpoints(api, trio, client):
    ins = factories.inspector(department=trio["dept"])
    entity = factories.entity(department=trio["dept"])
    resp = _post(
        api,
        f"{BASE}/conflicts",
        {"inspector_id": ins.pk, "entity_id": entity.pk, "reason": "配偶任职"},
    )
    assert resp.status_code == 201
    cid = resp.json()["id"]
    dup = _post(
        api, f"{BASE}/conflicts", {"inspector_id": ins.pk, "entity_id": entity.pk, "reason": "重复"}
    )
    assert dup.status_code == 409
    blank = _post(
        api, f"{BASE}/conflicts", {"inspector_id": ins.pk, "entity_id": entity.pk, "reason": ""}
    )
    assert blank.status_code == 422 and "reason" in blank.json()["errors"]
    missing = _post(
        api, f"{BASE}/conflicts", {"inspector_id": ins.pk, "entity_id": 999999, "reason": "x"}
    )
    assert missing.status_code == 404
    listed = api.get(f"{BASE}/conflicts", {"inspector_id": ins.pk}).json()
    assert [c["id"] for c in listed] == [cid]
    colleague = _token_client(client, trio["colleague"])
    assert _post(colleague, f"{BASE}/conflicts/{cid}/withdraw", {"reason": "x"}).status_code == 403
    _token_client(client, trio["owner"])
    resp = _post(client, f"{BASE}/conflicts/{cid}/withdraw", {"reason": "已离职"})
    assert resp.status_code == 200 and resp.json()["is_active"] is False
    assert _post(client, f"{BASE}/conflicts/{cid}/withdraw", {"reason": "再撤"}).status_code == 409
    assert Conflict.objects.get(pk=cid).withdraw_reason == "已离职"
    outsider = _token_client(client, trio["outsider"])
    assert _post(outsider, f"{BASE}/conflicts/{cid}/withdraw", {"reason": "x"}).status_code == 404


def test_tag_endpoints(api, trio):
    resp = _post(
        api,
        f"{BASE}/tags",
        {"department": trio["dept"].code, "name": "重点检查库2025", "kind": "key"},
    )
    assert resp.status_code == 201 and resp.json()["kind_label"] == "重点检查库"
    assert (
        _post(
            api, f"{BASE}/tags", {"department": trio["dept"].code, "name": "重点检查库2025"}
        ).status_code
        == 409
    )
    bad = _post(
        api, f"{BASE}/tags", {"department": trio["dept"].code, "name": "x", "kind": "bogus"}
    )
    assert bad.status_code == 422 and "kind" in bad.json()["errors"]
    assert _post(api, f"{BASE}/tags", {"department": "MHLH", "name": "x"}).status_code == 422
    tags = api.get(f"{BASE}/tags").json()
    assert [t["name"] for t in tags] == ["重点检查库2025"]
