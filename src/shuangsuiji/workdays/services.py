"""Working days (工作日) for the deadlines of 一公开.

The deadlines of the documents are counted in working days: 抽查检查结果 within 20 working
days of being formed [000 三(六)], 行政处罚 within 7, objections reviewed within 20 and
answered within 15 (domain.md). Working days follow the State Council's yearly notice
(国务院办公厅关于××年部分节假日安排的通知): its 法定节假日 are days off even on a weekday, its
调休上班日 are working days even on a Saturday or Sunday.

Where the arrangement comes from, per date:

1. a ``CalendarDay`` row (entered by a system admin; it wins, so a wrong built-in date can
   be corrected);
2. chinesecalendar's built-in data, for the years it covers (2004–2026 in 1.11.0);
3. for a year entered here as ``complete``: Monday–Friday work, Saturday–Sunday rest.

A year neither covered nor entered is an error that names the year for the exact functions
(``workdays_add``, ``deadline_for``): guessing weekends-only there would silently move a
legal deadline (e.g. across 春节). What users are shown uses ``deadline_provisional``: a
date counted on weekends only, never silently — it carries "暂按双休日推算，待{year}年节假日
安排录入后自动更正" — and, being computed on every read, exact once the year is entered.

Counting follows the rule for periods in days — 开始的当日不计入，自下一日开始计算 (民法典
第二百零一条): ``workdays_add(start=Friday, n=1)`` is the next Monday, or the first working
day after it when Monday is a holiday.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chinese_calendar
from chinese_calendar import constants as cc_constants
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import ServiceError, ValidationFailed
from shuangsuiji.imports.tabular import Column, TableError, cell_date, cell_text, open_table
from shuangsuiji.workdays.models import CalendarDay, CalendarDayKind, CalendarYear

BUILTIN_FIRST_YEAR = min(cc_constants.holidays).year
BUILTIN_LAST_YEAR = max(cc_constants.holidays).year
# Sanity bounds for an entered year; the platform's records start long after 2000.
ENTER_MIN_YEAR, ENTER_MAX_YEAR = 2000, 2100
WEEKDAYS = "一二三四五六日"


class CalendarYearMissing(ServiceError):
    """The arrangement of a year is not known: neither built in nor entered as complete."""

    status = 409

    def __init__(self, *, year: int):
        super().__init__(
            f"{year}年的节假日安排尚未录入，无法计算工作日（请系统管理员在“节假日安排”中录入国务院通知）"
        )
        self.year = year


# ---------------------------------------------------------------------------------------
# The per-process cache
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Override:
    kind: str
    name: str


@dataclass(frozen=True)
class _Snapshot:
    stamp: tuple[Any, ...]
    overrides: dict[dt.date, _Override]
    entered_years: frozenset[int]


_cache: _Snapshot | None = None
_cache_lock = threading.Lock()


def _stamp() -> tuple[Any, ...]:
    # One small aggregate per public call. Every write changes CalendarYear.updated_at
    # (auto_now) or the number of years, so a copy loaded by another gunicorn worker —
    # or before a rolled-back transaction — is noticed as stale; an in-process
    # invalidation alone would miss both.
    agg = CalendarYear.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def _snapshot() -> _Snapshot:
    global _cache
    stamp = _stamp()
    cached = _cache
    if cached is not None and cached.stamp == stamp:
        return cached
    with _cache_lock:
        overrides = {
            d: _Override(kind, name)
            for d, kind, name in CalendarDay.objects.values_list("date", "kind", "name")
        }
        entered = frozenset(
            CalendarYear.objects.filter(complete=True).values_list("year", flat=True)
        )
        snapshot = _Snapshot(stamp, overrides, entered)
        _cache = snapshot
        return snapshot


def calendar_cache_clear() -> None:
    """Forgets the cached arrangement (called after every write in this process)."""
    global _cache
    with _cache_lock:
        _cache = None


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def builtin_covers(*, year: int) -> bool:
    """True when chinesecalendar carries the official arrangement of ``year``."""
    return BUILTIN_FIRST_YEAR <= year <= BUILTIN_LAST_YEAR


def _as_date(value: dt.date | dt.datetime, *, label: str = "日期") -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)  # the day as seen in Asia/Shanghai
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValidationFailed(f"{label}必须是日期，收到：{value!r}")


def _is_workday(snapshot: _Snapshot, day: dt.date, assumed: set[int] | None = None) -> bool:
    """``assumed``: None to refuse an unknown year; a set to count it Monday–Friday and
    note the year there (a provisional deadline, ``deadline_provisional``)."""
    year = day.year
    builtin = builtin_covers(year=year)
    if not builtin and year not in snapshot.entered_years:
        if assumed is None:
            raise CalendarYearMissing(year=year)
        assumed.add(year)
        override = snapshot.overrides.get(day)
        return (
            override.kind == CalendarDayKind.WORKDAY if override is not None else day.weekday() < 5
        )
    override = snapshot.overrides.get(day)
    if override is not None:
        return override.kind == CalendarDayKind.WORKDAY
    if builtin:
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValidationFailed(f"工作日天数必须是不小于0的整数，收到：{n!r}", field="n")
    return n


def year_known(*, year: int) -> bool:
    """True when working days can be computed in ``year``."""
    return builtin_covers(year=year) or year in _snapshot().entered_years


# The State Council publishes next year's arrangement in October or November; from 1
# November on, a missing next year is announced to the system admins (home page, 期限督办).
NEXT_YEAR_REMINDER_MONTH = 11


def calendar_years_to_enter(*, today: dt.date) -> list[int]:
    """The years a system admin should enter now: this year if it is unknown, and from
    1 November on next year too. Empty when nothing is missing."""
    years = [today.year] + ([today.year + 1] if today.month >= NEXT_YEAR_REMINDER_MONTH else [])
    return [y for y in years if not year_known(year=y)]


def calendar_reminder(*, today: dt.date) -> str:
    """The reminder shown while a year is missing (empty when none is)."""
    years = calendar_years_to_enter(today=today)
    if not years:
        return ""
    text = _years_text(years)
    return (
        f"{text}年国务院节假日安排尚未录入。请系统管理员在“系统管理 → 节假日安排”中录入"
        f"（或 ssj calendar import-year）；录入前，涉及{text}年的期限暂按双休日推算，录入后自动更正。"
    )


def is_workday(*, day: dt.date) -> bool:
    """Is ``day`` a working day (工作日)? Raises ``CalendarYearMissing`` for an unknown year."""
    return _is_workday(_snapshot(), _as_date(day))


def workdays_add(*, start: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after ``start``; the start day itself is not counted.

    ``n == 0`` returns ``start``. Raises ``CalendarYearMissing`` naming the first year
    reached whose arrangement is unknown."""
    day = _as_date(start, label="起算日")
    remaining = _check_n(n)
    snapshot = _snapshot()
    one = dt.timedelta(days=1)
    while remaining:
        day += one
        if _is_workday(snapshot, day):
            remaining -= 1
    return day


