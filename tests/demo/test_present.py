"""The demo lives in the present (issue 12 第 7 项): built around the day it is loaded, last
year as history, this year's tasks under way — a few items due soon, a few overdue — and
every stamp the services wrote agrees with the task's dates (``demo.timeline``)."""

import datetime as dt

import pytest
from django.utils import timezone

from shuangsuiji.audit.models import Event
from shuangsuiji.audit.services import chain_verify
from shuangsuiji.demo import demo_load
from shuangsuiji.demo.draws import demo_codes
from shuangsuiji.demo.timeline import Timeline
from shuangsuiji.disclosure.deadlines import ALL_DEPARTMENTS, due_soon_items, overdue_items
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Draw
from shuangsuiji.inspection.choices import VisitStatus
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.models import Plan, Task

pytestmark = pytest.mark.django_db


def _local(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def test_this_years_tasks_run_around_today_and_last_years_is_history(demo):
    today, codes = timezone.localdate(), demo_codes()
    joint, risk, match = (Task.objects.get(code=c) for c in (codes.joint, codes.risk, codes.match))
    assert joint.window_start.year == match.window_start.year == today.year
    assert risk.window_start.year == today.year - 1
    assert joint.window_end < today < match.window_end and match.window_start < today
    # Last year's task is finished: every visit published, in last year or early this one.
    history = Visit.objects.filter(lead_task=risk)
    assert history.exists()
    assert not history.exclude(result__current__status="published").exists()
    for row in PublishedResult.objects.filter(result__visit__lead_task=risk):
        assert _local(row.published_at) < dt.date(today.year - 1, 12, 1)
    # This year: done, being finished, in progress and still to start.
    statuses = set(
        Visit.objects.filter(lead_task__in=[joint, match]).values_list("status", flat=True)
    )
    assert {VisitStatus.PENDING, VisitStatus.IN_PROGRESS, VisitStatus.FORMED} <= statuses
    assert Plan.objects.filter(department__code="SJJW", year=today.year).exists()


def test_every_stamp_agrees_with_the_task_dates(demo):
    now = timezone.now()
    for draw in Draw.objects.filter(task__code__in=demo_codes().all):
        assert draw.committed_at < now
        if draw.state == DrawState.CONFIRMED:
            # Sealed and drawn before the window opens (002 第二十一条).
            assert _local(draw.committed_at) < draw.task.window_start
            # A partner's match is dispatched with the lead's draw it belongs to.
            dispatched = draw.source.dispatched_at if draw.is_partner_match else draw.dispatched_at
            assert draw.committed_at < draw.drawn_at < draw.confirmed_at < dispatched
    for row in PublishedResult.objects.filter(superseded_by__isnull=True):
        result = row.result
        assert row.inspected_on <= _local(result.formed_at) <= _local(row.published_at)
        assert _local(row.published_at) < timezone.localdate()
        visit = result.visit
        assert visit.window_start <= row.inspected_on <= visit.window_end
    # The audit log: the setup first (at the start of last year), nothing stamped in the
    # future, the chain intact (the fixture's second load, the next day, only re-imports).
    stamps = list(
        Event.objects.exclude(action__startswith="import.")
        .order_by("pk")
        .values_list("created_at", flat=True)
    )
    assert _local(stamps[0]) < dt.date(timezone.localdate().year - 1, 1, 8) <= _local(stamps[-1])
    assert min(stamps) == stamps[0] and max(stamps) < now and chain_verify().ok


def test_a_few_items_are_due_soon_and_a_few_overdue_not_hundreds(demo):
    today = timezone.localdate()
    soon = due_soon_items(departments=ALL_DEPARTMENTS, today=today)
    late = overdue_items(departments=ALL_DEPARTMENTS, today=today)
    assert 1 <= len(soon) <= 15 and 1 <= len(late) <= 15
    tl = Timeline.now()
    for row in late:
        # Overdue by days or weeks, not by a year and a half.
        assert row.due > tl.add(today, -30)


def test_loaded_again_the_next_year_it_builds_that_year_on_top(demo, time_machine):
    """In January the demo builds the new year's plan and tasks beside last year's, which
    become the history; nothing is stamped in the future."""
    year = timezone.localdate().year + 1
    time_machine.move_to(dt.datetime(year, 1, 6, 9, 0, tzinfo=timezone.get_current_timezone()))
    demo_load(entities=300)
    codes = demo_codes()
    assert codes.risk == f"SJJW-{year - 1}-RQ01"
    assert Task.objects.filter(code__in=codes.all).count() == 3
    match = Task.objects.get(code=codes.match)
    # Early January: this year's tasks start after the plan is drawn up; drawn in advance.
    assert match.window_start.year == year and match.window_start > timezone.localdate()
    assert not Visit.objects.filter(lead_task=match).exclude(status=VisitStatus.PENDING).exists()
    plan = Plan.objects.get(department__code="SJJW", year=year)
    assert plan.status == "draft"  # 一季度 to file it: a 待办 of the department admin
    stamps = list(Event.objects.order_by("pk").values_list("created_at", flat=True))
    assert stamps[-1] <= timezone.now()
    assert chain_verify().ok


def test_reports_already_sent_and_the_one_now_due(demo):
    """Last year's annual report and this year's monthly reports up to the month before
    last are saved (each before its deadline); last month's is the one waiting."""
    from shuangsuiji.stats.deadlines import reports_owed
    from shuangsuiji.stats.models import Report

    today = timezone.localdate()
    for code in ("SJJW", "ZPZJ"):
        reports = Report.objects.filter(department__code=code)
        assert reports.filter(kind="annual", year=today.year - 1).exists()
        months = set(
            reports.filter(kind="monthly", year=today.year).values_list("month", flat=True)
        )
        assert months == set(range(1, today.month - 1))
        for r in reports:
            assert _local(r.created_at) < today
        from shuangsuiji.accounts.models import Department

        owed = reports_owed(departments=[Department.objects.get(code=code)], today=today)
        assert [(r.kind, r.month) for r in owed] == [("monthly", today.month - 1)]


def test_the_witness_has_a_sealed_list_waiting_for_its_seed(demo):
    """The next round's list is sealed and public, the seed still to come: the 纪检监督员
    finds it on his home page."""
    from shuangsuiji.accounts.models import User
    from shuangsuiji.common.todo import todo_cards

    task = Task.objects.get(code=demo_codes().upcoming)
    draw = task.draws.get()
    assert draw.state == DrawState.COMMITTED and _local(draw.committed_at) < timezone.localdate()
    assert task.window_start > timezone.localdate()
    cards = {
        c.key: c
        for c in todo_cards(
            user=User.objects.get(username="sj_witness"), today=timezone.localdate()
        )
    }
    assert cards["draw.witness"].count == 1


def test_the_demo_shows_every_document_and_its_case_file_verifies(demo, tmp_path):
    """Issue 13: a fresh demo has numbered documents of every kind for the joint task, each
    issued on its own day, and the task's case file passes its own verification."""
    from shuangsuiji.documents.archive import archive_task, archive_verify
    from shuangsuiji.documents.models import IssuedDocument

    task = Task.objects.get(code=demo_codes().joint)
    issued = IssuedDocument.objects.filter(department__code="SJJW")
    kinds = set(issued.values_list("kind", flat=True))
    assert {"inspection_notice", "site_record", "result_letter"} <= kinds
    assert (
        issued.filter(kind="inspection_notice").count()
        == Visit.objects.filter(lead_task=task).count()
    )
    assert all(d.issued_on < timezone.localdate() for d in issued)
    notice_days = set(issued.filter(kind="inspection_notice").values_list("issued_on", flat=True))
    assert max(notice_days) < task.window_start  # sent before the visits
    out = tmp_path / "case.zip"
    summary = archive_task(task=task, out=out)
    assert summary.visits and archive_verify(path=out).ok
