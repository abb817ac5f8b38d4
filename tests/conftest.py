import datetime as dt
import os
import shutil
import zoneinfo

import pytest
import time_machine

from shuangsuiji.planning import services as planning_services
from tests import factories
from tests.factories.planning import make_item, task_spec

# The suite's "now": every test runs at this moment unless it says otherwise, so none depends
# on the day it happens to run (the objection deadlines of December 2026 broke CI on a
# date nobody chose). ``SSJ_TEST_NOW=2027-06-30`` (a date, or a date and time, read in
# Asia/Shanghai) runs the whole suite at another moment. The clock ticks from there: code
# that measures durations or orders events still sees time pass.
DEFAULT_TEST_NOW = "2026-09-15T10:00"


def suite_now() -> dt.datetime:
    text = os.environ.get("SSJ_TEST_NOW", "").strip() or DEFAULT_TEST_NOW
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise pytest.UsageError(
            f"SSJ_TEST_NOW 应为日期或日期时间，例如 2026-12-31 或 2026-12-31T09:30，收到：{text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    return moment


@pytest.fixture(scope="session", autouse=True)
def _fixed_clock():
    """The whole session, session-scoped fixtures included, runs at ``suite_now()``. A test
    that needs another day asks for the ``time_machine`` fixture and calls ``move_to``."""
    with time_machine.travel(suite_now(), tick=True):
        yield


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """Every test writes its files (draw manifests, record PDFs, uploads, import jobs) under
    a fresh directory of its own: no test sees another's files."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    settings.MEDIA_ROOT = settings.VAR_DIR / "media"  # evidence files
    settings.UPLOAD_DIR = settings.VAR_DIR / "uploads"  # import jobs' files
    return settings.VAR_DIR


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (the menu's counts): ids and audit sequence
    numbers repeat from one rolled-back test to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def media_root(var_dir, settings):
    return settings.MEDIA_ROOT


def database_url() -> str:
    """The URL of the database this test runs on (for a process started by the test)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def ssj_env(var_dir, url: str | None = None) -> dict[str, str]:
    """The environment of an `ssj` process started by a test: the test's database (or
    ``url``) and files, none of the run's own SSJ_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSJ_", "DATABASE_URL"))}
    env.update(
        {
            "DATABASE_URL": url or database_url(),
            "SSJ_VAR_DIR": str(var_dir),
            "SSJ_FAST_PASSWORD_HASHER": "1",
        }
    )
    return env


@pytest.fixture
def task_worker(transactional_db, var_dir):
    """`ssj worker` in a process of its own on the test's database and files, as in
    production (the test must commit what it queues: transactional_db)."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "shuangsuiji.cli", "worker", "--interval", "0.2"],
        env=ssj_env(var_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def dept(db):
    return factories.department("SJJW", name="松江区建设和管理委员会")


@pytest.fixture
def trio(db, dept):
    """owner (部门管理员 of dept) / colleague (操作员 of dept) / outsider (管理员 of another dept)."""
    from shuangsuiji.accounts.choices import Role

    other = factories.department("MHLH", name="闵行区绿化和市容管理局")
    return {
        "dept": dept,
        "other": other,
        "owner": factories.user(department=dept, role=Role.DEPT_ADMIN, username="owner"),
        "colleague": factories.user(department=dept, role=Role.OPERATOR, username="colleague"),
        "outsider": factories.user(department=other, role=Role.DEPT_ADMIN, username="outsider"),
    }


@pytest.fixture
def item(dept):
    return make_item(dept, "RQ-01")


@pytest.fixture
def plan(dept):
    return planning_services.plan_create(department=dept, year=2024, actor=None)


@pytest.fixture
def make_task(dept, item):
    def _make(**overrides):
        department = overrides.pop("department", dept)
        plan_row = overrides.pop("plan_row", None)
        return planning_services.task_create(
            department=department,
            spec=task_spec([item], **overrides),
            actor=None,
            plan_row=plan_row,
        )

    return _make


def _chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Missing browser: failure in CI, loud skip elsewhere."""
    path = _chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI 环境缺少 chromium，浏览器测试不能跳过")
        pytest.skip("未安装 chromium：跳过浏览器测试（apt-get install chromium）")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls
    # happen in another thread, but fixtures touching the ORM here need this flag.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()
