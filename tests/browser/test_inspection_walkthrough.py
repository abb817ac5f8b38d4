"""One inspection from assignment to the public portal in a real browser (Debian's Chromium
via Playwright, live server), each step clicked or typed in the UI by the user whose job it
is (issue 4 item 7):

组长 logs in → 我的检查 → opens the visit → 开始检查 → every check point → the result
(发现问题已责令改正, 责令改正 with its 整改期限) → a photo as evidence → 提交签字确认 → signs;
the other member signs (002 第二十五条) → the 审核负责人 approves → the 操作员 publishes
on 结果公示 (002 第二十八条) → anyone finds it on the portal by 统一社会信用代码 and sees the
conclusion and the inspectors by name and 执法证号, and no mobile or 身份证号 of anyone
(neither on the page nor in the CSV download of the search).

All dates typed are inside the task window of 2024 (tests/inspection/factories.py), so the
walk does not depend on the day it runs.
"""

import datetime as dt
import hashlib
import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from shuangsuiji.common.ids import make_id_number
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.inspection.choices import Conclusion, FollowUpKind, VersionStatus, VisitStatus
from shuangsuiji.inspection.models import Evidence, Finding
from tests import factories
from tests.factories.browser import login, logout
from tests.factories.inspection import dispatched_scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSPECTED_ON = dt.date(2024, 5, 20)
RECTIFY_BY = dt.date(2024, 6, 20)
PROBLEM = "施工现场临时用电线路未穿管保护"
RECTIFIED = str(Conclusion.RECTIFIED.label)  # 发现问题已责令改正


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _png() -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, IEND with their CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _open_from_my_visits(page, entity_name):
    """From the top menu: 检查 → 我的检查 → the visit."""
    page.get_by_role("navigation").get_by_role("link", name="检查", exact=True).click()
    expect(page.get_by_role("heading", name="我的检查")).to_be_visible()
    page.get_by_role("link", name=entity_name).first.click()
    expect(page.get_by_role("heading", name=re.compile(entity_name))).to_be_visible()


def _personal_numbers(scene, entity) -> list[str]:
    """Give every person and the entity distinct numbers, so a leak anywhere is visible."""
    numbers = [entity.contact_phone]
    for k, inspector in enumerate(scene.visits[0].members.select_related("inspector__user")):
        i = inspector.inspector
        i.mobile, i.id_number = f"1390000{k:04d}", make_id_number(factories.rng)
        i.save(update_fields=["mobile", "id_number"])
        numbers += [i.mobile, i.id_number]
    for u in [
        *scene.inspector_users,
        scene.crew.operator,
        scene.crew.reviewer,
        scene.crew.witness,
        scene.admin,
    ]:
        numbers += [u.mobile, u.id_number]
    return [n for n in numbers if n]


