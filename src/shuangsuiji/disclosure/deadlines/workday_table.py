"""Working-day arithmetic for thousands of deadlines at once."""

from __future__ import annotations

import datetime as dt
from itertools import accumulate

from shuangsuiji.workdays.models import CalendarDayKind
from shuangsuiji.workdays.services import Deadline, calendar_year_describe


class WorkdayTable:
    """Working-day arithmetic for one evaluation of thousands of items.

    Each year's arrangement is read once through ``calendar_year_describe`` (the days that
    differ from the plain Monday–Friday week, built-in and entered alike) and kept as a flag
    per day with running totals, so a due day or a count of working days costs no query and
    no day-by-day walk per item; due days are memoised per distinct (start, period). It counts
    exactly as ``deadline_provisional``/``workdays_between_provisional`` (tests compare them
    over holidays and 调休): a year without calendar data is counted Monday–Friday and named
    in the answer, so the caller can label the date as provisional."""

    def __init__(self) -> None:
        self._flags: dict[int, list[bool]] = {}
        self._totals: dict[int, list[int]] = {}
        self._unknown: set[int] = set()
        self._adds: dict[tuple[dt.date, int], Deadline] = {}
        self._betweens: dict[tuple[dt.date, dt.date], tuple[int, tuple[int, ...]]] = {}

    def _year(self, year: int) -> list[bool]:
        if year not in self._flags:
            info = calendar_year_describe(year=year)
            if not info.known:
                self._unknown.add(year)
            # days entered for a year not marked complete still count (as in common/workdays)
            special = {d.date: d.kind == CalendarDayKind.WORKDAY for d in info.days}
            first = dt.date(year, 1, 1)
            days = (dt.date(year + 1, 1, 1) - first).days
            flags = [
                special.get(day, day.weekday() < 5)
                for day in (first + dt.timedelta(days=i) for i in range(days))
            ]
            self._flags[year] = flags
            self._totals[year] = list(accumulate(flags))
        return self._flags[year]

    def _assumed(self, first: dt.date, last: dt.date) -> tuple[int, ...]:
        """The years without calendar data among the days in (first, last]."""
        if last <= first:
            return ()
        return tuple(
            y
            for y in range((first + dt.timedelta(days=1)).year, last.year + 1)
            if y in self._unknown
        )

    def is_workday(self, day: dt.date) -> bool:
        return self._year(day.year)[day.timetuple().tm_yday - 1]

    def add(self, start: dt.date, n: int) -> Deadline:
        """``deadline_provisional(start=start, n=n)``."""
        key = (start, n)
        if key not in self._adds:
            day, remaining = start, n
            while remaining:
                day += dt.timedelta(days=1)
                if self.is_workday(day):
                    remaining -= 1
            self._adds[key] = Deadline(day, self._assumed(start, day))
        return self._adds[key]

    def between(self, start: dt.date, end: dt.date) -> tuple[int, tuple[int, ...]]:
        """``workdays_between_provisional`` for ``start <= end``: the working days in
        (start, end], and the years among them counted on weekends only."""
        key = (start, end)
        if key not in self._betweens:
            self._betweens[key] = (self._count(start, end), self._assumed(start, end))
        return self._betweens[key]

    def _count(self, start: dt.date, end: dt.date) -> int:
        count, first = 0, start + dt.timedelta(days=1)
        for year in range(first.year, end.year + 1):
            if first > end:
                break
            lo, hi = max(first, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
            flags, totals = self._year(year), self._totals[year]
            i, j = lo.timetuple().tm_yday - 1, hi.timetuple().tm_yday - 1
            count += totals[j] - totals[i] + flags[i]
        return count