def workdays_between(*, start: dt.date, end: dt.date) -> int:
    """The working days after ``start`` up to and including ``end`` — so
    ``workdays_between(start=s, end=workdays_add(start=s, n=k)) == k``. Negative when
    ``end`` is before ``start``."""
    first, last = _as_date(start, label="起算日"), _as_date(end, label="截止日")
    if last < first:
        return -workdays_between(start=last, end=first)
    snapshot = _snapshot()
    count, day, one = 0, first, dt.timedelta(days=1)
    while day < last:
        day += one
        if _is_workday(snapshot, day):
            count += 1
    return count


def deadline_for(*, start: dt.date | dt.datetime, n: int) -> dt.date:
    """The last day of a period of ``n`` working days that starts with the event on
    ``start`` (a date, or a moment taken as its day in Asia/Shanghai), e.g. the day by
    which a result formed on ``start`` must be public:
    ``deadline_for(start=formed_on, n=department.publish_deadline_workdays)``."""
    return workdays_add(start=_as_date(start, label="起算日"), n=n)


def provisional_note(*, years: Iterable[int]) -> str:
    """The label of a date counted on weekends only (issue: a department cannot wait for the
    State Council's notice, but must see that the date is not final)."""
    return f"暂按双休日推算，待{_years_text(years)}年节假日安排录入后自动更正"


