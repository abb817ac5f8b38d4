import datetime as dt

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.imports.models import ImportJob
from shuangsuiji.planning import services
from shuangsuiji.planning.models import Plan, PlanRow, Task
from tests import factories
from tests.planning.test_importing import ROWS, _xlsx

pytestmark = pytest.mark.django_db


def test_the_plan_pages_for_the_operator(client, trio, item):
    client.force_login(trio["colleague"])
    r = client.post("/planning/plans/new/", {"department": "SJJW", "year": "2024", "title": ""})
    plan = Plan.objects.get()
    assert r.status_code == 302 and r.url == f"/planning/plans/{plan.pk}/"
    r = client.post(
        f"/planning/plans/{plan.pk}/rows/new/",
        {
            "seq": "1",
            "target_desc": "燃气经营企业",
            "items": [item.pk],
            "schedule_text": "1月、4月",
            "ratio": "0.2%",
        },
    )
    assert r.status_code == 302
    page = client.get(f"/planning/plans/{plan.pk}/").content.decode()
    assert "燃气经营企业" in page and "0.2%" in page and "低于5%" in page and "全年2次" in page
    r = client.post(f"/planning/plans/{plan.pk}/file/", {"filed_to": "区市场监管局"})
    client.post(f"/planning/plans/{plan.pk}/publish/")
    plan.refresh_from_db()
    assert plan.status == "published"


def test_a_bad_row_shows_the_field_error_and_saves_nothing(client, trio, plan):
    client.force_login(trio["colleague"])
    r = client.post(
        f"/planning/plans/{plan.pk}/rows/new/", {"seq": "1", "target_desc": "x", "ratio": "三成"}
    )
    assert r.status_code == 200
    assert "抽查比例“三成”无法识别" in r.content.decode()
    assert not PlanRow.objects.exists()


def test_the_import_page_previews_errors_then_imports(client, trio, plan, tmp_path, settings):
    settings.IMPORT_JOBS_INLINE = True  # the job runs in the request, as in tests/imports
    client.force_login(trio["colleague"])
    bad = [list(ROWS[0])]
    bad[0][5] = "三成"
    with open(_xlsx(tmp_path / "bad.xlsx", bad), "rb") as fh:
        r = client.post(f"/planning/plans/{plan.pk}/import/", {"file": fh}, follow=True)
    page = r.content.decode()
    assert "第 4 行" in page and "抽查比例" in page and "三成" in page
    assert f"/planning/plans/{plan.pk}/import/" in page  # 重新上传 goes back to the plan's form
    assert not PlanRow.objects.exists()
    with open(_xlsx(tmp_path / "ok.xlsx", ROWS), "rb") as fh:
        r = client.post(
            f"/planning/plans/{plan.pk}/import/", {"file": fh, "replace": "on"}, follow=True
        )
    page = r.content.decode()
    assert "解析结果" in page and "10月" in page and "替换现有计划事项" in page
    assert not PlanRow.objects.exists()  # the preview writes nothing
    preview = ImportJob.objects.filter(kind="plans").latest("pk")
    assert preview.options == {"plan": plan.pk, "replace": True}
    # 确认导入: no second upload, bound to the previewed file's SHA-256
    r = client.post(f"/import/jobs/{preview.pk}/confirm/", follow=True)
    assert "导入完成" in r.content.decode()
    assert PlanRow.objects.filter(plan=plan).count() == 3
    assert Event.objects.get(action="plan.import").after["sha256"] == preview.file_sha256


def test_a_plan_table_cannot_be_confirmed_by_someone_else(client, trio, plan, tmp_path, settings):
    settings.IMPORT_JOBS_INLINE = True
    client.force_login(trio["colleague"])
    with open(_xlsx(tmp_path / "ok.xlsx", ROWS), "rb") as fh:
        client.post(f"/planning/plans/{plan.pk}/import/", {"file": fh})
    preview = ImportJob.objects.get(kind="plans")
    client.force_login(trio["owner"])  # 部门管理员, not the uploader
    assert client.post(f"/import/jobs/{preview.pk}/confirm/").status_code == 404
    client.force_login(trio["outsider"])
    assert client.get(f"/planning/plans/{plan.pk}/import/").status_code == 404
    assert not PlanRow.objects.exists()


