"""统计分析 (issue 12 第 3 项): every figure against a count made independently from the rows
— sub-units included, the year boundary, corrections counting once, void draws not
counting — and the page, its links, its export and `ssj stats --json` giving the same."""

import datetime as dt
import io
import json
import re
from contextlib import redirect_stdout

import pytest
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.cli import main as ssj
from shuangsuiji.draw import services as draw_services
from shuangsuiji.inspection.choices import (
    Conclusion,
    FollowUpStatus,
    VersionKind,
    VersionStatus,
)
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion
from shuangsuiji.registry.models import Entity
from shuangsuiji.stats.selectors import figures_for
from tests import factories
from tests.factories import disclosure as fd
from tests.factories.ceremony import SEED, Crew, pool_for
from tests.factories.files import read_sheet
from tests.factories.inspection import dispatched_scene

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 6, 28)


@pytest.fixture
def world(var_dir):
    """A 委 (the crew's department) with one 科室 below it and one unrelated department, each
    with a task in 2024; one task of the 委 crossing into 2025; one void draw."""
    formed = fd.formed_scene(targets=2)
    dept = formed.dept
    section_crew = Crew()
    section = section_crew.dept
    section.parent = dept
    section.save(update_fields=["parent"])
    section_scene = dispatched_scene(targets=1, crew=section_crew)
    fd.formed_result(section_scene, conclusion=Conclusion.NO_PROBLEM, followups=[])
    other = dispatched_scene(targets=2)  # another department: never in the 委's figures
    fd.formed_result(other)
    # December into January: counts in 2024 (its plan year), not in 2025.
    late_crew = formed.scene.crew
    crossing = late_crew.task(start=dt.date(2024, 12, 20), end=dt.date(2025, 1, 31))
    _dispatch(late_crew, crossing, targets=1)
    # A void draw selects nobody.
    void_task = late_crew.task()
    draw = draw_services.draw_commit(
        task=void_task,
        actor=late_crew.operator,
        pool=pool_for(
            void_task,
            strata={"all": (2, late_crew.entities(3))},
            inspectors=late_crew.inspectors(2),
        ),
    )
    draw = draw_services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=late_crew.witness
    )
    draw_services.draw_void(draw=draw, reason="名单有误", actor=late_crew.operator)
    return {
        "formed": formed,
        "dept": dept,
        "section": section,
        "other": other.crew.dept,
        "crossing": crossing,
    }


def _dispatch(crew, task, *, targets):
    draw = draw_services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(
            task, strata={"all": (targets, crew.entities(targets))}, inspectors=crew.inspectors(2)
        ),
    )
    draw = draw_services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    draw = draw_services.draw_confirm(draw=draw, actor=crew.operator)
    draw_services.draw_dispatch(draw=draw, actor=crew.operator)


def independent(dept_ids, year):
    """The figures counted the slow, obvious way from the rows."""
    from shuangsuiji.draw.models import Selection
    from shuangsuiji.planning.models import Task

    tasks = [
        t
        for t in Task.objects.all()
        if t.department_id in dept_ids and t.window_start.year == year and t.status != "cancelled"
    ]
    task_ids = {t.pk for t in tasks}
    drawn = {
        s.entity_id
        for s in Selection.objects.select_related("draw")
        if s.draw.task_id in task_ids and s.draw.state == "confirmed"
    }
    results = [
        r
        for r in Result.objects.select_related("visit", "current")
        if r.visit.lead_task_id in task_ids and r.formed_at is not None
    ]
    conclusions = {}
    for r in results:
        conclusions[r.current.conclusion] = conclusions.get(r.current.conclusion, 0) + 1
    return {
        "entities": Entity.objects.filter(department_id__in=dept_ids).count(),
        "tasks": len(tasks),
        "drawn": len(drawn),
        "inspected": len({r.visit.entity_id for r in results}),
        "results": len(results),
        "conclusions": conclusions,
    }


def test_the_figures_match_the_rows_with_sub_units_and_the_year_boundary(world):
    dept, section = world["dept"], world["section"]
    fig = figures_for(department=dept, year=2024, today=TODAY)
    expected = independent({dept.pk, section.pk}, 2024)
    assert fig.entities == expected["entities"]
    assert fig.tasks == expected["tasks"] == 4  # two formed, the crossing one, the void one
    assert fig.drawn == expected["drawn"] == 2 + 1 + 1  # the void draw's 2 are not counted
    assert fig.inspected == expected["inspected"] == 3
    assert fig.results == expected["results"] == 3
    assert (
        {k: v for k, v in fig.by_conclusion.items() if v}
        == expected["conclusions"]
        == {
            Conclusion.RECTIFIED: 2,
            Conclusion.NO_PROBLEM: 1,
        }
    )
    assert fig.problems == 2 and fig.problem_rate == round(100 * 2 / 3, 1)
    assert fig.coverage == round(100 * 3 / expected["entities"], 1)
    assert (fig.followups_opened, fig.followups_closed) == (2, 0)
    # The 科室 alone: its own task only; the other department never.
    assert figures_for(department=section, year=2024, today=TODAY).results == 1
    assert figures_for(department=world["other"], year=2024, today=TODAY).results == 1
    # 2025 has nothing of the crossing task.
    assert figures_for(department=dept, year=2025, today=TODAY).tasks == 0


