"""The draw ceremony (摇号): commit → seed+draw → confirm (lock) → dispatch [draw-protocol §1,
002 第十六–二十二条]. States cannot be skipped; a void draw stays and a new draw needs a
new commit.

Every service: one ``transaction.atomic()``, its audit event inside it, the state row
locked with ``select_for_update()`` before it is read. Bad input raises a ``ServiceError``
before anything is written (or inside the transaction, which then rolls back).

The result is never computed here: ``protocol.draw_compute`` (pure) does it from the frozen
manifest bytes and the seed text, and we only persist what it returns.
"""

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import eq, itemgetter
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.draw import protocol, selectors
from shuangsuiji.draw.choices import (
    AssignmentSource,
    DrawKind,
    DrawState,
    SelectionRemedy,
    SubstitutionStatus,
)
from shuangsuiji.draw.models import Assignment, Draw, Selection, Substitution, YearlyDrawCount
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from shuangsuiji.planning.pool import InspectorCandidate, TaskPool, target_id_for
from shuangsuiji.registry.models import Conflict as ConflictDeclaration
from shuangsuiji.registry.models import Entity, Inspector

chunked = selectors.chunked

_STATE_WORDS = {
    TaskStatus.DRAFT: "尚未封存名单",
    TaskStatus.COMMITTED: "已封存名单，等待录入种子",
    TaskStatus.DRAWN: "已摇号，等待确认",
    TaskStatus.CONFIRMED: "已确认锁定",
    TaskStatus.DISPATCHED: "已派发",
    TaskStatus.CANCELLED: "已撤销",
}


# --- permissions -------------------------------------------------------------------------------

