"""Working-day arithmetic for thousands of deadlines at once."""

from __future__ import annotations

import datetime as dt
from itertools import accumulate

from shuangsuiji.common.models import CalendarDayKind
from shuangsuiji.common.workdays import CalendarYearMissing, calendar_year_describe


class WorkdayTable:
    """Working-day arithmetic for one evaluation of thousands of items.

    Each year's arrangement is read once through ``calendar_year_describe`` (the days that
    differ from the plain Monday–Friday week, built-in and entered alike) and kept as a flag
    per day with running totals, so a due day or a count of working days costs no query and
    no day-by-day walk per item; due days are memoised per distinct (start, period). It counts
    exactly as ``workdays_add``/``workdays_between`` (tests compare them over holidays and
    调休) and, like them, raises ``CalendarYearMissing`` on reaching an unknown year."""

    def __init__(self) -> None:
        self._flags: dict[int, list[bool] | None] = {}
        self._totals: dict[int, list[int]] = {}
        self._adds: dict[tuple[dt.date, int], dt.date | CalendarYearMissing] = {}
        self._betweens: dict[tuple[dt.date, dt.date], int | CalendarYearMissing] = {}

    def _year(self, year: int) -> list[bool]:
        if year not in self._flags:
            info = calendar_year_describe(year=year)
            if not info.known:
                self._flags[year] = None
            else:
                special = {d.date: d.kind == CalendarDayKind.WORKDAY for d in info.days}
                first = dt.date(year, 1, 1)
                days = (dt.date(year + 1, 1, 1) - first).days
                flags = [special.get(day, day.weekday() < 5)
                         for day in (first + dt.timedelta(days=i) for i in range(days))]
                self._flags[year] = flags
                self._totals[year] = list(accumulate(flags))
        flags = self._flags[year]
        if flags is None:
            raise CalendarYearMissing(year=year)
        return flags

    def is_workday(self, day: dt.date) -> bool:
        return self._year(day.year)[day.timetuple().tm_yday - 1]

    def add(self, start: dt.date, n: int) -> dt.date | CalendarYearMissing:
        """``workdays_add``, or the ``CalendarYearMissing`` it would raise."""
        key = (start, n)
        if key not in self._adds:
            day, remaining = start, n
            try:
                while remaining:
                    day += dt.timedelta(days=1)
                    if self.is_workday(day):
                        remaining -= 1
                self._adds[key] = day
            except CalendarYearMissing as exc:
                self._adds[key] = exc
        return self._adds[key]

    def between(self, start: dt.date, end: dt.date) -> int | CalendarYearMissing:
        """``workdays_between`` for ``start <= end``: the working days in (start, end]."""
        key = (start, end)
        if key not in self._betweens:
            self._betweens[key] = self._count(start, end)
        return self._betweens[key]

    def _count(self, start: dt.date, end: dt.date) -> int | CalendarYearMissing:
        count, first = 0, start + dt.timedelta(days=1)
        try:
            for year in range(first.year, end.year + 1):
                if first > end:
                    break
                lo, hi = max(first, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
                flags, totals = self._year(year), self._totals[year]
                i, j = lo.timetuple().tm_yday - 1, hi.timetuple().tm_yday - 1
                count += totals[j] - totals[i] + flags[i]
        except CalendarYearMissing as exc:
            return exc
        return count