def _years_text(years: Iterable[int]) -> str:
    """2027 · 2027、2028 · 2027至2031 (a run of three or more)."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and runs[-1][-1] == y - 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return "、".join(f"{r[0]}至{r[-1]}" if len(r) > 2 else "、".join(map(str, r)) for r in runs)


@dataclass(frozen=True)
class Deadline:
    """A due day. Exact when every year it reaches is known; otherwise ``provisional``:
    the unknown years (``assumed_years``) were counted Monday–Friday, and the date is shown
    with ``note`` until those years are entered — then it is simply computed again."""

    date: dt.date
    assumed_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.assumed_years)

    @property
    def note(self) -> str:
        return provisional_note(years=self.assumed_years) if self.assumed_years else ""


def deadline_provisional(*, start: dt.date | dt.datetime, n: int) -> Deadline:
    """``deadline_for``, never refusing: a year without calendar data is counted on weekends
    only and named in the result, so the date can be shown with its warning instead of no
    date at all. Nothing is stored: once the year is entered the same call is exact."""
    day = _as_date(start, label="起算日")
    remaining = _check_n(n)
    snapshot = _snapshot()
    assumed: set[int] = set()
    one = dt.timedelta(days=1)
    while remaining:
        day += one
        if _is_workday(snapshot, day, assumed):
            remaining -= 1
    return Deadline(day, tuple(sorted(assumed)))


def workdays_between_provisional(*, start: dt.date, end: dt.date) -> tuple[int, tuple[int, ...]]:
    """``workdays_between``, counting a year without calendar data on weekends only; also
    returns those years (empty when the count is exact)."""
    first, last = _as_date(start, label="起算日"), _as_date(end, label="截止日")
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    snapshot = _snapshot()
    assumed: set[int] = set()
    count, day, one = 0, first, dt.timedelta(days=1)
    while day < last:
        day += one
        if _is_workday(snapshot, day, assumed):
            count += 1
    return sign * count, tuple(sorted(assumed))


@dataclass(frozen=True)
class SpecialDay:
    """A date where the arrangement differs from the plain week: a weekday off or a
    weekend day worked (plus weekend days inside a holiday, as the notice lists them)."""

    date: dt.date
    kind: str
    name: str
    origin: str  # "录入" or "内置"

    @property
    def kind_label(self) -> str:
        return "放假" if self.kind == CalendarDayKind.HOLIDAY else "上班"

    @property
    def weekday_label(self) -> str:
        return "星期" + WEEKDAYS[self.date.weekday()]


@dataclass(frozen=True)
class YearArrangement:
    year: int
    known: bool
    builtin: bool
    entered: CalendarYear | None
    days: list[SpecialDay]
    workday_count: int | None


def _builtin_name(value: str) -> str:
    try:
        return cc_constants.Holiday(value).chinese
    except ValueError:
        return value


def calendar_year_describe(*, year: int) -> YearArrangement:
    """The arrangement of ``year`` as it is used: built-in days with entered rows over them."""
    builtin = builtin_covers(year=year)
    entered = CalendarYear.objects.filter(year=year).select_related("entered_by").first()
    days: dict[dt.date, SpecialDay] = {}
    if builtin:
        for source, kind in (
            (cc_constants.holidays, CalendarDayKind.HOLIDAY),
            (cc_constants.workdays, CalendarDayKind.WORKDAY),
        ):
            for day, value in source.items():
                if day.year == year:
                    days[day] = SpecialDay(day, kind, _builtin_name(value), "内置")
    if entered is not None:
        for row in entered.days.all():
            days[row.date] = SpecialDay(row.date, row.kind, row.name, "录入")
    known = year_known(year=year)
    count = None
    if known:
        snapshot = _snapshot()
        first = dt.date(year, 1, 1)
        count = sum(
            _is_workday(snapshot, first + dt.timedelta(days=i))
            for i in range((dt.date(year, 12, 31) - first).days + 1)
        )
    return YearArrangement(year, known, builtin, entered, [days[d] for d in sorted(days)], count)


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

# Open deadlines shown to users, by the apps that compute them (registered in their
# ``AppConfig.ready``): a reader maps each open item's key to (due day, years counted on
# weekends only, what the item is). Entering a year reads them before and after, so the
# audit trail says which provisional deadlines the notice corrected.
DeadlineReader = Callable[..., dict[str, tuple[dt.date, tuple[int, ...], str]]]
_deadline_readers: list[DeadlineReader] = []
# An audit event stays readable: past this many, the corrected items are counted, not listed.
CORRECTED_LISTED_MAX = 500


def deadline_reader_register(reader: DeadlineReader) -> None:
    if reader not in _deadline_readers:
        _deadline_readers.append(reader)


def _open_deadlines(today: dt.date) -> dict[str, tuple[dt.date, tuple[int, ...], str]]:
    found: dict[str, tuple[dt.date, tuple[int, ...], str]] = {}
    for reader in _deadline_readers:
        found.update(reader(today=today))
    return found


def _deadlines_corrected(*, year: int, before: dict, after: dict) -> list[dict[str, str]]:
    changed = []
    for key, (due, assumed, subject) in sorted(before.items()):
        if year not in assumed or key not in after:
            continue
        new_due, new_assumed, _ = after[key]
        changed.append(
            {
                "item": key,
                "subject": subject,
                "before": due.isoformat(),
                "after": new_due.isoformat(),
                "still_provisional": bool(new_assumed),
            }
        )
    return changed


def calendar_days_check(
    *, year: int, holidays: Sequence[tuple[dt.date, str]], workdays: Sequence[tuple[dt.date, str]]
) -> dict[str, list[str]]:
    """The mistakes in a year's lists (field → Chinese messages); empty when none."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    seen: dict[dt.date, str] = {}
    for field, label, rows in (("holidays", "放假", holidays), ("workdays", "上班", workdays)):
        for day, name in rows:
            if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
                add(field, f"{label}日期无效：{day!r}")
                continue
            text = day.isoformat()
            if day.year != year:
                add(field, f"{text} 不属于{year}年")
            if len(name or "") > 64:
                add(field, f"{text} 的名称过长（最多64字）")
            if day in seen:
                if seen[day] == label:
                    add(field, f"{text} 重复录入")
                else:
                    add("workdays", f"{text} 既是放假日又是上班日")
                continue
            seen[day] = label
            # 调休上班日 are Saturdays and Sundays; a weekday marked 上班 is only meaningful
            # to correct a built-in holiday — anything else is a mistyped date whose real
            # make-up day would then be counted as rest.
            if (
                label == "上班"
                and day.weekday() < 5
                and not (builtin_covers(year=day.year) and day in cc_constants.holidays)
            ):
                add(
                    field,
                    f"{text} 是星期{WEEKDAYS[day.weekday()]}，本就是工作日：调休上班日应是周六或周日",
                )
    return errors