def _require_role(actor: User, task: Task, roles: Iterable[str], what: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(f"{what}需要登录")
    if not any(user_has_role(user=actor, role=r, department=task.department) for r in roles):
        names = "、".join(str(Role(r).label) for r in roles)
        raise NotAllowed(f"只有牵头部门（{task.department.name}）的{names}可以{what}")


def _locked_task(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("department").get(pk=task.pk)


def _locked_draw(draw: Draw) -> Draw:
    return Draw.objects.select_for_update().get(pk=draw.pk)


# --- manifest files ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Frozen:
    rel_path: str
    sha256: str
    lines: int
    size: int


def _draw_rel_dir(task: Task, number: int) -> str:
    return f"draws/{task.code}/{number}"


def _manifest_freeze(*, task: Task, number: int, team: int, strata: list[tuple[str, int]],
                     targets: list[tuple[str, str]], inspectors: list[tuple[str, int]],
                     conflicts: list[tuple[str, str]], target_pks: list[tuple[str, int]],
                     inspector_pks: dict[str, int]) -> _Frozen:
    """Writes ``manifest`` (the canonical bytes from ``protocol.manifest_build``) and the
    internal ``ids.tsv`` under VAR_DIR/draws/<task>/<n>/, each via a temp file + rename.

    ``manifest_build`` sorts into canonical order (strata by name, targets by id, inspectors
    by id, conflicts by pair) and validates: one pool has exactly one manifest [§2]."""
    rel_dir = _draw_rel_dir(task, number)
    out_dir = Path(settings.VAR_DIR) / rel_dir
    if out_dir.exists():  # left by a commit whose transaction rolled back: never published
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    try:
        data = protocol.manifest_build(task=task.code, team=team, strata=strata, targets=targets,
                                       inspectors=inspectors, conflicts=conflicts)
    except protocol.ManifestError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise ValidationFailed(f"名单不符合 ssj-draw/1 格式：{exc.message}") from exc
    path = out_dir / "manifest"
    tmp = out_dir / ".manifest.tmp"
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    # ids.tsv: "<target-id> <pk>" lines sorted by target id (``target_pks`` comes sorted:
    # manifest order), a line "--", then "<inspector-id> <pk>" lines (manifest ids never
    # hold blanks, so a plain split reads it back at C speed).
    ids_tmp = out_dir / ".ids.tmp"
    with ids_tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("".join(map("%s %d\n".__mod__, target_pks)))
        fh.write("--\n")
        fh.write("".join(map("%s %d\n".__mod__, inspector_pks.items())))
    ids_tmp.replace(out_dir / "ids.tsv")
    return _Frozen(rel_path=f"{rel_dir}/manifest", sha256=hashlib.sha256(data).hexdigest(),
                   lines=data.count(b"\n"), size=len(data))


def _conflict_pairs(*, inspector_ids: dict[int, str], target_ids: dict[int, str]) -> list[tuple[str, str]]:
    """Active 利害关系 declarations between these inspectors and targets [002 第二十二条]."""
    pairs: set[tuple[str, str]] = set()
    entity_pks = sorted(target_ids)
    for part in chunked(entity_pks):
        for insp_pk, ent_pk in (ConflictDeclaration.objects.filter(is_active=True, entity_id__in=part,
                                                                   inspector_id__in=list(inspector_ids))
                                .values_list("inspector_id", "entity_id")):
            pairs.add((inspector_ids[insp_pk], target_ids[ent_pk]))
    return sorted(pairs)


def _next_number(task: Task) -> int:
    return (Draw.objects.filter(task=task).aggregate(m=Max("number"))["m"] or 0) + 1


def _cleanup_on_error(rel_path: str | None) -> None:
    if rel_path:
        shutil.rmtree((Path(settings.VAR_DIR) / rel_path).parent, ignore_errors=True)


# --- commit ------------------------------------------------------------------------------------

def draw_commit(*, task: Task, actor: User, pool: TaskPool | None = None) -> Draw:
    """封存: freeze the task's pools into a manifest and store its SHA-256 ``C`` and the
    excluded list with reasons. From here the pool cannot change; a different pool needs
    this draw voided and a new commit (number + 1, ``replaces`` the void one).

    ``pool`` defaults to ``planning.pool.task_pool(task=task)``."""
    _require_role(actor, task, [Role.OPERATOR], "封存摇号名单")
    if pool is None:
        from shuangsuiji.planning import pool as pool_module

        pool = pool_module.task_pool(task=task)
    rel_path = None
    try:
        with transaction.atomic():
            # Two operators committing the same task at once would both see it in draft and
            # both take the same draw number: the task row lock serialises them.
            task = _locked_task(task)
            if task.status != TaskStatus.DRAFT:
                raise Conflict(f"任务{task.code}{_STATE_WORDS[task.status]}，不能再次封存名单；"
                               "如需重新摇号，请先作废当前摇号")
            if task.team_size < 2:
                raise ValidationFailed("每个检查对象不少于2名执法检查人员（指引第二十条）")
            strata = [(s.name, s.n) for s in pool.strata]
            if not strata or sum(n for _name, n in strata) == 0:
                raise ValidationFailed("抽取名单为空：没有可抽取的检查对象")
            targets: list[tuple[str, str]] = []
            for s in pool.strata:
                targets.extend(zip(map(itemgetter(0), s.targets), repeat(s.name)))
            # (target id, pk) in manifest order: ids.tsv is written in that order so that
            # draw_id_maps can bisect it; equal neighbours are the same target listed twice.
            target_pks = sorted(chain.from_iterable(s.targets for s in pool.strata))
            ids = list(map(itemgetter(0), target_pks))
            if any(map(eq, ids, islice(ids, 1, None))):
                dup = next(a for a, b in zip(ids, islice(ids, 1, None), strict=False) if a == b)
                raise ValidationFailed(f"检查对象{dup}在抽取名单中出现了两次")
            del ids
            inspectors = [(c.inspector_id, c.capacity) for c in pool.inspectors]
            inspector_pks = {c.inspector_id: c.pk for c in pool.inspectors}
            conflicts = list(pool.conflicts)
            number = _next_number(task)
            frozen = _manifest_freeze(task=task, number=number, team=pool.team_size, strata=strata,
                                      targets=targets, inspectors=inspectors, conflicts=conflicts,
                                      target_pks=target_pks, inspector_pks=inspector_pks)
            rel_path = frozen.rel_path
            previous = Draw.objects.filter(task=task, source__isnull=True).order_by("-number").first()
            draw = Draw.objects.create(
                task=task, number=number, kind=DrawKind.FULL, state=DrawState.COMMITTED,
                manifest_path=frozen.rel_path, manifest_sha256=frozen.sha256, manifest_lines=frozen.lines,
                manifest_size=frozen.size,
                excluded=[{"target_id": e.target_id, "entity_id": e.entity_id, "name": e.name,
                           "reason": e.reason} for e in pool.excluded],
                committed_at=timezone.now(), committed_by=actor,
                replaces=previous if previous is not None and previous.state == DrawState.VOID else None,
            )
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMMITTED)
            event_record(actor=actor, action="draw.commit", obj=draw, department=task.department,
                         before={"task_status": TaskStatus.DRAFT},
                         after={"task_status": TaskStatus.COMMITTED, "number": number,
                                "manifest_sha256": frozen.sha256, "manifest_lines": frozen.lines,
                                "targets": len(targets), "inspectors": len(inspectors),
                                "excluded": len(pool.excluded),
                                "replaces": draw.replaces_id})
    except BaseException:
        _cleanup_on_error(rel_path)
        raise
    task.status = TaskStatus.COMMITTED
    return draw


def match_commit(*, task: Task, actor: User, source: Draw | None = None,
                 entities: Sequence[Entity] | None = None,
                 inspectors: Sequence[InspectorCandidate] | None = None) -> Draw:
    """仅匹配执法检查人员: a match-only manifest (one ``stratum all n`` with n = all targets,
    as in vector v2) for targets that are already chosen.

    - ``source`` given: a *remedy* for the targets ``source`` left unstaffed (补充匹配,
      e.g. with a wider pool — neighbouring areas [002 第二十条]); the task's state does not
      move; capacities are what each inspector has left in this task.
    - ``source`` empty: the task's own ceremony for ``entities`` drawn elsewhere (the
      task must be in draft; the yearly cap is counted at confirmation as for a full draw).

    ``inspectors`` defaults to the task's own pool (``task_pool(task=task).inspectors``)."""
    _require_role(actor, task, [Role.OPERATOR], "封存匹配名单")
    if inspectors is None:
        from shuangsuiji.planning import pool as pool_module

        inspectors = pool_module.task_pool(task=task).inspectors
    rel_path = None
    try:
        with transaction.atomic():
            # Same race as draw_commit: the draw number and the task state are read under lock.
            task = _locked_task(task)
            entity_by_tid: dict[str, int] = {}
            if source is not None:
                source = _locked_draw(source)
                if source.task_id != task.pk or source.is_remedy:
                    raise ValidationFailed("补充匹配只能针对本任务的原摇号")
                if source.state != DrawState.CONFIRMED or task.status != TaskStatus.CONFIRMED:
                    raise Conflict("原摇号确认锁定后、任务派发前才能补充匹配执法检查人员")
                if selectors.draw_remedies_pending(draw=source).exists():
                    raise Conflict("该摇号已有进行中的补充匹配，请先完成或作废")
                for tid, ent_pk in selectors.draw_needing_remedy(draw=source).values_list("target_id", "entity_id"):
                    entity_by_tid[tid] = ent_pk
                if not entity_by_tid:
                    raise Conflict("没有未配齐人员、需要补充匹配的检查对象")
                loads = selectors.inspector_loads(task=task)
                pool_inspectors = [InspectorCandidate(c.inspector_id, c.pk, c.capacity - loads.get(c.pk, 0))
                                   for c in inspectors]
                pool_inspectors = [c for c in pool_inspectors if c.capacity > 0]
            else:
                if task.status != TaskStatus.DRAFT:
                    raise Conflict(f"任务{task.code}{_STATE_WORDS[task.status]}，不能再次封存名单")
                if not entities:
                    raise ValidationFailed("请指定需要匹配执法检查人员的检查对象")
                for ent in entities:
                    tid = target_id_for(uscc=ent.uscc, pk=ent.pk)
                    if tid in entity_by_tid:
                        raise ValidationFailed(f"检查对象{tid}重复")
                    entity_by_tid[tid] = ent.pk
                pool_inspectors = list(inspectors)
            inspector_pks = {c.inspector_id: c.pk for c in pool_inspectors}
            conflicts = _conflict_pairs(inspector_ids={c.pk: c.inspector_id for c in pool_inspectors},
                                        target_ids={pk: tid for tid, pk in entity_by_tid.items()})
            number = _next_number(task)
            frozen = _manifest_freeze(
                task=task, number=number, team=task.team_size, strata=[("all", len(entity_by_tid))],
                targets=[(tid, "all") for tid in entity_by_tid],
                inspectors=[(c.inspector_id, c.capacity) for c in pool_inspectors],
                conflicts=conflicts, target_pks=sorted(entity_by_tid.items()), inspector_pks=inspector_pks)
            rel_path = frozen.rel_path
            previous = (Draw.objects.filter(task=task, source=source).order_by("-number").first()
                        if source is not None else
                        Draw.objects.filter(task=task, source__isnull=True).order_by("-number").first())
            draw = Draw.objects.create(
                task=task, number=number, kind=DrawKind.MATCH_ONLY, state=DrawState.COMMITTED, source=source,
                manifest_path=frozen.rel_path, manifest_sha256=frozen.sha256, manifest_lines=frozen.lines,
                manifest_size=frozen.size, excluded=[], committed_at=timezone.now(), committed_by=actor,
                replaces=previous if previous is not None and previous.state == DrawState.VOID else None,
            )
            before = {"task_status": task.status}
            if source is None:
                Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMMITTED)
                task.status = TaskStatus.COMMITTED
            event_record(actor=actor, action="draw.match_commit", obj=draw, department=task.department,
                         before=before,
                         after={"task_status": task.status, "number": number, "source": source.pk if source else None,
                                "manifest_sha256": frozen.sha256, "targets": len(entity_by_tid),
                                "inspectors": len(pool_inspectors), "conflicts": len(conflicts)})
    except BaseException:
        _cleanup_on_error(rel_path)
        raise
    return draw


