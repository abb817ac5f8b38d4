"""网站标识 (issue “pages for civil servants and citizens” 第 5 项): the portal's header and
footer come from the one settings row the 系统管理员 edits in 系统管理; the logo is a real
PNG or JPEG; the 部门 filter is grouped by 所在地区 with sections under their department."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuangsuiji.accounts.choices import DepartmentKind
from shuangsuiji.audit.labels import action_label
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.disclosure import portal_selectors as sel
from shuangsuiji.disclosure.models import SiteIdentity
from shuangsuiji.disclosure.services.site import (
    LOGO_MAX_BYTES,
    site_identity_update,
    site_logo_check,
)
from shuangsuiji.disclosure.site_selectors import site_identity_public
from tests import factories
from tests.factories.catalog import make_item
from tests.factories.files import image
from tests.factories.html import unlabelled_controls
from tests.factories.portal import published_scene

pytestmark = pytest.mark.django_db

VALUES = {
    "site_name": "示例市“双随机、一公开”监管平台",
    "sponsor": "示例市市场监督管理局",
    "organizer": "示例市大数据中心",
    "address": "示例市人民路1号",
    "postcode": "200000",
    "phone": "021-12345678",
    "email": "ssj@example.gov.cn",
    "icp_number": "沪ICP备12345678号-1",
    "police_number": "沪公网安备31011702000001号",
    "site_code": "3101170001",
}
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.fixture
def admin_user():
    return factories.user(superuser=True, username="sysadmin")


def _footer(client) -> str:
    body = client.get(reverse("portal:home")).content.decode()
    return body[body.index('<footer class="site-footer"') :]


# --- the logo ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_it_accepts_a_real_png_or_jpeg_logo(fmt, content_type):
    logo = site_logo_check(data=image(fmt), name=f"logo.{fmt.lower()}")
    assert logo.content_type == content_type and len(logo.sha256) == 64


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("logo.svg", SVG, "SVG"),
        ("logo.png", SVG, "SVG"),  # an SVG renamed: refused on its content
        ("logo.gif", image("GIF"), "只接受 PNG、JPEG"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "不是可以识别的"),  # the magic only
        ("logo.png", image("PNG")[:60], "不是可以识别的"),  # truncated
        ("logo.png", b"", "空文件"),
        ("logo.jpg", image("JPEG", (2400, 10)), "不能超过 2000 像素"),
    ],
)
def test_it_refuses_a_logo_that_is_not_a_real_png_or_jpeg(name, data, words):
    with pytest.raises(ValidationFailed) as exc:
        site_logo_check(data=data, name=name)
    assert words in exc.value.message and exc.value.field == "logo"


def test_it_refuses_a_logo_over_the_size_limit():
    with pytest.raises(ValidationFailed, match="不能超过 512 KB"):
        site_logo_check(data=b"\x89PNG\r\n\x1a\n" + b"\x00" * LOGO_MAX_BYTES, name="big.png")


# --- the service -----------------------------------------------------------------------------


def test_the_system_admin_saves_the_identity_with_an_audit_event(admin_user):
    logo = site_logo_check(data=image("PNG"), name="logo.png")
    row = site_identity_update(actor=admin_user, values=VALUES, logo=logo)
    assert row.pk == 1 and row.sponsor == "示例市市场监督管理局" and row.logo_sha256 == logo.sha256
    event = Event.objects.get(action="site.update")
    assert event.after["sponsor"] == "示例市市场监督管理局" and event.before["sponsor"] == ""
    assert action_label("site.update") == "网站标识 · 修改"

    # A second save changes the one row; removing the logo is recorded too.
    site_identity_update(actor=admin_user, values={**VALUES, "phone": ""}, logo_remove=True)
    assert SiteIdentity.objects.count() == 1
    row.refresh_from_db()
    assert row.phone == "" and row.logo_sha256 == "" and bytes(row.logo) == b""
    last = Event.objects.filter(action="site.update").order_by("-seq").first()
    assert last.after == {"phone": "", "logo_sha256": ""}


def test_only_a_system_admin_may_change_it(dept):
    staff = factories.user(department=dept, role="dept_admin")
    with pytest.raises(NotAllowed):
        site_identity_update(actor=staff, values=VALUES)
    assert not SiteIdentity.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [("site_code", "31011"), ("postcode", "20000A"), ("email", "not-an-address")],
)
def test_a_wrong_value_changes_nothing(admin_user, field, value):
    site_identity_update(actor=admin_user, values=VALUES)
    with pytest.raises(ValidationFailed) as exc:
        site_identity_update(actor=admin_user, values={**VALUES, "sponsor": "别的", field: value})
    assert field in exc.value.errors
    assert SiteIdentity.objects.get().sponsor == VALUES["sponsor"]
    assert Event.objects.filter(action="site.update").count() == 1


# --- the portal ------------------------------------------------------------------------------


def test_with_nothing_entered_the_footer_has_no_empty_labels(client):
    footer = _footer(client)
    for label in (
        "主办单位",
        "承办单位",
        "联系电话",
        "电子邮箱",
        "地址",
        "标识码",
        "ICP",
        "公网安备",
    ):
        assert label not in footer, label
    assert "双随机、一公开 · 公开信息" in footer


def test_the_header_and_footer_show_the_entered_identity(client, admin_user):
    logo = site_logo_check(data=image("PNG"), name="logo.png")
    site_identity_update(actor=admin_user, values=VALUES, logo=logo)
    body = client.get(reverse("portal:results")).content.decode()
    header = body[: body.index("<main>")]
    assert VALUES["site_name"].replace("“", "&ldquo;") in header or "示例市" in header
    logo_url = reverse("portal:site_logo", args=[logo.sha256])
    assert f'src="{logo_url}"' in header
    footer = body[body.index('<footer class="site-footer"') :]
    assert "主办单位：示例市市场监督管理局" in footer and "承办单位：示例市大数据中心" in footer
    assert "政府网站标识码：3101170001" in footer
    assert 'href="https://beian.miit.gov.cn/"' in footer and "沪ICP备12345678号-1" in footer
    assert "https://beian.mps.gov.cn/#/query/webSearch?code=31011702000001" in footer
    assert "联系电话：021-12345678" in footer and "mailto:ssj@example.gov.cn" in footer

    served = client.get(logo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served.content == logo.data and "immutable" in served["Cache-Control"]
    site_identity_update(actor=admin_user, values=VALUES, logo_remove=True)
    assert client.get(logo_url).status_code == 404  # a replaced logo's address is gone


def test_only_the_filled_lines_show(client, admin_user):
    site_identity_update(actor=admin_user, values={"sponsor": "示例局"})
    footer = _footer(client)
    assert "主办单位：示例局" in footer
    assert "承办单位" not in footer and "联系电话" not in footer and "标识码" not in footer


def test_the_footer_is_read_once_then_kept(
    admin_user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    site_identity_update(actor=admin_user, values=VALUES)
    site_identity_public()
    with django_assert_num_queries(0):
        assert site_identity_public().sponsor == VALUES["sponsor"]
    # A save drops the kept copy (on commit): the next page shows the change.
    with django_capture_on_commit_callbacks(execute=True):
        site_identity_update(actor=admin_user, values={**VALUES, "sponsor": "新的主办单位"})
    assert site_identity_public().sponsor == "新的主办单位"


# --- the admin -------------------------------------------------------------------------------


def test_the_system_admin_edits_it_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    add = reverse("admin:disclosure_siteidentity_add")
    assert client.get(reverse("admin:disclosure_siteidentity_changelist")).url == add
    page = client.get(add).content.decode()
    assert "主办单位" in page and "政府网站标识码" in page and "标志图片" in page

    refused = client.post(
        add, {**VALUES, "logo_upload": SimpleUploadedFile("logo.svg", SVG, "image/svg+xml")}
    )
    assert refused.status_code == 200
    assert "SVG 可以包含脚本，不予接受" in refused.content.decode()
    assert not SiteIdentity.objects.exists()

    bad_code = client.post(add, {**VALUES, "site_code": "12"})
    assert "政府网站标识码为10位数字或字母" in bad_code.content.decode()

    done = client.post(
        add, {**VALUES, "logo_upload": SimpleUploadedFile("logo.png", image("PNG"), "image/png")}
    )
    assert done.status_code == 302
    row = SiteIdentity.objects.get()
    assert row.sponsor == VALUES["sponsor"] and row.logo_type == "image/png"
    assert row.updated_by == admin_user
    assert Event.objects.filter(action="site.update").count() == 1
    change = reverse("admin:disclosure_siteidentity_change", args=[1])
    assert client.get(reverse("admin:disclosure_siteidentity_changelist")).url == change
    assert client.get(add).status_code == 403  # one row only
    assert "现有标志图片" in client.get(change).content.decode()


def test_a_department_admin_does_not_see_it_in_the_admin(client, dept):
    staff = factories.user(department=dept, role="dept_admin")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    response = client.get(reverse("admin:disclosure_siteidentity_changelist"))
    assert response.status_code in (302, 403)


# --- the grouped 部门 filter --------------------------------------------------------------------


def _tree():
    sj = factories.department("SJ", name="上海市松江区建设和管理委员会")
    sj.region = "上海市松江区"
    sj.save()
    section = factories.department("SJ-ZF", name="执法监督科", parent=sj)
    centre = factories.department("SJ-ZAJ", name="质安监站", parent=sj)
    zp = factories.department("ZP", name="漳平市住房和城乡建设局")
    zp.region = "福建省漳平市"
    zp.save()
    zp_section = factories.department("ZP-ZH", name="综合股", parent=zp)
    for d in (section, centre, zp_section):
        d.kind = DepartmentKind.SECTION
        d.save()
    return sj, section, centre, zp, zp_section


def test_departments_are_grouped_by_region_with_sections_under_their_department():
    sj, section, centre, zp, zp_section = _tree()
    factories.department("ZZ", name="未填地区的部门")
    groups = sel.department_groups_public()
    assert [g.region for g in groups] == ["上海市松江区", "福建省漳平市", "其他地区"]
    assert [(c.name, c.depth) for c in groups[0].choices] == [
        ("上海市松江区建设和管理委员会", 0),
        ("质安监站", 1),  # by code: SJ-ZAJ, SJ-ZF
        ("执法监督科", 1),
    ]
    assert [(c.name, c.depth) for c in groups[1].choices] == [
        ("漳平市住房和城乡建设局", 0),
        ("综合股", 1),
    ]
    assert [c.name for c in groups[2].choices] == ["未填地区的部门"]
    assert groups[0].choices[2].label == "\u3000\u3000执法监督科"


def test_the_filter_renders_as_optgroups_and_a_department_includes_its_sections(client):
    sj, section, *_ = _tree()
    make_item(department=section, code="ZF-001")
    body = client.get(reverse("portal:items")).content.decode()
    assert '<optgroup label="上海市松江区">' in body and '<optgroup label="福建省漳平市">' in body
    assert f'<option value="{section.pk}">\u3000\u3000执法监督科</option>' in body
    assert unlabelled_controls(body) == []
    assert unlabelled_controls(client.get(reverse("portal:results")).content.decode()) == []
    shown = client.get(reverse("portal:items"), {"department": sj.pk}).context["items"]
    assert [i.code for i in shown] == ["ZF-001"]  # the section's item, under its department
    shown = client.get(reverse("portal:items"), {"department": section.pk}).context["items"]
    assert [i.code for i in shown] == ["ZF-001"]


def test_results_of_a_sub_unit_are_found_under_its_department(client):
    pub = published_scene()
    unit = pub.scene.crew.dept
    top = factories.department("TOP", name="示例区建设管理委员会")
    unit.parent = top
    unit.save()
    url = reverse("portal:results")
    assert client.get(url, {"department": top.pk}).context["count"] == 4
    assert client.get(url, {"department": unit.pk}).context["count"] == 4
    other = factories.department("OTHER", name="别的部门")
    assert client.get(url, {"department": other.pk}).context["count"] == 0
