"""Reads about draws: lists, teams (with remedies), published texts, manifest streams.

A target's *team* is resolved here once for everybody (pages, dispatch, export): the
draw's own active assignments, or — for a target the draw left unstaffed — the team of
the remedy match draw (``Selection.matched_by``) or the 直接委派 members.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import readable_department_ids
from shuangsuiji.common.errors import NotFound
from shuangsuiji.draw import protocol
from shuangsuiji.draw.choices import (
    AssignmentSource,
    DrawKind,
    DrawState,
    SelectionRemedy,
    SubstitutionStatus,
)
from shuangsuiji.draw.models import Assignment, Draw, Selection, Substitution
from shuangsuiji.draw.pool import RISK_LABELS
from shuangsuiji.planning import selectors as planning_selectors
from shuangsuiji.planning.models import PartnerResponse, Task
from shuangsuiji.planning.selectors import family_ids
from shuangsuiji.registry.choices import InspectorStatus
from shuangsuiji.registry.models import Entity, Inspector

CHUNK = 5000  # ids per IN (...) query: well under SQLite's variable limit


def chunked(seq: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


# --- lists -------------------------------------------------------------------------------------


def draws_list(*, user: User | None = None, task: Task | None = None) -> QuerySet[Draw]:
    """Every draw, void ones included (they stay public). ``user`` scopes to the departments
    he may read (lead or partner department of the task); ``None`` = all (CLI, public)."""
    qs = Draw.objects.select_related(
        "task", "task__department", "source", "replaces", "partner"
    ).order_by("task__code", "number")
    if task is not None:
        qs = qs.filter(task=task)
    if user is not None:
        ids = readable_department_ids(user=user)
        qs = qs.filter(Q(task__department_id__in=ids) | Q(task__partners__id__in=ids)).distinct()
    return qs


def draw_for_user(*, user: User, pk: int) -> Draw:
    """Draw ``pk`` if ``user`` may read its task (lead or partner department, as
    ``planning.selectors.task_get``); otherwise ``NotFound`` — no hint that it exists."""

    draw = Draw.objects.select_related("task", "task__department", "source").filter(pk=pk).first()
    if draw is None:
        raise NotFound("摇号不存在或您无权查看")
    try:
        planning_selectors.task_get(user=user, pk=draw.task_id)
    except NotFound:
        raise NotFound("摇号不存在或您无权查看") from None
    return draw


def assignment_for_user(*, user: User, pk: int) -> Assignment:
    """A team member (for 更换), if ``user`` may read its draw; otherwise ``NotFound``."""

    assignment = (
        Assignment.objects.select_related("selection__draw", "inspector").filter(pk=pk).first()
    )
    if assignment is None:
        raise NotFound("检查组成员不存在")
    draw_for_user(user=user, pk=assignment.selection.draw_id)
    return assignment


def substitution_for_user(*, user: User, pk: int) -> Substitution:
    """A substitution request (for 审批), if ``user`` may read its draw; otherwise ``NotFound``."""

    sub = Substitution.objects.select_related("draw").filter(pk=pk).first()
    if sub is None:
        raise NotFound("更换申请不存在")
    draw_for_user(user=user, pk=sub.draw_id)
    return sub


def selection_for_user(*, user: User, pk: int) -> Selection:
    """A selected target (for 直接委派), if ``user`` may read its draw; otherwise ``NotFound``."""

    selection = Selection.objects.select_related("draw", "entity").filter(pk=pk).first()
    if selection is None:
        raise NotFound("抽中对象不存在")
    selection.draw = draw_for_user(user=user, pk=selection.draw_id)
    return selection


def draw_history(*, task: Task) -> QuerySet[Draw]:
    """The task's primary draws (void ones included), in order; remedies are listed on
    the page of the draw they remedy."""
    return draws_list(task=task).filter(source__isnull=True)


def draw_get(*, task: Task, number: int | None = None) -> Draw | None:
    """Draw ``number`` of the task, or (no number) its latest draw that is not void."""
    qs = Draw.objects.select_related("task").filter(task=task)
    if number is not None:
        return qs.filter(number=number).first()
    return qs.exclude(state=DrawState.VOID).order_by("-number").first()


def draw_current(*, task: Task) -> Draw | None:
    """The task's primary draw that is not void (at most one), or ``None``."""
    return (
        Draw.objects.filter(task=task, source__isnull=True)
        .exclude(state=DrawState.VOID)
        .order_by("-number")
        .first()
    )


