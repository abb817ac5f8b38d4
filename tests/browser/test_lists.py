"""Lists that scale, in a real browser (issue 16 第 4 项): the entity library sorted by a
column header, paged by number with the filter kept, and the very list downloaded as xlsx
(masked as on the page)."""

import dataclasses

import pytest
from playwright.sync_api import expect

from shuangsuiji.registry import views as registry_views
from tests import factories
from tests.factories.browser import login
from tests.factories.files import read_sheet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sorted_paged_list_and_its_xlsx_export(page, live_server, trio, tmp_path, monkeypatch):
    monkeypatch.setattr(
        registry_views,
        "ENTITY_LIST",
        dataclasses.replace(registry_views.ENTITY_LIST, per_page=3),
    )
    for i in (4, 1, 6, 2, 5, 3, 7):
        factories.entity(
            department=trio["dept"], name=f"企业{i}", industry="建筑", contact_phone="13905971234"
        )
    factories.entity(department=trio["dept"], name="企业0餐饮", industry="餐饮")
    login(page, live_server, trio["owner"])
    page.goto(f"{live_server.url}/registry/entities/?industry=建筑")
    expect(page.locator(".pager")).to_contain_text("共 7 个，第 1 / 3 页")
    page.locator("thead").get_by_role("link", name="名称", exact=True).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("名称")
    first_column = page.locator("table tbody tr td:first-child")
    expect(first_column).to_have_text(["企业1", "企业2", "企业3"])
    page.locator(".pager").get_by_role("link", name="第 2 页").click()
    expect(first_column).to_have_text(["企业4", "企业5", "企业6"])
    assert "industry=" in page.url and "sort=name" in page.url and "page=2" in page.url
    with page.expect_download() as info:
        page.get_by_role("link", name="导出当前列表（xlsx）").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.startswith("检查对象名录库-") and path.suffix == ".xlsx"
    rows = read_sheet(path)
    names = [r[0] for r in rows[1:]]
    assert names == [f"企业{i}" for i in range(1, 8)]  # the whole list, filtered and sorted
    phones = {r[rows[0].index("联系方式")] for r in rows[1:]}
    assert phones == {"139****1234"}
