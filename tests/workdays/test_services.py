"""Working days (工作日) for the deadlines of 一公开: workdays/services.py, its admin and CLI.

Expected dates follow the State Council's notices as chinesecalendar 1.11.0 carries them:
* 2024 [国办发明电〔2023〕7号]: 中秋节 9月15日至17日放假，9月14日（周六）上班；国庆节 10月1日至7日
  放假，9月29日（周日）、10月12日（周六）上班。
* 2025 [国办发明电〔2024〕12号]: 春节 1月28日至2月4日放假，1月26日（周日）、2月8日（周六）上班；
  劳动节 5月1日至5日放假，4月27日（周日）上班。
The 2027 arrangement used below is invented test data (no 2027 notice is built in): it only
shows that an entered year is used.
"""

import datetime as dt

import pytest
from django.urls import reverse

from shuangsuiji.audit.models import Event
from shuangsuiji.cli import main
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.workdays.models import CalendarDay, CalendarDayKind, CalendarYear
from shuangsuiji.workdays.services import (
    CalendarYearMissing,
    calendar_year_enter,
    deadline_for,
    is_workday,
    workdays_add,
    workdays_between,
)
from tests import factories

D = dt.date
TEST_2027_SOURCE = "测试数据（非官方）：2027年节假日安排"
# Invented for the tests: 元旦 2027-01-01 (Friday) to 01-03 off, Saturday 01-09 worked.
TEST_2027_HOLIDAYS = [(D(2027, 1, 1), "元旦"), (D(2027, 1, 2), "元旦"), (D(2027, 1, 3), "元旦")]
TEST_2027_WORKDAYS = [(D(2027, 1, 9), "元旦")]

pytestmark = pytest.mark.django_db


def enter_2027(actor="测试", **overrides):
    kwargs = {
        "year": 2027,
        "source": TEST_2027_SOURCE,
        "holidays": TEST_2027_HOLIDAYS,
        "workdays": TEST_2027_WORKDAYS,
        "actor": actor,
    }
    kwargs.update(overrides)
    return calendar_year_enter(**kwargs)


# --- 国庆 2024 ------------------------------------------------------------------------


def test_one_working_day_after_the_last_day_before_national_day_2024_is_october_8():
    assert workdays_add(start=D(2024, 9, 30), n=1) == D(2024, 10, 8)


def test_sunday_29_september_2024_was_a_make_up_working_day():
    assert is_workday(day=D(2024, 9, 29)) is True
    assert workdays_add(start=D(2024, 9, 28), n=1) == D(2024, 9, 29)


def test_the_national_day_week_2024_is_off_and_saturday_12_october_is_worked():
    assert [is_workday(day=D(2024, 10, d)) for d in range(1, 8)] == [False] * 7
    assert is_workday(day=D(2024, 10, 12)) is True
    assert is_workday(day=D(2024, 10, 13)) is False


def test_counting_from_a_holiday_starts_the_next_working_day():
    assert workdays_add(start=D(2024, 10, 3), n=1) == D(2024, 10, 8)
    assert workdays_add(start=D(2025, 1, 29), n=1) == D(2025, 2, 5)


def test_twenty_working_days_across_national_day_2024():
    # 9/23–27 (5), 9/29 周日上班 (6), 9/30 (7), 10/8–11 (11), 10/12 周六上班 (12),
    # 10/14–18 (17), 10/21–23 (20); a weekends-only count would say 10/18.
    assert workdays_add(start=D(2024, 9, 20), n=20) == D(2024, 10, 23)


def test_friday_plus_one_working_day_is_the_next_monday():
    assert workdays_add(start=D(2024, 11, 8), n=1) == D(2024, 11, 11)


def test_zero_working_days_is_the_start_day_itself():
    assert workdays_add(start=D(2024, 10, 1), n=0) == D(2024, 10, 1)


def test_a_negative_number_of_working_days_is_refused():
    with pytest.raises(ValidationFailed, match="不小于0"):
        workdays_add(start=D(2024, 10, 1), n=-1)


# --- 春节 2025 ------------------------------------------------------------------------


def test_spring_festival_2025_make_up_days_are_worked():
    assert is_workday(day=D(2025, 1, 26)) is True  # 周日上班
    assert is_workday(day=D(2025, 2, 8)) is True  # 周六上班
    assert workdays_add(start=D(2025, 1, 24), n=1) == D(2025, 1, 26)
    assert workdays_add(start=D(2025, 2, 7), n=1) == D(2025, 2, 8)


def test_spring_festival_2025_skips_from_january_27_to_february_5():
    assert workdays_add(start=D(2025, 1, 27), n=1) == D(2025, 2, 5)


