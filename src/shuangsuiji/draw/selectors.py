"""Reads about draws: lists, teams (with remedies), published texts, manifest streams.

A target's *team* is resolved here once for everybody (pages, dispatch, export): the
draw's own active assignments, or — for a target the draw left unstaffed — the team of
the remedy match draw (``Selection.matched_by``) or the 直接委派 members.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet

from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import readable_department_ids
from shuangsuiji.draw.choices import DrawState, SelectionRemedy, SubstitutionStatus
from shuangsuiji.draw.models import Assignment, Draw, Selection, Substitution
from shuangsuiji.planning.models import Task
from shuangsuiji.registry.models import Entity

CHUNK = 5000  # ids per IN (...) query: well under SQLite's variable limit


def chunked(seq: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


# --- lists -------------------------------------------------------------------------------------

def draws_list(*, user: User | None = None, task: Task | None = None) -> QuerySet[Draw]:
    """Every draw, void ones included (they stay public). ``user`` scopes to the departments
    he may read (lead or partner department of the task); ``None`` = all (CLI, public)."""
    qs = Draw.objects.select_related("task", "task__department", "source", "replaces").order_by(
        "task__code", "number")
    if task is not None:
        qs = qs.filter(task=task)
    if user is not None:
        ids = readable_department_ids(user=user)
        qs = qs.filter(Q(task__department_id__in=ids) | Q(task__partners__id__in=ids)).distinct()
    return qs


def draw_get(*, task: Task, number: int | None = None) -> Draw | None:
    """Draw ``number`` of the task, or (no number) its latest draw that is not void."""
    qs = Draw.objects.select_related("task").filter(task=task)
    if number is not None:
        return qs.filter(number=number).first()
    return qs.exclude(state=DrawState.VOID).order_by("-number").first()


def draw_current(*, task: Task) -> Draw | None:
    """The task's primary draw that is not void (at most one), or ``None``."""
    return (Draw.objects.filter(task=task, source__isnull=True).exclude(state=DrawState.VOID)
            .order_by("-number").first())


def draw_remedies_pending(*, draw: Draw) -> QuerySet[Draw]:
    """Remedy match draws of ``draw`` still in their ceremony (封存 or 摇号, not confirmed)."""
    return Draw.objects.filter(source=draw, state__in=[DrawState.COMMITTED, DrawState.DRAWN])


def draw_selections(*, draw: Draw) -> QuerySet[Selection]:
    return draw.selections.select_related("entity").order_by("rank")


# --- teams -------------------------------------------------------------------------------------

def selection_team(*, selection: Selection) -> list[Assignment]:
    """The active team of one target, leader first (see module docstring)."""
    owner_id = selection.matched_by_id or selection.pk
    return list(Assignment.objects.filter(selection_id=owner_id, active=True)
                .select_related("inspector").order_by("position"))


def draw_teams(*, draw: Draw) -> dict[int, list[tuple[int, int, int]]]:
    """selection pk → [(assignment pk, inspector pk, owning selection pk)…] in team order,
    for every selection of ``draw``; two queries, for dispatch and pages of 50,000 targets."""
    rows = list(Selection.objects.filter(draw=draw).values_list("id", "matched_by_id"))
    owner = {sel_id: (matched or sel_id) for sel_id, matched in rows}
    by_owner: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    own = Assignment.objects.filter(selection__draw=draw, active=True)
    matched = Assignment.objects.filter(
        active=True, selection_id__in=Selection.objects.filter(draw=draw, matched_by__isnull=False)
        .values("matched_by_id"))
    for qs in (own, matched):
        for a_id, sel_id, insp_id in qs.order_by("selection_id", "position").values_list(
                "id", "selection_id", "inspector_id"):
            by_owner[sel_id].append((a_id, insp_id, sel_id))
    return {sel_id: by_owner.get(owner_id, []) for sel_id, owner_id in owner.items()}


def draw_needing_remedy(*, draw: Draw) -> QuerySet[Selection]:
    """Targets the draw left unstaffed that have no remedy yet (补充匹配 or 直接委派)."""
    return draw.selections.filter(unstaffed=True, remedy=SelectionRemedy.NONE).select_related("entity")


def inspector_loads(*, task: Task, exclude_draw: Draw | None = None) -> dict[int, int]:
    """inspector pk → number of the task's targets he is actively assigned to (draws not void)."""
    qs = Assignment.objects.filter(active=True, selection__draw__task=task).exclude(
        selection__draw__state=DrawState.VOID)
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


def draw_id_maps(*, draw: Draw, targets: Iterable[str] | None = None,
                 inspectors: Iterable[str] | None = None) -> tuple[dict[str, int], dict[str, int]]:
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
    from shuangsuiji.planning import selectors as planning_selectors

    libraries = planning_selectors.family_ids(department=task.department)
    found: dict[str, Entity] = {}
    for ent in Entity.objects.filter(department_id__in=libraries, uscc__in=codes).order_by("pk"):
        found.setdefault(ent.uscc, ent)
    for ent in Entity.objects.filter(department_id__in=libraries, key__in=[c for c in codes if c not in found]):
        found.setdefault(ent.key, ent)
    return found, [c for c in codes if c not in found]