# --- seed and draw -----------------------------------------------------------------------------

def _manifest_bytes_checked(draw: Draw) -> bytes:
    data = selectors.manifest_file(draw=draw).read_bytes()
    if hashlib.sha256(data).hexdigest() != draw.manifest_sha256:
        raise Conflict("名单文件与封存时公布的摘要 C 不一致（文件被改动），不能摇号；请联系系统管理员")
    return data


def _db_datetime(value: dt.datetime) -> object:
    """``value`` as the ORM would store it, for raw inserts: formatted once, not per row
    by the driver's adapter (on SQLite the same text as a ``DateTimeField`` save)."""
    return connection.ops.adapt_datetimefield_value(value)


def _db_date(value: dt.date) -> object:
    return connection.ops.adapt_datefield_value(value)


def _insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Raw ``executemany`` in batches: 50,000 selections and 100,000 team rows in well
    under a second, where per-object ORM saves would take minutes. Values must already be
    what the database stores (see ``_db_datetime``; choices as plain ``str``)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    with connection.cursor() as cur:
        for part in chunked(rows, 10000):
            cur.executemany(sql, part)


def draw_seed(*, draw: Draw, seed_text: str, sources: str, witnesses: Sequence[str], actor: User) -> Draw:
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
        raise ValidationFailed("请说明种子来源（如：纪检监督员现场掷骰20次；福彩3D第088期开奖号码）",
                               field="sources")
    names = [" ".join(str(w).split()) for w in witnesses or []]
    names = [n for n in names if n]
    if not names:
        raise ValidationFailed("请填写见证人（纪检监督人员）姓名", field="witnesses")
    witness_text = "、".join(names)
    if len(witness_text) > Draw._meta.get_field("witnesses").max_length:
        raise ValidationFailed("见证人姓名过长", field="witnesses")
    with transaction.atomic():
        # Two people entering a seed for the same draw at once must not both draw: the
        # draw row lock makes the second one see state "drawn" and stop.
        task = _locked_task(task)
        draw = _locked_draw(draw)
        if draw.state != DrawState.COMMITTED:
            raise Conflict(f"{draw}{draw.get_state_display()}，只能在封存名单之后、摇号之前录入种子")
        # Read and checked once (the file matches the published C); the same result as
        # draw_compute on the bytes, which the public verifier runs.
        manifest = protocol.manifest_prepare(_manifest_bytes_checked(draw))
        outcome = protocol.draw_compute(manifest, seed_text)
        del manifest
        text = protocol.result_text(outcome)
        chosen = outcome.selections
        t_map, i_map = selectors.draw_id_maps(draw=draw, targets=[s.target for s in chosen],
                                              inspectors={iid for s in chosen for iid in s.team})
        unstaffed = set(outcome.unstaffed)
        remedy, random_ = str(SelectionRemedy.NONE), str(AssignmentSource.RANDOM)
        _insert_rows(Selection, ["draw_id", "rank", "entity_id", "target_id", "stratum", "score", "unstaffed",
                                 "remedy"],
                     [(draw.pk, rank, t_map[s.target], s.target, s.stratum, s.score.hex(), s.target in unstaffed,
                       remedy) for rank, s in enumerate(chosen, start=1)])
        sel_pk = dict(Selection.objects.filter(draw=draw).values_list("target_id", "id"))
        _insert_rows(Assignment, ["selection_id", "inspector_id", "position", "source", "active", "note",
                                  "replaced_reason"],
                     [(sel_pk[s.target], i_map[iid], pos, random_, True, "", "")
                      for s in chosen for pos, iid in enumerate(s.team)])
        now = timezone.now()
        Draw.objects.filter(pk=draw.pk).update(
            state=DrawState.DRAWN, seed_text=seed_text, seed_sources=sources, witnesses=witness_text,
            seeded_by=actor, key_hex=outcome.key.hex(), result_text=text, drawn_at=now)
        draw.refresh_from_db()
        if not draw.is_remedy:
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAWN)
        event_record(actor=actor, action="draw.seed", obj=draw, department=task.department,
                     before={"state": DrawState.COMMITTED},
                     after={"state": DrawState.DRAWN, "seed_text": seed_text, "seed_sources": sources,
                            "witnesses": names, "key": outcome.key.hex(), "selected": len(chosen),
                            "unstaffed": len(unstaffed),
                            "result_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})
    return draw


# --- confirm (yearly cap) ----------------------------------------------------------------------

def _counters_lock(*, draw: Draw, year: int) -> list[int]:
    """Creates the missing YearlyDrawCount rows of the draw's targets (in target order,
    conflicts ignored) and locks all of them with ``select_for_update`` ordered by target
    id — one global lock order, so two confirmations or dispatches cannot deadlock.
    Subqueries on the draw's selections, not 50,000-id IN lists."""
    table = connection.ops.quote_name(YearlyDrawCount._meta.db_table)
    sel_table = connection.ops.quote_name(Selection._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} (target_id, year, count) SELECT target_id, %s, 0 FROM {sel_table} "
                    f"WHERE draw_id = %s ORDER BY target_id ON CONFLICT DO NOTHING", [year, draw.pk])
    targets = Selection.objects.filter(draw=draw).values("target_id")
    return list(YearlyDrawCount.objects.select_for_update().filter(year=year, target_id__in=targets)
                .order_by("target_id").values_list("id", flat=True))


def _cap_count(*, task: Task, draw: Draw) -> None:
    """原则上同一生产经营单位在一年内被抽中不超过2次 (指引第十四条), cap per department.

    Race: two operators confirming two draws that share targets at the same moment would
    each read count = cap − 1 and both confirm. We lock every counter row of the draw's
    targets first (``_counters_lock``), then check, and only then increment."""
    year = task.window_start.year
    cap = task.department.yearly_draw_cap
    _counters_lock(draw=draw, year=year)
    targets = Selection.objects.filter(draw=draw).values("target_id")
    over = list(YearlyDrawCount.objects.filter(year=year, target_id__in=targets, count__gte=cap)
                .order_by("target_id").values_list("target_id", flat=True))
    if over:
        names = dict(draw.selections.filter(target_id__in=over[:20]).values_list("target_id", "entity__name"))
        shown = "、".join(f"{names.get(t, t)}（{t}）" for t in over[:20])
        more = f"等{len(over)}个" if len(over) > 20 else ""
        raise Conflict(f"以下检查对象{year}年已被抽中{cap}次（上限{cap}次，指引第十四条），不能确认：{shown}{more}。"
                       "请作废本次摇号并重新封存名单（已达上限的对象将被排除）")
    YearlyDrawCount.objects.filter(year=year, target_id__in=targets).update(count=F("count") + 1)


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
            raise Conflict(f"{draw}{draw.get_state_display()}，只有已摇号、未确认的摇号可以确认锁定")
        sel = list(draw.selections.values_list("id", "target_id", "unstaffed"))
        linked = 0
        if draw.is_remedy:
            staffed = {tid: pk for pk, tid, unst in sel if not unst}
            for src in Selection.objects.select_for_update().filter(
                    draw_id=draw.source_id, target_id__in=list(staffed), remedy=SelectionRemedy.NONE):
                src.remedy = SelectionRemedy.MATCH
                src.matched_by_id = staffed[src.target_id]
                src.save(update_fields=["remedy", "matched_by"])
                linked += 1
        else:
            _cap_count(task=task, draw=draw)
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.CONFIRMED)
        now = timezone.now()
        Draw.objects.filter(pk=draw.pk).update(state=DrawState.CONFIRMED, confirmed_at=now, confirmed_by=actor)
        draw.refresh_from_db()
        event_record(actor=actor, action="draw.confirm", obj=draw, department=task.department,
                     before={"state": DrawState.DRAWN},
                     after={"state": DrawState.CONFIRMED, "selected": len(sel), "year": task.window_start.year,
                            "remedied_targets": linked if draw.is_remedy else None})
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
        Draw.objects.filter(pk=draw.pk).update(state=DrawState.VOID, void_reason=reason,
                                               voided_at=timezone.now(), voided_by=actor)
        draw.refresh_from_db()
        if not draw.is_remedy:
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAFT)
        event_record(actor=actor, action="draw.void", obj=draw, department=task.department,
                     before={"state": before}, after={"state": DrawState.VOID, "reason": reason})
    return draw