def test_twenty_working_days_across_spring_festival_2025():
    # 1/21–24 (4), 1/26 周日上班 (5), 1/27 (6), 2/5–7 (9), 2/8 周六上班 (10), 2/10–14 (15), 2/17–21 (20)
    assert workdays_add(start=D(2025, 1, 20), n=20) == D(2025, 2, 21)
    assert deadline_for(start=D(2025, 1, 20), n=20) == D(2025, 2, 21)


def test_seven_working_days_for_a_penalty_across_labour_day_2025():
    # 5/1–5 off: 5/6–9 (4), 5/12–14 (7)
    assert deadline_for(start=D(2025, 4, 30), n=7) == D(2025, 5, 14)


def test_workdays_between_counts_the_days_after_start_up_to_end():
    assert workdays_between(start=D(2024, 9, 30), end=D(2024, 10, 8)) == 1
    assert workdays_between(start=D(2024, 9, 20), end=D(2024, 10, 23)) == 20
    assert workdays_between(start=D(2024, 10, 23), end=D(2024, 9, 20)) == -20
    assert workdays_between(start=D(2025, 1, 27), end=D(2025, 2, 4)) == 0


def test_deadline_for_a_moment_takes_its_day_in_shanghai():
    # 2024-09-29 20:00 UTC is 2024-09-30 04:00 in Shanghai: one working day later is 10/8,
    # not 9/30 as the UTC day would give.
    moment = dt.datetime(2024, 9, 29, 20, 0, tzinfo=dt.UTC)
    assert deadline_for(start=moment, n=1) == D(2024, 10, 8)


# --- Years without data ---------------------------------------------------------------


def test_a_deadline_reaching_a_year_nobody_entered_raises_naming_that_year():
    with pytest.raises(CalendarYearMissing) as info:
        workdays_add(start=D(2026, 12, 20), n=20)
    assert info.value.year == 2027
    assert info.value.message == (
        "2027年的节假日安排尚未录入，无法计算工作日（请系统管理员在“节假日安排”中录入国务院通知）"
    )


def test_is_workday_in_an_unknown_year_raises_instead_of_guessing_weekends():
    with pytest.raises(CalendarYearMissing, match="2027年"):
        is_workday(day=D(2027, 3, 1))  # a Monday: a weekends-only guess would say yes
    with pytest.raises(CalendarYearMissing, match="2003年"):
        is_workday(day=D(2003, 3, 3))  # before chinesecalendar's data starts


def test_a_deadline_inside_2026_still_works_without_2027():
    assert workdays_add(start=D(2026, 12, 20), n=7) == D(2026, 12, 29)


def test_an_entered_2027_makes_deadlines_into_it_computable():
    enter_2027()
    # 12/21–25 (5), 12/28–31 (9), 2027-01-01 元旦, 1/4–8 (14), 1/9 周六上班 (15), 1/11–15 (20)
    assert workdays_add(start=D(2026, 12, 20), n=20) == D(2027, 1, 15)
    assert workdays_add(start=D(2026, 12, 31), n=1) == D(2027, 1, 4)
    assert workdays_add(start=D(2027, 1, 8), n=1) == D(2027, 1, 9)
    assert is_workday(day=D(2027, 3, 1)) is True
    assert is_workday(day=D(2027, 3, 6)) is False  # an ordinary Saturday


def test_a_year_entered_but_not_marked_complete_is_still_unknown():
    enter_2027(complete=False)
    with pytest.raises(CalendarYearMissing, match="2027年"):
        is_workday(day=D(2027, 3, 1))


