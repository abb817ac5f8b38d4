"""Hostile characters and numbers never reach a view or the database, and an unforeseen or
database error never answers a bare 500 (issue 11 items 3 and 6; common/middleware.py,
common/api.py)."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.registry import selectors as registry_selectors
from shuangsuiji.registry.models import Entity
from tests import factories

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999999"


def _entity_post(dept, **overrides):
    data = {
        "department": dept.id,
        "name": "松江某公司",
        "uscc": factories.uscc(),
        "entity_type": "legal_person",
        "subject_kind": "entity",
        "status": "active",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("bad", ["松江\x00某公司", "松江某公司\u202e司公", "a\x1bb"])
def test_a_form_field_with_a_forbidden_character_is_refused_by_name(client, trio, bad):
    client.force_login(trio["owner"])
    resp = client.post(reverse("registry:entity_create"), _entity_post(trio["dept"], name=bad))
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "「name」含有不允许的字符" in page and "请删除后重新提交" in page
    assert "退出" in page or "logout" in page  # the page keeps the signed-in user's menu
    assert not Entity.objects.exists()


def test_the_public_search_refuses_a_nul_instead_of_failing(client):
    resp = client.get("/public/results/?q=a%00b")
    assert (
        resp.status_code == 400
        and "「q」含有不允许的字符 U+0000（空字符）" in resp.content.decode()
    )


def test_a_path_with_a_nul_does_not_exist(client):
    assert client.get("/public/results/%00/").status_code == 404


@pytest.fixture
def api(client, trio):
    _, secret = api_token_create(user=trio["owner"], name="测试")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def test_the_api_refuses_a_forbidden_character_naming_the_field(api, trio):
    entity = factories.entity(department=trio["dept"], name="松江某公司")
    resp = api.patch(
        f"/api/v1/registry/entities/{entity.pk}",
        data={"name": "松江\x00某公司"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == {
        "name": ["「name」含有不允许的字符 U+0000（空字符），请删除后重新提交"]
    }
    # a lone surrogate sent as a JSON escape
    resp = api.patch(
        f"/api/v1/registry/entities/{entity.pk}",
        data='{"name": "x\\ud800"}',
        content_type="application/json",
    )
    assert resp.status_code == 422 and "不成对的代理字符" in resp.json()["detail"]
    entity.refresh_from_db()
    assert entity.name == "松江某公司"


def test_numbers_beyond_64_bits_are_pages_that_do_not_exist(client, api, trio):
    client.force_login(trio["owner"])
    assert client.get(f"/registry/entities/{BIG}/").status_code == 404
    resp = api.get(f"/api/v1/registry/entities/{BIG}")
    assert resp.status_code == 404 and resp.json()["detail"]


def _web_paths():
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    for route in walk(get_resolver().url_patterns, "/"):
        if "<int:" in route and not route.startswith("/api/") and "^" not in route:
            import re

            yield re.sub(r"<int:\w+>", BIG, re.sub(r"<str:\w+>", "pdf", route))


def test_no_page_answers_500_for_a_number_beyond_64_bits(client, trio, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    client.raise_request_exception = False
    client.force_login(trio["owner"])
    paths = list(_web_paths())
    assert len(paths) > 30
    failed = [(p, r.status_code) for p in paths if (r := client.get(p)).status_code >= 500]
    assert failed == []
    client.logout()
    failed = [(p, r.status_code) for p in paths if (r := client.get(p)).status_code >= 500]
    assert failed == []


def test_no_api_operation_answers_500_for_a_number_beyond_64_bits(api):
    import re

    api.raise_request_exception = False
    spec = api.get("/api/v1/openapi.json").json()
    failed = []
    for path, operations in spec["paths"].items():
        url = "/api/v1" + re.sub(r"\{\w+\}", BIG, path) if path.startswith("/") else path
        url = re.sub(r"^/api/v1/api/v1", "/api/v1", url)
        for method in operations:
            resp = getattr(api, method)(url, data={}, content_type="application/json")
            if resp.status_code >= 500 or not resp["Content-Type"].startswith("application/json"):
                failed.append((method, url, resp.status_code))
        query = api.get(f"/api/v1/registry/entities?page={BIG}")
        assert query.status_code < 500
    assert failed == []


def test_an_unforeseen_api_error_is_the_json_envelope_not_html(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(registry_selectors, "entity_get", broken)
    resp = api.get("/api/v1/registry/entities/1")
    assert resp.status_code == 500
    assert resp.json() == {"detail": "服务器内部错误，已记录，请稍后重试", "errors": {}}


@pytest.mark.parametrize("text", ["database is locked", "attempt to write a readonly database"])
def test_a_busy_or_read_only_database_is_a_503_with_retry_after(
    client, api, trio, monkeypatch, text
):
    def busy(**kwargs):
        raise OperationalError(text)

    monkeypatch.setattr(registry_selectors, "entity_get", busy)
    resp = api.get("/api/v1/registry/entities/1")
    assert resp.status_code == 503 and resp["Retry-After"] == "5"
    assert resp.json()["detail"] == "系统繁忙，请稍后重试"
    client.force_login(trio["owner"])
    resp = client.get("/registry/entities/1/")
    assert resp.status_code == 503 and resp["Retry-After"] == "5"
    assert "系统繁忙，请稍后重试" in resp.content.decode()
