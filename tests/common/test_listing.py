"""Lists that scale (issue 16 第 4 项): each staff list — the three libraries, tasks,
inspections with their results, published results — exports what it shows (its filters
and order) as a real xlsx, personal numbers masked as on the page; a list too long to
export is refused with a Chinese message."""

import pytest
from django.urls import reverse

from shuangsuiji.common import listing
from tests import factories
from tests.factories.catalog import make_item
from tests.factories.files import read_sheet
from tests.factories.inspection import dispatched_scene, formed

pytestmark = pytest.mark.django_db
MOBILE = "13905971234"
ID_NUMBER = "350881199001011234"


def _sheet(response, tmp_path):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    return read_sheet(path)


def test_the_entity_list_exports_its_filtered_sorted_rows_masked(client, trio, tmp_path):
    for name in ("乙建筑公司", "甲建筑公司"):
        factories.entity(department=trio["dept"], name=name, industry="建筑", contact_phone=MOBILE)
    factories.entity(department=trio["dept"], name="丙餐饮店", industry="餐饮")
    client.force_login(trio["owner"])
    url = reverse("registry:entity_list")
    page = client.get(url, {"industry": "建筑", "sort": "name"}).content.decode()
    assert "format=xlsx" in page and "industry=" in page
    rows = _sheet(
        client.get(url, {"industry": "建筑", "sort": "-name", "format": "xlsx"}), tmp_path
    )
    header = rows[0]
    # 003 第六条's own words for the directory's columns.
    for column in ("市场主体名称", "统一社会信用代码", "联络人", "联系方式", "监管责任股室"):
        assert column in header
    names = [r[header.index("市场主体名称")] for r in rows[1:]]
    assert sorted(names) == ["乙建筑公司", "甲建筑公司"]  # the filter applied
    assert names == sorted(names, reverse=True)  # the order asked for
    phones = {r[header.index("联系方式")] for r in rows[1:]}
    assert phones == {"139****1234"}
    assert MOBILE not in str(rows)


def test_the_inspector_export_masks_mobiles_and_id_numbers(client, trio, tmp_path):
    factories.inspector(department=trio["dept"], name="林执法", mobile=MOBILE, id_number=ID_NUMBER)
    client.force_login(trio["owner"])
    rows = _sheet(client.get(reverse("registry:inspector_list"), {"format": "xlsx"}), tmp_path)
    assert rows[0][0] == "执法人员姓名" and rows[1][0] == "林执法"
    text = str(rows)
    assert MOBILE not in text and ID_NUMBER not in text and "139****1234" in text


def test_items_and_tasks_export(client, trio, make_task, tmp_path):
    make_item(department=trio["dept"], code="RQ-900", name="燃气经营许可检查")
    make_task(title="燃气安全专项抽查")
    client.force_login(trio["owner"])
    rows = _sheet(client.get(reverse("catalog:item_list"), {"format": "xlsx"}), tmp_path)
    # The same columns as ``ssj export items`` (the import's headers: it re-imports unchanged).
    assert rows[0][:3] == ["序号", "事项编码", "事项名称"]
    assert ["RQ-900", "燃气经营许可检查"] in [r[1:3] for r in rows[1:]]
    rows = _sheet(client.get(reverse("planning:task_list"), {"format": "xlsx"}), tmp_path)
    assert rows[0][:2] == ["任务编号", "任务名称"]
    assert "燃气安全专项抽查" in [r[1] for r in rows[1:]]


def test_inspections_export_with_their_results_and_published_results_too(client, tmp_path):
    scene = dispatched_scene(targets=2)
    visit, _ = formed(scene)
    client.force_login(scene.crew.operator)
    rows = _sheet(client.get(reverse("inspection:list"), {"format": "xlsx"}), tmp_path)
    header = rows[0]
    assert len(rows) == 3 and "检查结论" in header and "检查组（组长在前）" in header
    by_entity = {r[0]: r for r in rows[1:]}
    assert by_entity[visit.entity.name][header.index("检查结论")] == "未发现问题"
    # Sorted and paged on the page, filters kept.
    page = client.get(reverse("inspection:list"), {"sort": "-entity"}).content.decode()
    assert 'aria-sort="descending"' in page and "共 2 次检查" in page
    rows = _sheet(client.get(reverse("disclosure:published"), {"format": "xlsx"}), tmp_path)
    assert rows[0][0] == "统一社会信用代码"


def test_an_export_too_long_is_refused_in_chinese(client, trio, monkeypatch):
    for _ in range(3):
        factories.entity(department=trio["dept"])
    monkeypatch.setattr(listing, "EXPORT_MAX_ROWS", 2)
    client.force_login(trio["owner"])
    r = client.get(reverse("registry:entity_list"), {"format": "xlsx"})
    assert r.status_code == 422
    assert "超过 2 条，不能一次导出" in r.content.decode()


def test_the_entity_page_shows_its_inspections_and_results(client):
    """issue 16 第 4 项: the library's entity page lists its inspections with their
    conclusions (the library sits below inspection: the panel comes from disclosure)."""
    scene = dispatched_scene(targets=1)
    visit, _ = formed(scene)
    client.force_login(scene.admin)
    page = client.get(reverse("registry:entity_detail", args=[visit.entity.pk])).content.decode()
    assert "检查记录（1）" in page and scene.task.code in page and "未发现问题" in page
    assert reverse("inspection:visit", args=[visit.pk]) in page