def test_owner_reads_outsider_sees_nothing(client, trio, plan):
    client.force_login(trio["owner"])
    assert client.get(f"/planning/plans/{plan.pk}/").status_code == 200
    assert client.get(f"/planning/plans/{plan.pk}/rows/new/").status_code == 403
    client.force_login(trio["outsider"])
    assert client.get(f"/planning/plans/{plan.pk}/").status_code == 404
    assert plan.title not in client.get("/planning/plans/").content.decode()


def _task_post(item, **overrides):
    data = {
        "department": "SJJW",
        "kind": "ad_hoc",
        "title": "燃气企业临时抽查",
        "description": "投诉举报",
        "items": [item.pk],
        "window_start": "2024-09-01",
        "window_end": "2024-09-30",
        "team_size": "2",
        "inspector_capacity": "10",
        "classes-TOTAL_FORMS": "2",
        "classes-INITIAL_FORMS": "0",
        "classes-MIN_NUM_FORMS": "1",
        "classes-MAX_NUM_FORMS": "20",
        "classes-0-code": "gas",
        "classes-0-name": "燃气企业",
        "classes-0-mode": "undirected",
        "classes-0-ratio": "50",
        "classes-0-risk_D": "100",
        "classes-1-code": "",
        "classes-1-name": "",
        "classes-1-mode": "undirected",
    }
    data.update(overrides)
    return data


def test_the_task_pages_create_and_preview(client, trio, item):
    factories.entity(department=trio["dept"], name="甲燃气公司", risk_class="D")
    factories.entity(department=trio["dept"], name="乙燃气公司", status="deregistered")
    factories.inspector(department=trio["dept"])
    client.force_login(trio["colleague"])
    assert client.get("/planning/tasks/new/").status_code == 200
    r = client.post("/planning/tasks/new/", _task_post(item))
    task = Task.objects.get()
    assert r.status_code == 302, r.content.decode()
    assert task.classes.get().risk_ratios == {"D": "100"}
    page = client.get(f"/planning/tasks/{task.pk}/").content.decode()
    assert f'hx-get="/draw/tasks/{task.pk}/pool-preview/"' in page  # the draw's preview, loaded
    fragment = client.get(f"/draw/tasks/{task.pk}/pool-preview/", HTTP_HX_REQUEST="true")
    page = fragment.content.decode()
    assert "<html" not in page and "候选名单预览" in page
    # Strata by their class label, not the manifest name ("gas.D").
    assert "D 高风险" in page and "gas.D" not in page
    assert "乙燃气公司" in page and "登记状态为“注销”" in page
    assert "少于每组2名" in page
    assert "<html" in client.get(f"/draw/tasks/{task.pk}/pool-preview/").content.decode()
    client.force_login(trio["outsider"])
    assert client.get(f"/draw/tasks/{task.pk}/pool-preview/").status_code == 404
    client.force_login(trio["colleague"])
    r = client.post(
        f"/planning/tasks/{task.pk}/edit/", _task_post(item, title="改过的名称", team_size="1")
    )
    assert "不少于2名" in r.content.decode()
    r = client.post(f"/planning/tasks/{task.pk}/edit/", _task_post(item, title="改过的名称"))
    task.refresh_from_db()
    assert task.title == "改过的名称"