def draw_remedies_pending(*, draw: Draw) -> QuerySet[Draw]:
    """Remedy match draws of ``draw`` still in their ceremony (封存 or 摇号, not confirmed)."""
    return Draw.objects.filter(
        source=draw, partner__isnull=True, state__in=[DrawState.COMMITTED, DrawState.DRAWN]
    )


def draw_selections(*, draw: Draw) -> QuerySet[Selection]:
    return draw.selections.select_related("entity").order_by("rank")


# --- teams -------------------------------------------------------------------------------------


def selection_team(*, selection: Selection) -> list[Assignment]:
    """The active team of one target, leader first (see module docstring)."""
    owner_id = selection.matched_by_id or selection.pk
    return list(
        Assignment.objects.filter(selection_id=owner_id, active=True)
        .select_related("inspector")
        .order_by("position")
    )


def draw_teams(*, draw: Draw) -> dict[int, list[tuple[int, int, int]]]:
    """selection pk → [(assignment pk, inspector pk, owning selection pk)…] in team order,
    for every selection of ``draw``; two queries, for dispatch and pages of 50,000 targets."""
    rows = list(Selection.objects.filter(draw=draw).values_list("id", "matched_by_id"))
    owner = {sel_id: (matched or sel_id) for sel_id, matched in rows}
    by_owner: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    own = Assignment.objects.filter(selection__draw=draw, active=True)
    matched = Assignment.objects.filter(
        active=True,
        selection_id__in=Selection.objects.filter(draw=draw, matched_by__isnull=False).values(
            "matched_by_id"
        ),
    )
    for qs in (own, matched):
        for a_id, sel_id, insp_id in qs.order_by("selection_id", "position").values_list(
            "id", "selection_id", "inspector_id"
        ):
            by_owner[sel_id].append((a_id, insp_id, sel_id))
    return {sel_id: by_owner.get(owner_id, []) for sel_id, owner_id in owner.items()}


def draw_needing_remedy(*, draw: Draw) -> QuerySet[Selection]:
    """Targets the draw left unstaffed that have no remedy yet (补充匹配 or 直接委派)."""
    return draw.selections.filter(unstaffed=True, remedy=SelectionRemedy.NONE).select_related(
        "entity"
    )


def inspector_loads(*, task: Task, exclude_draw: Draw | None = None) -> dict[int, int]:
    """inspector pk → number of the task's targets he is actively assigned to (draws not void)."""
    qs = Assignment.objects.filter(active=True, selection__draw__task=task).exclude(
        selection__draw__state=DrawState.VOID
    )
    if exclude_draw is not None:
        qs = qs.exclude(selection__draw=exclude_draw)
    loads: dict[int, int] = defaultdict(int)
    for insp_id in qs.values_list("inspector_id", flat=True):
        loads[insp_id] += 1
    return dict(loads)


# --- published texts ---------------------------------------------------------------------------


def draw_substitutions(*, draw: Draw) -> QuerySet[Substitution]:
    """Approved substitutions in replay order (draw-protocol §4)."""
    return draw.substitutions.filter(status=SubstitutionStatus.APPROVED).order_by("seq")


def draw_published_result(*, draw: Draw) -> str:
    """The result text as published: the protocol's result text, then one
    ``substitute <target> <out> <in>`` line per approved substitution, in order."""
    if not draw.result_text:
        return ""
    lines = [s.line + "\n" for s in draw_substitutions(draw=draw)]
    return draw.result_text + "".join(lines)


# --- files -------------------------------------------------------------------------------------


def draw_dir(*, draw: Draw) -> Path:
    return (Path(settings.VAR_DIR) / draw.manifest_path).parent


def manifest_file(*, draw: Draw) -> Path:
    return Path(settings.VAR_DIR) / draw.manifest_path