def test_a_correction_replaces_the_conclusion_and_counts_once(world):
    dept = world["dept"]
    version = world["formed"].versions[0]
    result = version.result
    correction = ResultVersion.objects.create(
        result=result,
        number=2,
        kind=VersionKind.CORRECTION,
        status=VersionStatus.PUBLISHED,
        inspected_on=version.inspected_on,
        conclusion=Conclusion.NO_PROBLEM,
        summary="更正：复核后未发现问题",
        created_by=version.created_by,
    )
    Result.objects.filter(pk=result.pk).update(current=correction)
    FollowUp.objects.filter(version=version).update(status=FollowUpStatus.DONE)
    fig = figures_for(department=dept, year=2024, today=TODAY)
    assert fig.results == 3 and fig.corrections == 1
    assert fig.by_conclusion[Conclusion.RECTIFIED] == 1
    assert fig.by_conclusion[Conclusion.NO_PROBLEM] == 2
    assert fig.followups_closed == 1


def test_publication_on_time_counts_working_days_of_the_departments_deadline(world):
    dept = world["dept"]
    first, second = (v.result for v in world["formed"].versions)
    # Formed 2024-03-20 (Wednesday); 20 working days → due 2024-04-18.
    Result.objects.filter(pk=first.pk).update(
        first_published_at=dt.datetime(2024, 4, 18, 9, 0, tzinfo=fd.TZ)
    )
    Result.objects.filter(pk=second.pk).update(
        first_published_at=dt.datetime(2024, 4, 19, 9, 0, tzinfo=fd.TZ)
    )
    fig = figures_for(department=dept, year=2024, today=TODAY)
    assert (fig.published, fig.published_on_time) == (2, 1)
    # The 科室's result (formed 2024-03-20, never published) is due too: 1 of 3 on time.
    assert fig.publish_due == 3 and fig.publish_rate == round(100 / 3, 1)
    # Before the deadline, an unpublished result is not yet due.
    early = figures_for(department=dept, year=2024, today=dt.date(2024, 4, 1))
    assert early.publish_due == 2


def test_the_page_links_exports_and_the_shell_give_the_same_numbers(client, world, tmp_path):
    dept = world["dept"]
    admin = world["formed"].scene.admin
    client.force_login(admin)
    url = reverse("stats:page") + f"?year=2024&department={dept.code}"
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200 and "统计分析" in html
    fig = figures_for(department=dept, year=2024, today=dt.date.today())
    # The 已检查 figure links to the list that shows exactly those visits.
    link = re.search(r"<td>已检查的检查对象</td><td[^>]*><a href=\"([^\"]+)\">(\d+)</a>", html)
    assert link and int(link.group(2)) == fig.inspected
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert len(set(re.findall(r'href="/inspection/visits/(\d+)/"', listed))) == fig.inspected
    # Excel export of the same table.
    path = tmp_path / "stats.xlsx"
    path.write_bytes(client.get(url + "&format=xlsx").content)
    values = {row[0]: row[1] for row in read_sheet(path)[1:]}
    assert values["检查结果"] == fig.results and values["抽查任务"] == fig.tasks
    # The shell.
    out = io.StringIO()
    with redirect_stdout(out):
        assert ssj(["stats", "--year", "2024", "--department", dept.code, "--json"]) == 0
    (row,) = json.loads(out.getvalue())
    assert row["results"] == fig.results and row["by_conclusion"]["rectified"] == 2


def test_bad_input_gets_a_clear_chinese_message(client, world):
    admin = world["formed"].scene.admin
    client.force_login(admin)
    for query, words in [
        ("year=13abc", "年度无效"),
        ("year=1899", "年度超出范围"),
        ("year=2024&department=NOPE", "部门代码不存在"),
        (f"year=2024&department={world['other'].code}", "无权查看"),
        ("year=2024&risk=Z", "信用风险分类无效"),
        ("year=2024&item=x", "抽查事项无效"),
    ]:
        response = client.get(reverse("stats:page") + "?" + query)
        assert response.status_code == 400 and words in response.content.decode(), query
    out = io.StringIO()
    with redirect_stdout(out):
        assert ssj(["stats", "--year", "13", "--department", "NOPE"]) == 2
    assert "年度超出范围" in out.getvalue()


