"""The visits a dispatch creates or joins (进一次门、查多项事 [002 第十九条]), and keeping
their teams in step with the draw's substitutions. The draw asks for them here
(draw/services/dispatch.py): the visit rows belong to inspection, which writes them."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from shuangsuiji.common.bulk import db_date, db_datetime, rows_insert
from shuangsuiji.common.errors import Conflict
from shuangsuiji.draw import selectors as draw_selectors
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Assignment, Draw, Selection
from shuangsuiji.inspection.choices import VisitStatus
from shuangsuiji.inspection.models import Visit, VisitMember, VisitTask
from shuangsuiji.planning.models import Task


@dataclass(frozen=True)
class VisitsDispatched:
    created: int
    joined_targets: list[str]


def visits_dispatch(*, draw: Draw, task: Task, now: dt.datetime) -> VisitsDispatched:
    """Gives every selected target of a confirmed ``draw`` its visit: a pending visit of the
    same target whose window overlaps this task's is joined (task, items, team; the window
    narrows to the overlap), otherwise a new visit led by this task, its 组长 the team's first
    member [002 第十九条、第二十条]. Runs inside the dispatch's transaction, which holds the
    targets' counter rows, so two tasks dispatched at once merge instead of doubling."""
    sels = list(draw.selections.order_by("rank").values_list("id", "target_id", "entity_id"))
    q = connection.ops.quote_name
    visit_t, sel_t, vt_t, member_t, asg_t = (
        q(m._meta.db_table) for m in (Visit, Selection, VisitTask, VisitMember, Assignment)
    )
    existing: dict[str, tuple[int, dt.date, dt.date]] = {}
    for v_id, tid, start, end in (
        Visit.objects.select_for_update()
        .filter(
            target_id__in=Selection.objects.filter(draw=draw).values("target_id"),
            status=VisitStatus.PENDING,
            window_start__lte=task.window_end,
            window_end__gte=task.window_start,
        )
        .order_by("target_id", "id")
        .values_list("id", "target_id", "window_start", "window_end")
    ):
        existing.setdefault(tid, (v_id, start, end))
    new_sels = [(sid, tid, eid) for sid, tid, eid in sels if tid not in existing]
    join_sels = [(sid, tid, eid) for sid, tid, eid in sels if tid in existing]
    # New visits, their VisitTask rows and their members, set-based (INSERT … SELECT
    # from the draw's selections, in rank order): 200,000 rows never pass through
    # Python. The NOT EXISTS is the rule that filled ``existing`` above, so exactly
    # ``new_sels`` get a visit. SQLite plans without statistics: a unary + keeps it off
    # an index that would scan every row of this task per selection (lead_task, task).
    at, start, end = db_datetime(now), db_date(task.window_start), db_date(task.window_end)
    pending = str(VisitStatus.PENDING)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {visit_t} (entity_id, target_id, window_start, window_end, lead_task_id, status, "
            f"created_at, updated_at) SELECT s.entity_id, s.target_id, %s, %s, %s, %s, %s, %s FROM {sel_t} s "
            f"WHERE s.draw_id = %s AND NOT EXISTS (SELECT 1 FROM {visit_t} v WHERE v.target_id = s.target_id "
            f"AND v.status = %s AND v.window_start <= %s AND v.window_end >= %s) ORDER BY s.rank",
            [start, end, task.pk, pending, at, at, draw.pk, pending, end, start],
        )
        # A task is dispatched once, so the visits it leads are exactly the ones just made.
        cur.execute(
            f"INSERT INTO {vt_t} (visit_id, task_id, selection_id, joined_at) "
            f"SELECT v.id, %s, s.id, %s FROM {sel_t} s JOIN {visit_t} v ON v.target_id = s.target_id "
            f"AND +v.lead_task_id = %s WHERE s.draw_id = %s ORDER BY s.rank",
            [task.pk, at, task.pk, draw.pk],
        )
        visit_of: dict[str, int] = {tid: v[0] for tid, v in existing.items()}
        # Merged visits: the window narrows to the overlap, which suits every merged task.
        for _sid, tid, _eid in join_sels:
            v_id, start_, end_ = existing[tid]
            new_start, new_end = max(start_, task.window_start), min(end_, task.window_end)
            if (new_start, new_end) != (start_, end_):
                Visit.objects.filter(pk=v_id).update(
                    window_start=new_start, window_end=new_end, updated_at=now
                )
        rows_insert(
            VisitTask,
            ["visit_id", "task_id", "selection_id", "joined_at"],
            [(visit_of[tid], task.pk, sid, at) for sid, tid, _e in join_sels],
        )
        # Members: every target's team (leader first), into its visit, skipping who is
        # already in a merged visit. 组长: the lead task's first member — only in the
        # visits this task leads; members who join a visit later are not leaders.
        cur.execute(
            f"INSERT INTO {member_t} (visit_id, inspector_id, task_id, assignment_id, is_leader) "
            f"SELECT vt.visit_id, a.inspector_id, %s, a.id, CASE WHEN v.lead_task_id = %s AND a.position = "
            f"(SELECT MIN(b.position) FROM {asg_t} b WHERE b.selection_id = a.selection_id AND b.active) "
            f"THEN TRUE ELSE FALSE END "
            f"FROM {sel_t} s JOIN {vt_t} vt ON vt.selection_id = s.id AND +vt.task_id = %s "
            f"JOIN {visit_t} v ON v.id = vt.visit_id "
            f"JOIN {asg_t} a ON a.selection_id = COALESCE(s.matched_by_id, s.id) AND a.active "
            f"WHERE s.draw_id = %s AND NOT EXISTS (SELECT 1 FROM {member_t} m WHERE m.visit_id = vt.visit_id "
            f"AND m.inspector_id = a.inspector_id) ORDER BY s.rank, a.position",
            [task.pk, task.pk, task.pk, draw.pk],
        )
        # 部门联合抽查 (issue 14 第 1 项): each partner's matched inspector joins the visit of
        # the target it was matched to, after the lead's team (the 组长 stays the lead's).
        # Mapped in Python: three indexed reads and one batched insert per partner.
        partner_draws = list(
            Draw.objects.filter(
                source=draw, partner__isnull=False, state=DrawState.CONFIRMED
            ).values_list("id", flat=True)
        )
        if partner_draws:
            visit_by_target = dict(
                VisitTask.objects.filter(task=task, selection__draw=draw).values_list(
                    "selection__target_id", "visit_id"
                )
            )
            present = set(
                VisitMember.objects.filter(visit_id__in=set(visit_by_target.values())).values_list(
                    "visit_id", "inspector_id"
                )
            )
            rows = []
            for match_id in partner_draws:
                for a_id, target, inspector in (
                    Assignment.objects.filter(selection__draw_id=match_id, active=True)
                    .order_by("selection__rank", "position")
                    .values_list("id", "selection__target_id", "inspector_id")
                ):
                    visit_id = visit_by_target.get(target)
                    if visit_id is None or (visit_id, inspector) in present:
                        continue
                    present.add((visit_id, inspector))
                    rows.append((visit_id, inspector, task.pk, a_id, False))
            rows_insert(
                VisitMember,
                ["visit_id", "inspector_id", "task_id", "assignment_id", "is_leader"],
                rows,
            )
    return VisitsDispatched(
        created=len(new_sels), joined_targets=[tid for _s, tid, _e in join_sels]
    )