def calendar_year_enter(
    *,
    year: int,
    source: str,
    holidays: Iterable[tuple[dt.date, str]],
    workdays: Iterable[tuple[dt.date, str]],
    actor: Any,
    complete: bool = True,
) -> CalendarYear:
    """Enters (or replaces) one year of the State Council's notice: its days off and its
    调休上班日, with the notice as ``source``. Replaces every day entered before for that
    year. Audited as ``calendar.year_enter``."""
    holidays, workdays = list(holidays), list(workdays)
    if (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not ENTER_MIN_YEAR <= year <= ENTER_MAX_YEAR
    ):
        raise ValidationFailed(
            f"年份无效：{year!r}（应在{ENTER_MIN_YEAR}至{ENTER_MAX_YEAR}之间）", field="year"
        )
    source = (source or "").strip()
    if not source:
        raise ValidationFailed("请填写依据（国务院办公厅通知的名称和文号）", field="source")
    if len(source) > 255:
        raise ValidationFailed("依据过长（最多255字）", field="source")
    if complete and not holidays:
        # Every notice since 1999 has days off; an empty list is a wrong file, not a year.
        raise ValidationFailed(f"{year}年没有任何放假日期：请核对国务院通知", field="holidays")
    errors = calendar_days_check(year=year, holidays=holidays, workdays=workdays)
    if errors:
        first = next(iter(errors.values()))[0]
        count = sum(len(v) for v in errors.values())
        raise ValidationFailed(f"节假日安排有{count}处错误，未保存：{first}", errors=errors)

    today = timezone.localdate()
    with transaction.atomic():
        # Lock the year's row: two admins entering the same year at once would otherwise
        # interleave their deletes and inserts and leave a mixture of both lists.
        calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
        provisional_before = _open_deadlines(today)
        before = None
        if calendar_year is None:
            calendar_year = CalendarYear(year=year)
        else:
            before = _audit_state(calendar_year)
            calendar_year.days.all().delete()
        calendar_year.source = source
        calendar_year.complete = complete
        calendar_year.entered_by = actor if getattr(actor, "is_authenticated", False) else None
        calendar_year.entered_at = timezone.now()
        calendar_year.save()
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(
                    calendar_year=calendar_year,
                    date=d,
                    kind=CalendarDayKind.HOLIDAY,
                    name=(n or "").strip(),
                )
                for d, n in sorted(holidays)
            ]
            + [
                CalendarDay(
                    calendar_year=calendar_year,
                    date=d,
                    kind=CalendarDayKind.WORKDAY,
                    name=(n or "").strip(),
                )
                for d, n in sorted(workdays)
            ]
        )
        event_record(
            actor=actor,
            action="calendar.year_enter",
            obj=calendar_year,
            before=before,
            after=_audit_state(calendar_year),
        )
        # The provisional deadlines this notice makes exact (or moves), as one event: a
        # deadline shown to an applicant or a department changed, and the trail says why.
        corrected = _deadlines_corrected(
            year=year, before=provisional_before, after=_open_deadlines(today)
        )
        if corrected:
            moved = [c for c in corrected if c["before"] != c["after"]]
            event_record(
                actor=actor,
                action="calendar.deadlines_corrected",
                obj=calendar_year,
                before={"provisional": len(corrected)},
                after={
                    "corrected": len(corrected),
                    "moved": len(moved),
                    "items": corrected[:CORRECTED_LISTED_MAX],
                },
            )
        transaction.on_commit(calendar_cache_clear)
    calendar_cache_clear()
    return calendar_year


