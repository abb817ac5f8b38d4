"""Deadlines in a year without calendar data (issue: ``make test`` failed from December 2026).

A department cannot wait for the State Council's notice: a deadline reaching an unknown year
is counted on weekends only, always with the label "暂按双休日推算，待{year}年节假日安排录入后
自动更正", and is exact again the moment the year is entered. From 1 November the system
admins are told that next year is missing. Dates here are chosen, never today's."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.cli import main
from shuangsuiji.workdays.services import (
    Deadline,
    calendar_reminder,
    calendar_year_describe,
    calendar_year_enter,
    calendar_years_to_enter,
    deadline_for,
    deadline_provisional,
    provisional_note,
    workdays_between,
    workdays_between_provisional,
)
from tests import factories

D = dt.date
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "holidays-2026.csv"

pytestmark = pytest.mark.django_db


def enter_2027():
    # Invented test data, not the real 2027 notice: 元旦 01-01 (Friday) to 01-03 off.
    calendar_year_enter(
        year=2027,
        source="测试数据（非官方）",
        actor="测试",
        holidays=[(D(2027, 1, 1), "元旦"), (D(2027, 1, 2), "元旦"), (D(2027, 1, 3), "元旦")],
        workdays=[],
    )


@pytest.mark.parametrize(
    ("start", "n"), [(D(2024, 9, 27), 20), (D(2025, 1, 24), 7), (D(2026, 12, 1), 15)]
)
def test_inside_known_years_the_provisional_count_is_the_exact_one(start, n):
    assert deadline_provisional(start=start, n=n) == Deadline(deadline_for(start=start, n=n))
    assert not deadline_provisional(start=start, n=n).provisional
    end = D(2026, 12, 31)
    assert workdays_between_provisional(start=start, end=end) == (
        workdays_between(start=start, end=end),
        (),
    )


def test_a_deadline_into_an_unknown_year_counts_its_weekdays_and_says_so():
    # Friday 2026-12-04: 19 working days are left in December 2026 (12-07 … 12-31); the
    # 20th is 2027-01-01, a Friday, counted as a working day until 2027 is entered.
    due = deadline_provisional(start=D(2026, 12, 4), n=20)
    assert (due.date, due.assumed_years, due.provisional) == (D(2027, 1, 1), (2027,), True)
    assert due.note == "暂按双休日推算，待2027年节假日安排录入后自动更正"


def test_once_the_year_is_entered_the_same_call_is_exact():
    enter_2027()
    due = deadline_provisional(start=D(2026, 12, 4), n=20)
    # 01-01 to 01-03 off: the 20th working day is Monday 01-04.
    assert (due.date, due.provisional, due.note) == (D(2027, 1, 4), False, "")
    assert due.date == deadline_for(start=D(2026, 12, 4), n=20)


def test_counting_back_and_forth_over_an_unknown_year():
    assert workdays_between_provisional(start=D(2026, 12, 31), end=D(2027, 1, 8)) == (6, (2027,))
    assert workdays_between_provisional(start=D(2027, 1, 8), end=D(2026, 12, 31)) == (-6, (2027,))


@pytest.mark.parametrize(
    ("years", "text"),
    [
        ([2027], "2027"),
        ([2028, 2027], "2027、2028"),
        ([2027, 2028, 2029, 2031], "2027至2029、2031"),
    ],
)
def test_the_note_names_the_missing_years(years, text):
    assert provisional_note(years=years) == f"暂按双休日推算，待{text}年节假日安排录入后自动更正"


# --- seeing it coming ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "years"),
    [
        (D(2026, 10, 31), []),
        (D(2026, 11, 1), [2027]),
        (D(2026, 12, 31), [2027]),
        (D(2027, 1, 4), [2027]),
        (D(2027, 11, 2), [2027, 2028]),
    ],
)
def test_the_years_to_enter_from_1_november(today, years):
    assert calendar_years_to_enter(today=today) == years


def test_entering_next_year_ends_the_reminder():
    assert "2027年国务院节假日安排尚未录入" in calendar_reminder(today=D(2026, 12, 5))
    enter_2027()
    assert calendar_reminder(today=D(2026, 12, 5)) == ""


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_system_admin_sees_the_reminder_on_his_home_page_from_1_november(client, time_machine):
    admin = factories.user(superuser=True)
    time_machine.move_to(dt.datetime(2026, 10, 31, 10))
    assert 'id="calendar-reminder"' not in _home(client, admin)
    time_machine.move_to(dt.datetime(2026, 11, 1, 10))
    html = _home(client, admin)
    assert "2027年国务院节假日安排尚未录入" in html
    assert reverse("admin:workdays_calendaryear_add") in html


def test_department_staff_are_not_asked_to_enter_the_calendar_on_their_home_page(
    client, time_machine, trio
):
    time_machine.move_to(dt.datetime(2026, 12, 5, 10))
    assert 'id="calendar-reminder"' not in _home(client, trio["owner"])


def test_oversight_warns_that_deadlines_into_next_year_are_provisional(client, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 5, 10))
    dept = factories.department()
    client.force_login(factories.user(department=dept, role=Role.OPERATOR))
    html = client.get(reverse("oversight:index")).content.decode()
    assert 'id="calendar-reminder"' in html and "涉及2027年的期限暂按双休日推算" in html


# --- the documented file format -----------------------------------------------------------


def test_the_documented_example_file_is_the_2026_notice(capsys):
    built_in = calendar_year_describe(year=2026).workday_count
    assert (
        main(
            [
                "calendar",
                "import-year",
                "2026",
                str(EXAMPLE),
                "--source",
                "国务院办公厅关于2026年部分节假日安排的通知",
            ]
        )
        == 0
    )
    assert "已录入2026年节假日安排" in capsys.readouterr().out
    # Entered rows win over the built-in data: the same days, so the same working days.
    assert calendar_year_describe(year=2026).workday_count == built_in
    assert all(d.origin == "录入" for d in calendar_year_describe(year=2026).days)
