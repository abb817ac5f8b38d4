"""The portal on a phone: a 375-pixel screen never scrolls sideways (tables scroll inside
their box or become cards). Debian's Chromium through Playwright, against the live server."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories.portal import published_scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 375


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": WIDTH, "height": 800},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_results_search_and_a_result_page_fit_a_375_pixel_screen(phone, live_server):
    pub = published_scene()
    row = pub.correction

    phone.goto(f"{live_server.url}{reverse('portal:results')}")
    expect(phone.get_by_role("heading", name="抽查检查结果")).to_be_visible()
    expect(phone.locator("main")).to_contain_text(pub.rows[1].entity_name)
    assert _scroll_width(phone) <= WIDTH

    phone.get_by_label("名称或统一社会信用代码").fill(row.credit_code)
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator("main")).to_contain_text("已被更正")
    assert _scroll_width(phone) <= WIDTH

    phone.goto(f"{live_server.url}{reverse('portal:result', args=[row.pk])}")
    expect(phone.get_by_role("heading", name="版本记录")).to_be_visible()
    expect(phone.get_by_role("button", name="提交异议申请")).to_be_visible()
    assert _scroll_width(phone) <= WIDTH

    for name in ("portal:home", "portal:items", "portal:corrections", "portal:objections"):
        phone.goto(f"{live_server.url}{reverse(name)}")
        assert _scroll_width(phone) <= WIDTH, name
