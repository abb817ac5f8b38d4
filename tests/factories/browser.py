"""Logging in and out in a real browser (Playwright), as every browser test does."""

from playwright.sync_api import expect

from tests import factories


def login(page, live_server, user) -> None:
    """Logs ``user`` in through the login form (password ``factories.PASSWORD``) and waits
    for the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def logout(page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