def test_the_leading_office_sees_every_department_side_by_side(client, world):
    office = factories.department("LXBGS", name="双随机联席会议办公室")
    office.is_leading_office = True
    office.save(update_fields=["is_leading_office"])
    director = factories.user(department=office, role=Role.AUDITOR, full_name="督办处长")
    client.force_login(director)
    html = client.get(reverse("stats:page") + "?year=2024&department=LXBGS").content.decode()
    assert 'id="stats-departments"' in html
    assert world["dept"].name in html and world["other"].name in html
    assert world["section"].name not in html.split('id="stats-departments"')[1].split("</table>")[0]


def test_a_month_counts_what_happened_in_it(world):
    dept = world["dept"]
    march = figures_for(department=dept, year=2024, month=3, today=TODAY)
    # The three results were formed on 2024-03-20 (the 委's two and its 科室's one).
    assert (march.results, march.inspected, march.month) == (3, 3, 3)
    assert figures_for(department=dept, year=2024, month=4, today=TODAY).results == 0
    # The task running from December into January counts in both months.
    assert figures_for(department=dept, year=2024, month=12, today=TODAY).tasks == 1
    assert figures_for(department=dept, year=2025, month=1, today=TODAY).tasks == 1
    out = io.StringIO()
    with redirect_stdout(out):
        assert ssj(["stats", "--year", "2024", "--month", "13", "--department", dept.code]) == 2
    assert "月份无效" in out.getvalue()


def test_the_side_by_side_pass_gives_each_departments_own_figures(world):
    from shuangsuiji.stats.selectors import figures_by_top

    side = dict(figures_by_top(year=2024, today=TODAY))
    for dept, fig in side.items():
        assert fig.as_dict() == figures_for(department=dept, year=2024, today=TODAY).as_dict()
    assert world["section"] not in side  # counted within its 委
    assert side[world["dept"]].results == 3


def test_a_year_without_data_is_said_plainly(client, world):
    dept = world["dept"]
    empty = figures_for(department=dept, year=2019, today=TODAY)
    assert not empty.has_data and empty.coverage == 0.0 and empty.publish_rate is None
    client.force_login(world["formed"].scene.admin)
    html = client.get(reverse("stats:page") + f"?year=2019&department={dept.code}").content.decode()
    assert 'id="no-data"' in html and "没有抽查任务、摇号或检查记录" in html
    html = client.get(reverse("stats:page") + f"?year=2024&department={dept.code}").content.decode()
    assert 'id="no-data"' not in html
    out = io.StringIO()
    with redirect_stdout(out):
        assert ssj(["stats", "--year", "2019", "--department", dept.code]) == 0
    assert "没有抽查任务、摇号或检查记录" in out.getvalue()


def test_links_appear_only_where_the_list_shows_exactly_the_count(client, world):
    section, dept = world["section"], world["dept"]
    admin = factories.user(department=section, role=Role.DEPT_ADMIN, full_name="科室管理员")
    client.force_login(admin)
    html = client.get(
        reverse("stats:page") + f"?year=2024&department={section.code}&risk=A"
    ).content.decode()
    link = re.search(r"<td>名录库中的检查对象</td><td[^>]*><a href=\"([^\"]+)\">(\d+)</a>", html)
    assert link and "risk_class=A" in link.group(1)
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert len(set(re.findall(r'href="/registry/entities/(\d+)/"', listed))) == int(link.group(2))
    # Under a risk filter the visit lists (which have none) are not linked.
    assert not re.search(r"<td>检查（户次）</td><td[^>]*><a ", html)
    # A department with sub-units: its library list is its own only, so no link.
    client.force_login(world["formed"].scene.admin)
    html = client.get(reverse("stats:page") + f"?year=2024&department={dept.code}").content.decode()
    assert not re.search(r"<td>名录库中的检查对象</td><td[^>]*><a ", html)


def test_published_and_joint_figures_link_to_the_lists_they_count(client, world):
    from shuangsuiji.disclosure.services import result_publish

    dept, formed = world["dept"], world["formed"]
    result_publish(version=formed.version, actor=formed.operator)
    # One of the 委's tasks becomes a 部门联合抽查 with the other department as partner.
    formed.scene.task.partners.add(world["other"])
    client.force_login(formed.scene.admin)
    html = client.get(reverse("stats:page") + f"?year=2024&department={dept.code}").content.decode()
    fig = figures_for(department=dept, year=2024, today=dt.date.today())
    assert fig.published == 1 and fig.joint_visits == len(formed.scene.visits) >= 1
    for label, count in (("已公示的检查结果", fig.published), ("联合抽查占比", fig.joint_visits)):
        link = re.search(rf"<td>{label}</td><td[^>]*><a href=\"([^\"]+)\">", html)
        assert link, label
        listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
        assert len(set(re.findall(r'href="/inspection/visits/(\d+)/"', listed))) == count, label