def test_entering_a_year_is_audited_and_replaces_the_earlier_entry():
    user = factories.user(superuser=True, username="sysadmin")
    first = enter_2027(actor=user)
    assert first.entered_by == user and first.complete
    enter_2027(actor=user, holidays=[(D(2027, 1, 1), "元旦")], workdays=[])
    assert list(CalendarDay.objects.values_list("date", "kind")) == [
        (D(2027, 1, 1), CalendarDayKind.HOLIDAY)
    ]
    events = list(Event.objects.filter(action="calendar.year_enter").order_by("seq"))
    assert len(events) == 2
    assert events[0].before is None
    assert events[0].after["holidays"] == [
        ["2027-01-01", "元旦"],
        ["2027-01-02", "元旦"],
        ["2027-01-03", "元旦"],
    ]
    assert events[0].after["workdays"] == [["2027-01-09", "元旦"]]
    assert events[1].before["workdays"] == [["2027-01-09", "元旦"]]
    assert events[1].after["workdays"] == []
    assert events[1].actor == user
    # The cache saw the replacement: Saturday 01-09 is no longer worked.
    assert workdays_add(start=D(2027, 1, 8), n=1) == D(2027, 1, 11)


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ([(D(2026, 12, 31), "元旦")], [], "2026-12-31 不属于2027年"),
        ([(D(2027, 1, 9), "元旦")], [(D(2027, 1, 9), "元旦")], "2027-01-09 既是放假日又是上班日"),
        ([(D(2027, 1, 1), "元旦"), (D(2027, 1, 1), "元旦")], [], "2027-01-01 重复录入"),
        ([(D(2027, 1, 1), "元旦")], [(D(2027, 1, 6), "元旦")], "2027-01-06 是星期三，本就是工作日"),
        ([], [], "没有任何放假日期"),
    ],
)
def test_a_wrong_year_entry_is_refused_and_writes_nothing(holidays, workdays, message):
    with pytest.raises(ValidationFailed) as info:
        enter_2027(holidays=holidays, workdays=workdays)
    assert message in str(info.value.message) + "".join(
        m for ms in info.value.errors.values() for m in ms
    )
    assert CalendarYear.objects.count() == 0 and CalendarDay.objects.count() == 0
    assert not Event.objects.filter(action="calendar.year_enter").exists()


def test_a_year_entry_needs_its_source():
    with pytest.raises(ValidationFailed, match="依据"):
        enter_2027(source="  ")


# --- Overrides ------------------------------------------------------------------------


def test_entered_rows_win_over_the_built_in_data_for_their_dates():
    assert is_workday(day=D(2025, 3, 3)) is True
    assert is_workday(day=D(2025, 10, 8)) is False  # 国庆节 2025 built in
    calendar_year_enter(
        year=2025,
        source="更正（测试）",
        complete=False,
        actor="测试",
        holidays=[(D(2025, 3, 3), "测试更正")],
        workdays=[(D(2025, 10, 8), "测试更正")],
    )
    assert is_workday(day=D(2025, 3, 3)) is False
    assert is_workday(day=D(2025, 10, 8)) is True
    # Every other date of 2025 still follows the built-in notice.
    assert is_workday(day=D(2025, 1, 26)) is True
    assert workdays_add(start=D(2025, 2, 28), n=1) == D(2025, 3, 4)


def test_a_change_written_by_another_process_is_noticed():
    assert is_workday(day=D(2025, 3, 3)) is True  # warms this process's cache
    # Another worker writes the table directly (no in-process invalidation here).
    year = CalendarYear.objects.create(year=2025, source="另一进程", complete=False)
    CalendarDay.objects.create(calendar_year=year, date=D(2025, 3, 3), kind=CalendarDayKind.HOLIDAY)
    assert is_workday(day=D(2025, 3, 3)) is False


# --- CLI ------------------------------------------------------------------------------


@pytest.mark.parametrize("date", ["2024-09-30", "2024/9/30"])
def test_cli_add_workdays_prints_the_date_and_exits_0(capsys, date):
    assert main(["calendar", "add-workdays", date, "1"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("2024-10-08\n", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["2024-02-30", "1"], "日期不存在：2024-02-30"),
        (["30.9.2024", "1"], "日期格式无法识别"),
        (["2024-09-30", "五"], "工作日天数必须是整数"),
        (["2026-12-20", "20"], "2027年的节假日安排尚未录入"),
    ],
)
def test_cli_add_workdays_bad_input_exits_non_zero_with_a_chinese_error(capsys, argv, message):
    assert main(["calendar", "add-workdays", *argv]) != 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("错误：") and message in err


def test_cli_import_year_enters_the_year_then_add_workdays_reaches_into_it(tmp_path, capsys):
    path = tmp_path / "2027.csv"
    path.write_text(
        "日期,类型,名称\n2027-01-01,放假,元旦\n2027/1/2,放假,元旦\n2027年1月3日,放假,元旦\n"
        "2027-01-09,上班,元旦\n",
        encoding="utf-8-sig",
    )
    assert main(["calendar", "import-year", "2027", str(path), "--source", TEST_2027_SOURCE]) == 0
    assert "放假3天，调休上班1天" in capsys.readouterr().out
    year = CalendarYear.objects.get(year=2027)
    assert year.complete and year.source == TEST_2027_SOURCE
    assert Event.objects.get(action="calendar.year_enter").actor_name == "命令行"
    assert main(["calendar", "add-workdays", "2026-12-31", "1"]) == 0
    assert capsys.readouterr().out == "2027-01-04\n"
    assert main(["calendar", "show", "2027"]) == 0
    out = capsys.readouterr().out
    assert "2027-01-09  星期六  上班  元旦  [录入]" in out and TEST_2027_SOURCE in out


