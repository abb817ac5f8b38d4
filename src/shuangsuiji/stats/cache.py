"""Figures kept between requests (issue 12, Numbers: the all-departments view ≤ 300 ms).

Counting the figures of 50 departments over 300,000 results takes about 0.85 s on
PostgreSQL (docs/benchmarks.md); most of the time nothing in most departments has changed
since the last look. Every change of the data the figures count goes through a service that
writes an audit event naming the department it belongs to (the task's lead department,
the library's department), and the chain head (``audit.ChainHead``) names the last event.
So a computed set of figures is kept (``KeptFigures``, a table: shared by the web
processes, the worker and ``ssj``, kept over a restart) with the head it was counted at; the
next request reads the head (one row) and:

- the same head: the kept figures are the figures;
- a later head on the same chain: the departments of the events since then are the only
  ones whose figures may have changed — only their groups are counted again (an event
  without a department, such as a holiday calendar entered, or a long gap: all);
- a head that does not continue the kept one (a restored backup, a test's rollback): all.

The figures are therefore always those of the data as committed when the head was read —
never an hour-old snapshot. ``today`` is part of the key (what is due depends on it), so
``ssj stats warm`` (daily, after midnight, docs/deployment.md) counts the day's common views
before anyone opens them. Rows of past days are removed by it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction

from shuangsuiji.accounts.models import Department
from shuangsuiji.audit.models import ChainHead, Event
from shuangsuiji.stats.figures import Figures, Filters, figures_grouped
from shuangsuiji.stats.models import KeptFigures

# More events than this since the kept head: count all again rather than list them.
MAX_EVENTS_SCANNED = 2000
KEEP_DAYS = 2  # rows of older 基准日 are removed by ``figures_prune``


@dataclass
class _Kept:
    seq: int
    hash: str
    figures: dict[str, Figures]


def _head() -> tuple[int, str]:
    row = ChainHead.objects.filter(id=1).values_list("last_seq", "last_hash").first()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _key(f: Filters, groups: dict[int, str]) -> str:
    # The departments' own deadline settings count too (the 公示率), read with the key.
    periods = sorted(
        Department.objects.filter(id__in=list(groups)).values_list(
            "id", "publish_deadline_workdays"
        )
    )
    what = repr(
        (
            periods,
            f.year,
            f.month,
            f.item_id,
            f.risk_class,
            f.today.isoformat(),
            f.published_only,
            sorted(groups.items()),
        )
    )
    return hashlib.sha256(what.encode()).hexdigest()


def _load(key: str) -> _Kept | None:
    row = KeptFigures.objects.filter(key=key).first()
    if row is None:
        return None
    try:
        figures = {k: Figures.from_dict(v) for k, v in row.figures.items()}
    except (TypeError, KeyError, AttributeError):
        return None  # written by another version of Figures: count again
    return _Kept(row.seq, row.chain_hash, figures)


def _store(key: str, day: dt.date, kept: _Kept) -> None:
    """Keeps the figures; a failure to write (a busy SQLite, two requests storing at once)
    only means they are counted again next time."""
    data = {k: dataclasses.asdict(v) for k, v in kept.figures.items()}
    try:
        with transaction.atomic():
            KeptFigures.objects.update_or_create(
                key=key,
                defaults={"day": day, "seq": kept.seq, "chain_hash": kept.hash, "figures": data},
            )
    except (IntegrityError, DatabaseError):
        pass


def _stale_groups(kept: _Kept, groups: dict[int, str]) -> set[str] | None:
    """The groups touched by the events after the kept head; ``None``: count all again."""
    if not Event.objects.filter(seq=kept.seq, hash=kept.hash).exists():
        return None  # not the same chain any more
    since = list(
        Event.objects.filter(seq__gt=kept.seq)
        .order_by("seq")
        .values_list("department_id", flat=True)[: MAX_EVENTS_SCANNED + 1]
    )
    if len(since) > MAX_EVENTS_SCANNED or None in since:
        return None
    return {groups[d] for d in set(since) if d in groups}


def figures_grouped_kept(f: Filters, *, groups: dict[int, str]) -> dict[str, Figures]:
    """``figures_grouped`` counted only for the groups that changed since the last call
    with the same filters (see the module's docstring)."""
    seq, hash_ = _head()
    if seq == 0:
        return figures_grouped(f, groups=groups)  # no chain yet: nothing to key on
    key = _key(f, groups)
    kept = _load(key)
    if kept is not None and (kept.seq, kept.hash) == (seq, hash_):
        return kept.figures
    stale = _stale_groups(kept, groups) if kept is not None else None
    if kept is None or stale is None:
        figures = figures_grouped(f, groups=groups)
    else:
        figures = dict(kept.figures)
        if stale:
            sub = {pk: g for pk, g in groups.items() if g in stale}
            fresh = figures_grouped(
                dataclasses.replace(f, department_ids=frozenset(sub)), groups=sub
            )
            figures.update(fresh)
    _store(key, f.today, _Kept(seq, hash_, figures))
    return figures


def figures_kept(f: Filters) -> Figures:
    """``figures_compute``, kept as above."""
    return figures_grouped_kept(f, groups={pk: "" for pk in f.department_ids})[""]


def figures_forget() -> int:
    """Forgets every kept figure (the next request counts afresh); returns how many."""
    return KeptFigures.objects.all().delete()[0]


def figures_prune(*, today: dt.date) -> int:
    """Removes the figures kept for 基准日 more than ``KEEP_DAYS`` before ``today``."""
    return KeptFigures.objects.filter(day__lt=today - dt.timedelta(days=KEEP_DAYS)).delete()[0]
