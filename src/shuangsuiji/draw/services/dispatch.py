"""派发 and the visits it creates or joins (进一次门、查多项事 [002 第十九条])."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.draw import selectors
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Assignment, Draw, Selection
from shuangsuiji.draw.services._common import (
    _STATE_WORDS,
    _db_date,
    _db_datetime,
    _insert_rows,
    _locked_draw,
    _locked_task,
    _require_role,
)
from shuangsuiji.draw.services.ceremony import _counters_lock
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task


@dataclass(frozen=True)
class DispatchReport:
    draw: Draw
    visits_created: int
    visits_joined: int


def draw_dispatch(*, draw: Draw, actor: User) -> DispatchReport:
    """派发: the confirmed list goes to the executing units [002 第十八条], and every target
    gets its visit. 进一次门、查多项事 [002 第十九条]: a target already in a pending visit of
    another dispatched task whose window overlaps joins that visit (task, items, team);
    otherwise a new visit led by this task's 组长."""
    from shuangsuiji.inspection.choices import VisitStatus
    from shuangsuiji.inspection.models import Visit, VisitMember, VisitTask

    task = draw.task
    _require_role(actor, task, [Role.OPERATOR], "派发任务")
    with transaction.atomic():
        task = _locked_task(task)
        draw = _locked_draw(draw)
        if draw.is_remedy:
            raise ValidationFailed("请派发任务的原摇号，补充匹配随原摇号一并派发")
        if draw.state != DrawState.CONFIRMED or task.status != TaskStatus.CONFIRMED:
            raise Conflict(f"任务{task.code}{_STATE_WORDS[task.status]}，只有确认锁定的摇号可以派发")
        if selectors.draw_remedies_pending(draw=draw).exists():
            raise Conflict("补充匹配摇号尚未完成（确认或作废）之前不能派发")
        q = connection.ops.quote_name
        visit_t, sel_t, vt_t, member_t, asg_t = (q(m._meta.db_table)
                                                 for m in (Visit, Selection, VisitTask, VisitMember, Assignment))
        # A target's team is its own active assignments, or those of the remedy match that
        # staffed it (matched_by): selectors.draw_teams, counted here in SQL.
        owner_team = (f"FROM {asg_t} a WHERE a.selection_id = COALESCE(s.matched_by_id, s.id) AND a.active")
        with connection.cursor() as cur:
            cur.execute(f"SELECT s.target_id FROM {sel_t} s WHERE s.draw_id = %s "
                        f"AND (SELECT COUNT(*) {owner_team}) < %s ORDER BY s.rank", [draw.pk, task.team_size])
            short = [tid for (tid,) in cur.fetchall()]
        sels = list(draw.selections.order_by("rank").values_list("id", "target_id", "entity_id"))
        if short:
            raise Conflict(f"以下检查对象未配齐执法检查人员，请先补充匹配或直接委派：{'、'.join(short[:20])}"
                           + (f"等{len(short)}个" if len(short) > 20 else ""))
        # Race: two tasks sharing a target dispatched at the same moment would each miss the
        # other's new visit and create two. Lock the target's counter rows (they exist since
        # confirmation; same global order as confirmation) so the second waits and merges.
        _counters_lock(draw=draw, year=task.window_start.year)
        existing: dict[str, tuple[int, dt.date, dt.date]] = {}
        for v_id, tid, start, end in (Visit.objects.select_for_update()
                                      .filter(target_id__in=Selection.objects.filter(draw=draw).values("target_id"),
                                              status=VisitStatus.PENDING, window_start__lte=task.window_end,
                                              window_end__gte=task.window_start)
                                      .order_by("target_id", "id")
                                      .values_list("id", "target_id", "window_start", "window_end")):
            existing.setdefault(tid, (v_id, start, end))
        now = timezone.now()
        new_sels = [(sid, tid, eid) for sid, tid, eid in sels if tid not in existing]
        join_sels = [(sid, tid, eid) for sid, tid, eid in sels if tid in existing]
        # New visits, their VisitTask rows and their members, set-based (INSERT … SELECT
        # from the draw's selections, in rank order): 200,000 rows never pass through
        # Python. The NOT EXISTS is the rule that filled ``existing`` above, so exactly
        # ``new_sels`` get a visit. SQLite plans without statistics: a unary + keeps it off
        # an index that would scan every row of this task per selection (lead_task, task).
        at, start, end = _db_datetime(now), _db_date(task.window_start), _db_date(task.window_end)
        pending = str(VisitStatus.PENDING)
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {visit_t} (entity_id, target_id, window_start, window_end, lead_task_id, status, "
                f"created_at, updated_at) SELECT s.entity_id, s.target_id, %s, %s, %s, %s, %s, %s FROM {sel_t} s "
                f"WHERE s.draw_id = %s AND NOT EXISTS (SELECT 1 FROM {visit_t} v WHERE v.target_id = s.target_id "
                f"AND v.status = %s AND v.window_start <= %s AND v.window_end >= %s) ORDER BY s.rank",
                [start, end, task.pk, pending, at, at, draw.pk, pending, end, start])
            # A task is dispatched once, so the visits it leads are exactly the ones just made.
            cur.execute(f"INSERT INTO {vt_t} (visit_id, task_id, selection_id, joined_at) "
                        f"SELECT v.id, %s, s.id, %s FROM {sel_t} s JOIN {visit_t} v ON v.target_id = s.target_id "
                        f"AND +v.lead_task_id = %s WHERE s.draw_id = %s ORDER BY s.rank",
                        [task.pk, at, task.pk, draw.pk])
            visit_of: dict[str, int] = {tid: v[0] for tid, v in existing.items()}
            # Merged visits: the window narrows to the overlap, which suits every merged task.
            for _sid, tid, _eid in join_sels:
                v_id, start_, end_ = existing[tid]
                new_start, new_end = max(start_, task.window_start), min(end_, task.window_end)
                if (new_start, new_end) != (start_, end_):
                    Visit.objects.filter(pk=v_id).update(window_start=new_start, window_end=new_end, updated_at=now)
            _insert_rows(VisitTask, ["visit_id", "task_id", "selection_id", "joined_at"],
                         [(visit_of[tid], task.pk, sid, at) for sid, tid, _e in join_sels])
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
                [task.pk, task.pk, task.pk, draw.pk])
        Draw.objects.filter(pk=draw.pk).update(dispatched_at=now, dispatched_by=actor)
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.DISPATCHED)
        draw.refresh_from_db()
        event_record(actor=actor, action="draw.dispatch", obj=draw, department=task.department,
                     before={"task_status": TaskStatus.CONFIRMED},
                     after={"task_status": TaskStatus.DISPATCHED, "targets": len(sels),
                            "visits_created": len(new_sels), "visits_joined": len(join_sels),
                            "joined_targets": [tid for _s, tid, _e in join_sels][:200]})
    return DispatchReport(draw=draw, visits_created=len(new_sels), visits_joined=len(join_sels))


