"""The 期限督办 pages: a department's staff see their overdue work, the leading office sees
every department grouped, an outsider sees none; the list downloads as xlsx."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from shuangsuiji.accounts.choices import Role
from shuangsuiji.disclosure import oversight_views
from shuangsuiji.workdays.services import calendar_year_enter
from tests import factories
from tests.factories import deadlines as f

pytestmark = pytest.mark.django_db
D = dt.date
URL = reverse("oversight:index")


@pytest.fixture
def world():
    """Two departments, each with one visit whose result is overdue on 2024-11-01, and a
    leading office. (Window ends 09-20: the result was due on 10-23, see test_deadlines.)"""
    mine = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    theirs = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    office = factories.department(name="双随机联席会议办公室")
    office.is_leading_office = True
    office.save(update_fields=["is_leading_office"])
    return {
        "mine": mine,
        "theirs": theirs,
        "overseer": factories.user(department=office, role=Role.REVIEWER),
        "outsider": factories.user(department=factories.department(), role=Role.DEPT_ADMIN),
    }


def page(client, user, **params):
    client.force_login(user)
    response = client.get(URL, {"date": "2024-11-01", **params})
    assert response.status_code == 200
    return response.content.decode()


def test_department_staff_see_their_overdue_result_with_a_link(client, world):
    mine, theirs = world["mine"], world["theirs"]
    html = page(client, mine.crew.operator)
    assert "期限督办" in html and "检查结果未按期录入" in html
    assert mine.visits[0].entity.name in html and theirs.visits[0].entity.name not in html
    assert "2024年10月23日" in html  # the due day
    # The row links to the page where the result is recorded: the visit's.
    assert reverse("inspection:visit", args=[mine.visits[0].pk]) in html


def test_the_leading_office_sees_every_department_grouped(client, world):
    html = page(client, world["overseer"])
    assert "各部门逾期情况" in html
    for key in ("mine", "theirs"):
        assert world[key].crew.dept.name in html and world[key].visits[0].entity.name in html


def test_an_outsider_sees_nothing(client, world):
    html = page(client, world["outsider"])
    assert (
        world["mine"].visits[0].entity.name not in html
        and world["theirs"].visits[0].entity.name not in html
    )
    assert "没有逾期事项" in html


def test_a_witness_has_no_oversight_page_content(client, world):
    html = page(client, world["mine"].crew.witness)
    assert "没有需要督办的事项" in html and world["mine"].visits[0].entity.name not in html


def test_a_department_filter_never_widens_the_scope(client, world):
    html = page(client, world["mine"].crew.operator, department=world["theirs"].crew.dept.code)
    assert world["theirs"].visits[0].entity.name not in html


def test_the_kind_filter_keeps_one_kind(client, world):
    task = f.task(world["mine"].crew.dept, end=D(2024, 9, 30))
    html = page(client, world["mine"].crew.operator, kind="task_not_run")
    assert "燃气经营单位安全检查" in html and world["mine"].visits[0].entity.name not in html
    assert reverse("draw:task", args=[task.pk]) in html  # a task not run links to its draw page


def test_a_bad_date_is_reported_in_chinese(client, world):
    client.force_login(world["mine"].crew.operator)
    html = client.get(URL, {"date": "2024-13-01"}).content.decode()
    assert "统计基准日格式无效" in html


def test_a_missing_calendar_year_renders_as_a_provisional_row(client, world):
    calendar_year_enter(
        year=2030,
        source="测试数据（非官方）",
        holidays=[(D(2030, 1, 1), "元旦")],
        workdays=[],
        actor="测试",
    )
    s = f.scene(start=D(2030, 11, 1), end=D(2030, 11, 29), targets=1)
    f.result_formed(s.visits[0], formed_on=D(2030, 12, 20), by=s.crew.reviewer)
    html = page(client, s.crew.operator, date="2031-01-20")
    assert "2031年1月17日" in html and "暂按双休日推算，待2031年节假日安排录入后自动更正" in html


def test_the_overdue_list_downloads_as_xlsx_without_personal_numbers(client, world):
    mine = world["mine"]
    client.force_login(mine.crew.operator)
    response = client.get(reverse("oversight:export"), {"date": "2024-11-01"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert rows[1][:4] == ["部门", "期限类型", "适用规则", "任务编号"]
    [data] = rows[2:]
    assert (
        data[0] == mine.crew.dept.name
        and data[1] == "检查结果未按期录入"
        and data[5] == mine.visits[0].entity.name
    )
    assert data[11] == 7  # 10-24 … 10-31 with 10-26 (Sat) and 10-27 (Sun) off, then 11-01
    text = repr(rows)
    assert mine.crew.operator.mobile not in text and mine.crew.operator.id_number not in text


def test_the_home_page_shows_the_overdue_count_as_a_to_do_card(client, world, time_machine):
    # The 工作台 card (disclosure/todo.py) replaces the former summary block.
    time_machine.move_to(dt.datetime(2024, 11, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    client.force_login(world["mine"].crew.operator)
    html = client.get(reverse("home")).content.decode()
    card = html.split('id="todo-oversight.overdue"')[1].split("</li>")[0]
    assert '<strong class="todo-n">1</strong>' in card and "已逾期的事项" in card
    client.force_login(world["outsider"])
    assert 'id="todo-oversight.overdue"' not in client.get(reverse("home")).content.decode()
    client.force_login(world["mine"].crew.witness)  # no oversight role: no deadline cards
    assert "todo-oversight" not in client.get(reverse("home")).content.decode()


def test_the_page_needs_a_login(client):
    assert client.get(URL).status_code == 302


def test_a_long_list_is_paged_but_counted_in_full(client, world, monkeypatch):
    monkeypatch.setattr(oversight_views, "PAGE_SIZE", 1)
    html = page(client, world["overseer"])
    assert "第 1 / 2 页（共 2 项）" in html
    second = page(client, world["overseer"], page="2")
    assert "第 2 / 2 页" in second
    names = [world[k].visits[0].entity.name for k in ("mine", "theirs")]
    assert sum(n in html.split("<h2>逾期清单</h2>")[1].split("即将到期")[0] for n in names) == 1


def test_a_plan_rows_completion_time_is_tracked_until_its_results_are_formed(client):
    """issue 14 第 6 项: 004 四 "5月底前" — shown from 15 days before, then overdue by working
    days; gone once the row's task has every result formed."""
    import datetime as dt

    from shuangsuiji.planning.models import PlanRow, Task
    from tests.factories import disclosure as fd
    from tests.factories.portal import published_plan

    formed = fd.formed_scene(targets=1)
    dept, admin = formed.dept, formed.scene.admin
    plan = published_plan(department=dept, year=2024)
    row = plan.rows.get()
    PlanRow.objects.filter(pk=row.pk).update(due_text="5月底前", due_date=dt.date(2024, 5, 31))
    client.force_login(admin)
    url = reverse("oversight:index")
    assert "计划第1行" not in client.get(url, {"date": "2024-05-10"}).content.decode()
    page = client.get(url, {"date": "2024-05-20"}).content.decode()
    assert "2024年计划第1行：建筑施工安全检查（5月底前；尚未设置任务）" in page and "待完成" in page
    page = client.get(url, {"date": "2024-06-04"}).content.decode()
    assert "计划第1行" in page and "逾期2个工作日" in page  # 3 June Monday, 4 June Tuesday
    # The row's task has all its results formed: done.
    Task.objects.filter(pk=formed.scene.task.pk).update(plan_row=row)
    assert "计划第1行" not in client.get(url, {"date": "2024-06-04"}).content.decode()
