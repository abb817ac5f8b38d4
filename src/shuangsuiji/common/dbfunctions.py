"""Database expressions the apps share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models.functions import TruncDate
from django.utils import timezone


def _fixed_offset_minutes(tz: dt.tzinfo) -> int | None:
    """The zone's offset from UTC in minutes when it is the same all year (Asia/Shanghai:
    +480), else ``None``."""
    year = timezone.now().year
    offsets = {tz.utcoffset(dt.datetime(year, month, 1)) for month in (1, 4, 7, 10)}
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return None if offset is None else int(offset.total_seconds() // 60)


class LocalDate(TruncDate):
    """The local date of a datetime column (the current time zone), like ``TruncDate``.

    On SQLite Django converts each row with a Python function; grouping 300,000 results by
    the day they were formed took 0.85 s of the all-departments statistics (issue 12,
    docs/benchmarks.md). For a zone without daylight saving SQLite's own ``date(x,
    '+480 minutes')`` gives the same day (Django stores UTC text there), in C."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        tz = timezone.get_current_timezone() if self.tzinfo is None else self.tzinfo
        minutes = _fixed_offset_minutes(tz)
        if minutes is None:
            return self.as_sql(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        # Whole seconds only: SQLite's date arithmetic rounds to milliseconds, which would
        # carry 23:59:59.9999995 into the next day.
        return f"date(substr({sql}, 1, 19), %s)", (*params, f"{minutes:+d} minutes")
