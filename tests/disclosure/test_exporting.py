"""Export of published results for 信用公示 systems: CSV (streamed) and xlsx, on the
portal and as ``ssj results export``."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from shuangsuiji.cli import main as ssj
from shuangsuiji.disclosure import public_views
from shuangsuiji.disclosure.exporting import HEADERS, published_results_csv, published_results_xlsx
from shuangsuiji.disclosure.models import PublishedResult
from tests import factories
from tests.factories.portal import many_published, published_scene

pytestmark = pytest.mark.django_db

REASON = "经异议复核，临时用电检查记录有误，予以更正"


@pytest.fixture
def pub():
    return published_scene()


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _by_code_and_status(rows):
    return {(r[0], r[11]): r for r in rows[1:]}


def test_csv_has_the_columns_and_marks_the_corrected_version(pub):
    rows = _csv_rows(b"".join(published_results_csv(qs=PublishedResult.objects.all())))
    assert (
        rows[0]
        == HEADERS
        == [
            "统一社会信用代码",
            "检查对象名称",
            "检查实施机关",
            "任务编号",
            "抽查任务",
            "抽查事项",
            "检查日期",
            "检查结论",
            "后续处理",
            "执法检查人员",
            "公示日期",
            "状态",
            "更正理由",
        ]
    )
    assert len(rows) == 1 + 4
    table = _by_code_and_status(rows)
    old = table[(pub.superseded.credit_code, "已被更正")]
    new = table[(pub.correction.credit_code, "现行")]
    assert old[7] == "发现问题待后续处理" and old[12] == REASON
    assert new[7] == "未发现问题" and new[12] == REASON
    rectified = table[(pub.rows[2].credit_code, "现行")]
    assert rectified[6] == "2024-04-10" and rectified[10] == "2024-04-20" and rectified[12] == ""
    assert "责令于2024年5月10日前改正" in rectified[8] and "执法证号 3117" in rectified[9]
    assert rectified[3] == pub.scene.task.code


def test_csv_neutralises_formulas_and_masks_numbers_in_free_text(pub):
    PublishedResult.objects.filter(pk=pub.rows[1].pk).update(
        entity_name='=HYPERLINK("http://x")', followup_text="联系人13912345678"
    )
    rows = _csv_rows(
        b"".join(published_results_csv(qs=PublishedResult.objects.filter(pk=pub.rows[1].pk)))
    )
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[1][8] == "联系人139****5678"


def test_csv_is_streamed_in_chunks(pub):
    many_published(pub, n=1200)
    chunks = list(published_results_csv(qs=PublishedResult.objects.all()))
    assert len(chunks) >= 3
    assert len(_csv_rows(b"".join(chunks))) == 1 + 1204


def test_xlsx_has_the_same_rows_with_real_dates(pub, tmp_path):
    path = tmp_path / "r.xlsx"
    n = published_results_xlsx(qs=PublishedResult.objects.all(), path_or_buffer=path)
    assert n == 4
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert sheet[0] == HEADERS
    table = _by_code_and_status(sheet)
    old = table[(pub.superseded.credit_code, "已被更正")]
    assert old[12] == REASON and old[6] == dt.date(2024, 4, 8)
    buffer = io.BytesIO()
    assert (
        published_results_xlsx(
            qs=PublishedResult.objects.filter(pk=pub.rows[1].pk), path_or_buffer=buffer
        )
        == 1
    )
    assert buffer.getvalue()[:2] == b"PK"


def test_xlsx_keeps_formulas_as_text(pub, tmp_path):
    PublishedResult.objects.filter(pk=pub.rows[1].pk).update(entity_name="=1+1")
    path = tmp_path / "f.xlsx"
    published_results_xlsx(
        qs=PublishedResult.objects.filter(pk=pub.rows[1].pk), path_or_buffer=path
    )
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1][1] == "'=1+1"


# --- the portal's downloads ----------------------------------------------------------------


def test_the_portal_streams_the_current_search_as_csv(client, pub):
    response = client.get(reverse("portal:results_csv"), {"q": pub.correction.credit_code})
    assert response.status_code == 200 and response.streaming
    assert (
        response["Content-Type"].startswith("text/csv")
        and "attachment" in response["Content-Disposition"]
    )
    rows = _csv_rows(b"".join(response.streaming_content))
    assert {r[11] for r in rows[1:]} == {"现行", "已被更正"} and len(rows) == 3


def test_the_portal_offers_the_current_search_as_xlsx(client, pub):
    response = client.get(reverse("portal:results_xlsx"), {"conclusion": "rectified"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in sheet[1:]] == [pub.rows[2].credit_code]


def test_the_search_page_links_its_downloads_with_the_filters(client, pub):
    body = client.get(
        reverse("portal:results"), {"year": 2024, "conclusion": "rectified"}
    ).content.decode()
    assert f"{reverse('portal:results_csv')}?year=2024&amp;conclusion=rectified" in body
    assert f"{reverse('portal:results_xlsx')}?year=2024&amp;conclusion=rectified" in body


def test_a_download_over_the_cap_is_refused_with_a_chinese_message(client, pub, monkeypatch):
    monkeypatch.setattr(public_views, "XLSX_MAX_ROWS", 2)
    response = client.get(reverse("portal:results_xlsx"))
    assert (
        response.status_code == 413
        and "请按部门、年度或抽查事项缩小范围" in response.content.decode()
    )


# --- ssj results export --------------------------------------------------------------------


def test_cli_exports_csv_filtered_by_department_and_year(pub, tmp_path, capsys):
    other = factories.department("QT9", name="其他部门")
    out = tmp_path / "all.csv"
    assert (
        ssj(
            [
                "results",
                "export",
                "--format",
                "csv",
                "--out",
                str(out),
                "--department",
                pub.scene.crew.dept.code,
                "--year",
                "2024",
            ]
        )
        == 0
    )
    assert len(_csv_rows(out.read_bytes())) == 5
    assert "已导出 4 条" in capsys.readouterr().out
    assert (
        ssj(["results", "export", "--format", "csv", "--out", str(out), "--department", other.code])
        == 0
    )
    assert len(_csv_rows(out.read_bytes())) == 1
    assert ssj(["results", "export", "--format", "csv", "--out", str(out), "--year", "2023"]) == 0
    assert len(_csv_rows(out.read_bytes())) == 1


def test_cli_exports_xlsx(pub, tmp_path):
    out = tmp_path / "all.xlsx"
    assert ssj(["results", "export", "--format", "xlsx", "--out", str(out)]) == 0
    assert len(CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()) == 5


def test_cli_refuses_an_unknown_department(pub, tmp_path, capsys):
    assert (
        ssj(
            [
                "results",
                "export",
                "--format",
                "csv",
                "--out",
                str(tmp_path / "x.csv"),
                "--department",
                "NOPE",
            ]
        )
        == 1
    )
    assert "NOPE" in capsys.readouterr().err


def test_cli_exports_the_gsxt_layout_for_a_period(pub, tmp_path, capsys):
    """``--layout gsxt``: the columns 国家企业信用信息公示系统 shows for 抽查检查结果信息, current
    results only (the corrected copy is not exported), for the days published."""
    current = PublishedResult.objects.filter(superseded_by__isnull=True)
    out = tmp_path / "gsxt.csv"
    assert ssj(["results", "export", "--format", "csv", "--out", str(out), "--layout", "gsxt"]) == 0
    rows = _csv_rows(out.read_bytes())
    assert rows[0] == [
        "统一社会信用代码",
        "企业名称",
        "检查实施机关",
        "类型",
        "检查日期",
        "检查结果",
    ]
    assert len(rows) == 1 + current.count() < 1 + PublishedResult.objects.count()
    by_code = {r[0]: r for r in rows[1:]}
    for row in current:
        code, name, dept, kind, day, result = by_code[row.credit_code]
        assert (name, dept, kind, day) == (
            row.entity_name,
            row.department_names,
            "双随机抽查",
            row.inspected_on.isoformat(),
        )
        assert result == row.get_conclusion_display()
    assert f"已导出 {current.count()} 条" in capsys.readouterr().out
    # A period of publication days: before the first, nothing; xlsx the same columns.
    first = min(r.published_at for r in current).date()
    day_before = (first - dt.timedelta(days=1)).isoformat()
    assert (
        ssj(
            [
                "results",
                "export",
                "--format",
                "csv",
                "--out",
                str(out),
                "--layout",
                "gsxt",
                "--until",
                day_before,
            ]
        )
        == 0
    )
    assert len(_csv_rows(out.read_bytes())) == 1
    xlsx = tmp_path / "gsxt.xlsx"
    assert (
        ssj(
            [
                "results",
                "export",
                "--format",
                "xlsx",
                "--out",
                str(xlsx),
                "--layout",
                "gsxt",
                "--since",
                first.isoformat(),
            ]
        )
        == 0
    )
    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert sheet[0][:6] == [
        "统一社会信用代码",
        "企业名称",
        "检查实施机关",
        "类型",
        "检查日期",
        "检查结果",
    ]
    assert len(sheet) == 1 + current.count()
    assert (
        ssj(
            [
                "results",
                "export",
                "--format",
                "csv",
                "--out",
                str(out),
                "--since",
                "2024-05-02",
                "--until",
                "2024-05-01",
            ]
        )
        == 2
    )
