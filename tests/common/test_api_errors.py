import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_an_unparsable_json_body_gets_a_chinese_400(client, dept):
    owner = factories.user(department=dept, role="dept_admin")
    client.force_login(owner)
    resp = client.post("/api/v1/catalog/items", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["detail"] == "请求内容无法解析，请提交有效的 JSON"


def test_no_credentials_gets_a_chinese_401(client):
    resp = client.get("/api/v1/catalog/items")
    assert resp.status_code == 401 and resp.json()["detail"] == "未登录或令牌无效"


def test_the_openapi_document_is_served(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.json()["info"]["title"].startswith("双随机")
