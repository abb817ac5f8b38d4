"""Credit linkage imports (issue 14 第 3 项): 信用风险分类, 信用标记 and 投诉件数 files update the
library only through recorded imports; a bad row is named and nothing is written."""

import datetime as dt

import pytest
import time_machine

from shuangsuiji.audit.models import Event, RecordChange
from shuangsuiji.imports.framework import CLI_ACTOR, import_file
from shuangsuiji.registry.models import ComplaintCount, CreditFlag, Entity
from tests import factories
from tests.factories.files import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def run(kind, path, dept, **kw):
    return import_file(kind, path=path, department=dept, actor=CLI_ACTOR, **kw)


def errors_of(result):
    return {(e.row, e.column, e.message) for e in result.errors}


def bad_check_digit(code: str) -> str:
    last = "0" if code[-1] != "0" else "1"
    return code[:-1] + last


@pytest.fixture
def library(dept):
    return [
        factories.entity(department=dept, risk_class="A", risk_date=dt.date(2025, 1, 10)),
        factories.entity(department=dept),
        factories.entity(department=dept),
    ]


def test_a_classification_file_updates_the_library_and_is_recorded(tmp_path, dept, library):
    outside = factories.uscc()
    path = write_xlsx(
        tmp_path / "信用风险分类.xlsx",
        [
            ["统一社会信用代码", "企业名称", "分类结果", "评定日期", "评定机关"],
            [library[0].uscc, library[0].name, "较高风险", "2026-03-01", "市市场监管局"],
            [library[1].uscc, library[1].name, "B类", "2026年3月1日", "市市场监管局"],
            [outside, "不在名录库的公司", "A", "2026-03-01", "市市场监管局"],
        ],
    )
    result = run("credit-classes", path, dept)
    assert result.committed and not result.errors, result.errors
    assert (result.updated, result.total) == (2, 3)
    assert any("1 个代码不在本部门名录库中" in n for n in result.notes)
    first = Entity.objects.get(pk=library[0].pk)
    assert (first.risk_class, first.risk_date, first.risk_source) == (
        "C",
        dt.date(2026, 3, 1),
        "市市场监管局",
    )
    assert first.row_digest == ""  # the next entity file is compared field by field
    assert not Entity.objects.filter(uscc=outside).exists()  # a credit file adds nobody
    event = Event.objects.get(action="import.credit-classes")
    change = RecordChange.objects.get(event=event, object_id=str(library[0].pk))
    assert change.changes["risk_class"] == ["A", "C"]
    # The same file again: nothing changes.
    again = run("credit-classes", path, dept)
    assert (again.updated, again.unchanged) == (0, 2)
    # An older assessment does not overwrite a newer one.
    older = write_csv(
        tmp_path / "old.csv",
        [["信用代码", "风险等级", "分类日期"], [library[0].uscc, "A", "2025-12-01"]],
    )
    late = run("credit-classes", older, dept)
    assert late.updated == 0 and any("早于名录库中已有的分类" in n for n in late.notes)
    assert Entity.objects.get(pk=library[0].pk).risk_class == "C"


def test_a_bad_classification_file_names_each_row_and_writes_nothing(tmp_path, dept, library):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["统一社会信用代码", "分类", "评定日期", "来源"],
            [library[0].uscc, "E类", "2026-03-01", "x"],  # 2: unknown class
            [bad_check_digit(library[1].uscc), "A", "2026-03-01", "x"],  # 3: check digit
            [library[2].uscc, "B", "", "x"],  # 4: no date
            [library[1].uscc, "B", "2026-09-01", "x"],  # 5: in the future
            [library[2].uscc, "C", "2026-01-01", "x"],  # 6: fine (alone it would apply)
            [library[2].uscc, "C", "2026-01-01", "x"],  # 7: the same code twice
        ],
    )
    result = run("credit-classes", path, dept)
    assert not result.committed
    rows = {(e.row, e.column) for e in result.errors}
    assert rows == {
        (2, "分类"),
        (3, "统一社会信用代码"),
        (4, "评定日期"),
        (5, "评定日期"),
        (7, "统一社会信用代码"),
    }
    messages = {e.row: e.message for e in result.errors}
    assert "无法识别「E类」" in messages[2] and "校验" in messages[3]
    assert "不能为空" in messages[4] and "晚于今天" in messages[5] and "重复" in messages[7]
    assert Entity.objects.get(pk=library[2].pk).risk_class == ""
    assert not Event.objects.filter(action="import.credit-classes").exists()