def visits_started_refuse(*, selection: Selection) -> None:
    """Refuses a change of team once a visit carrying ``selection`` has started: the team
    records findings and signs the result (002 第二十五条), so swapping members mid-way
    would orphan their signatures. Locks the visits (caller's transaction)."""
    owners = [
        selection.pk,
        *Selection.objects.filter(matched_by=selection).values_list("id", flat=True),
    ]
    visit_ids = VisitTask.objects.filter(selection_id__in=owners).values_list("visit_id", flat=True)
    started = (
        Visit.objects.select_for_update()
        .filter(pk__in=list(visit_ids))
        .exclude(status=VisitStatus.PENDING)
    )
    visit = started.first()
    if visit is not None:
        raise Conflict(
            f"对{visit.target_id}的检查已{visit.get_status_display()}，不能再更换检查人员"
            "（检查组已开始记录或签字确认）"
        )


def visits_resync(*, selection: Selection) -> None:
    """After a substitution in a dispatched task: rebuild the members of the visits whose
    team comes from ``selection`` (the replaced member leaves, the substitute joins; the
    lead task's first member stays 组长). Runs inside the caller's transaction."""
    visits_started_refuse(selection=selection)
    owners = [
        selection.pk,
        *Selection.objects.filter(matched_by=selection).values_list("id", flat=True),
    ]
    visit_ids = set(
        VisitTask.objects.filter(selection_id__in=owners).values_list("visit_id", flat=True)
    )
    for visit in Visit.objects.select_for_update().filter(pk__in=visit_ids):
        VisitMember.objects.filter(visit=visit).delete()
        seen: set[int] = set()
        rows = []
        for vt in VisitTask.objects.filter(visit=visit).select_related("selection").order_by("id"):
            team = draw_selectors.selection_team(selection=vt.selection)
            for pos, a in enumerate(team):
                if a.inspector_id in seen:
                    continue
                seen.add(a.inspector_id)
                rows.append(
                    VisitMember(
                        visit=visit,
                        inspector_id=a.inspector_id,
                        task_id=vt.task_id,
                        assignment=a,
                        is_leader=vt.task_id == visit.lead_task_id and pos == 0,
                    )
                )
        VisitMember.objects.bulk_create(rows)
