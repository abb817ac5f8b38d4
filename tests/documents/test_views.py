"""文书设置 page: the department admin sets the letterhead and number forms; bad input is
named and changes nothing; others are refused."""

import pytest
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.documents.models import Letterhead, NumberPattern
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_department_admin_sets_the_letterhead_and_sees_the_next_numbers(client):
    dept = factories.department(name="漳平市住房和城乡建设局")
    admin = factories.user(department=dept, role=Role.DEPT_ADMIN)
    client.force_login(admin)
    url = reverse("documents:settings")
    page = client.get(url).content.decode()
    assert (
        "文书设置" in page and "漳平市住房和城乡建设局检通〔" in page
    )  # default form, next number
    assert 'href="/documents/settings/"' in client.get("/").content.decode()  # in the menu

    form = {
        "department": dept.code,
        "full_name": "漳平市住房和城乡建设局",
        "short_name": "漳建",
        "address": "福建省漳平市和平北路",
        "postcode": "364400",
        "telephone": "0597-7582316",
        "pattern_inspection_notice": "{代字}〔{年}〕{号:4}号",
    }
    bad = client.post(url, {**form, "pattern_inspection_notice": "{0.__dict__}{号}"})
    assert bad.status_code == 422 and "不是可用的占位符" in bad.content.decode()
    assert not Letterhead.objects.filter(department=dept).exists()
    years = client.post(url, {**form, "retention_years": "0"})
    assert years.status_code == 422 and "档案保管期限" in years.content.decode()
    mobile = client.post(url, {**form, "telephone": "138 1234 5678"})
    assert mobile.status_code == 422 and "不要填写个人手机号" in mobile.content.decode()

    done = client.post(url, {**form, "retention_years": "15"})
    assert done.status_code == 302
    assert Letterhead.objects.get(department=dept).short_name == "漳建"
    assert Letterhead.objects.get(department=dept).retention_years == 15
    assert NumberPattern.objects.get(department=dept, kind="inspection_notice").pattern == (
        "{代字}〔{年}〕{号:4}号"
    )
    assert (
        "漳建〔" in client.get(url).content.decode()
        and "0001号" in client.get(url).content.decode()
    )


def test_an_operator_cannot_set_the_letterhead(client):
    dept = factories.department()
    client.force_login(factories.user(department=dept, role=Role.OPERATOR))
    response = client.get(reverse("documents:settings"))
    assert response.status_code == 403 and "部门管理员" in response.content.decode()
    response = client.post(
        reverse("documents:settings"),
        {"department": dept.code, "full_name": "x", "short_name": "x"},
    )
    assert response.status_code in (302, 403) and not Letterhead.objects.exists()


def test_a_refused_number_form_keeps_what_was_typed(client):
    dept = factories.department()
    client.force_login(factories.user(department=dept, role=Role.DEPT_ADMIN))
    typed = "{代字}第{号}号"  # no year: refused
    response = client.post(
        reverse("documents:settings"),
        {
            "department": dept.code,
            "full_name": "某局",
            "short_name": "某",
            "pattern_site_record": typed,
        },
    )
    page = response.content.decode()
    assert response.status_code == 422 and "年度占位符" in page and f'value="{typed}"' in page


def test_the_task_page_shows_the_retention_period(client):
    """002 第三十条: the case file's 保管期限, from the department's 文书设置, on the task."""
    from shuangsuiji.documents.services import letterhead_set
    from tests.factories.inspection import dispatched_scene

    scene = dispatched_scene(targets=1)
    client.force_login(scene.crew.operator)
    url = f"/planning/tasks/{scene.task.pk}/"
    end = scene.task.window_end.year
    page = client.get(url).content.decode()
    assert f"电子档案保管期限：30 年，自 {end + 1} 年起算，保管至 {end + 30} 年底" in page
    assert "默认值" in page
    letterhead_set(
        department=scene.task.department,
        actor=scene.admin,
        full_name=scene.task.department.name,
        short_name="松建",
        address="",
        postcode="",
        telephone="",
        retention_years=10,
        patterns={},
    )
    page = client.get(url).content.decode()
    assert f"电子档案保管期限：10 年，自 {end + 1} 年起算，保管至 {end + 10} 年底" in page
    assert "本部门文书设置" in page
