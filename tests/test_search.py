"""全局搜索 (issue 16 第 4 项): one box in the header finds entities by name or by a credit
code however typed, tasks by number, items and inspectors — only in the user's scope."""

import pytest
from django.urls import reverse

from tests import factories
from tests.factories.catalog import make_item

pytestmark = pytest.mark.django_db


def test_the_search_finds_each_kind_in_scope(client, trio, make_task):
    mine = factories.entity(department=trio["dept"], name="松江燃气有限公司")
    factories.entity(department=trio["other"], name="闵行燃气有限公司")
    task = make_task(title="燃气安全专项抽查")
    make_item(department=trio["dept"], code="RQ-777", name="燃气经营检查")
    factories.inspector(department=trio["dept"], name="燃气检查员")
    client.force_login(trio["colleague"])
    page = client.get(reverse("search"), {"q": " 燃气 "}).content.decode()
    assert "松江燃气有限公司" in page and "闵行燃气有限公司" not in page  # scope
    assert "燃气安全专项抽查" in page and "RQ-777" in page and "燃气检查员" in page
    # A credit code typed with spaces and full-width digits still finds the one entity.
    spaced = " ".join(mine.uscc[i : i + 6] for i in range(0, 18, 6))
    wide = spaced.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    page = client.get(reverse("search"), {"q": wide}).content.decode()
    assert "松江燃气有限公司" in page
    page = client.get(reverse("search"), {"q": task.code}).content.decode()
    assert "燃气安全专项抽查" in page
    assert "-" in task.code  # typed with spaces instead of hyphens, still found
    page = client.get(reverse("search"), {"q": task.code.replace("-", " ")}).content.decode()
    assert "燃气安全专项抽查" in page
    page = client.get(reverse("search"), {"q": "不存在的名称"}).content.decode()
    assert "没有找到" in page
    # A huge query is cut to 100 characters; control characters are refused up front
    # (common/middleware.py), never a server error.
    assert client.get(reverse("search"), {"q": "燃气" + "甲" * 5000}).status_code == 200
    assert client.get(reverse("search"), {"q": "燃气\x00\x07"}).status_code == 400
    # The box is in every staff page's header.
    assert 'action="/search/"' in client.get(reverse("home")).content.decode()


def test_the_search_needs_a_login(client):
    r = client.get(reverse("search"), {"q": "燃气"})
    assert r.status_code == 302 and "/accounts/login" in r["Location"]