def visits_started_refuse(*, selection: Selection) -> None:
    """Refuses a change of team once a visit carrying ``selection`` has started: the team
    records findings and signs the result (002 第二十五条), so swapping members mid-way
    would orphan their signatures. Locks the visits (caller's transaction)."""
    from shuangsuiji.inspection.choices import VisitStatus
    from shuangsuiji.inspection.models import Visit, VisitTask

    owners = [selection.pk, *Selection.objects.filter(matched_by=selection).values_list("id", flat=True)]
    visit_ids = VisitTask.objects.filter(selection_id__in=owners).values_list("visit_id", flat=True)
    started = Visit.objects.select_for_update().filter(pk__in=list(visit_ids)).exclude(status=VisitStatus.PENDING)
    visit = started.first()
    if visit is not None:
        raise Conflict(f"对{visit.target_id}的检查已{visit.get_status_display()}，不能再更换检查人员"
                       "（检查组已开始记录或签字确认）")


def _visits_resync(*, selection: Selection) -> None:
    """After a substitution in a dispatched task: rebuild the members of the visits whose
    team comes from ``selection`` (the replaced member leaves, the substitute joins; the
    lead task's first member stays 组长). Runs inside the caller's transaction."""
    from shuangsuiji.inspection.models import Visit, VisitMember, VisitTask

    visits_started_refuse(selection=selection)
    owners = [selection.pk, *Selection.objects.filter(matched_by=selection).values_list("id", flat=True)]
    visit_ids = set(VisitTask.objects.filter(selection_id__in=owners).values_list("visit_id", flat=True))
    for visit in Visit.objects.select_for_update().filter(pk__in=visit_ids):
        VisitMember.objects.filter(visit=visit).delete()
        seen: set[int] = set()
        rows = []
        for vt in VisitTask.objects.filter(visit=visit).select_related("selection").order_by("id"):
            team = selectors.selection_team(selection=vt.selection)
            for pos, a in enumerate(team):
                if a.inspector_id in seen:
                    continue
                seen.add(a.inspector_id)
                rows.append(VisitMember(visit=visit, inspector_id=a.inspector_id, task_id=vt.task_id,
                                        assignment=a, is_leader=vt.task_id == visit.lead_task_id and pos == 0))
        VisitMember.objects.bulk_create(rows)
