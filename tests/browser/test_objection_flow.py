"""The citizen's objection on a phone (issue: pages for civil servants and citizens, item 2),
in a real browser 375 pixels wide: a mistake in the form brings the page back with the
errors at the top of the form, focused and on screen, and everything typed still there;
filed correctly, the receipt links to 查询办理进度, where the number and the credit code
show the objection's status and due dates."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories.portal import published_scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 375, 740
CONTENT = "检查记录中临时用电一项与现场实际不符：现场已安装漏电保护器，见附照片说明。"


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= HEIGHT


def test_a_mistake_is_shown_on_top_with_the_text_kept_then_the_objection_is_looked_up(
    page, live_server
):
    pub = published_scene()
    row = pub.rows[2]
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    page.goto(f"{live_server.url}{reverse('portal:result', args=[row.pk])}")
    page.get_by_label("统一社会信用代码").fill(row.credit_code)
    page.get_by_label("申请人").fill("张经理")
    page.get_by_label("联系电话").fill("1351234")  # too short
    page.get_by_label("异议内容").fill(CONTENT)
    page.get_by_role("button", name="提交异议申请").click()

    summary = page.locator("#objection-errors")
    expect(summary).to_contain_text("联系电话：联系电话应为11位手机号码")
    expect(summary).to_be_focused()
    assert _in_viewport(page, summary)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    # Everything typed is still there; the field says what is wrong, and how it is described.
    expect(page.get_by_label("申请人")).to_have_value("张经理")
    expect(page.get_by_label("异议内容")).to_have_value(CONTENT)
    contact = page.get_by_label("联系电话")
    expect(contact).to_have_value("1351234")
    expect(contact).to_have_attribute("aria-invalid", "true")
    expect(contact).to_have_accessible_description(re.compile("联系电话应为11位手机号码"))
    # The message links to its field.
    summary.get_by_role("link").click()
    expect(contact).to_be_focused()

    contact.fill("13512345678")
    page.get_by_role("button", name="提交异议申请").click()
    expect(page.get_by_role("heading", name="异议申请已受理")).to_be_visible()
    number = page.locator("#objection-number").inner_text()
    assert re.fullmatch(r"YY-\d{6}", number)

    page.get_by_role("link", name="查询办理进度").click()
    expect(page.get_by_role("heading", name="查询异议办理进度")).to_be_visible()
    expect(page.get_by_label("受理编号")).to_have_value(number)
    page.get_by_label("统一社会信用代码").fill(row.credit_code.lower())
    page.get_by_role("button", name="查询").click()
    progress = page.locator("#progress")
    expect(progress).to_contain_text(f"受理编号 {number} · 已受理")
    expect(progress).to_contain_text("检查实施机关正在复核")
    expect(page.locator("#review-by")).to_contain_text("前（收到申请之日起20个工作日内）")
    expect(page.locator("#answer-by")).to_contain_text("最迟")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    # Another entity's code with this number: the one neutral answer, focused and on screen.
    page.get_by_label("统一社会信用代码").fill(pub.rows[1].credit_code)
    page.get_by_role("button", name="查询").click()
    not_found = page.locator("#not-found")
    expect(not_found).to_contain_text("未找到")
    expect(not_found).to_be_focused()
    assert _in_viewport(page, not_found)
    expect(page.locator("#progress")).to_have_count(0)
    assert violations == []