def test_cli_import_year_with_a_bad_row_names_it_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "2027.csv"
    path.write_text(
        "日期,类型,名称\n2027-01-01,放假,元旦\n2027-01-02,休假吧,元旦\n2027-13-01,放假,\n",
        encoding="utf-8",
    )
    assert main(["calendar", "import-year", "2027", str(path), "--source", TEST_2027_SOURCE]) == 1
    err = capsys.readouterr().err
    assert "第3行「类型」" in err and "第4行「日期」" in err
    assert not CalendarYear.objects.exists()


def test_cli_show_lists_the_built_in_arrangement(capsys):
    assert main(["calendar", "show", "2025"]) == 0
    out = capsys.readouterr().out
    assert "2025-01-26  星期日  上班  春节  [内置]" in out
    assert "2025-02-08  星期六  上班  春节  [内置]" in out
    # 261 weekdays − 18 weekday holidays + 5 make-up days
    assert "全年工作日：248天" in out


def test_cli_show_of_an_unknown_year_exits_non_zero(capsys):
    assert main(["calendar", "show", "2027"]) == 1
    assert "2027年的节假日安排尚未录入" in capsys.readouterr().out


# --- Admin ----------------------------------------------------------------------------


def test_admin_pages_load_for_a_superuser(client):
    client.force_login(factories.user(superuser=True))
    year = enter_2027()
    assert client.get(reverse("admin:workdays_calendaryear_changelist")).status_code == 200
    assert client.get(reverse("admin:workdays_calendaryear_add")).status_code == 200
    page = client.get(reverse("admin:workdays_calendaryear_change", args=[year.pk]))
    assert page.status_code == 200
    assert "2027-01-09" in page.content.decode()


def test_admin_is_closed_to_a_department_admin(client, trio):
    trio["owner"].is_staff = True
    trio["owner"].save()
    client.force_login(trio["owner"])
    assert client.get(reverse("admin:workdays_calendaryear_changelist")).status_code == 403


def _admin_form(year, days, *, initial=0):
    data = {
        "year": str(year),
        "source": TEST_2027_SOURCE,
        "complete": "on",
        "days-TOTAL_FORMS": str(len(days)),
        "days-INITIAL_FORMS": str(initial),
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    for i, (date, kind, name) in enumerate(days):
        data.update({f"days-{i}-date": date, f"days-{i}-kind": kind, f"days-{i}-name": name})
    return data


def test_admin_entry_of_a_year_is_audited_and_used(client):
    admin_user = factories.user(superuser=True)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:workdays_calendaryear_add"),
        _admin_form(2027, [("2027-01-01", "holiday", "元旦"), ("2027-01-09", "workday", "元旦")]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    year = CalendarYear.objects.get(year=2027)
    assert year.entered_by == admin_user and year.complete
    event = Event.objects.get(action="calendar.year_edit")
    assert event.after["workdays"] == [["2027-01-09", "元旦"]]
    assert workdays_add(start=D(2027, 1, 8), n=1) == D(2027, 1, 9)


def test_admin_refuses_a_weekday_make_up_day(client):
    client.force_login(factories.user(superuser=True))
    response = client.post(
        reverse("admin:workdays_calendaryear_add"),
        _admin_form(2027, [("2027-01-01", "holiday", "元旦"), ("2027-01-06", "workday", "元旦")]),
    )
    assert response.status_code == 200
    assert "本就是工作日" in response.content.decode()
    assert not CalendarYear.objects.exists()


def test_cli_import_year_reads_an_xlsx_with_date_cells(tmp_path, capsys):
    from shuangsuiji.imports.tabular import open_writer

    path = tmp_path / "2027.xlsx"
    with open_writer(path, "xlsx", ["日期", "类型", "名称"]) as writer:
        writer.write_rows(
            [
                [D(2027, 1, 1), "放假", "元旦"],
                [D(2027, 1, 2), "放假", "元旦"],
                [D(2027, 1, 9), "上班", "元旦"],
            ]
        )
    assert main(["calendar", "import-year", "2027", str(path), "--source", TEST_2027_SOURCE]) == 0
    assert sorted(CalendarDay.objects.values_list("date", "kind")) == [
        (D(2027, 1, 1), CalendarDayKind.HOLIDAY),
        (D(2027, 1, 2), CalendarDayKind.HOLIDAY),
        (D(2027, 1, 9), CalendarDayKind.WORKDAY),
    ]