def test_one_visit_from_assignment_to_the_public_result_page(page, live_server):
    scene = dispatched_scene()
    visit = scene.visits[0]
    entity = visit.entity
    entity.contact_phone = "13755550001"
    entity.save(update_fields=["contact_phone"])
    leader, member = scene.members_users(visit)
    leader_insp, member_insp = leader.inspector, member.inspector
    secrets = _personal_numbers(scene, entity)
    png = _png()

    # 1. The 组长 finds the visit under 我的检查, reads the entity's history, and starts.
    login(page, live_server, leader)
    _open_from_my_visits(page, entity.name)
    expect(page.locator("#history")).to_contain_text("既往监督检查和行政处罚情况")
    page.get_by_role("button", name="开始检查").click()
    expect(page.locator(".messages")).to_contain_text("已开始检查")
    expect(page.locator("#visit-status")).to_have_text("检查中")

    # 2. Every check point of both items: the third point of each 发现问题 with a note, the rest 符合.
    rows = page.locator("#findings-form tbody tr")
    expect(rows).to_have_count(Finding.objects.filter(visit=visit).count())
    assert rows.count() == 6
    for k in range(rows.count()):
        row = rows.nth(k)
        if "临时用电" in row.inner_text():
            row.get_by_label("发现问题", exact=True).check()
            row.get_by_role("textbox").fill(PROBLEM)
        else:
            row.get_by_label("符合", exact=True).check()
    page.get_by_role("button", name="保存检查情况").click()
    expect(page.locator(".messages")).to_contain_text("已保存检查情况")
    assert not Finding.objects.filter(visit=visit, outcome="unchecked").exists()
    assert Finding.objects.filter(visit=visit, outcome="problem").count() == 2

    # 3. The result: 发现问题已责令改正, with the 责令改正 and its 整改期限; saved as a draft.
    draft = page.locator("#draft-form")
    draft.get_by_label("检查日期").fill(INSPECTED_ON.isoformat())
    draft.get_by_label("检查结论").select_option(label=RECTIFIED)
    draft.get_by_label("检查情况").fill("现场检查安全生产条件，查阅特种作业人员证书，检查临时用电")
    draft.get_by_label("发现的问题").fill(PROBLEM)
    followup = page.locator("#followups-table tbody tr").first
    followup.locator("select[name$='-kind']").select_option(label=str(FollowUpKind.RECTIFY.label))
    followup.locator("input[name$='-detail']").fill("责令限期整改临时用电线路")
    followup.locator("input[name$='-rectify_deadline']").fill(RECTIFY_BY.isoformat())
    draft.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("检查结果草稿已保存")

    # 4. A photo taken on site, as evidence: stored with its SHA-256, listed on the visit.
    evidence = page.locator("#evidence-form")
    evidence.get_by_label("类型").select_option(label="照片")
    evidence.get_by_label("文件").set_input_files(
        {"name": "临时用电现场.png", "mimeType": "image/png", "buffer": png}
    )
    evidence.get_by_label("说明").fill("配电箱进线未穿管")
    evidence.get_by_role("button", name="上传").click()
    expect(page.locator(".messages")).to_contain_text("已上传照片")
    digest = hashlib.sha256(png).hexdigest()
    expect(page.locator("#evidence-table")).to_contain_text(digest[:8])  # the fingerprint
    expect(page.locator("#evidence-hashes")).to_contain_text(digest)  # in full, under 技术细节
    assert Evidence.objects.get(visit=visit).sha256 == digest

    # 5. Submit for signature (the draft's values are still in the form) and sign as 组长.
    page.locator("#draft-form").get_by_role("button", name="保存并提交签字确认").click()
    expect(page.locator(".messages")).to_contain_text("已提交签字确认")
    expect(page.locator("#visit-status")).to_have_text("待签字确认")
    page.locator("#sign-form").get_by_role("button", name="签字确认").click()
    expect(page.locator(".messages")).to_contain_text("已签字确认")
    expect(page.locator("#signing")).to_contain_text(f"{leader_insp.name}（{leader_insp.cert_no}）")
    logout(page)

    # 6. The other member of the team signs: every member has now confirmed.
    login(page, live_server, member)
    _open_from_my_visits(page, entity.name)
    expect(page.locator("#conclusion")).to_have_text(RECTIFIED)
    page.locator("#sign-form").get_by_role("button", name="签字确认").click()
    expect(page.locator("#visit-status")).to_have_text("待审核")
    logout(page)

    # 7. The 审核负责人 finds it on his home page, among the results waiting for review
    # (待办, issue 12), and approves.
    login(page, live_server, scene.crew.reviewer)
    page.goto(f"{live_server.url}/")
    card = page.locator("[id='todo-inspection.review']")
    expect(card).to_contain_text("1待审核的检查结果")
    card.get_by_role("link").click()
    page.get_by_role("link", name=entity.name).click()
    page.get_by_role("button", name="审核通过，形成检查结果").click()
    expect(page.locator(".messages")).to_contain_text("审核通过")
    expect(page.locator("#visit-status")).to_have_text("已形成结果")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FORMED
    logout(page)

    # 8. The 操作员 publishes it from 结果公示 → 待公示.
    login(page, live_server, scene.crew.operator)
    page.get_by_role("navigation").get_by_role("link", name="结果公示").click()
    row = page.locator("tbody tr", has_text=entity.name)
    expect(row).to_contain_text(RECTIFIED)
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    row.get_by_role("button", name="公示", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"已公示：{entity.name}")
    assert entity.name in asked[0] and "不得擅自更改" in asked[0]
    published = PublishedResult.objects.get(result__visit=visit)
    assert visit.result.versions.get(number=1).status == VersionStatus.PUBLISHED
    logout(page)

    # 9. Anyone, without logging in: the portal finds it by 统一社会信用代码.
    page.goto(f"{live_server.url}/public/")
    page.get_by_role("link", name=re.compile("检查结果查询")).click()
    page.get_by_label("名称或统一社会信用代码").fill(entity.uscc)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("main")).to_contain_text(f"按统一社会信用代码 {entity.uscc} 查询，共 1 条")
    page.get_by_role("link", name=entity.name).first.click()
    expect(page).to_have_url(f"{live_server.url}/public/results/{published.pk}/")
    main = page.locator("main")
    expect(main).to_contain_text(RECTIFIED)
    expect(main).to_contain_text(
        f"责令改正，整改期限{RECTIFY_BY.year}年{RECTIFY_BY.month}月{RECTIFY_BY.day}日"
    )
    for i in (leader_insp, member_insp):
        expect(main).to_contain_text(f"{i.name}（执法证号 {i.cert_no}）")
    html = page.content()
    leaked = [n for n in secrets if n in html]
    assert not leaked, f"公开页面出现了个人号码：{leaked}"

    # …and the same query's public download carries the names and 执法证号, not the numbers.
    download = page.request.get(
        f"{live_server.url}/public/results/export.csv?q={entity.uscc}"
    ).text()
    assert entity.uscc in download and leader_insp.cert_no in download
    leaked = [n for n in secrets if n in download]
    assert not leaked, f"公开下载出现了个人号码：{leaked}"