def manifest_stream(*, draw: Draw, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The frozen manifest in chunks, for a streaming download (a 1,000,000-line manifest
    is ~45 MB: never read whole into a response)."""
    with manifest_file(draw=draw).open("rb") as fh:
        while chunk := fh.read(chunk_size):
            yield chunk


def draw_id_maps(
    *, draw: Draw, targets: Iterable[str] | None = None, inspectors: Iterable[str] | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    """Manifest ids → database pks, from the ``ids.tsv`` frozen beside the manifest.

    Only the ids asked for are kept (``None`` = all), so resolving 50,000 selected targets
    out of 1,000,000 candidates stays small: the lines asked for are found by a text
    search, without splitting the whole file (see ``_ids_find``)."""
    with (draw_dir(draw=draw) / "ids.tsv").open("r", encoding="utf-8") as fh:
        text = fh.read()
    head, _sep, tail = text.partition("--\n")
    del text
    maps = []
    for part, want in ((head, targets), (tail, inspectors)):
        if want is None:
            tokens = part.split()
            maps.append(dict(zip(tokens[0::2], map(int, tokens[1::2]), strict=True)))
        else:
            maps.append(_ids_find("\n" + part, want))
    return maps[0], maps[1]


def _ids_find(text: str, ids: Iterable[str]) -> dict[str, int]:
    """``{id: pk}`` for the ``ids`` that have a line ``"<id> <pk>"`` in ``text`` (which
    starts with a LF; ids hold no blank, so ``"\n<id> "`` only matches its own line).

    ``draw_commit`` writes the target lines sorted by id: looking for the ids in sorted
    order, each search starts where the previous one ended, and the whole lookup reads
    the text about once. An id not found after that point (older, unsorted files) is
    looked for again from the start."""
    found: dict[str, int] = {}
    pos = 0
    for key in sorted(set(ids)):
        needle = "\n" + key + " "
        at = text.find(needle, pos)
        if at < 0:
            at = text.find(needle)
            if at < 0:
                continue
        else:
            pos = at
        start = at + len(needle)
        end = text.find("\n", start)
        found[key] = int(text[start:end] if end >= 0 else text[start:])
    return found


def match_targets_lookup(*, task: Task, codes: list[str]) -> tuple[dict[str, Entity], list[str]]:
    """Finds the targets a match-only ceremony names, by 统一社会信用代码 or 名录编号, in the
    libraries the task draws from; returns (found by code, codes not found)."""

    libraries = planning_selectors.family_ids(department=task.department)
    found: dict[str, Entity] = {}
    for ent in Entity.objects.filter(department_id__in=libraries, uscc__in=codes).order_by("pk"):
        found.setdefault(ent.uscc, ent)
    for ent in Entity.objects.filter(
        department_id__in=libraries, key__in=[c for c in codes if c not in found]
    ):
        found.setdefault(ent.key, ent)
    return found, [c for c in codes if c not in found]


def departments_by_code(*, codes: Iterable[str]) -> tuple[list[Department], list[str]]:
    """Active departments named by code (in the order given), and the codes not found."""
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {d.code: d for d in Department.objects.filter(code__in=codes, is_active=True)}
    return [found[c] for c in codes if c in found], [c for c in codes if c not in found]


def widening_departments(*, task: Task) -> QuerySet[Department]:
    """Departments whose inspectors may widen a match-only or remedy draw of ``task``:
    every active department outside the lead department's own family (whose inspectors
    are in the pool already) — neighbouring areas first in the form (see the view)."""

    return (
        Department.objects.filter(is_active=True)
        .exclude(pk__in=family_ids(department=task.department))
        .order_by("code")
    )


def direct_candidates(*, task: Task) -> QuerySet[Inspector]:
    """People who may be directly assigned (直接委派) to a target of ``task``: on duty, in
    the libraries of the lead department's family."""

    return Inspector.objects.filter(
        department_id__in=family_ids(department=task.department), status=InspectorStatus.ON_DUTY
    ).order_by("name", "cert_no")


def direct_inspectors_lookup(
    *, task: Task, codes: Iterable[str]
) -> tuple[list[Inspector], list[str]]:
    """Inspectors named by 执法证号 for a 直接委派 (order kept), and the numbers not found."""

    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {
        i.cert_no: i
        for i in Inspector.objects.filter(
            cert_no__in=codes, department_id__in=family_ids(department=task.department)
        )
    }
    return [found[c] for c in codes if c in found], [c for c in codes if c not in found]


def ceremony_witnesses(*, task: Task) -> list[User]:
    """纪检监督员 of the task's department (and its parents: a 委's witness serves its 科室)."""
    ids = [task.department_id, *[d.id for d in task.department.ancestors()]]
    return list(
        User.objects.filter(
            memberships__role=Role.WITNESS, memberships__department_id__in=ids, is_active=True
        )
        .distinct()
        .order_by("full_name", "username")
    )


# --- what the pages show -----------------------------------------------------------------------


def stratum_label(*, name: str, classes: dict[str, str], match_only: bool) -> str:
    """A manifest stratum name in words: ``FDC.A`` → "食品生产企业 · A 低风险", ``all`` →
    "全部检查对象". The name is protocol data (a stratum line of the manifest); pages and
    the record sheet show this label, the name only among the technical details."""
    if name == "all" and match_only:
        return "已确定的检查对象（仅匹配执法检查人员）"
    code, _dot, letter = name.partition(".")
    base = classes.get(code, code if code != "all" else "全部检查对象")
    return f"{base} · {RISK_LABELS.get(letter, letter)}" if letter else base


