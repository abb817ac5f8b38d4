"""Deadlines of 一公开 in working days (002 第二十八条, 000 三(六)) and the overdue list.

Every expected date below is counted by hand on the State Council's notices for 2024
(国庆: 10-01…10-07 off, Sunday 09-29 and Saturday 10-12 worked; 春节: 02-10…02-17 off,
Sunday 02-04 and Sunday 02-18 worked); the start day is not counted."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.disclosure import deadlines
from shuangsuiji.disclosure.deadlines import (
    ALL_DEPARTMENTS,
    DeadlineKind,
    due_soon_items,
    overdue_items,
)
from shuangsuiji.disclosure.deadlines.workday_table import WorkdayTable
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.workdays.services import (
    CalendarYearMissing,
    Deadline,
    calendar_year_enter,
    deadline_provisional,
    workdays_add,
    workdays_between,
    workdays_between_provisional,
)
from tests import factories
from tests.factories import deadlines as f

pytestmark = pytest.mark.django_db
D = dt.date


def rows_of(kind, *, today, departments=ALL_DEPARTMENTS):
    return overdue_items(departments=departments, today=today, kinds=[kind])


def soon_of(kind, *, today, departments=ALL_DEPARTMENTS):
    return due_soon_items(departments=departments, today=today, kinds=[kind])


# --- 检查结果录入: 20 working days after the window ------------------------------------


def test_a_result_is_due_20_working_days_after_the_window_across_national_day():
    s = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    # From Friday 09-20: 09-23…09-27 (5), Sun 09-29 (6), 09-30 (7), [10-01…10-07 off],
    # 10-08…10-11 (11), Sat 10-12 (12), 10-14…10-18 (17), 10-21, 10-22, 10-23 (20).
    on_due_day = rows_of(DeadlineKind.RESULT, today=D(2024, 10, 23))
    assert on_due_day == []
    [soon] = soon_of(DeadlineKind.RESULT, today=D(2024, 10, 23))
    assert (soon.due, soon.workdays_left, soon.visit_id) == (D(2024, 10, 23), 0, s.visits[0].pk)
    [row] = rows_of(DeadlineKind.RESULT, today=D(2024, 10, 24))
    assert (row.kind, row.due, row.workdays_overdue, row.visit_id) == (
        "result",
        D(2024, 10, 23),
        1,
        s.visits[0].pk,
    )
    assert row.department == s.crew.dept and row.task == s.task
    assert (row.entity_name, row.credit_code) == (s.visits[0].entity.name, s.visits[0].entity.uscc)


def test_a_formed_result_is_no_longer_owed():
    s = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=2)
    f.result_formed(s.visits[0], formed_on=D(2024, 10, 30), by=s.crew.reviewer)  # late, but done
    rows = rows_of(DeadlineKind.RESULT, today=D(2024, 11, 1))
    assert [r.visit_id for r in rows] == [s.visits[1].pk]


def test_results_of_a_cancelled_task_are_not_owed():
    s = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    type(s.task).objects.filter(pk=s.task.pk).update(status=TaskStatus.CANCELLED)
    assert rows_of(DeadlineKind.RESULT, today=D(2024, 11, 1)) == []


# --- 检查结果公示: the department's working days after forming ---------------------------


def test_zhangping_publishes_within_10_working_days_across_spring_festival():
    s = f.scene(start=D(2024, 1, 2), end=D(2024, 1, 31), targets=1, publish_workdays=10)
    result = f.result_formed(s.visits[0], formed_on=D(2024, 2, 2), by=s.crew.reviewer)
    # From Friday 02-02: Sun 02-04 (1), 02-05…02-09 (6), [02-10…02-17 off], Sun 02-18 (7),
    # 02-19, 02-20, 02-21 (10).
    assert rows_of(DeadlineKind.PUBLISH, today=D(2024, 2, 21)) == []
    [row] = rows_of(DeadlineKind.PUBLISH, today=D(2024, 2, 22))
    assert (row.due, row.workdays_overdue, row.result_id) == (D(2024, 2, 21), 1, result.pk)


def test_the_default_publication_period_is_20_working_days():
    s = f.scene(start=D(2024, 1, 2), end=D(2024, 1, 31), targets=1)
    f.result_formed(s.visits[0], formed_on=D(2024, 2, 2), by=s.crew.reviewer)
    # As above to 02-21 (10), then 02-22, 02-23 (12), 02-26…03-01 (17), 03-04, 03-05, 03-06 (20).
    assert rows_of(DeadlineKind.PUBLISH, today=D(2024, 3, 6)) == []
    [row] = rows_of(DeadlineKind.PUBLISH, today=D(2024, 3, 7))
    assert (row.due, row.workdays_overdue) == (D(2024, 3, 6), 1)


def test_a_published_or_withheld_result_is_not_overdue():
    s = f.scene(start=D(2024, 1, 2), end=D(2024, 1, 31), targets=3)
    f.result_published(
        s.visits[0], formed_on=D(2024, 2, 2), published_on=D(2024, 3, 20), by=s.crew.reviewer
    )
    f.result_withheld(s.visits[1], formed_on=D(2024, 2, 2), by=s.crew.reviewer)
    open_one = f.result_formed(s.visits[2], formed_on=D(2024, 2, 2), by=s.crew.reviewer)
    assert [r.result_id for r in rows_of(DeadlineKind.PUBLISH, today=D(2024, 4, 1))] == [
        open_one.pk
    ]


# --- 行政处罚信息: 7 working days ------------------------------------------------------


def test_penalty_information_is_due_on_the_make_up_saturday_after_national_day():
    s = f.scene(start=D(2024, 8, 1), end=D(2024, 8, 30), targets=2)
    fu = f.penalty(s.visits[0], decided_on=D(2024, 9, 27), by=s.crew.reviewer)
    f.penalty(
        s.visits[1], decided_on=D(2024, 9, 27), published_on=D(2024, 10, 9), by=s.crew.reviewer
    )
    # From Friday 09-27: Sun 09-29 (1), 09-30 (2), [10-01…10-07 off], 10-08…10-11 (6), Sat 10-12 (7).
    assert rows_of(DeadlineKind.PENALTY, today=D(2024, 10, 12)) == []
    [late] = rows_of(DeadlineKind.PENALTY, today=D(2024, 10, 14))  # Monday: one working day late
    assert (late.due, late.workdays_overdue, late.followup_id) == (D(2024, 10, 12), 1, fu.pk)
    # Sunday 10-13 is past the deadline although no working day has gone by since.
    [sunday] = rows_of(DeadlineKind.PENALTY, today=D(2024, 10, 13))
    assert sunday.workdays_overdue == 0


# --- 异议: reviewed within 20, answered within 15 -------------------------------------


def test_an_objection_is_reviewed_within_20_working_days_across_spring_festival():
    s = f.scene(start=D(2023, 12, 1), end=D(2023, 12, 29), targets=1)
    obj = f.objection(s.visits[0], received_on=D(2024, 1, 26), by=s.crew.reviewer)
    # From Friday 01-26: 01-29…02-02 (5), Sun 02-04 (6), 02-05…02-09 (11), [02-10…02-17 off],
    # Sun 02-18 (12), 02-19…02-23 (17), 02-26, 02-27, 02-28 (20).
    assert rows_of(DeadlineKind.OBJECTION_REVIEW, today=D(2024, 2, 28)) == []
    [row] = rows_of(DeadlineKind.OBJECTION_REVIEW, today=D(2024, 2, 29))
    assert (row.due, row.workdays_overdue, row.objection_id) == (D(2024, 2, 28), 1, obj.pk)
    assert row.objection_number == obj.number
    assert rows_of(DeadlineKind.OBJECTION_ANSWER, today=D(2024, 2, 29)) == []


def test_a_reviewed_objection_is_answered_within_15_working_days_across_national_day():
    s = f.scene(start=D(2024, 8, 1), end=D(2024, 8, 30), targets=2)
    obj = f.objection(
        s.visits[0], received_on=D(2024, 9, 10), reviewed_on=D(2024, 9, 25), by=s.crew.reviewer
    )
    f.objection(
        s.visits[1],
        received_on=D(2024, 9, 10),
        reviewed_on=D(2024, 9, 25),
        answered_on=D(2024, 10, 9),
        by=s.crew.reviewer,
    )
    # From Wednesday 09-25: 09-26, 09-27 (2), Sun 09-29 (3), 09-30 (4), [10-01…10-07 off],
    # 10-08…10-11 (8), Sat 10-12 (9), 10-14…10-18 (14), Mon 10-21 (15).
    assert rows_of(DeadlineKind.OBJECTION_ANSWER, today=D(2024, 10, 21)) == []
    [row] = rows_of(DeadlineKind.OBJECTION_ANSWER, today=D(2024, 10, 22))
    assert (row.due, row.workdays_overdue, row.objection_id) == (D(2024, 10, 21), 1, obj.pk)
    assert rows_of(DeadlineKind.OBJECTION_REVIEW, today=D(2024, 10, 22)) == []


# --- 任务未实施 -----------------------------------------------------------------------


def test_a_task_never_drawn_in_its_window_is_overdue_and_a_cancelled_one_is_not():
    s = f.scene(start=D(2024, 9, 1), end=D(2024, 9, 30), targets=1)  # dispatched: run
    draft = f.task(s.crew.dept, end=D(2024, 9, 30))
    drawn = f.task(
        s.crew.dept, end=D(2024, 9, 30), status=TaskStatus.DRAWN
    )  # drawn, never confirmed
    f.task(s.crew.dept, end=D(2024, 9, 30), status=TaskStatus.CANCELLED)
    assert (
        rows_of(DeadlineKind.TASK_NOT_RUN, today=D(2024, 9, 30)) == []
    )  # the last day is still in time
    rows = rows_of(DeadlineKind.TASK_NOT_RUN, today=D(2024, 10, 8))
    assert {r.task for r in rows} == {draft, drawn}
    # After Monday 09-30 the holiday runs 10-01…10-07: Tuesday 10-08 is the first working day.
    assert {(r.due, r.workdays_overdue) for r in rows} == {(D(2024, 9, 30), 1)}


def test_a_task_ending_within_3_working_days_is_due_soon():
    t = f.task(factories.department(), end=D(2024, 10, 8))
    # From Saturday 09-28: Sun 09-29 (1), 09-30 (2), [10-01…10-07 off], 10-08 (3).
    [row] = soon_of(DeadlineKind.TASK_NOT_RUN, today=D(2024, 9, 28))
    assert (row.task, row.workdays_left) == (t, 3)
    # From Friday 09-27 it is still 3 (Saturday 09-28 is off); from Thursday 09-26 it is 4.
    assert soon_of(DeadlineKind.TASK_NOT_RUN, today=D(2024, 9, 27))[0].workdays_left == 3
    assert soon_of(DeadlineKind.TASK_NOT_RUN, today=D(2024, 9, 26)) == []


# --- a year without calendar data -----------------------------------------------------


def enter_2030():
    # Invented for the test (the built-in data ends with 2026): 元旦 off, no other change.
    calendar_year_enter(
        year=2030,
        source="测试数据（非官方）",
        holidays=[(D(2030, 1, 1), "元旦")],
        workdays=[],
        actor="测试",
    )


NOTE_2031 = "暂按双休日推算，待2031年节假日安排录入后自动更正"


def formed_in_december_2030():
    enter_2030()
    s = f.scene(start=D(2030, 11, 1), end=D(2030, 11, 29), targets=1)
    f.result_formed(s.visits[0], formed_on=D(2030, 12, 20), by=s.crew.reviewer)
    return s


def test_a_deadline_reaching_a_year_without_data_is_provisional_and_says_so():
    formed_in_december_2030()
    # From Friday 2030-12-20 only 7 working days are left in 2030 (12-23…12-27, 12-30, 12-31);
    # 2031 is unknown, so the other 13 are counted Monday–Friday: 01-01…01-03 (10),
    # 01-06…01-10 (15), 01-13…01-17 (20).
    [row] = rows_of(DeadlineKind.PUBLISH, today=D(2031, 1, 20))
    assert (row.kind, row.rule, row.due, row.workdays_overdue) == (
        "publish",
        "publish",
        D(2031, 1, 17),
        1,
    )
    assert row.provisional and row.note == NOTE_2031


def test_entering_the_missing_year_corrects_the_provisional_deadline(time_machine):
    time_machine.move_to(dt.datetime(2031, 1, 20, 9, tzinfo=dt.UTC))
    s = formed_in_december_2030()
    [before] = rows_of(DeadlineKind.PUBLISH, today=D(2031, 1, 20))
    # Invented arrangement for 2031: 01-01 and 01-02 off, so the 20th day moves two days on.
    calendar_year_enter(
        year=2031,
        source="测试数据（非官方）",
        holidays=[(D(2031, 1, 1), "元旦"), (D(2031, 1, 2), "元旦")],
        workdays=[],
        actor="测试",
    )
    assert rows_of(DeadlineKind.PUBLISH, today=D(2031, 1, 20)) == []
    [after] = rows_of(DeadlineKind.PUBLISH, today=D(2031, 1, 22))
    assert (before.due, after.due, after.provisional, after.note) == (
        D(2031, 1, 17),
        D(2031, 1, 21),
        False,
        "",
    )
    # The audit trail says which deadline the notice moved.
    event = Event.objects.get(action="calendar.deadlines_corrected")
    result_id = s.visits[0].result.pk
    assert event.after["corrected"] == 1 and event.after["moved"] == 1
    assert event.after["items"] == [
        {
            "item": f"publish:{result_id}",
            "subject": s.visits[0].entity.name,
            "before": "2031-01-17",
            "after": "2031-01-21",
            "still_provisional": False,
        }
    ]
    assert Event.objects.filter(action="calendar.year_enter", object_id=event.object_id).exists()


def test_entering_a_year_no_deadline_reaches_records_no_correction():
    enter_2030()
    assert not Event.objects.filter(action="calendar.deadlines_corrected").exists()


def test_a_provisional_deadline_is_due_soon_like_any_other():
    formed_in_december_2030()
    assert rows_of(DeadlineKind.PUBLISH, today=D(2030, 12, 21)) == []
    assert soon_of(DeadlineKind.PUBLISH, today=D(2030, 12, 21)) == []
    # On 2031-01-14 the provisional due day 01-17 is 3 (Monday–Friday) working days away.
    [row] = soon_of(DeadlineKind.PUBLISH, today=D(2031, 1, 14))
    assert (row.kind, row.due, row.workdays_left, row.note) == (
        "publish",
        D(2031, 1, 17),
        3,
        NOTE_2031,
    )


# --- scope ----------------------------------------------------------------------------


def two_departments():
    mine = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    theirs = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    return mine, theirs


def visible(user):
    scope = deadlines.oversight_scope(user=user)
    return {r.department for r in overdue_items(departments=scope, today=D(2024, 11, 1))}


def test_department_staff_see_only_their_departments_and_sub_departments():
    mine, theirs = two_departments()
    unit = factories.department(parent=mine.crew.dept, name="质量安全科")
    f.task(unit, end=D(2024, 9, 30))
    owner = factories.user(department=mine.crew.dept, role=Role.DEPT_ADMIN)
    unit_operator = factories.user(department=unit, role=Role.OPERATOR)
    assert visible(mine.crew.operator) == {mine.crew.dept, unit}
    assert visible(mine.crew.reviewer) == {mine.crew.dept, unit}
    assert visible(owner) == {mine.crew.dept, unit}
    assert visible(unit_operator) == {unit}
    assert visible(theirs.crew.operator) == {theirs.crew.dept}


def test_the_leading_office_sees_every_department_and_an_outsider_none():
    mine, theirs = two_departments()
    office = factories.department(name="双随机联席会议办公室")
    office.is_leading_office = True
    office.save(update_fields=["is_leading_office"])
    overseer = factories.user(department=office, role=Role.OPERATOR)
    outsider = factories.user(department=factories.department(), role=Role.DEPT_ADMIN)
    assert visible(overseer) == {mine.crew.dept, theirs.crew.dept}
    groups = deadlines.rows_by_department(
        rows=overdue_items(departments=ALL_DEPARTMENTS, today=D(2024, 11, 1))
    )
    assert [(g.department, g.counts["result"]) for g in groups] == sorted(
        [(mine.crew.dept, 1), (theirs.crew.dept, 1)], key=lambda p: p[0].code
    )
    assert visible(outsider) == set()


def test_a_witness_or_inspector_does_not_oversee_deadlines():
    mine, _ = two_departments()
    assert visible(mine.crew.witness) == set()
    assert visible(mine.inspector_users[0]) == set()


# --- efficiency and counts ------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_number_of_items():
    s = f.scene(start=D(2024, 1, 2), end=D(2024, 1, 31), targets=8)
    f.result_formed(s.visits[0], formed_on=D(2024, 2, 2), by=s.crew.reviewer)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            rows = overdue_items(departments=ALL_DEPARTMENTS, today=D(2024, 4, 1))
        return len(rows), len(ctx)

    one_result, before = queries()
    for k, visit in enumerate(s.visits[1:], start=1):  # seven more, on seven other days
        f.result_formed(visit, formed_on=D(2024, 2, 2) + dt.timedelta(days=k), by=s.crew.reviewer)
    more_results, after = queries()
    assert (one_result, more_results) == (8, 8)  # 7 results owed + 1 to publish, then 8 to publish
    assert after == before


def test_the_bulk_calendar_counts_exactly_as_the_workdays_service():
    # Every start day from December 2023 to January 2025 (春节, 国庆, 调休 and two year ends),
    # for each period of the rules; and every count of working days to a fixed day.
    cal = WorkdayTable()
    day = D(2023, 12, 1)
    while day <= D(2025, 1, 31):
        for n in (0, 1, 7, 10, 15, 20):
            exact = cal.add(day, n)
            assert (exact.date, exact.assumed_years) == (workdays_add(start=day, n=n), ()), (day, n)
        assert cal.between(day, D(2025, 2, 28)) == (
            workdays_between(start=day, end=D(2025, 2, 28)),
            (),
        ), day
        day += dt.timedelta(days=1)


def test_the_bulk_calendar_reads_entered_years_and_counts_a_missing_one_on_weekends():
    enter_2030()
    cal = WorkdayTable()
    # 2030-01-01 (Tuesday) is off: from it, 01-02 (1), 01-03 (2). From 2029-12-31 (a year
    # nobody entered, but the start day itself is not counted) the first is 01-02.
    assert cal.add(D(2030, 1, 1), 2).date == workdays_add(start=D(2030, 1, 1), n=2) == D(2030, 1, 3)
    assert cal.add(D(2029, 12, 31), 1) == Deadline(D(2030, 1, 2))
    with pytest.raises(CalendarYearMissing):
        workdays_add(start=D(2030, 12, 20), n=20)
    # The provisional path of the service and the bulk table agree, day by day.
    day = D(2030, 12, 1)
    while day <= D(2031, 1, 31):
        for n in (1, 7, 20):
            assert cal.add(day, n) == deadline_provisional(start=day, n=n), (day, n)
        assert cal.between(day, D(2031, 2, 10)) == workdays_between_provisional(
            start=day, end=D(2031, 2, 10)
        )
        day += dt.timedelta(days=1)
    assert cal.add(D(2030, 12, 20), 20) == Deadline(D(2031, 1, 17), (2031,))
    assert cal.between(D(2030, 12, 20), D(2031, 1, 2)) == (9, (2031,))


def test_kind_counts_name_every_kind():
    s = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=2)
    f.task(s.crew.dept, end=D(2024, 9, 30))
    counts = deadlines.overdue_counts(departments=ALL_DEPARTMENTS, today=D(2024, 11, 1))
    assert counts == {
        "task_not_run": 1,
        "result": 2,
        "publish": 0,
        "penalty": 0,
        "objection_review": 0,
        "objection_answer": 0,
    }


def test_an_unknown_kind_is_refused_in_chinese():
    from shuangsuiji.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="期限类型无效"):
        overdue_items(departments=ALL_DEPARTMENTS, today=D(2024, 1, 1), kinds=["nope"])


def test_deadline_compute_follows_the_department_setting():
    dept = factories.department()
    dept.publish_deadline_workdays = 10
    # From Friday 2024-02-02 (as above): 10 working days end on 02-21, 20 on 03-06.
    assert deadlines.deadline_compute(
        kind="publish", start=D(2024, 2, 2), department=dept
    ) == Deadline(D(2024, 2, 21))
    assert deadlines.deadline_compute(kind="publish", start=D(2024, 2, 2)) == Deadline(
        D(2024, 3, 6)
    )