def test_flags_are_upserted_by_code_type_and_date_and_removal_is_recorded(tmp_path, dept, library):
    path = write_csv(
        tmp_path / "flags.csv",
        [
            ["统一社会信用代码", "名单类型", "列入日期", "移出日期", "作出决定机关", "列入原因"],
            [library[0].uscc, "列入经营异常名录", "2025-05-01", "", "区市场监管局", "未年报"],
            [library[1].uscc, "失信被执行人", "2026/1/5", "", "区人民法院", ""],
            [factories.uscc(), "严重违法失信企业名单", "2024-01-01", "2025-01-01", "市局", ""],
        ],
    )
    result = run("credit-flags", path, dept)
    assert result.committed and (result.created, result.total) == (3, 3), result.errors
    assert any("涉及本部门名录库中的检查对象 2 个" in n for n in result.notes)
    flag = CreditFlag.objects.get(uscc=library[0].uscc)
    assert (flag.kind, flag.listed_on, flag.removed_on) == ("abnormal", dt.date(2025, 5, 1), None)
    assert run("credit-flags", path, dept).unchanged == 3
    removed = write_csv(
        tmp_path / "removed.csv",
        [
            ["统一社会信用代码", "标记类型", "列入日期", "移出日期", "来源", "列入原因"],
            [library[0].uscc, "经营异常名录", "2025-05-01", "2026-02-01", "区市场监管局", "未年报"],
        ],
    )
    update = run("credit-flags", removed, dept)
    assert (update.updated, update.created) == (1, 0)
    assert CreditFlag.objects.get(pk=flag.pk).removed_on == dt.date(2026, 2, 1)
    change = RecordChange.objects.get(object_type="registry.creditflag", object_id=str(flag.pk))
    assert change.changes == {"removed_on": ["", "2026-02-01"]}


def test_a_bad_flag_file_names_each_row_and_writes_nothing(tmp_path, dept, library):
    path = write_csv(
        tmp_path / "flags.csv",
        [
            ["统一社会信用代码", "标记类型", "列入日期", "移出日期"],
            [library[0].uscc, "经营异常名录", "", ""],  # 2: no date
            [library[1].uscc, "黑名单", "2025-01-01", ""],  # 3: unknown type
            [library[2].uscc, "失信被执行人", "2025-05-01", "2025-04-01"],  # 4: removed first
            [bad_check_digit(library[2].uscc), "失信被执行人", "2025-05-01", ""],  # 5
            [library[2].uscc, "失信被执行人", "2025-05-32", ""],  # 6: no such day
        ],
    )
    result = run("credit-flags", path, dept)
    assert not result.committed and not CreditFlag.objects.exists()
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "列入日期"),
        (3, "标记类型"),
        (4, "移出日期"),
        (5, "统一社会信用代码"),
        (6, "列入日期"),
    }
    assert "没有列入日期" in next(e.message for e in result.errors if e.row == 2)


def test_complaints_by_month_or_period(tmp_path, dept, library):
    path = write_csv(
        tmp_path / "complaints.csv",
        [
            ["统一社会信用代码", "统计月份", "投诉举报件数", "来源"],
            [library[0].uscc, "2026年3月", "4", "12345热线"],
            [library[0].uscc, "2026-04", "1", "12345热线"],
        ],
    )
    result = run("complaints", path, dept)
    assert result.committed and result.created == 2, result.errors
    march = ComplaintCount.objects.get(period_start=dt.date(2026, 3, 1))
    assert (march.period_end, march.count) == (dt.date(2026, 3, 31), 4)
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ["统一社会信用代码", "统计期间起", "统计期间止", "投诉件数"],
            [library[1].uscc, "2026-01-01", "2026-03-31", "-1"],
            [library[1].uscc, "2026-01-01", "2026-03-31", "1e9"],
            [library[1].uscc, "2026-01-01", "2026-03-31", "99999999999999999999"],
            [library[1].uscc, "2026-04-01", "2026-03-31", "2"],
        ],
    )
    refused = run("complaints", bad, dept)
    assert not refused.committed and ComplaintCount.objects.count() == 2
    assert {(e.row, e.column) for e in refused.errors} == {
        (2, "投诉件数"),
        (3, "投诉件数"),
        (4, "投诉件数"),
        (5, "统计期间止"),
    }
    no_period = write_csv(
        tmp_path / "np.csv", [["统一社会信用代码", "投诉件数"], [library[1].uscc, "2"]]
    )
    file_error = run("complaints", no_period, dept)
    assert file_error.file_error is not None and "统计期间" in file_error.file_error.message


def test_only_the_departments_admin_may_import_credit_files(tmp_path, trio, library):
    from shuangsuiji.common.errors import NotAllowed

    path = write_csv(
        tmp_path / "c.csv",
        [["统一社会信用代码", "分类", "评定日期"], [library[0].uscc, "D", "2026-01-01"]],
    )
    with pytest.raises(NotAllowed):
        import_file("credit-classes", path=path, department=trio["dept"], actor=trio["colleague"])
    assert Entity.objects.get(pk=library[0].pk).risk_class == "A"