def _audit_state(calendar_year: CalendarYear) -> dict[str, Any]:
    rows = list(calendar_year.days.order_by("date").values_list("date", "kind", "name"))
    return {
        "year": calendar_year.year,
        "source": calendar_year.source,
        "complete": calendar_year.complete,
        "holidays": [[d, n] for d, k, n in rows if k == CalendarDayKind.HOLIDAY],
        "workdays": [[d, n] for d, k, n in rows if k == CalendarDayKind.WORKDAY],
    }


def calendar_year_state(*, calendar_year: CalendarYear) -> dict[str, Any]:
    """The audited form of a year (``before``/``after`` of its events)."""
    return _audit_state(calendar_year)


def calendar_year_audit(
    *, calendar_year: CalendarYear, actor: Any, before: dict | None, deleted: bool = False
) -> None:
    """Audits a change made through the Django admin. The admin saves the rows itself
    inside its own ``transaction.atomic()``; this records the event in that transaction
    (for a deletion: before the rows go, so the event names what was removed)."""
    event_record(
        actor=actor,
        action="calendar.year_delete" if deleted else "calendar.year_edit",
        obj=calendar_year,
        before=before,
        after=None if deleted else _audit_state(calendar_year),
    )
    transaction.on_commit(calendar_cache_clear)


# ---------------------------------------------------------------------------------------
# Import from a file
# ---------------------------------------------------------------------------------------

_KIND_WORDS = {
    "放假": CalendarDayKind.HOLIDAY,
    "休": CalendarDayKind.HOLIDAY,
    "休息": CalendarDayKind.HOLIDAY,
    "休息日": CalendarDayKind.HOLIDAY,
    "假": CalendarDayKind.HOLIDAY,
    "节假日": CalendarDayKind.HOLIDAY,
    "法定节假日": CalendarDayKind.HOLIDAY,
    "上班": CalendarDayKind.WORKDAY,
    "班": CalendarDayKind.WORKDAY,
    "调休上班": CalendarDayKind.WORKDAY,
    "调休上班日": CalendarDayKind.WORKDAY,
    "补班": CalendarDayKind.WORKDAY,
}


def calendar_file_parse(
    *, path: str | Path, filename: str | None = None
) -> tuple[list[tuple[dt.date, str]], list[tuple[dt.date, str]]]:
    """Reads a table with the columns 日期, 类型 (放假/上班) and 名称 (xlsx, xls, ods or CSV).
    Every bad row is reported with its row and column; nothing is returned half-read."""

    columns = [
        Column("date", "日期", required=True),
        Column("kind", "类型", required=True),
        Column("name", "名称", aliases=("节日", "节假日名称", "说明")),
    ]
    try:
        bound = open_table(path, filename=filename).bind(columns)
        records = list(bound.records())
    except TableError as exc:
        raise ValidationFailed(exc.message) from None
    holidays: list[tuple[dt.date, str]] = []
    workdays: list[tuple[dt.date, str]] = []
    errors: list[str] = []
    for number, record in records:
        try:
            day = cell_date(record["date"])
        except ValueError as exc:
            errors.append(f"第{number}行「{bound.header_of('date')}」：{exc}")
            day = None
        else:
            if day is None:
                errors.append(f"第{number}行「{bound.header_of('date')}」：不能为空")
        word = cell_text(record["kind"])
        kind = _KIND_WORDS.get(word)
        if kind is None:
            errors.append(
                f"第{number}行「{bound.header_of('kind')}」：应为“放假”或“上班”，收到“{word}”"
            )
        if day is None or kind is None:
            continue
        name = cell_text(record.get("name", ""))
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays).append((day, name))
    if errors:
        raise ValidationFailed(
            f"文件有{len(errors)}处错误，未导入：" + "；".join(errors[:20]), errors={"file": errors}
        )
    if not records:
        raise ValidationFailed("文件中没有数据行")
    return holidays, workdays


def calendar_year_import(
    *, year: int, path: str | Path, source: str, actor: Any, filename: str | None = None
) -> CalendarYear:
    """Parses the file, then enters the year through ``calendar_year_enter`` (all or nothing)."""
    holidays, workdays = calendar_file_parse(path=path, filename=filename)
    return calendar_year_enter(
        year=year, source=source, holidays=holidays, workdays=workdays, actor=actor
    )
