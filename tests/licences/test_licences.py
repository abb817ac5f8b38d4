"""双告知 (004 一, issue 14 第 5 项): notices received by file or API for the department's own
items, answered within its working days (认领 → the library, 退回 with a reason), the 反馈率,
and overdue answers in 期限督办 and 待办."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.imports.framework import CLI_ACTOR, import_file
from shuangsuiji.licences import selectors, services
from shuangsuiji.licences.models import LicenceNotice
from shuangsuiji.registry.models import Entity
from tests import factories
from tests.factories.catalog import make_item
from tests.factories.files import write_csv

pytestmark = pytest.mark.django_db

# 2024: the built-in holiday calendar knows it. 1 April 2024 is a Monday; 4–6 April are 清明.
MONDAY = dt.datetime(2024, 4, 1, 9, tzinfo=dt.UTC)
HEADERS = ["审批事项", "被许可人名称", "统一社会信用代码", "许可证号", "许可日期", "许可机关"]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def setup(trio):
    dept = trio["dept"]
    item = make_item(
        department=dept, code="LH-01", name="临时使用绿地监督检查", target_type="临时使用绿地的单位"
    )
    other = make_item(department=trio["other"], code="SR-01", name="户外广告设施检查")
    return dept, item, other, trio


def _rows(*rows):
    return [HEADERS, *rows]


def test_a_notice_file_is_received_for_the_departments_own_items(tmp_path, setup):
    dept, item, _other, _trio = setup
    a, b = factories.uscc(), factories.uscc()
    path = write_csv(
        tmp_path / "双告知.csv",
        _rows(
            [
                "临时使用绿地监督检查",
                "上海甲园林有限公司",
                a,
                "沪绿许〔2024〕11号",
                "2024-03-28",
                "区行政服务中心",
            ],
            [
                "临时使用绿地",
                "上海乙建设有限公司",
                b,
                "沪绿许〔2024〕12号",
                "2024/3/29",
                "区行政服务中心",
            ],
        ),
    )
    refused = import_file("licences", path=path, department=dept, actor=CLI_ACTOR)
    # "临时使用绿地" is the approving office's name: unknown until mapped.
    assert not refused.committed and not LicenceNotice.objects.exists()
    [error] = refused.errors
    assert (error.row, error.column) == (3, "审批事项") and "不是本部门的抽查事项" in error.message
    admin = _trio["owner"]
    services.licence_setting_set(
        department=dept, actor=admin, ack_workdays=3, maps={"临时使用绿地": "LH-01"}
    )
    done = import_file("licences", path=path, department=dept, actor=CLI_ACTOR)
    assert done.committed and done.created == 2, done.errors
    assert {n.item for n in LicenceNotice.objects.all()} == {item}
    assert Event.objects.filter(action="import.licences").count() == 1
    again = import_file("licences", path=path, department=dept, actor=CLI_ACTOR)
    assert (again.created, again.unchanged) == (0, 2)  # the office sent the month again


def test_a_bad_notice_file_names_each_row_and_writes_nothing(tmp_path, setup):
    dept, _item, _other, _trio = setup
    code = factories.uscc()
    bad_digit = code[:-1] + ("0" if code[-1] != "0" else "1")
    path = write_csv(
        tmp_path / "bad.csv",
        _rows(
            ["户外广告设施检查", "某广告公司", factories.uscc(), "沪许1", "2024-03-01", "区中心"],
            ["临时使用绿地监督检查", "某公司", bad_digit, "沪许2", "2024-03-01", "区中心"],
            ["临时使用绿地监督检查", "某公司", code, "沪许3", "2024-05-01", "区中心"],
            ["临时使用绿地监督检查", "某公司", code, "", "2024-03-01", "区中心"],
            ["临时使用绿地监督检查", "", code, "沪许5", "2024-02-30", "区中心"],
        ),
    )
    result = import_file("licences", path=path, department=dept, actor=CLI_ACTOR)
    assert not result.committed and not LicenceNotice.objects.exists()
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (2, "审批事项"),  # another department's item: not ours to supervise
        (3, "统一社会信用代码"),
        (4, "许可日期"),
        (5, "许可证号"),
        (6, "被许可人名称"),
        (6, "许可日期"),
    }


def test_accepting_puts_the_licensee_into_the_library_with_the_items_tag(setup):
    dept, item, _other, trio = setup
    notice = services.notice_receive(
        department=dept,
        actor=trio["owner"],
        values={
            "licence_item": "临时使用绿地监督检查",
            "licensee": "上海甲园林有限公司",
            "uscc": factories.uscc(),
            "licence_no": "沪绿许〔2024〕1号",
            "licence_date": "2024-03-28",
            "issuing_office": "区行政服务中心",
            "address": "松江区某路1号",
        },
        today=dt.date(2024, 4, 1),
    )
    with pytest.raises(NotAllowed):
        services.notice_accept(notice=notice, actor=trio["colleague"], today=dt.date(2024, 4, 2))
    services.notice_accept(notice=notice, actor=trio["owner"], today=dt.date(2024, 4, 2))
    entity = Entity.objects.get(department=dept, uscc=notice.uscc)
    assert entity.name == "上海甲园林有限公司" and entity.address == "松江区某路1号"
    # The sub-library of the item's 检查对象, as the tasks draw it.
    assert [t.name for t in entity.tags.all()] == ["临时使用绿地的单位"]
    notice.refresh_from_db()
    assert (notice.status, notice.entity, notice.acted_on) == (
        "accepted",
        entity,
        dt.date(2024, 4, 2),
    )
    with pytest.raises(Conflict):  # answered once
        services.notice_return(
            notice=notice, actor=trio["owner"], reason="x", today=dt.date(2024, 4, 2)
        )
    assert Event.objects.filter(action="licence.accept").count() == 1
    # A second licence of the same company: the entity is kept, not duplicated.
    second = services.notice_receive(
        department=dept,
        actor=trio["owner"],
        values={
            "licence_item": "临时使用绿地监督检查",
            "licensee": "上海甲园林有限公司",
            "uscc": notice.uscc,
            "licence_no": "沪绿许〔2024〕9号",
            "licence_date": "2024-03-30",
            "issuing_office": "区行政服务中心",
        },
        today=dt.date(2024, 4, 1),
    )
    services.notice_accept(notice=second, actor=trio["owner"], today=dt.date(2024, 4, 2))
    assert Entity.objects.filter(department=dept, uscc=notice.uscc).count() == 1
    with pytest.raises(Conflict):  # the same licence pushed twice
        services.notice_receive(
            department=dept,
            actor=trio["owner"],
            values={
                "licence_item": "临时使用绿地监督检查",
                "licensee": "x",
                "uscc": notice.uscc,
                "licence_no": "沪绿许〔2024〕9号",
                "licence_date": "2024-03-30",
                "issuing_office": "区行政服务中心",
            },
            today=dt.date(2024, 4, 1),
        )


def test_the_due_day_counts_working_days_and_late_answers_show(client, setup):
    """Received Monday 1 April 2024 with 3 working days: 2, 3, 7 April (4–6 are 清明, the
    7th a working Sunday) → due 7 April."""
    dept, item, _other, trio = setup
    services.licence_setting_set(department=dept, actor=trio["owner"], ack_workdays=3)
    notice = LicenceNotice.objects.create(
        department=dept,
        licence_item="临时使用绿地监督检查",
        item=item,
        licensee="上海甲园林有限公司",
        uscc=factories.uscc(),
        licence_no="沪绿许〔2024〕1号",
        licence_date=dt.date(2024, 3, 28),
        issuing_office="区行政服务中心",
        received_on=dt.date(2024, 4, 1),
        source="api",
    )
    [due] = selectors.with_due([notice], today=dt.date(2024, 4, 7))
    assert due.due == dt.date(2024, 4, 7) and not due.late and not due.note
    [late] = selectors.with_due([notice], today=dt.date(2024, 4, 8))
    assert late.late
    rate = selectors.feedback_rate(
        department_ids=[dept.id],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        today=dt.date(2024, 4, 8),
    )
    assert (rate.due, rate.on_time, rate.overdue_pending, rate.percent) == (1, 0, 1, "0%")
    client.force_login(trio["owner"])
    page = client.get(reverse("oversight:index"), {"date": "2024-04-09"}).content.decode()
    assert "双告知反馈：上海甲园林有限公司" in page and "逾期2个工作日" in page
    home = client.get("/").content.decode()
    assert "双告知信息待反馈" in home
    services.notice_return(
        notice=notice, actor=trio["owner"], reason="该地块由林业站监管", today=dt.date(2024, 4, 9)
    )
    page = client.get(reverse("oversight:index"), {"date": "2024-04-09"}).content.decode()
    assert "双告知反馈：上海甲园林有限公司" not in page
    rate = selectors.feedback_rate(
        department_ids=[dept.id],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        today=dt.date(2024, 4, 9),
    )
    assert (rate.answered, rate.on_time, rate.percent) == (1, 0, "0%")  # answered, but late
    with pytest.raises(ValidationFailed):
        services.licence_setting_set(department=dept, actor=trio["owner"], ack_workdays=0)


def test_pages_and_api(client, setup):
    dept, item, _other, trio = setup
    client.force_login(trio["owner"])
    body = {
        "department": dept.code,
        "licence_item": "临时使用绿地监督检查",
        "licensee": "上海丙绿化有限公司",
        "uscc": factories.uscc(),
        "licence_no": "沪绿许〔2024〕20号",
        "licence_date": "2024-03-29",
        "issuing_office": "区行政服务中心",
    }
    pushed = client.post("/api/v1/licences/notices", body, content_type="application/json")
    assert pushed.status_code == 201, pushed.content
    data = pushed.json()
    assert data["status"] == "pending" and data["item_code"] == "LH-01" and data["due_on"]
    wrong = client.post(
        "/api/v1/licences/notices",
        {**body, "licence_item": "户外广告设施检查", "licence_no": "x1"},
        content_type="application/json",
    )
    assert wrong.status_code == 422 and "不是本部门的抽查事项" in wrong.json()["detail"]
    page = client.get(reverse("licences:list")).content.decode()
    assert "上海丙绿化有限公司" in page and "反馈率" in page
    detail = reverse("licences:detail", args=[data["id"]])
    assert "认领：纳入检查对象名录库" in client.get(detail).content.decode()
    client.post(reverse("licences:answer", args=[data["id"]]), {"action": "return", "reason": ""})
    assert LicenceNotice.objects.get(pk=data["id"]).status == "pending"  # no reason: refused
    answered = client.post(
        f"/api/v1/licences/notices/{data['id']}/answer",
        {"action": "accept"},
        content_type="application/json",
    )
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    assert answered.json()["entity_id"]
    stats = client.get("/stats/", {"department": dept.code, "year": 2024}).content.decode()
    assert "双告知反馈率" in stats and "100%" in stats  # answered the next day: on time
    # Someone outside the department sees nothing of it.
    client.force_login(trio["outsider"])
    assert client.get(detail).status_code == 404
    assert client.get(f"/api/v1/licences/notices/{data['id']}").status_code == 404


def test_a_bureau_receives_notices_for_its_sections_items(trio):
    """The library is the 委's, the items its 燃气所's: the 委 receives and accepts."""
    dept = trio["dept"]
    gas = factories.department("SJJW-RQ", name="燃气所", parent=dept)
    make_item(department=gas, code="RQ-09", name="燃气经营许可检查", target_type="燃气经营企业")
    notice = services.notice_receive(
        department=dept,
        actor=trio["owner"],
        values={
            "licence_item": "燃气经营许可检查",
            "licensee": "上海丁燃气有限公司",
            "uscc": factories.uscc(),
            "licence_no": "沪燃许〔2024〕3号",
            "licence_date": "2024-03-28",
            "issuing_office": "区行政服务中心",
        },
        today=dt.date(2024, 4, 1),
    )
    services.notice_accept(notice=notice, actor=trio["owner"], today=dt.date(2024, 4, 1))
    entity = Entity.objects.get(uscc=notice.uscc)
    assert entity.department == dept and [t.name for t in entity.tags.all()] == ["燃气经营企业"]
