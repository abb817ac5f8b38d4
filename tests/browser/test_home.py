"""Every role lands on a home page with its real to-do counts (issue 12 第 1、6 项), in a real
browser: the witness (a sealed draw), the inspector (visits to start), the reviewer (a result
to approve) and the auditor (nothing waiting, the 审计日志 and a chain that verifies)."""

import pytest
from playwright.sync_api import expect

from shuangsuiji.accounts.choices import Role
from shuangsuiji.draw import services as draw_services
from shuangsuiji.inspection.choices import VisitStatus
from shuangsuiji.inspection.models import VisitMember
from tests import factories
from tests.factories.browser import login, logout
from tests.factories.ceremony import pool_for
from tests.factories.inspection import dispatched_scene, in_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_sees_its_work_and_the_card_opens_it(page, live_server, var_dir):
    scene = dispatched_scene(targets=2, inspectors=4)
    crew = scene.crew
    visit, _version = in_review(scene)
    # A second task of the department, sealed and waiting for the witness.
    task = crew.task(code="T-SEALED")
    draw_services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, crew.entities(2))}, inspectors=crew.inspectors(2)),
    )
    auditor = factories.user(department=crew.dept, role=Role.AUDITOR, full_name="审计员甲")

    login(page, live_server, crew.witness)
    card = page.locator("[id='todo-draw.witness']")
    expect(card).to_contain_text("1已封存名单")
    card.get_by_role("link").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("T-SEALED")
    page.get_by_role("link", name="T-SEALED").click()
    page.get_by_role("button", name="本人确认到场见证").click()
    expect(page.locator(".messages")).to_contain_text("已确认您本人到场见证")
    logout(page)

    waiting = VisitMember.objects.filter(visit__status=VisitStatus.PENDING).first().inspector.user
    mine = VisitMember.objects.filter(
        inspector__user=waiting, visit__status=VisitStatus.PENDING
    ).count()
    login(page, live_server, waiting)
    expect(page.locator("[id='todo-inspection.start']")).to_contain_text(
        f"{mine}已派发、待开始的检查"
    )
    logout(page)

    login(page, live_server, crew.reviewer)
    card = page.locator("[id='todo-inspection.review']")
    expect(card).to_contain_text("1待审核的检查结果")
    card.get_by_role("link").click()
    expect(page.locator("tbody")).to_contain_text(visit.entity.name)
    logout(page)

    login(page, live_server, auditor)
    expect(page.get_by_text("目前没有等待您处理的事项")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="审计日志").click()
    page.get_by_role("button", name="校验哈希链").click()
    expect(page.locator("#verify-result")).to_contain_text("哈希链完整 ✓")