# --- substitution (更换) and direct assignment (直接委派) ----------------------------------------

def substitution_request(*, assignment: Assignment, reason: str, actor: User) -> Substitution:
    """申请更换: 抽取的执法检查人员原则上不得更换; only for a recorded reason (岗位调整、工作冲突、
    身体健康状况、利害关系) and with approval [002 第二十二条]."""
    selection = assignment.selection
    draw = selection.draw
    _require_role(actor, draw.task, [Role.OPERATOR], "申请更换执法检查人员")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("更换执法检查人员必须填写理由（指引第二十二条）", field="reason")
    if assignment.source == AssignmentSource.DIRECT:
        raise ValidationFailed("直接委派的人员不是随机抽取的，不能按随机规则更换")
    with transaction.atomic():
        draw = _locked_draw(draw)
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if draw.state not in (DrawState.DRAWN, DrawState.CONFIRMED):
            raise Conflict(f"{draw}{draw.get_state_display()}，不能更换人员")
        if not assignment.active:
            raise Conflict("该人员已被更换")
        if Substitution.objects.filter(out_assignment=assignment, status=SubstitutionStatus.PENDING).exists():
            raise Conflict("该人员已有待审批的更换申请")
        sub = Substitution.objects.create(draw=draw, selection=selection, out_assignment=assignment, reason=reason,
                                          requested_by=actor, requested_at=timezone.now())
        event_record(actor=actor, action="substitution.request", obj=sub, department=draw.task.department,
                     after={"draw": draw.pk, "target": selection.target_id,
                            "out": assignment.inspector.cert_no, "reason": reason})
    return sub


