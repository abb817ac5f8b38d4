"""文号 and 文书抬头 (issue 13 第 3 项): a number per department, kind and year, gap-free and
unique when many issue at once (PostgreSQL, threads), the same on every reprint; the
letterhead set by the department admin, an office telephone only."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.documents.choices import DocumentKind
from shuangsuiji.documents.models import IssuedDocument, Letterhead, NumberCounter
from shuangsuiji.documents.services import (
    document_number,
    letterhead_set,
    number_pattern_check,
    number_render,
)
from tests import factories

NOTICE = DocumentKind.INSPECTION_NOTICE
DAY = dt.date(2024, 9, 2)


def _songjiang():
    dept = factories.department(name="上海市松江区建设和管理委员会")
    admin = factories.user(department=dept, role=Role.DEPT_ADMIN)
    letterhead_set(
        department=dept,
        actor=admin,
        full_name="上海市松江区建设和管理委员会",
        short_name="松建管",
        address="上海市松江区乐都路 xx 号",
        postcode="201600",
        telephone="021-57682316",
        patterns={NOTICE: "{代字}检通〔{年}〕第{号:3}号"},
    )
    return dept, admin


def test_number_forms_read_only_their_three_placeholders():
    assert (
        number_render("松建管〔{年}〕第{号}号", short_name="", year=2024, seq=7)
        == "松建管〔2024〕第7号"
    )
    assert (
        number_render("{代字}检通〔{年}〕{号:3}号", short_name="漳建", year=2025, seq=12)
        == "漳建检通〔2025〕012号"
    )
    for bad, words in [
        ("", "请填写"),
        ("松建管〔{年}〕", "序号占位符"),
        ("松建管第{号}号", "年度占位符"),
        ("{年}{号}{号}", "只含一个"),
        ("{0.__class__}{号}", "不是可用的占位符"),
        ("{号:9}", "不是可用的占位符"),
        ("{year}{号}", "不是可用的占位符"),
        ("第{号}号}", "不是可用的占位符"),
        ("第{号}号\u202e", "不允许的字符"),
        ("字" * 61 + "{号}", "过长"),
    ]:
        with pytest.raises(ValidationFailed, match=words):
            number_pattern_check(bad)


@pytest.mark.django_db
def test_numbers_run_per_department_kind_and_year_and_a_reprint_keeps_its_number():
    dept, admin = _songjiang()
    visits = [factories.department() for _ in range(3)]  # any objects stand for the documents
    first = document_number(kind=NOTICE, obj=visits[0], department=dept, actor=admin, today=DAY)
    second = document_number(kind=NOTICE, obj=visits[1], department=dept, actor=admin, today=DAY)
    assert (first.number, second.number) == (
        "松建管检通〔2024〕第001号",
        "松建管检通〔2024〕第002号",
    )
    # Printed again, later: the same number and date.
    again = document_number(
        kind=NOTICE, obj=visits[0], department=dept, actor=admin, today=DAY + dt.timedelta(days=30)
    )
    assert (again.pk, again.number, again.issued_on) == (first.pk, first.number, DAY)
    # Another kind has its own series and the default form; a new year starts again at 1.
    letter = document_number(
        kind=DocumentKind.RESULT_LETTER, obj=visits[0], department=dept, actor=admin, today=DAY
    )
    assert letter.number == "松建管抽告〔2024〕第1号"
    new_year = document_number(
        kind=NOTICE, obj=visits[2], department=dept, actor=admin, today=dt.date(2025, 1, 6)
    )
    assert new_year.number == "松建管检通〔2025〕第001号"
    assert Event.objects.filter(action="document.number").count() == 4


@pytest.mark.django_db
def test_a_section_without_a_letterhead_issues_in_its_commissions_name_and_series():
    dept, admin = _songjiang()
    section = factories.department(name="燃气所", parent=dept)
    doc = document_number(kind=NOTICE, obj=section, department=section, actor=admin, today=DAY)
    assert doc.department == dept and doc.number.startswith("松建管")
    other = factories.department(name="漳平市住房和城乡建设局")  # no letterhead at all
    doc = document_number(kind=NOTICE, obj=other, department=other, actor=None, today=DAY)
    assert doc.number == "漳平市住房和城乡建设局检通〔2024〕第1号"


@pytest.mark.django_db
def test_a_failure_after_the_number_leaves_no_gap():
    dept, admin = _songjiang()
    objs = [factories.department() for _ in range(2)]
    with pytest.raises(RuntimeError), transaction.atomic():
        document_number(kind=NOTICE, obj=objs[0], department=dept, actor=admin, today=DAY)
        raise RuntimeError("打印失败")
    doc = document_number(kind=NOTICE, obj=objs[1], department=dept, actor=admin, today=DAY)
    assert doc.seq == 1 and NumberCounter.objects.get(department=dept, kind=NOTICE).last == 1


@pytest.mark.django_db
def test_the_letterhead_is_the_department_admins_with_an_office_telephone():
    dept, admin = _songjiang()
    head = Letterhead.objects.get(department=dept)
    assert (head.short_name, head.telephone) == ("松建管", "021-57682316")
    operator = factories.user(department=dept, role=Role.OPERATOR)
    with pytest.raises(NotAllowed):
        letterhead_set(department=dept, actor=operator, full_name="x", short_name="x")
    for phone in ("13812345678", "+86 138 1234 5678", "１３８１２３４５６７８", "138-1234-5678"):
        with pytest.raises(ValidationFailed, match="办公电话"):
            letterhead_set(
                department=dept, actor=admin, full_name="某局", short_name="某", telephone=phone
            )
    with pytest.raises(ValidationFailed, match="邮政编码"):
        letterhead_set(
            department=dept, actor=admin, full_name="某局", short_name="某", postcode="20160"
        )
    with pytest.raises(ValidationFailed, match="检查通知书：.*占位符"):
        letterhead_set(
            department=dept,
            actor=admin,
            full_name="某局",
            short_name="某",
            patterns={NOTICE: "{x}"},
        )
    head.refresh_from_db()
    assert head.full_name == "上海市松江区建设和管理委员会"  # nothing changed by the refusals
    assert Event.objects.filter(action="letterhead.set").count() == 1


def _issue_concurrently(dept, objs):
    barrier = threading.Barrier(len(objs))
    numbers: list[int] = []
    errors: list[BaseException] = []

    def issue(obj):
        try:
            barrier.wait()
            numbers.append(
                document_number(kind=NOTICE, obj=obj, department=dept, actor=None, today=DAY).seq
            )
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(o,)) for o in objs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return numbers


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_many_issuing_at_once_get_consecutive_numbers_never_the_same():
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL 的行锁并发；SQLite 整库串行写入")
    dept = factories.department(name="并发测试局")  # no counter row yet: created under the race
    objs = [factories.department() for _ in range(8)]
    numbers = _issue_concurrently(dept, objs)
    assert sorted(numbers) == list(range(1, 9))
    # Eight people printing the same document at once: one number, given once.
    same = factories.department()
    numbers = _issue_concurrently(dept, [same] * 6)
    assert (
        set(numbers) == {9} and IssuedDocument.objects.filter(object_id=str(same.pk)).count() == 1
    )
    assert NumberCounter.objects.get(department=dept, kind=NOTICE).last == 9
