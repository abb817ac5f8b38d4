"""When the demo's events happen (issue 12 第 7 项: a demo that lives in the present).

The demo is built around the day it is loaded (``today``, from the machine's clock): last
year is history — its plan filed, one task drawn, inspected and published in its October —
and this year has a task that ended a few weeks ago (results being finished: some due in
the next working days, a publication and an objection review overdue) and one running
now (visits to start, one in progress). A first look then shows a department in the
middle of its year, not hundreds of items overdue by 500 working days.

Each step is done through the real services *at the moment it would have happened*: the
loader moves the process clock back (``time_machine``, only for the duration of the step,
and never forward past the real now), so every timestamp the services write — sealed,
signed, formed, published, the audit events — agrees with the task's dates and the
deadlines count as they would have. A step whose moment has not come yet is not done: it
is what the department still has to do.

A year without holiday calendar data is counted Monday–Friday here, as the deadlines are
(provisional, and named as such on the pages that show them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from shuangsuiji.disclosure.deadlines.workday_table import WorkdayTable

# The earliest a current-year task starts: after the plan is drawn up in January.
YEAR_START = (2, 1)


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date


@dataclass
class Timeline:
    today: dt.date
    _cal: WorkdayTable = field(default_factory=WorkdayTable, repr=False, compare=False)

    @classmethod
    def now(cls) -> Timeline:
        return cls(today=timezone.localdate())

    @property
    def year(self) -> int:
        return self.today.year

    @property
    def history(self) -> int:
        return self.year - 1

    # --- working days ----------------------------------------------------------------

    def workday_on_or_after(self, day: dt.date) -> dt.date:
        while not self._cal.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add(self, day: dt.date, n: int) -> dt.date:
        """``n`` working days after ``day`` (before it when ``n`` is negative)."""
        if n >= 0:
            return self._cal.add(day, n).date
        while n:
            day -= dt.timedelta(days=1)
            if self._cal.is_workday(day):
                n += 1
        return day

    def nth_workday(self, window: Window, n: int) -> dt.date:
        """The n-th working day of a window (1 = the first), kept inside it."""
        return min(self.add(window.start - dt.timedelta(days=1), n), window.end)

    # --- the windows of the demo's tasks -----------------------------------------------

    def _current(self, start: dt.date, end: dt.date) -> Window:
        """A window of this year: moved to start after the first days of January (a task of
        the year starts in the year), keeping its length."""
        first = self.workday_on_or_after(dt.date(self.year, *YEAR_START))
        if start < first:
            end, start = first + (end - start), first
        return Window(self.workday_on_or_after(start), end)

    def window_history(self) -> Window:
        """Last year's October round (after the 国庆 holidays)."""
        return Window(
            self.workday_on_or_after(dt.date(self.history, 10, 9)),
            dt.date(self.history, 10, 31),
        )

    def window_ended(self) -> Window:
        """Ended 18 working days ago: its results are due (20 working days after the window,
        ``disclosure.deadlines.RESULT_WORKDAYS``) within the next 3 working days."""
        end = self.add(self.today, -18)
        return self._current(end - dt.timedelta(days=30), end)

    def window_running(self) -> Window:
        """Started four weeks ago, ends in three: visits done, in progress and to start."""
        return self._current(self.today - dt.timedelta(days=28), self.today + dt.timedelta(days=21))

    def window_upcoming(self) -> Window:
        """Starts in about two weeks and runs three: its list is sealed, the seed not yet
        drawn (the 纪检监督员's to-do)."""
        return self._current(
            self.workday_on_or_after(self.today + dt.timedelta(days=14)),
            self.today + dt.timedelta(days=35),
        )

    # --- moments ----------------------------------------------------------------------

    def moment(self, day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
        return dt.datetime.combine(
            day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone()
        )

    def past(self, day: dt.date, hour: int = 9, minute: int = 30) -> bool:
        """Whether that moment has come (it is before the clock's now)."""
        return self.moment(day, hour, minute) < timezone.now()

    def once_come(self, day: dt.date, hour: int, minute: int, step: Callable[[], object]) -> bool:
        """Runs ``step`` at that moment if it has come; else leaves it to be done (a
        follow-up or an answer whose day is still ahead stays open)."""
        if not self.past(day, hour, minute):
            return False
        with self.at(day, hour, minute):
            step()
        return True

    @contextlib.contextmanager
    def at(self, day: dt.date, hour: int = 9, minute: int = 30) -> Iterator[None]:
        """Runs the block with the clock at that moment (ticking from there); a moment not
        yet come runs it now — the clock is never moved forward."""
        import time_machine  # here: every `ssj` command imports the demo package

        moment = self.moment(day, hour, minute)
        if moment >= timezone.now():
            yield
            return
        with time_machine.travel(moment, tick=True):
            yield