def stratum_labels(*, draw: Draw) -> dict[str, str]:
    """Stratum name → label for every class of the draw's task (see ``stratum_label``);
    ``labels.get(name)`` is None only for a name no class of the task explains."""
    classes = dict(draw.task.classes.values_list("code", "name"))
    match_only = draw.kind == DrawKind.MATCH_ONLY
    names = {"all", *classes}
    names |= {f"{code}.{letter}" for code in classes for letter in RISK_LABELS}
    return {
        name: stratum_label(name=name, classes=classes, match_only=match_only) for name in names
    }


@dataclass(frozen=True)
class ManifestHead:
    team: int
    strata: list[tuple[str, int]]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def strata_labelled(self) -> list[tuple[str, str, int]]:
        """(name, label, n) per stratum: the label for people, the name for 技术细节."""
        return [(name, self.labels.get(name, name), n) for name, n in self.strata]


def manifest_head(*, draw: Draw) -> ManifestHead:
    """The ``team`` and ``stratum`` lines: they come first in a canonical manifest, so a
    1,000,000-line file is read only up to its first ``target`` line."""
    team, strata = 0, []
    path = manifest_file(draw=draw)
    if not path.exists():
        return ManifestHead(team=0, strata=[])
    with path.open("r", encoding="ascii", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if not parts or parts[0] in ("target", "inspector", "conflict"):
                break
            if parts[0] == "team" and len(parts) == 2 and parts[1].isdigit():
                team = int(parts[1])
            elif parts[0] == "stratum" and len(parts) == 3 and parts[2].isdigit():
                strata.append((parts[1], int(parts[2])))
    return ManifestHead(team=team, strata=strata, labels=stratum_labels(draw=draw))


@dataclass
class Row:
    """One selected target on a page: its team leader first (``team`` empty = none)."""

    selection: Selection
    team: list[Assignment]
    replaced: list[Assignment]
    stratum_label: str = ""  # the stratum in words (``stratum_label``); the name is technical


def selection_rows(*, selections, labels: dict[str, str] | None = None) -> list[Row]:
    """Rows for a page of selections (prefetch their ``assignments``); ``labels`` from
    ``stratum_labels`` (or ``manifest_head(...).labels``) names each row's stratum."""
    labels = labels or {}
    rows = []
    for sel in selections:
        replaced = [a for a in sel.assignments.all() if not a.active]
        rows.append(
            Row(
                selection=sel,
                team=selection_team(selection=sel),
                replaced=replaced,
                stratum_label=labels.get(sel.stratum, sel.stratum),
            )
        )
    return rows


@dataclass(frozen=True)
class DrawProgress:
    """What the staff ceremony page shows beside the results of one draw."""

    selected_count: int
    unstaffed_count: int
    needing_remedy: list[Selection]  # at most 200
    remedies: list[Draw]
    remedy_pending: bool
    substitutions: list[Substitution]


def draw_progress(*, draw: Draw) -> DrawProgress:
    primary = not draw.is_secondary
    return DrawProgress(
        selected_count=draw.selections.count(),
        unstaffed_count=draw.selections.filter(unstaffed=True).count(),
        needing_remedy=list(draw_needing_remedy(draw=draw)[:200]) if primary else [],
        remedies=list(draw.remedies.filter(partner__isnull=True).order_by("number"))
        if primary
        else [],
        remedy_pending=draw_remedies_pending(draw=draw).exists(),
        substitutions=list(
            draw.substitutions.select_related(
                "selection",
                "out_assignment__inspector",
                "in_assignment__inspector",
                "requested_by",
                "decided_by",
            ).order_by("requested_at")
        ),
    )


def draw_direct_assignments(*, draw: Draw) -> list[Assignment]:
    """The draw's 直接委派 members (not random), by target rank and position."""
    return list(
        Assignment.objects.filter(selection__draw=draw, source=AssignmentSource.DIRECT)
        .select_related("selection", "inspector")
        .order_by("selection__rank", "position")
    )


def draw_selection_page(*, draw: Draw, offset: int = 0, limit: int = 500) -> list[dict]:
    """A page of selections with their teams (leader first), as plain data for the API;
    a few queries whatever the page size (teams from ``draw_teams``)."""
    sels = list(draw_selections(draw=draw)[offset : offset + limit])
    teams = draw_teams(draw=draw)
    a_ids = [a for s in sels for a, _i, _o in teams.get(s.pk, [])]
    info: dict[int, tuple] = {}
    for part in chunked(a_ids):
        for row in Assignment.objects.filter(id__in=part).values_list(
            "id", "source", "inspector__name", "inspector__cert_no"
        ):
            info[row[0]] = row
    out = []
    for s in sels:
        team = [info[a] for a, _i, _o in teams.get(s.pk, [])]
        out.append(
            {
                "id": s.pk,
                "rank": s.rank,
                "target_id": s.target_id,
                "entity_name": s.entity.name,
                "stratum": s.stratum,
                "score": s.score,
                "unstaffed": s.unstaffed,
                "remedy": s.remedy,
                "team": [
                    {
                        "assignment_id": a_id,
                        "cert_no": cert,
                        "name": name,
                        "leader": i == 0,
                        "source": source,
                        "random": source != AssignmentSource.DIRECT,
                    }
                    for i, (a_id, source, name, cert) in enumerate(team)
                ],
            }
        )
    return out


# --- public announcements ----------------------------------------------------------------------


def public_tasks(*, q: str = "") -> QuerySet[Task]:
    """Every task with at least one draw (void ones included), newest draw first."""
    tasks = (
        Task.objects.select_related("department")
        .annotate(n_draws=Count("draws"), last=Max("draws__committed_at"))
        .filter(n_draws__gt=0)
    )
    if q:
        tasks = tasks.filter(
            Q(code__icontains=q) | Q(title__icontains=q) | Q(department__name__icontains=q)
        )
    return tasks.order_by("-last", "code")


def public_task(*, code: str) -> Task | None:
    """The task with this code if it has any draw (only those are announced)."""
    return (
        Task.objects.select_related("department")
        .filter(code=code)
        .annotate(n_draws=Count("draws"))
        .filter(n_draws__gt=0)
        .first()
    )


# --- re-verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reverified:
    ok: bool
    manifest_ok: bool
    result_ok: bool | None
    substitutions_ok: bool | None
    computed_c: str
    computed_k: str
    problems: list[str]


def draw_reverify_result(*, draw: Draw) -> Reverified:
    """Recomputes the draw from the stored manifest and the published seed with the pure
    protocol core and compares with what was published: ``C``, the result text and the
    replay of every approved substitution. Anything else is shown as a mismatch."""
    problems: list[str] = []
    path = manifest_file(draw=draw)
    if not path.exists():
        return Reverified(False, False, None, None, "", "", ["名单文件缺失"])
    data = path.read_bytes()
    computed_c = hashlib.sha256(data).hexdigest()
    manifest_ok = computed_c == draw.manifest_sha256
    if not manifest_ok:
        problems.append(
            f"名单文件的 SHA-256 为 {computed_c}，与封存时公布的 C = {draw.manifest_sha256} 不一致"
        )
    if not draw.result_text:
        return Reverified(manifest_ok, manifest_ok, None, None, computed_c, "", problems)
    computed_k, result_ok, subs_ok = "", False, None
    try:
        outcome = protocol.draw_compute(data, draw.seed_text)
    except protocol.ManifestError as exc:
        problems.append(f"名单文件不符合 ssj-draw/1：{exc.message}")
    else:
        computed_k = outcome.key.hex()
        result_ok = protocol.result_text(outcome) == draw.result_text
        if not result_ok:
            problems.append("用公布的名单和种子重新计算的结果与公布的结果不一致")
        lines = list(draw_substitutions(draw=draw).values_list("line", flat=True))
        if lines:
            try:
                protocol.teams_replay(
                    protocol.manifest_parse(data),
                    outcome,
                    [protocol.substitution_parse(line) for line in lines],
                )
                subs_ok = True
            except (protocol.SubstitutionError, protocol.ManifestError) as exc:
                subs_ok = False
                problems.append(f"人员更换记录不能按协议重放：{exc.message}")
    ok = manifest_ok and result_ok and subs_ok is not False
    return Reverified(ok, manifest_ok, result_ok, subs_ok, computed_c, computed_k, problems)


def partner_matches(*, draw: Draw) -> list[tuple[Department, Draw | None]]:
    """联合抽查: each partner that takes part with its latest match over ``draw`` (None: not
    sealed yet), for the lead draw's page; empty for any other draw."""
    if draw.is_secondary:
        return []
    out = []
    for answer in (
        PartnerResponse.objects.filter(task_id=draw.task_id, accepted=True)
        .select_related("department")
        .order_by("department__code")
    ):
        match = (
            Draw.objects.filter(source=draw, partner=answer.department).order_by("-number").first()
        )
        out.append((answer.department, match))
    return out