def substitution_decide(*, substitution: Substitution, approve: bool, actor: User, note: str = "") -> Substitution:
    """审批更换 (审核负责人). Approval replays draw-protocol §4 *Substitution* over all earlier
    approved substitutions of the draw and appends the substitute to the team; refusal
    records the decision. No eligible substitute: refused, nothing changes (remedy: 直接委派)."""
    draw = substitution.draw
    task = draw.task
    _require_role(actor, task, [Role.REVIEWER], "审批更换执法检查人员")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationFailed("不同意更换时请填写审批意见", field="note")
    with transaction.atomic():
        # Two approvals on one draw at once would both replay the same history, draw the
        # same ``m`` and could both pick one inspector past his capacity: lock the draw.
        draw = _locked_draw(draw)
        sub = Substitution.objects.select_for_update().get(pk=substitution.pk)
        if sub.status != SubstitutionStatus.PENDING:
            raise Conflict("该更换申请已审批")
        now = timezone.now()
        if not approve:
            sub.status, sub.decided_by, sub.decided_at, sub.decision_note = (
                SubstitutionStatus.REJECTED, actor, now, note)
            sub.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            event_record(actor=actor, action="substitution.reject", obj=sub, department=task.department,
                         before={"status": SubstitutionStatus.PENDING},
                         after={"status": SubstitutionStatus.REJECTED, "note": note})
            return sub
        if draw.state not in (DrawState.DRAWN, DrawState.CONFIRMED):
            raise Conflict(f"{draw}{draw.get_state_display()}，不能更换人员")
        out = Assignment.objects.select_for_update().select_related("inspector").get(pk=sub.out_assignment_id)
        if not out.active:
            raise Conflict("该人员已被更换")
        selection = sub.selection
        data = _manifest_bytes_checked(draw)
        _t, i_map = selectors.draw_id_maps(draw=draw, targets=())
        manifest_id = {pk: iid for iid, pk in i_map.items()}
        out_id = manifest_id[out.inspector_id]
        history = [protocol.substitution_parse(line) for line in
                   selectors.draw_substitutions(draw=draw).values_list("line", flat=True)]
        try:
            in_id = protocol.substitute(protocol.manifest_parse(data), protocol.draw_compute(data, draw.seed_text),
                                        history, target=selection.target_id, out=out_id)
        except protocol.SubstitutionError as exc:
            raise Conflict(f"不能按协议更换：{exc.message}") from exc
        if in_id is None:
            raise Conflict("没有符合条件的替补人员（不在组内、未被更换过、无利害关系、未满负荷）；"
                           "请以直接委派方式补充并说明理由")
        position = (Assignment.objects.filter(selection=selection).aggregate(m=Max("position"))["m"] or 0) + 1
        new = Assignment.objects.create(selection=selection, inspector_id=i_map[in_id], position=position,
                                        source=AssignmentSource.SUBSTITUTE, active=True, assigned_by=actor)
        out.active, out.replaced_reason, out.replaced_at, out.approved_by = False, sub.reason, now, actor
        out.save(update_fields=["active", "replaced_reason", "replaced_at", "approved_by"])
        seq = (Substitution.objects.filter(draw=draw, status=SubstitutionStatus.APPROVED)
               .aggregate(m=Max("seq"))["m"] or 0) + 1
        sub.status, sub.decided_by, sub.decided_at, sub.decision_note = SubstitutionStatus.APPROVED, actor, now, note
        sub.seq, sub.in_assignment, sub.line = seq, new, f"substitute {selection.target_id} {out_id} {in_id}"
        sub.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "seq", "in_assignment",
                                "line"])
        _visits_resync(selection=selection)
        event_record(actor=actor, action="substitution.approve", obj=sub, department=task.department,
                     before={"status": SubstitutionStatus.PENDING, "out": out_id},
                     after={"status": SubstitutionStatus.APPROVED, "in": in_id, "seq": seq, "line": sub.line,
                            "reason": sub.reason})
    return sub


