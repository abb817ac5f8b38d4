"""派发: the confirmed list goes to the executing units [002 第十八条]; inspection creates or
joins the visits (进一次门、查多项事 [002 第十九条])."""

from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.draw import selectors
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.hooks import visits_dispatch
from shuangsuiji.draw.models import Assignment, Draw, Selection
from shuangsuiji.draw.services._common import (
    _STATE_WORDS,
    _locked_draw,
    _locked_task,
    _require_role,
)
from shuangsuiji.draw.services.ceremony import _counters_lock
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notice_send
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
    otherwise a new visit led by this task's 组长. The visits are inspection's rows: it
    writes them (``inspection.services.visits_dispatch``, reached through ``draw/hooks.py``)
    inside this transaction."""
    task = draw.task
    _require_role(actor, task, [Role.OPERATOR], "派发任务")
    with transaction.atomic():
        task = _locked_task(task)
        draw = _locked_draw(draw)
        if draw.is_secondary:
            raise ValidationFailed("请派发任务的原摇号，补充匹配随原摇号一并派发")
        if draw.state != DrawState.CONFIRMED or task.status != TaskStatus.CONFIRMED:
            raise Conflict(
                f"任务{task.code}{_STATE_WORDS[task.status]}，只有确认锁定的摇号可以派发"
            )
        if selectors.draw_remedies_pending(draw=draw).exists():
            raise Conflict("补充匹配摇号尚未完成（确认或作废）之前不能派发")
        # 部门联合抽查: every partner that takes part has its confirmed, fully staffed match.
        waiting = []
        for answer in task.partner_responses.filter(accepted=True).select_related("department"):
            match = Draw.objects.filter(
                source=draw, partner=answer.department, state=DrawState.CONFIRMED
            ).first()
            if match is None:
                waiting.append(f"“{answer.department.name}”的人员匹配尚未确认锁定")
            elif match.selections.filter(unstaffed=True).exists():
                # Matches confirmed before draw_confirm refused unstaffed ones.
                waiting.append(f"“{answer.department.name}”的人员匹配有未配齐的检查对象")
        if waiting:
            raise Conflict("联合抽查：" + "；".join(waiting) + "，不能派发")
        q = connection.ops.quote_name
        sel_t, asg_t = q(Selection._meta.db_table), q(Assignment._meta.db_table)
        # A target's team is its own active assignments, or those of the remedy match that
        # staffed it (matched_by): selectors.draw_teams, counted here in SQL.
        owner_team = (
            f"FROM {asg_t} a WHERE a.selection_id = COALESCE(s.matched_by_id, s.id) AND a.active"
        )
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT s.target_id FROM {sel_t} s WHERE s.draw_id = %s "
                f"AND (SELECT COUNT(*) {owner_team}) < %s ORDER BY s.rank",
                [draw.pk, task.team_size],
            )
            short = [tid for (tid,) in cur.fetchall()]
        if short:
            raise Conflict(
                f"以下检查对象未配齐执法检查人员，请先补充匹配或直接委派：{'、'.join(short[:20])}"
                + (f"等{len(short)}个" if len(short) > 20 else "")
            )
        # Race: two tasks sharing a target dispatched at the same moment would each miss the
        # other's new visit and create two. Lock the target's counter rows (they exist since
        # confirmation; same global order as confirmation) so the second waits and merges.
        _counters_lock(draw=draw, year=task.window_start.year)
        now = timezone.now()
        visits = visits_dispatch(draw=draw, task=task, now=now)
        targets = draw.selections.count()
        Draw.objects.filter(pk=draw.pk).update(dispatched_at=now, dispatched_by=actor)
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.DISPATCHED)
        draw.refresh_from_db()
        event_record(
            actor=actor,
            action="draw.dispatch",
            obj=draw,
            department=task.department,
            before={"task_status": TaskStatus.CONFIRMED},
            after={
                "task_status": TaskStatus.DISPATCHED,
                "targets": targets,
                "visits_created": visits.created,
                "visits_joined": len(visits.joined_targets),
                "joined_targets": visits.joined_targets[:200],
            },
        )
        _tell_inspectors(draw=draw, task=task)
    return DispatchReport(
        draw=draw, visits_created=visits.created, visits_joined=len(visits.joined_targets)
    )


def _tell_inspectors(*, draw: Draw, task: Task) -> None:
    """Each inspector with an account learns how many targets he was sent to."""
    own = (
        Selection.objects.filter(draw=draw)
        .annotate(team_of=Coalesce("matched_by_id", "id"))
        .values("team_of")
    )
    per_user = Counter(
        Assignment.objects.filter(active=True, selection_id__in=own)
        .exclude(inspector__user__isnull=True)
        .values_list("inspector__user_id", flat=True)
    )
    users = {u.pk: u for u in User.objects.filter(pk__in=list(per_user), is_active=True)}
    for user_id, targets in sorted(per_user.items()):
        notice_send(
            users=[users[user_id]] if user_id in users else [],
            kind=NoticeKind.DISPATCHED,
            title=f"新的检查任务：{task.code} {task.title}",
            body=f"您被随机选派检查{targets}户，执行期{task.window_start:%Y年%-m月%-d日}至"
            f"{task.window_end:%Y年%-m月%-d日}。请在“我的检查”中查看。",
            url=reverse("inspection:mine"),
        )