def test_a_task_from_a_plan_row_is_prefilled(client, trio, plan, item):
    row = services.plan_row_add(
        plan=plan,
        data={"seq": 3, "target_desc": "燃气经营企业", "schedule_text": "9月", "ratio": "6%"},
        items=[item],
        actor=None,
    )
    client.force_login(trio["colleague"])
    page = client.get(f"/planning/tasks/new/?row={row.pk}").content.decode()
    assert "2024年燃气经营企业抽查" in page and 'value="2024-09-01"' in page and 'value="6"' in page


def test_the_task_list_is_scoped_and_partners_see_joint_tasks(client, trio, item):
    task = services.task_create(
        department=trio["dept"],
        actor=None,
        spec=services.TaskInput(
            title="联合抽查",
            items=[item],
            kind="ad_hoc",
            description="联合",
            window_start=dt.date(2024, 9, 1),
            window_end=dt.date(2024, 9, 30),
            partners=[trio["other"]],
            classes=[services.ClassInput(code="all", name="全部", ratio="5")],
        ),
    )
    client.force_login(trio["outsider"])
    assert "联合抽查" in client.get("/planning/tasks/").content.decode()
    assert client.get(f"/planning/tasks/{task.pk}/edit/").status_code == 403


def test_a_filed_plan_refuses_an_import_when_the_page_opens_not_at_the_confirm(
    client, trio, plan, tmp_path, settings
):
    settings.IMPORT_JOBS_INLINE = True
    services.plan_row_add(plan=plan, data={"seq": "1", "target_desc": "燃气经营企业"}, actor=None)
    services.plan_file(plan=plan, filed_to="上级主管部门", actor=None)
    client.force_login(trio["colleague"])
    page = client.get(f"/planning/plans/{plan.pk}/import/")
    assert page.status_code == 409
    text = page.content.decode()
    assert (
        "已备案，不能再导入计划事项" in text and "已已" not in text and "重新报备案机关备案" in text
    )
    with open(_xlsx(tmp_path / "ok.xlsx", ROWS), "rb") as fh:
        r = client.post(f"/planning/plans/{plan.pk}/import/", {"file": fh})
    assert r.status_code == 302 and not ImportJob.objects.exists()  # refused, message and back


def test_a_file_whose_every_row_is_wrong_offers_no_skipping(client, trio, plan, tmp_path, settings):
    settings.IMPORT_JOBS_INLINE = True
    client.force_login(trio["colleague"])
    bad = [list(row) for row in ROWS]
    for row in bad:
        row[5] = "三成"
    with open(_xlsx(tmp_path / "bad.xlsx", bad), "rb") as fh:
        page = client.post(f"/planning/plans/{plan.pk}/import/", {"file": fh}, follow=True)
    text = page.content.decode()
    assert "每一行都有错误，没有可以导入的行" in text and "跳过错误行并确认导入" not in text


def test_department_pickers_group_by_region_and_name_sub_units_with_their_parent(client, trio):
    """issue 16 第 3 项: no Ctrl-click list mixing cities — the partner and neighbour pickers
    group check boxes by 所在地区, a 科室 named with its bureau, with a filter box."""
    from shuangsuiji.accounts.models import Department

    Department.objects.filter(pk=trio["dept"].pk).update(region="上海市松江区")
    Department.objects.filter(pk=trio["other"].pk).update(region="上海市闵行区")
    factories.department("SJ-AQK", name="安全科", parent=trio["dept"])
    Department.objects.filter(code="SJ-AQK").update(region="上海市松江区")
    client.force_login(trio["colleague"])
    page = client.get("/planning/tasks/new/").content.decode()
    assert page.count("data-picker") >= 2 and 'class="picker-filter"' in page
    start = page.index('name="partners"') - 2000
    picker = page[start : page.index("</div>", page.index('name="partners"') + 3000)]
    assert "<legend>上海市闵行区</legend>" in page and "<legend>上海市松江区</legend>" in page
    assert f"{trio['dept'].name} · 安全科" in page
    assert 'size="4"' not in picker and "<select" not in picker[picker.index("data-picker") :]
