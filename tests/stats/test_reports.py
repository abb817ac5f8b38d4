"""Monthly and annual reports (issue 12 第 4 项): saved as versions with the figures of the
time, exported as xlsx and as PDF with Chinese text that extracts, due on the 10th of the
next month (004 四) and on the department's date (000 四(三)), on the to-do cards."""

import datetime as dt
import io
from contextlib import redirect_stdout

import pytest
from django.urls import reverse

from shuangsuiji.cli import main as ssj
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.common.todo import todo_cards
from shuangsuiji.stats.models import Report, ReportSetting
from shuangsuiji.stats.reports import report_due, report_pdf, report_save
from tests.factories import disclosure as fd
from tests.factories.files import pdf_text_flat as _text_of
from tests.factories.files import read_sheet

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 4, 5)


def test_a_monthly_report_is_saved_in_versions_and_exported(client, var_dir, tmp_path):
    formed = fd.formed_scene(targets=2)
    admin, dept = formed.scene.admin, formed.dept
    client.force_login(admin)
    url = reverse("stats:reports")
    data = {
        "department": dept.code,
        "kind": "monthly",
        "year": "2024",
        "month": "3",
        "work": "3月开展建筑工地安全生产随机抽查。",
        "problems": "临时用电不规范，已责令改正。",
        "next": "4月开展复查。",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    first = Report.objects.get()
    assert (first.version, first.month) == (1, 3)
    # The figures of March were frozen with it: both results were formed on 2024-03-20.
    assert first.figures["results"] == 2 and first.figures["by_conclusion"]["rectified"] == 2
    client.post(url, {**data, "next": "4月开展复查并公示结果。"})
    assert list(Report.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
    latest = Report.objects.get(version=2)
    page = client.get(reverse("stats:report", args=[latest.pk])).content.decode()
    assert "4月开展复查并公示结果。" in page and "第2版" in page
    xlsx = tmp_path / "r.xlsx"
    xlsx.write_bytes(client.get(reverse("stats:report", args=[latest.pk]) + "?format=xlsx").content)
    cells = read_sheet(xlsx)
    assert ["下月工作安排", "4月开展复查并公示结果。"] in cells
    pdf = client.get(reverse("stats:report", args=[latest.pk]) + "?format=pdf").content
    assert pdf.startswith(b"%PDF")
    text = _text_of(pdf, tmp_path)
    assert "2024年3月月度随机抽查情况" in text and "临时用电不规范" in text and "第1页共" in text
    # The shell exports the latest saved version.
    out = tmp_path / "cli.pdf"
    with redirect_stdout(io.StringIO()):
        assert (
            ssj(
                [
                    "report",
                    "monthly",
                    "--department",
                    dept.code,
                    "--year",
                    "2024",
                    "--month",
                    "3",
                    "--format",
                    "pdf",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    assert "4月开展复查并公示结果" in _text_of(out.read_bytes(), tmp_path)


def test_bad_input_and_outsiders_are_refused(var_dir):
    formed = fd.formed_scene(targets=1)
    dept = formed.dept
    for kwargs, words in [
        ({"kind": "monthly", "year": 2024, "month": 13}, "月份无效"),
        ({"kind": "monthly", "year": 2024, "month": None}, "须指定月份"),
        ({"kind": "weekly", "year": 2024, "month": 1}, "报告类型无效"),
        ({"kind": "annual", "year": "二〇二四", "month": None}, "年度无效"),
    ]:
        with pytest.raises(ValidationFailed, match=words):
            report_save(
                department=dept, sections={}, actor=formed.scene.admin, today=TODAY, **kwargs
            )
    with pytest.raises(ValidationFailed, match="不允许的字符|控制字符"):
        report_save(
            department=dept,
            kind="annual",
            year=2024,
            month=None,
            sections={"work": "正常\x00文字"},
            actor=formed.scene.admin,
            today=TODAY,
        )
    with pytest.raises(NotAllowed):
        report_save(
            department=dept,
            kind="annual",
            year=2024,
            month=None,
            sections={},
            actor=formed.scene.inspector_users[0],
            today=TODAY,
        )
    assert not Report.objects.exists()
    out = io.StringIO()
    with redirect_stdout(out):
        assert (
            ssj(
                [
                    "report",
                    "monthly",
                    "--department",
                    "NOPE",
                    "--year",
                    "2024",
                    "--month",
                    "1",
                    "--out",
                    "/tmp/x.xlsx",
                ]
            )
            == 2
        )
    assert "部门代码不存在" in out.getvalue()


def test_due_dates_and_the_to_do_cards(var_dir):
    formed = fd.formed_scene(targets=1)
    dept, admin = formed.dept, formed.scene.admin
    assert report_due(department=dept, kind="monthly", year=2024, month=12) == dt.date(2025, 1, 10)
    assert report_due(department=dept, kind="annual", year=2024, month=None) == dt.date(
        2024, 11, 15
    )
    ReportSetting.objects.create(department=dept, annual_due_month=11, annual_due_day=20)
    assert report_due(department=dept, kind="annual", year=2024, month=None) == dt.date(
        2024, 11, 20
    )
    cards = {c.key: c for c in todo_cards(user=admin, today=dt.date(2024, 4, 5))}
    monthly = cards[f"stats.monthly.{dept.code}"]
    assert "2024年3月" in monthly.title and "4月10日前" in monthly.title and not monthly.urgent
    assert f"stats.annual.{dept.code}" not in cards  # far from November
    late = {c.key: c for c in todo_cards(user=admin, today=dt.date(2024, 4, 11))}
    assert late[f"stats.monthly.{dept.code}"].urgent
    november = {c.key for c in todo_cards(user=admin, today=dt.date(2024, 11, 1))}
    assert f"stats.annual.{dept.code}" in november
    report_save(
        department=dept, kind="monthly", year=2024, month=3, sections={}, actor=admin, today=TODAY
    )
    assert f"stats.monthly.{dept.code}" not in {c.key for c in todo_cards(user=admin, today=TODAY)}


def test_the_pdf_without_a_font_is_a_clear_503(client, var_dir, monkeypatch):
    from shuangsuiji.common import pdf as common_pdf

    formed = fd.formed_scene(targets=1)
    report = report_save(
        department=formed.dept,
        kind="annual",
        year=2024,
        month=None,
        sections={},
        actor=formed.scene.admin,
        today=TODAY,
    )
    monkeypatch.setattr(common_pdf, "_font_path_cache", [])
    monkeypatch.setenv("SSJ_PDF_FONT", "/nonexistent/font.ttf")
    client.force_login(formed.scene.admin)
    response = client.get(reverse("stats:report", args=[report.pk]) + "?format=pdf")
    body = response.content.decode()
    assert response.status_code == 503 and "中文 TrueType 字体" in body
    with pytest.raises(common_pdf.FontMissing):
        report_pdf(report)


def test_report_deadlines_appear_in_oversight(client, var_dir):
    """期限督办 lists the reports owed (004 四, 000 四(三)) beside the task deadlines: due,
    then overdue by working days, gone once saved; only for the departments one watches."""
    formed = fd.formed_scene(targets=1)
    dept, admin = formed.dept, formed.scene.admin
    client.force_login(admin)
    url = reverse("oversight:index")

    page = client.get(url, {"date": "2024-04-05"}).content.decode()
    assert f"{dept.name}2024年3月随机抽查情况报告" in page and "待报送" in page
    assert "2024年度双随机工作报告" not in page  # far from November
    # 11 April: one working day past the 10th (a Wednesday) — 4月11日 is Thursday.
    page = client.get(url, {"date": "2024-04-11"}).content.decode()
    assert "逾期1个工作日" in page
    page = client.get(url, {"date": "2024-11-18"}).content.decode()
    assert "2024年度双随机工作报告" in page and "逾期1个工作日" in page  # 15 Nov was a Friday
    # Filtering on a task deadline kind leaves the reports out.
    assert (
        "报告报送" not in client.get(url, {"date": "2024-04-11", "kind": "result"}).content.decode()
    )

    report_save(
        department=dept, kind="monthly", year=2024, month=3, sections={}, actor=admin, today=TODAY
    )
    assert (
        "2024年3月随机抽查情况报告" not in client.get(url, {"date": "2024-04-11"}).content.decode()
    )
    # Someone who watches no department sees none.
    outsider = fd.formed_scene(targets=1).scene.admin
    client.force_login(outsider)
    assert dept.name + "2024年" not in client.get(url, {"date": "2024-04-11"}).content.decode()