def test_the_credit_record_page_gathers_class_flags_complaints_and_inspections(client, trio):
    """信用监管档案: one page per entity for the staff who can read it; others get 403/404."""
    from shuangsuiji.registry.models import ComplaintCount

    dept = trio["dept"]
    entity = factories.entity(
        department=dept, risk_class="C", risk_date=dt.date(2026, 3, 1), risk_source="市场监管局"
    )
    CreditFlag.objects.create(
        department=dept,
        uscc=entity.uscc,
        kind="abnormal",
        listed_on=dt.date(2025, 5, 1),
        source="区市场监管局",
        reason="未按期年报",
    )
    ComplaintCount.objects.create(
        department=dept,
        uscc=entity.uscc,
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        count=4,
    )
    client.force_login(trio["colleague"])
    page = client.get(f"/disclosure/entities/{entity.pk}/record/").content.decode()
    assert "信用监管档案" in page and entity.name in page
    assert "2026年3月1日</span> 评定，市场监管局" in page
    assert "经营异常名录" in page and "在列" in page and "未按期年报" in page
    assert "2026年3月1日 至 2026年3月31日</td><td>4</td>" in page
    assert "本平台没有该对象的检查记录" in page
    detail = client.get(f"/registry/entities/{entity.pk}/").content.decode()
    assert f"/disclosure/entities/{entity.pk}/record/" in detail
    client.force_login(trio["outsider"])
    assert client.get(f"/disclosure/entities/{entity.pk}/record/").status_code in (403, 404)


def test_a_registration_file_takes_entities_out_of_the_pools_with_date_and_reason(
    tmp_path, dept, library
):
    """issue 14 第 7 项: 注销/吊销/迁出 from the registration authority's file — the entity
    stays in the library (and its history), excluded from every pool with the reason."""
    path = write_csv(
        tmp_path / "注销.csv",
        [
            ["统一社会信用代码", "企业名称", "登记状态", "注销日期", "注销原因"],
            [library[0].uscc, library[0].name, "注销", "2026-05-20", "决议解散"],
            [library[1].uscc, library[1].name, "吊销，未注销", "2026/4/1", ""],
            [factories.uscc(), "别处的公司", "迁出", "2026-05-01", "迁往外区"],
        ],
    )
    result = run("entity-status", path, dept)
    assert result.committed and result.updated == 2, result.errors
    gone = Entity.objects.get(pk=library[0].pk)
    assert (gone.status, gone.status_date, gone.status_reason) == (
        "deregistered",
        dt.date(2026, 5, 20),
        "决议解散",
    )
    change = RecordChange.objects.get(object_type="registry.entity", object_id=str(gone.pk))
    assert change.changes["status"] == ["active", "deregistered"]
    # A bad file: an unknown status and a missing date are named, nothing written.
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ["统一社会信用代码", "登记状态", "状态日期"],
            [library[2].uscc, "破产", "2026-05-01"],
            [library[2].uscc, "注销", ""],
        ],
    )
    refused = run("entity-status", bad, dept)
    assert not refused.committed and {(e.row, e.column) for e in refused.errors} == {
        (2, "登记状态"),
        (3, "状态日期"),
    }
    assert Entity.objects.get(pk=library[2].pk).status == "active"


def test_the_half_yearly_review_is_a_checklist_signed_once(client, trio):
    """003 第六条: 每年6月、12月 — every point ticked, signed by the 部门管理员, once."""
    from shuangsuiji.registry.models import LibraryReview
    from shuangsuiji.registry.review import CHECKS

    dept = trio["dept"]
    factories.entity(department=dept, contact_person="", contact_phone="")
    client.force_login(trio["owner"])
    page = client.get("/registry/review/").content.decode()
    assert "2026年6月" in page and "联络人或联系方式空缺 1 户" in page
    half = client.post("/registry/review/", {"department": dept.code, "checks": ["new", "gone"]})
    assert half.status_code == 422 and "以下核对事项尚未勾选" in half.content.decode()
    assert not LibraryReview.objects.exists()
    done = client.post(
        "/registry/review/",
        {"department": dept.code, "checks": [k for k, _ in CHECKS], "note": "无迁出"},
    )
    assert done.status_code == 302
    review = LibraryReview.objects.get()
    assert (review.year, review.month, review.signed_by, review.facts["no_contact"]) == (
        2026,
        6,
        trio["owner"],
        1,
    )
    assert Event.objects.filter(action="library.review_sign").count() == 1
    assert "已签署" in client.get("/registry/review/").content.decode()
    again = client.post(
        "/registry/review/",
        {"department": dept.code, "checks": [k for k, _ in CHECKS]},
        follow=True,
    )
    assert "已签署" in again.content.decode() and LibraryReview.objects.count() == 1
    client.force_login(trio["colleague"])
    assert client.get("/registry/review/").status_code == 403
