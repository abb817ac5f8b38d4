"""The calendar moved from ``common`` into ``workdays`` with state-only migrations: a database
from before the move upgrades with ``ssj migrate`` and keeps every entered year."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shuangsuiji.workdays.models import CalendarDay, CalendarYear
from shuangsuiji.workdays.services import calendar_cache_clear, workdays_add

BEFORE = [("common", "0002_calendaryear_calendarday"), ("workdays", None)]


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_its_calendar():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state([BEFORE[0]]).apps
    OldYear, OldDay = (
        old.get_model("common", "CalendarYear"),
        old.get_model("common", "CalendarDay"),
    )
    year = OldYear.objects.create(year=2027, source="测试数据（非官方）", complete=True)
    OldDay.objects.create(calendar_year=year, date=dt.date(2027, 1, 1), kind="holiday", name="元旦")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    calendar_cache_clear()
    moved = CalendarYear.objects.get(year=2027)
    assert moved.source == "测试数据（非官方）" and [d.name for d in moved.days.all()] == ["元旦"]
    assert CalendarDay.objects.get().date == dt.date(2027, 1, 1)
    # and it is used: 2026-12-31 (Thursday) + 1 working day skips the entered 元旦 (Friday)
    assert workdays_add(start=dt.date(2026, 12, 31), n=1) == dt.date(2027, 1, 4)
