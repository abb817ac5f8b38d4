"""A notice printed from the visit page in a real browser (issue 13, Done means): the
operator opens 检查通知书, confirms 签发并打印, and the browser receives the numbered PDF."""

import pytest
from playwright.sync_api import expect

from shuangsuiji.documents.models import IssuedDocument
from tests.factories.browser import login
from tests.factories.inspection import dispatched_scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_operator_prints_a_notice_from_the_visit_page(page, live_server, var_dir):
    scene = dispatched_scene(targets=1)
    visit = scene.visits[0]
    login(page, live_server, scene.crew.operator)
    page.goto(f"{live_server.url}/inspection/visits/{visit.pk}/")
    link = page.locator("#documents").get_by_role("link", name="检查通知书")
    href = link.get_attribute("href")
    page.goto(f"{live_server.url}{href}")  # the link opens a new tab; here, the same one
    expect(page.locator("h1")).to_have_text("检查通知书")
    expect(page.locator("main")).to_contain_text("尚未签发")
    page.once("dialog", lambda dialog: dialog.accept())  # 签发后文号即被占用……
    with page.expect_response(
        lambda r: r.url.endswith(".pdf") and r.request.method == "GET"
    ) as info:
        page.get_by_role("button", name="签发并打印").click()
    response = info.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    # (Chromium shows it in its viewer; the bytes, fetched with the same session:)
    pdf = page.request.get(response.url)
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    doc = IssuedDocument.objects.get()
    assert doc.number.endswith("第1号") and doc.object_id == str(visit.pk)


def test_printing_a_visit_page_gives_the_content_without_menus(page, live_server, var_dir):
    """A browser's 打印 of a visit (issue 13 第 7 项): no menu, buttons or forms; the cards and
    a line saying when and by whom it was printed."""
    scene = dispatched_scene(targets=1)
    visit = scene.visits[0]
    login(page, live_server, scene.crew.operator)
    page.goto(f"{live_server.url}/inspection/visits/{visit.pk}/")
    expect(page.locator("header.top")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#documents")).to_be_hidden()
    expect(page.locator("#entity")).to_be_visible()
    expect(page.locator(".print-only")).to_contain_text("打印时间")
    for button in page.locator("main button").all():
        expect(button).to_be_hidden()
    pdf = page.pdf(format="A4")  # what the printer gets
    assert pdf.startswith(b"%PDF")
