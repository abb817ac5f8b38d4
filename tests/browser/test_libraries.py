"""Real-browser walk through the foundation: login, an import whose preview shows a row
error (and writes nothing), a clean import, and a search in the target directory.

Debian's Chromium driven by Playwright against the live server; the background import job
runs in the live server's own thread, exactly as in production.
"""

import csv
import re

import pytest
from playwright.sync_api import expect

from shuangsuiji.registry.models import Entity
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = [
    "统一社会信用代码",
    "名称",
    "联系人",
    "联系电话",
    "信用风险分类",
    "风险分类日期",
    "风险分类来源",
    "登记状态",
    "标签",
]
RISK_SOURCE = "市场监管部门信用风险分类结果"


def _csv(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def _upload(page, live_server, path):
    page.goto(f"{live_server.url}/import/")
    page.get_by_label("名录").select_option("entities")
    page.get_by_label("文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预检").click()


def test_login_import_preview_with_row_error_then_search(
    page, live_server, tmp_path, settings, task_worker
):
    settings.VAR_DIR = tmp_path / "var"
    dept = factories.department("SJJW", name="松江区建设和管理委员会")
    factories.user(department=dept, role="dept_admin", username="sj_admin")
    good = factories.uscc()
    bad = good[:17] + ("0" if good[17] != "0" else "1")  # wrong check digit

    _login(page, live_server, "sj_admin")

    # 1. A file with one bad row: the preview names row 3, the column and the reason; nothing is written.
    _upload(
        page,
        live_server,
        _csv(
            tmp_path / "bad.csv",
            [
                [
                    good,
                    "上海松江燃气有限公司",
                    "张三",
                    "13800001111",
                    "A",
                    "2026-06-30",
                    RISK_SOURCE,
                    "存续",
                    "燃气经营企业",
                ],
                [
                    bad,
                    "上海错误代码有限公司",
                    "李四",
                    "13800002222",
                    "B",
                    "2026-06-30",
                    RISK_SOURCE,
                    "存续",
                    "",
                ],
            ],
        ),
    )
    errors = page.locator("#error-table")
    expect(errors).to_be_visible(timeout=30000)
    expect(errors).to_contain_text("第 3 行")
    expect(errors).to_contain_text("统一社会信用代码")
    expect(errors).to_contain_text("校验位错误")
    assert Entity.objects.count() == 0

    # 2. A clean file: preview, then 确认导入, and the job reports what it did.
    _upload(
        page,
        live_server,
        _csv(
            tmp_path / "good.csv",
            [
                [
                    good,
                    "上海松江燃气有限公司",
                    "张三",
                    "13800001111",
                    "A",
                    "2026-06-30",
                    RISK_SOURCE,
                    "存续",
                    "燃气经营企业",
                ],
                [
                    factories.uscc(),
                    "上海九亭建筑工程有限公司",
                    "王五",
                    "13800003333",
                    "D",
                    "2026-06-30",
                    RISK_SOURCE,
                    "在业",
                    "建筑工地参建单位、重点检查库",
                ],
            ],
        ),
    )
    page.locator("#confirm-import").click(timeout=30000)
    expect(page.locator("#job-status")).to_have_text(re.compile("完成|成功"), timeout=30000)
    assert Entity.objects.filter(department=dept).count() == 2

    # 3. Search the directory by part of a name: one hit, and the contact phone is masked.
    page.goto(f"{live_server.url}/registry/entities/")
    page.get_by_label("名称或代码").fill("九亭")
    page.get_by_label("名称或代码").press("Enter")
    body = page.locator("main")
    expect(body).to_contain_text("上海九亭建筑工程有限公司")
    expect(body).not_to_contain_text("上海松江燃气有限公司")
    assert "13800003333" not in page.content()
