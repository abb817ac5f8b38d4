"""One full ceremony in a real browser (Debian's Chromium via Playwright, live server):
operator commits → witness enters the seed → operator confirms and dispatches → the
public verification page re-runs the draw and says 结果一致."""

import pytest
from playwright.sync_api import expect

from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Draw
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import TargetClass
from tests.factories.browser import login, logout
from tests.factories.ceremony import SEED, Crew

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_one_full_ceremony_in_the_browser(page, live_server):
    crew = Crew()
    task = crew.task(code="SJ-2024-BR")
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=3)
    crew.entities(8)
    crew.inspectors(4)
    ceremony = f"{live_server.url}/draw/tasks/{task.pk}/"

    # 1. The operator reaches the ceremony from the task page and freezes the pool.
    login(page, live_server, crew.operator)
    page.goto(f"{live_server.url}/planning/tasks/{task.pk}/")
    page.get_by_role("link", name="摇号（封存名单、录入种子、确认、派发）").click()
    expect(page.locator("#steps li.current")).to_have_text("封存名单")
    sealed: list[str] = []
    page.once("dialog", lambda d: (sealed.append(d.message), d.accept()))  # irreversible: asked
    page.locator("#commit-button").click()
    expect(page.locator("#manifest-c")).to_be_visible()
    draw = Draw.objects.get(task=task)
    expect(page.locator("#manifest-c")).to_have_text(draw.manifest_sha256[:8])
    expect(page.locator("#manifest-c-full")).to_have_text(draw.manifest_sha256)
    assert sealed and "封存后候选名单不能再改变" in sealed[0]
    expect(page.locator("#steps li.current")).to_have_text("录入种子并摇号")
    logout(page)

    # 2. The witness enters the seed after the commit, verbatim, with the witnesses.
    login(page, live_server, crew.witness)
    page.goto(ceremony)
    page.get_by_label("种子文本").fill(SEED)
    page.get_by_label("种子来源").fill("纪检监督员现场掷骰20次；双色球第116期")
    page.get_by_label(str(crew.witness)).check()
    page.get_by_label("其他见证人").fill("李见证")
    page.get_by_role("button", name="录入种子并摇号").click()
    expect(page.locator("#result-table tbody tr")).to_have_count(3)
    expect(page.locator("#seed-text")).to_have_text(SEED)
    logout(page)

    # 3. The operator confirms and dispatches.
    login(page, live_server, crew.operator)
    page.goto(ceremony)
    # Irreversible steps ask first, naming the consequence and the count (issue 12 第 8 项);
    # the first answer is "no" and nothing happens.
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.locator("#confirm-button").click()
    expect(page.locator("#steps li.current")).to_have_text("确认锁定")
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.locator("#confirm-button").click()
    expect(page.locator("#steps li.current")).to_have_text("派发")
    page.locator("#dispatch-button").click()
    assert "不能再作废" in asked[0] and "3个检查对象" in asked[0]
    assert asked[1] == asked[0]
    assert "派发不能撤回" in asked[2] and "3个检查对象" in asked[2]
    expect(page.locator(".messages")).to_contain_text("新建检查 3 个")
    expect(page.locator("#visits tbody tr")).to_have_count(3)
    draw.refresh_from_db()
    task.refresh_from_db()
    assert draw.state == DrawState.CONFIRMED and draw.dispatched_at is not None
    assert (
        task.status == TaskStatus.DISPATCHED and Visit.objects.filter(lead_task=task).count() == 3
    )
    logout(page)

    # 4. Anyone opens the public verification page: it leads with the check, run as it opens;
    # C in full is among the technical details.
    page.goto(f"{live_server.url}/public/draw/{task.code}/")
    expect(page.locator("main")).to_contain_text(draw.manifest_sha256[:8])
    page.get_by_role("link", name="验证本次摇号 / 下载文件").click()
    expect(page.locator("#verdict")).to_have_text("结果一致 ✓")
    expect(page.locator("#verdict")).to_be_in_viewport()
    expect(page.get_by_text(draw.manifest_sha256).first).to_be_hidden()
    page.locator("#check").get_by_text("技术细节").click()
    expect(page.locator("#check").get_by_text(draw.manifest_sha256)).to_be_visible()


def test_the_projector_shows_the_seed_while_the_witness_types_it(page, live_server):
    """Presentation mode: the seed is typed on the projector page, in large type, so the
    room sees each character as it is entered; after submitting, the results appear there."""
    crew = Crew()
    task = crew.task(code="SJ-2024-PJ")
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=3)
    crew.entities(6)
    crew.inspectors(4)
    login(page, live_server, crew.operator)
    page.goto(f"{live_server.url}/draw/tasks/{task.pk}/")
    page.once("dialog", lambda d: d.accept())
    page.locator("#commit-button").click()
    expect(page.locator("#manifest-c")).to_be_visible()
    draw = Draw.objects.get(task=task)
    expect(page.locator("#manifest-c")).to_have_text(draw.manifest_sha256[:8])
    expect(page.locator("#manifest-c-full")).to_have_text(draw.manifest_sha256)
    logout(page)

    login(page, live_server, crew.witness)
    page.goto(f"{live_server.url}/draw/{draw.pk}/present/")
    expect(page.locator("#present-c")).to_have_text(draw.manifest_sha256)
    seed_box = page.get_by_label("种子文本（封存之后现场产生，原样录入）")
    half = SEED[:20]
    seed_box.press_sequentially(half)  # key by key, as a witness types
    expect(seed_box).to_have_value(half)
    expect(seed_box).to_be_visible()
    # large type on a 1280-px-wide screen: 3.4vw ≈ 43 px
    size = seed_box.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 36, size
    assert Draw.objects.get(pk=draw.pk).seed_text == ""  # nothing is stored while typing
    seed_box.press_sequentially(SEED[20:])
    expect(seed_box).to_have_value(SEED)
    page.get_by_label("种子来源").fill("纪检监督员现场掷骰20次")
    page.get_by_label(str(crew.witness)).check()
    page.locator("#present-seed-submit").click()
    expect(page.locator("#present-seed")).to_have_text(SEED)
    expect(page.locator("#present-results li")).to_have_count(3)
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN and draw.seed_text == SEED
