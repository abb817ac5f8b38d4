"""Seed and draw, confirmation (with the yearly cap) and void [draw-protocol §1 steps 2–3,
指引第十四条]."""

import hashlib
from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.rules import task_cap
from shuangsuiji.common.bulk import rows_insert
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.common.masking import refuse_personal_numbers
from shuangsuiji.draw import protocol, selectors
from shuangsuiji.draw.choices import AssignmentSource, DrawState, SelectionRemedy
from shuangsuiji.draw.models import (
    Assignment,
    Draw,
    Selection,
    WitnessPresence,
    YearlyDrawCount,
)
from shuangsuiji.draw.services._common import (
    _locked_draw,
    _locked_task,
    _manifest_bytes_checked,
    _require_role,
)
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notices_settle
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task


def draw_seed(
    *, draw: Draw, seed_text: str, sources: str, witnesses: Sequence[str], actor: User
) -> Draw:
    """录入种子并摇号: the seed text (verbatim) with its sources and the witnesses' names,
    entered only after the commit [draw-protocol §1 step 2]; the result is computed by
    ``protocol.draw_compute`` from the frozen manifest and persisted (selections in
    selection order, teams leader first, unstaffed targets flagged)."""
    task = draw.task
    _require_role(actor, task, [Role.OPERATOR, Role.WITNESS], "录入种子")
    if not isinstance(seed_text, str) or not seed_text.strip():
        raise ValidationFailed("请录入种子文本（如现场掷骰结果、开奖号码）", field="seed_text")
    sources = (sources or "").strip()
    if not sources:
        raise ValidationFailed(
            "请说明种子来源（如：纪检监督员现场掷骰20次；福彩3D第088期开奖号码）", field="sources"
        )
    refuse_personal_numbers(text=sources, field="sources", label="种子来源")
    typed = [" ".join(str(w).split()) for w in witnesses or []]
    typed = [n for n in typed if n]
    # The witness entering the seed with his own login is present by that very act
    # (recorded with the draw, inside the transaction below).
    self_present = actor in selectors.ceremony_witnesses(task=task)
    names = witness_list(draw=draw, typed=typed, present=[actor] if self_present else [])
    if not names:
        raise ValidationFailed("请填写见证人（纪检监督人员）姓名", field="witnesses")
    witness_text = "、".join(names)
    refuse_personal_numbers(text=witness_text, field="witnesses", label="见证人")
    limit = Draw._meta.get_field("witnesses").max_length
    if limit is not None and len(witness_text) > limit:
        raise ValidationFailed("见证人姓名过长", field="witnesses")
    with transaction.atomic():
        # Two people entering a seed for the same draw at once must not both draw: the
        # draw row lock makes the second one see state "drawn" and stop.
        task = _locked_task(task)
        draw = _locked_draw(draw)
        if draw.state != DrawState.COMMITTED:
            raise Conflict(
                f"{draw}{draw.get_state_display()}，只能在封存名单之后、摇号之前录入种子"
            )
        if self_present:
            _presence_record(draw=draw, user=actor)
        _settle_witness_notices(task)
        # Read and checked once (the file matches the published C); the same result as
        # draw_compute on the bytes, which the public verifier runs.
        manifest = protocol.manifest_prepare(_manifest_bytes_checked(draw))
        outcome = protocol.draw_compute(manifest, seed_text)
        del manifest
        text = protocol.result_text(outcome)
        chosen = outcome.selections
        t_map, i_map = selectors.draw_id_maps(
            draw=draw,
            targets=[s.target for s in chosen],
            inspectors={iid for s in chosen for iid in s.team},
        )
        unstaffed = set(outcome.unstaffed)
        remedy, random_ = str(SelectionRemedy.NONE), str(AssignmentSource.RANDOM)
        rows_insert(
            Selection,
            [
                "draw_id",
                "rank",
                "entity_id",
                "target_id",
                "stratum",
                "score",
                "unstaffed",
                "remedy",
            ],
            [
                (
                    draw.pk,
                    rank,
                    t_map[s.target],
                    s.target,
                    s.stratum,
                    s.score.hex(),
                    s.target in unstaffed,
                    remedy,
                )
                for rank, s in enumerate(chosen, start=1)
            ],
        )
        sel_pk = dict(Selection.objects.filter(draw=draw).values_list("target_id", "id"))
        rows_insert(
            Assignment,
            [
                "selection_id",
                "inspector_id",
                "position",
                "source",
                "active",
                "note",
                "replaced_reason",
            ],
            [
                (sel_pk[s.target], i_map[iid], pos, random_, True, "", "")
                for s in chosen
                for pos, iid in enumerate(s.team)
            ],
        )
        now = timezone.now()
        Draw.objects.filter(pk=draw.pk).update(
            state=DrawState.DRAWN,
            seed_text=seed_text,
            seed_sources=sources,
            witnesses=witness_text,
            seeded_by=actor,
            key_hex=outcome.key.hex(),
            result_text=text,
            drawn_at=now,
        )
        draw.refresh_from_db()
        if not draw.is_secondary:
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAWN)
        event_record(
            actor=actor,
            action="draw.seed",
            obj=draw,
            department=task.department,
            before={"state": DrawState.COMMITTED},
            after={
                "state": DrawState.DRAWN,
                "seed_text": seed_text,
                "seed_sources": sources,
                "witnesses": names,
                "key": outcome.key.hex(),
                "selected": len(chosen),
                "unstaffed": len(unstaffed),
                "result_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            },
        )
    return draw


# --- confirm (yearly cap) ----------------------------------------------------------------------


PROXY_MARK = "（代录）"


def _settle_witness_notices(task: Task) -> None:
    # The sealed list no longer waits for a witness (drawn or voided): its messages are read.
    notices_settle(kind=NoticeKind.DRAW_SEALED, url=reverse("draw:task", args=[task.pk]))


def witness_list(*, draw: Draw, typed: Sequence[str], present: Sequence[User] = ()) -> list[str]:
    """The draw's witnesses: those who confirmed with their own login (in that order), then
    the names typed by someone else, marked （代录） — a name typed for a witness who
    confirmed himself is not repeated."""
    confirmed = [
        str(p.user)
        for p in WitnessPresence.objects.filter(draw=draw)
        .select_related("user")
        .order_by("confirmed_at", "id")
    ]
    confirmed += [str(u) for u in present if str(u) not in confirmed]
    proxied = [
        n if n.endswith(PROXY_MARK) else f"{n}{PROXY_MARK}"
        for n in dict.fromkeys(typed)
        if n not in confirmed and n.removesuffix(PROXY_MARK) not in confirmed
    ]
    return [*confirmed, *proxied]


def _presence_record(*, draw: Draw, user: User) -> WitnessPresence:
    presence, _created = WitnessPresence.objects.get_or_create(
        draw=draw, user=user, defaults={"confirmed_at": timezone.now()}
    )
    return presence


def witness_confirm(*, draw: Draw, actor: User) -> WitnessPresence:
    """本人确认到场见证: a 纪检监督员 of the task's department (or above) confirms with his own
    login, between the commit and the seed (002 第十七条 纪检监督全程参与)."""
    task = draw.task
    if actor not in selectors.ceremony_witnesses(task=task):
        raise NotAllowed("只有本任务部门（或上级部门）的纪检监督员可以确认到场见证")
    with transaction.atomic():
        draw = _locked_draw(draw)
        if draw.state != DrawState.COMMITTED:
            raise Conflict(
                f"{draw}{draw.get_state_display()}，只能在封存名单之后、摇号之前确认到场"
            )
        if WitnessPresence.objects.filter(draw=draw, user=actor).exists():
            raise Conflict("您已确认到场见证")
        presence = _presence_record(draw=draw, user=actor)
        event_record(
            actor=actor,
            action="draw.witness_confirm",
            obj=draw,
            department=task.department,
            after={"witness": str(actor)},
        )
    return presence


def _counters_lock(*, draw: Draw, year: int, month: int = 0) -> list[int]:
    """Creates the missing YearlyDrawCount rows of the draw's targets for the year (``month``
    0) or one month, then locks them all in target order (one global order, so two
    confirmations never deadlock). Subqueries on the draw's selections, not 50,000-id IN
    lists."""
    table = connection.ops.quote_name(YearlyDrawCount._meta.db_table)
    sel_table = connection.ops.quote_name(Selection._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (target_id, year, month, count) SELECT target_id, %s, %s, 0 "
            f"FROM {sel_table} WHERE draw_id = %s ORDER BY target_id ON CONFLICT DO NOTHING",
            [year, month, draw.pk],
        )
    targets = Selection.objects.filter(draw=draw).values("target_id")
    return list(
        YearlyDrawCount.objects.select_for_update()
        .filter(year=year, month=month, target_id__in=targets)
        .order_by("target_id")
        .values_list("id", flat=True)
    )


def _cap_count(*, task: Task, draw: Draw) -> None:
    """原则上同一生产经营单位在一年内被抽中不超过2次 (指引第十四条), or the monthly cap of the
    task's items (catalog/rules.py: task_cap).

    Race: two operators confirming two draws that share targets at the same moment would
    each read count = cap − 1 and both confirm. We lock every counter row of the draw's
    targets first (``_counters_lock``), then check, and only then increment."""
    year = task.window_start.year
    cap = task_cap(task=task)
    # The year's rows are always there and locked: dispatch locks them to merge visits.
    _counters_lock(draw=draw, year=year)
    if cap is None:
        # Items whose rule sets no cap (004 四's 每月全覆盖 巡查): not held to one and not
        # counted toward the others'.
        return
    if cap.month:
        _counters_lock(draw=draw, year=cap.year, month=cap.month)
    targets = Selection.objects.filter(draw=draw).values("target_id")
    counters = YearlyDrawCount.objects.filter(year=cap.year, month=cap.month, target_id__in=targets)
    over = list(
        counters.filter(count__gte=cap.limit)
        .order_by("target_id")
        .values_list("target_id", flat=True)
    )
    if over:
        names = dict(
            draw.selections.filter(target_id__in=over[:20]).values_list("target_id", "entity__name")
        )
        shown = "、".join(f"{names.get(t, t)}（{t}）" for t in over[:20])
        more = f"等{len(over)}个" if len(over) > 20 else ""
        rule = "抽查规则" if cap.month else "指引第十四条"
        raise Conflict(
            f"以下检查对象{cap.period_text}已被抽中{cap.limit}次（上限{cap.limit}次，{rule}），"
            f"不能确认：{shown}{more}。请作废本次摇号并重新封存名单（已达上限的对象将被排除）"
        )
    counters.update(count=F("count") + 1)


def draw_confirm(*, draw: Draw, actor: User) -> Draw:
    """确认锁定: the result is locked; the targets count toward the yearly cap (a remedy
    draw's targets were counted by their source draw). A remedy draw's teams now staff the
    source draw's unstaffed targets."""
    task = draw.task
    _require_role(actor, task, [Role.OPERATOR], "确认摇号结果")
    with transaction.atomic():
        # State race: confirm and void of the same draw at once; the draw row lock orders them.
        task = _locked_task(task)
        draw = _locked_draw(draw)
        if draw.state != DrawState.DRAWN:
            raise Conflict(
                f"{draw}{draw.get_state_display()}，只有已摇号、未确认的摇号可以确认锁定"
            )
        sel = list(draw.selections.values_list("id", "target_id", "unstaffed"))
        linked = 0
        if draw.is_partner_match:
            # Its teams join the lead draw's at dispatch; the cap was counted there. Every
            # team needs this department's inspector (000 四(二)): a match with targets left
            # unstaffed is not locked — voided, then sealed again once the partner has
            # enough inspectors (a confirmed one could no longer be voided).
            short = [tid for _, tid, unst in sel if unst]
            if short:
                partner = draw.partner.name if draw.partner else ""
                raise Conflict(
                    f"配合部门“{partner}”的人员匹配有{len(short)}个检查对象未配齐"
                    f"（{'、'.join(short[:5])}{'等' if len(short) > 5 else ''}），不能确认锁定："
                    "请作废本次匹配，由配合部门增加在岗执法人员或提高每人检查上限后重新封存"
                )
        elif draw.source_id is not None:  # a remedy draw (Draw.is_remedy)
            staffed = {tid: pk for pk, tid, unst in sel if not unst}
            for src in Selection.objects.select_for_update().filter(
                draw_id=draw.source_id, target_id__in=list(staffed), remedy=SelectionRemedy.NONE
            ):
                src.remedy = SelectionRemedy.MATCH
                src.matched_by_id = staffed[src.target_id]
                src.save(update_fields=["remedy", "matched_by"])
                linked += 1
        else:
            _cap_count(task=task, draw=draw)
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.CONFIRMED)
        now = timezone.now()
        Draw.objects.filter(pk=draw.pk).update(
            state=DrawState.CONFIRMED, confirmed_at=now, confirmed_by=actor
        )
        draw.refresh_from_db()
        event_record(
            actor=actor,
            action="draw.confirm",
            obj=draw,
            department=task.department,
            before={"state": DrawState.DRAWN},
            after={
                "state": DrawState.CONFIRMED,
                "selected": len(sel),
                "year": task.window_start.year,
                "remedied_targets": linked if draw.is_remedy else None,
            },
        )
    return draw


def draw_void(*, draw: Draw, reason: str, actor: User) -> Draw:
    """作废: only before confirmation, only with a reason. The draw, its manifest and (if
    drawn) its result stay public; the task goes back to draft for a new commit."""
    task = draw.task
    _require_role(actor, task, [Role.OPERATOR], "作废摇号")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("作废摇号必须填写理由", field="reason")
    with transaction.atomic():
        # Race with draw_confirm / draw_seed on the same draw: the row lock orders them.
        task = _locked_task(task)
        draw = _locked_draw(draw)
        if draw.state not in (DrawState.COMMITTED, DrawState.DRAWN):
            raise Conflict(f"{draw}{draw.get_state_display()}，确认锁定后的摇号不能作废")
        before = draw.state
        Draw.objects.filter(pk=draw.pk).update(
            state=DrawState.VOID, void_reason=reason, voided_at=timezone.now(), voided_by=actor
        )
        draw.refresh_from_db()
        if not draw.is_secondary:
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAFT)
        event_record(
            actor=actor,
            action="draw.void",
            obj=draw,
            department=task.department,
            before={"state": before},
            after={"state": DrawState.VOID, "reason": reason},
        )
        _settle_witness_notices(task)
    return draw
