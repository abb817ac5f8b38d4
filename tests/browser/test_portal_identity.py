"""Pages for civil servants and citizens (issue 第 5、6 项) in a real browser (Debian's
Chromium via Playwright, live server):

- the 系统管理员 enters the 网站标识 in 系统管理 (an SVG logo refused, a PNG taken) and the
  public home page shows it: 主办单位, 政府网站标识码 and the ICP备案号 linked to
  beian.miit.gov.cn in the footer, the logo in the header;
- the portal's 部门 filter is grouped by region, sections under their department;
- on a 375-pixel phone the portal menu wraps: every link is on the screen;
- 系统管理 shows django-axes in Chinese (登录失败锁定 / 登录失败计数), to a browser asking
  for English too;
- a 代录纸质签字 without the scan of the signed page is refused and records nothing.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from shuangsuiji.accounts.choices import DepartmentKind
from shuangsuiji.disclosure.models import SiteIdentity
from shuangsuiji.inspection.choices import VersionStatus
from shuangsuiji.inspection.models import Signature
from tests import factories
from tests.factories.browser import login
from tests.factories.files import image
from tests.factories.inspection import PDF, dispatched_scene, submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_portal_footer_shows_the_identity_entered_in_the_admin(page, live_server):
    admin_user = factories.user(superuser=True, username="sysadmin", full_name="系统管理员")
    page.goto(f"{live_server.url}{reverse('portal:home')}")
    footer = page.locator("#site-footer")
    expect(footer).not_to_contain_text("主办单位")  # nothing entered: no empty labels
    expect(footer).not_to_contain_text("标识码")

    login(page, live_server, admin_user)
    page.get_by_role("link", name="系统管理", exact=True).click()
    page.get_by_role("link", name="网站标识").first.click()
    page.get_by_label("主办单位").fill("示例市市场监督管理局")
    page.get_by_label("联系电话").fill("021-12345678")
    page.get_by_label("ICP备案号").fill("沪ICP备12345678号-1")
    page.get_by_label("政府网站标识码").fill("3101170001")
    page.locator("#id_logo_upload").set_input_files(
        {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": SVG}
    )
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("SVG 可以包含脚本，不予接受")
    assert not SiteIdentity.objects.exists()

    page.locator("#id_logo_upload").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": image("PNG", (96, 96))}
    )
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert SiteIdentity.objects.get().logo_type == "image/png"

    page.goto(f"{live_server.url}{reverse('portal:home')}")
    expect(footer).to_contain_text("主办单位：示例市市场监督管理局")
    expect(footer).to_contain_text("政府网站标识码：3101170001")
    expect(footer).to_contain_text("联系电话：021-12345678")
    icp = footer.get_by_role("link", name="沪ICP备12345678号-1")
    expect(icp).to_have_attribute("href", "https://beian.miit.gov.cn/")
    logo = page.locator("header.top img.site-logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 96


def test_the_department_filter_is_grouped_by_region_with_sections_folded(page, live_server):
    sj = factories.department("SJ", name="上海市松江区建设和管理委员会")
    section = factories.department("SJ-ZF", name="执法监督科", parent=sj)
    zp = factories.department("ZP", name="漳平市住房和城乡建设局")
    SJ_REGION, ZP_REGION = "上海市松江区", "福建省漳平市"
    for d, region in ((sj, SJ_REGION), (section, SJ_REGION), (zp, ZP_REGION)):
        d.region = region
        d.kind = DepartmentKind.SECTION if d.parent_id else DepartmentKind.COMMISSION
        d.save()

    page.goto(f"{live_server.url}{reverse('portal:results')}")
    select = page.get_by_label("检查实施机关")
    groups = select.locator("optgroup")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_have_attribute("label", SJ_REGION)
    expect(groups.nth(1)).to_have_attribute("label", ZP_REGION)
    expect(groups.nth(0).locator("option")).to_have_text(
        ["上海市松江区建设和管理委员会", "\u3000\u3000执法监督科"]
    )
    select.select_option(label="漳平市住房和城乡建设局")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(rf"[?&]department={zp.pk}(&|$)"))
    expect(page.get_by_label("检查实施机关")).to_have_value(str(zp.pk))


def test_the_portal_menu_wraps_on_a_375_pixel_phone(browser, live_server):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    try:
        phone.goto(f"{live_server.url}{reverse('portal:home')}")
        links = phone.get_by_role("navigation", name="公开信息导航").get_by_role("link")
        expect(links).to_have_count(7)
        for i in range(7):
            box = links.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, (
                links.nth(i).inner_text(),
                box,
            )
        nav_scroll = links.nth(0).evaluate("a => a.parentElement.scrollWidth")
        nav_width = links.nth(0).evaluate("a => a.parentElement.clientWidth")
        assert nav_scroll <= nav_width  # nothing hidden sideways in the menu
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


def test_the_admin_shows_axes_in_chinese_to_an_english_browser(browser, live_server):
    context = browser.new_context(
        locale="en-US",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill("somebody")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        login(page, live_server, factories.user(superuser=True, username="sysadmin"))
        page.goto(f"{live_server.url}/admin/")
        expect(page.get_by_role("link", name="登录失败锁定")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Access attempts")
        page.get_by_role("link", name="登录失败计数").first.click()
        expect(page.get_by_role("heading", name="选择 登录失败计数 来修改")).to_be_visible()
        table = page.locator("#result_list")
        for column in ("尝试时间", "来源地址（IP）", "用户名", "连续失败次数", "锁定状态"):
            expect(table.get_by_role("columnheader", name=column)).to_be_visible()
        expect(table).to_contain_text("somebody")
        expect(page.locator("body")).not_to_contain_text("Attempt Time")
    finally:
        context.close()


def test_a_paper_signature_is_refused_without_the_scan(page, live_server):
    scene = dispatched_scene()
    visit, version = submitted(scene)
    leader, member_user = scene.members_users(visit)
    member = visit.members.get(inspector__user=member_user)
    member.inspector.user = None
    member.inspector.save(update_fields=["user"])

    login(page, live_server, leader)
    page.goto(f"{live_server.url}{reverse('inspection:visit', args=[visit.pk])}")
    form = page.locator("#paper-form")
    form.get_by_label("纸质签字的成员").select_option(
        label=f"{member.inspector.name}（{member.inspector.cert_no}）"
    )
    form.get_by_role("button", name="代录纸质签字").click()
    expect(page.locator("#paper-form .errorlist")).to_contain_text("须上传该成员签字的纸质页扫描件")
    assert not Signature.objects.filter(member=member).exists()

    form = page.locator("#paper-form")
    form.get_by_label("签字页扫描件（JPG、PNG 或 PDF）").set_input_files(
        {"name": "签字页.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.get_by_role("button", name="代录纸质签字").click()
    expect(page.locator(".messages")).to_contain_text("签字页扫描件已保存为证据材料")
    expect(page.locator("#signing").get_by_role("link", name="签字页扫描件")).to_be_visible()
    sig = Signature.objects.get(member=member)
    assert sig.on_paper and sig.scan.original_name == "签字页.pdf"
    version.refresh_from_db()
    assert version.status == VersionStatus.SIGNING  # the leader has not signed yet