def assignment_direct(*, selection: Selection, inspectors: Sequence[Inspector], reason: str,
                      actor: User) -> list[Assignment]:
    """直接委派 for a target the draw left unstaffed [002 第二十条]: stored with source
    ``direct`` and its reason, shown everywhere as not random. Conflicts of interest still
    apply (回避 [002 第二十二条]); the team needs the task's size (不少于2名)."""
    draw = selection.draw
    task = draw.task
    _require_role(actor, task, [Role.OPERATOR], "直接委派执法检查人员")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("直接委派必须说明理由（如：本区域执法检查人员不足）", field="reason")
    people = list(dict.fromkeys(inspectors))
    if len(people) < task.team_size:
        raise ValidationFailed(f"每个检查对象不少于{task.team_size}名执法检查人员（指引第二十条）", field="inspectors")
    with transaction.atomic():
        # Race with a remedy match draw or a second direct assignment for the same target.
        task = _locked_task(task)
        selection = Selection.objects.select_for_update().get(pk=selection.pk)
        draw = Draw.objects.get(pk=selection.draw_id)
        if draw.state != DrawState.CONFIRMED or task.status != TaskStatus.CONFIRMED:
            raise Conflict("摇号确认锁定后、任务派发前才能直接委派")
        if not selection.unstaffed or selection.remedy != SelectionRemedy.NONE:
            raise Conflict(f"检查对象{selection.target_id}已有检查组，不需要直接委派")
        if Selection.objects.filter(draw__source=draw, draw__state__in=[DrawState.COMMITTED, DrawState.DRAWN],
                                    target_id=selection.target_id).exists():
            raise Conflict(f"检查对象{selection.target_id}正在补充匹配摇号中，请先完成或作废该摇号")
        clash = list(ConflictDeclaration.objects.filter(is_active=True, entity_id=selection.entity_id,
                                                        inspector__in=people).select_related("inspector"))
        if clash:
            raise ValidationFailed("以下人员与该检查对象有利害关系，应当回避：" +
                                   "、".join(str(c.inspector) for c in clash), field="inspectors")
        made = [Assignment.objects.create(selection=selection, inspector=p, position=i, source=AssignmentSource.DIRECT,
                                          active=True, note=reason, assigned_by=actor)
                for i, p in enumerate(people)]
        selection.remedy = SelectionRemedy.DIRECT
        selection.save(update_fields=["remedy"])
        event_record(actor=actor, action="assignment.direct", obj=selection, department=task.department,
                     before={"remedy": SelectionRemedy.NONE},
                     after={"remedy": SelectionRemedy.DIRECT, "inspectors": [p.cert_no for p in people],
                            "reason": reason, "random": False})
    return made


# --- dispatch and visits (进一次门、查多项事) ----------------------------------------------------

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


def _visits_resync(*, selection: Selection) -> None:
    """After a substitution in a dispatched task: rebuild the members of the visits whose
    team comes from ``selection`` (the replaced member leaves, the substitute joins; the
    lead task's first member stays 组长). Runs inside the caller's transaction."""
    from shuangsuiji.inspection.models import Visit, VisitMember, VisitTask

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
