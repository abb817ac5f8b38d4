"""The content security policy in a real browser: the pages that have behaviour (the task
form's 增加一类, the plan import preview loaded by htmx, the task's pool preview) work with
scripts from this site only, and the browser reports no violation."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_libraries import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_task_form_and_the_pool_preview_work_under_the_policy(
    page, live_server, dept, make_task
):
    factories.entity(department=dept, name="甲燃气公司")
    factories.user(department=dept, role="operator", username="op")
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _login(page, live_server, "op")
    page.goto(f"{live_server.url}/planning/tasks/new/")
    rows = page.locator("tr.class-row")
    before = rows.count()
    page.get_by_role("button", name="增加一类").click()
    expect(rows).to_have_count(before + 1)
    # a draft task's page loads the draw's pool preview through htmx
    task = make_task()
    page.goto(f"{live_server.url}/planning/tasks/{task.pk}/")
    expect(page.get_by_role("columnheader", name="候选对象数")).to_be_visible()
    assert violations == []
