"""Staff pages of the draw ceremony (摇号): 封存名单 → 录入种子并摇号 → 确认锁定 → 派发.

Each page shows the draw's current state and only the next action the state allows;
every action calls draw/services.py, whose refusals (in Chinese) are shown as they are.
Scoping: a draw is visible to whoever may read its task (planning.selectors.task_get).
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.common.errors import NotAllowed, NotFound, ServiceError
from shuangsuiji.draw import selectors, services
from shuangsuiji.draw.choices import DrawState, SubstitutionStatus
from shuangsuiji.draw.forms import DirectForm, MatchOnlyForm, SeedForm
from shuangsuiji.draw.models import Assignment, Draw, Selection, Substitution
from shuangsuiji.inspection.selectors import visits_list
from shuangsuiji.planning import selectors as planning_selectors
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from shuangsuiji.planning.pool import task_pool_preview
from shuangsuiji.registry.choices import InspectorStatus
from shuangsuiji.registry.models import Inspector

PAGE_SIZE = 50
PRESENT_LIMIT = 300  # the projector shows the first targets; the page and result.txt hold all


# --- shared reads (also used by the public pages) -----------------------------------------

@dataclass(frozen=True)
class ManifestHead:
    team: int
    strata: list[tuple[str, int]]


def manifest_head(*, draw: Draw) -> ManifestHead:
    """The ``team`` and ``stratum`` lines: they come first in a canonical manifest, so a
    1,000,000-line file is read only up to its first ``target`` line."""
    team, strata = 0, []
    path = selectors.manifest_file(draw=draw)
    if not Path(path).exists():
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
    return ManifestHead(team=team, strata=strata)


@dataclass
class Row:
    """One selected target on a page: its team leader first (``team`` empty = none)."""

    selection: Selection
    team: list[Assignment]
    replaced: list[Assignment]


def selection_rows(*, selections) -> list[Row]:
    rows = []
    for sel in selections:
        replaced = [a for a in sel.assignments.all() if not a.active]
        rows.append(Row(selection=sel, team=selectors.selection_team(selection=sel), replaced=replaced))
    return rows


# --- helpers -----------------------------------------------------------------------------

def _refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    status = 404 if isinstance(exc, NotFound) else 403
    return render(request, "draw/refused.html", {"message": exc.message, "status": status}, status=status)


def _task(request: HttpRequest, pk: int) -> Task:
    return planning_selectors.task_get(user=request.user, pk=pk)


def _draw(request: HttpRequest, pk: int) -> Draw:
    draw = Draw.objects.select_related("task", "task__department", "source").filter(pk=pk).first()
    if draw is None:
        raise NotFound("摇号不存在或您无权查看")
    try:
        _task(request, draw.task_id)
    except NotFound:
        raise NotFound("摇号不存在或您无权查看") from None
    return draw


@dataclass(frozen=True)
class Roles:
    operator: bool
    witness: bool
    reviewer: bool


def _roles(user: User, task: Task) -> Roles:
    return Roles(*(user_has_role(user=user, role=r, department=task.department)
                   for r in (Role.OPERATOR, Role.WITNESS, Role.REVIEWER)))


def _witnesses(task: Task) -> list[User]:
    """纪检监督员 of the task's department (and its parents: a 委's witness serves its 科室)."""
    ids = [task.department_id, *[d.id for d in task.department.ancestors()]]
    return list(User.objects.filter(memberships__role=Role.WITNESS, memberships__department_id__in=ids,
                                    is_active=True).distinct().order_by("full_name", "username"))


def _back(draw: Draw) -> HttpResponse:
    if draw.is_remedy:
        return redirect("draw:draw_detail", pk=draw.pk)
    return redirect("draw:task", pk=draw.task_id)


STEPS = ["封存名单", "录入种子并摇号", "确认锁定", "派发"]


def _steps(draw: Draw | None) -> list[tuple[str, str]]:
    """(label, done|current|todo) of each step; the current one is the only allowed action."""
    if draw is None:
        at = 0
    elif draw.state == DrawState.VOID:
        return []
    else:
        at = {DrawState.COMMITTED: 1, DrawState.DRAWN: 2}.get(draw.state, 4 if draw.dispatched_at else 3)
    labels = STEPS[:3] if draw is not None and draw.is_remedy else STEPS
    return [(label, "done" if i < at else "current" if i == at else "todo") for i, label in enumerate(labels)]


def _ceremony(request: HttpRequest, *, task: Task, draw: Draw | None, seed_form: SeedForm | None = None,
              match_form: MatchOnlyForm | None = None, status: int = 200) -> HttpResponse:
    roles = _roles(request.user, task)
    ctx: dict = {"task": task, "draw": draw, "roles": roles,
                 "history": selectors.draws_list(task=task).filter(source__isnull=True),
                 "match_form": match_form or MatchOnlyForm(), "steps": _steps(draw)}
    if draw is None:
        if task.status == TaskStatus.DRAFT:
            ctx["preview"] = task_pool_preview(task=task)
        return render(request, "draw/task.html", ctx, status=status)
    page = Paginator(selectors.draw_selections(draw=draw).prefetch_related("assignments"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    ctx.update({
        "head": manifest_head(draw=draw),
        "seed_form": seed_form or SeedForm(witnesses=_witnesses(task)),
        "page": page, "rows": selection_rows(selections=page.object_list),
        "unstaffed_count": draw.selections.filter(unstaffed=True).count(),
        "needing_remedy": list(selectors.draw_needing_remedy(draw=draw)[:200]) if not draw.is_remedy else [],
        "remedies": draw.remedies.order_by("number") if not draw.is_remedy else [],
        "remedy_pending": selectors.draw_remedies_pending(draw=draw).exists(),
        "substitutions": draw.substitutions.select_related(
            "selection", "out_assignment__inspector", "in_assignment__inspector", "requested_by", "decided_by")
        .order_by("requested_at"),
        "pending_status": SubstitutionStatus.PENDING,
        "visits": (visits_list(task=task)[:200] if draw.dispatched_at else []),
    })
    return render(request, "draw/task.html", ctx, status=status)


# --- pages -------------------------------------------------------------------------------

@login_required
def draw_list(request: HttpRequest) -> HttpResponse:
    draws = selectors.draws_list(user=request.user).order_by("-committed_at", "-pk")
    page = Paginator(draws, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "draw/list.html", {"page": page})


@login_required
def task_ceremony(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        task = _task(request, pk)
    except NotFound as exc:
        return _refused(request, exc)
    return _ceremony(request, task=task, draw=selectors.draw_current(task=task))


@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        draw = _draw(request, pk)
    except NotFound as exc:
        return _refused(request, exc)
    return _ceremony(request, task=draw.task, draw=draw)


# --- actions -----------------------------------------------------------------------------

@login_required
@require_POST
def task_commit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        task = _task(request, pk)
        draw = services.draw_commit(task=task, actor=request.user)
    except NotFound as exc:
        return _refused(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已封存名单（第{draw.number}次摇号），摘要 C = {draw.manifest_sha256}。"
                                  "请在公告页公布后再录入种子")
    return redirect("draw:task", pk=pk)


@login_required
@require_POST
def task_match(request: HttpRequest, pk: int) -> HttpResponse:
    """仅匹配执法检查人员 for targets already drawn (a match-only manifest)."""
    try:
        task = _task(request, pk)
    except NotFound as exc:
        return _refused(request, exc)
    form = MatchOnlyForm(request.POST)
    if form.is_valid():
        codes = form.code_list()
        found, missing = selectors.match_targets_lookup(task=task, codes=codes)
        if missing:
            form.add_error("codes", f"检查对象名录库中没有：{'、'.join(missing[:20])}")
        else:
            try:
                draw = services.match_commit(task=task, actor=request.user, entities=[found[c] for c in codes])
            except ServiceError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"已封存匹配名单（第{draw.number}次摇号，仅匹配执法检查人员）")
                return redirect("draw:task", pk=pk)
    return _ceremony(request, task=task, draw=selectors.draw_current(task=task), match_form=form, status=422)


@login_required
@require_POST
def draw_seed(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        draw = _draw(request, pk)
    except NotFound as exc:
        return _refused(request, exc)
    form = SeedForm(request.POST, witnesses=_witnesses(draw.task))
    if form.is_valid():
        try:
            draw = services.draw_seed(draw=draw, seed_text=form.cleaned_data["seed_text"],
                                      sources=form.cleaned_data["sources"], witnesses=form.witness_names(),
                                      actor=request.user)
        except NotAllowed as exc:
            return _refused(request, exc)
        except ServiceError as exc:
            draw.refresh_from_db()
            if draw.state != DrawState.COMMITTED:  # no seed form on the page any more: say it on top
                messages.error(request, exc.message)
            form.add_service_errors(exc)
        else:
            unstaffed = draw.selections.filter(unstaffed=True).count()
            messages.success(request, f"已摇号：抽中 {draw.selections.count()} 个检查对象"
                                      + (f"，其中 {unstaffed} 个未配齐执法检查人员" if unstaffed else ""))
            return _back(draw)
    draw.refresh_from_db()
    return _ceremony(request, task=draw.task, draw=draw, seed_form=form, status=422)


def _draw_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    try:
        draw = _draw(request, pk)
        result = action(draw)
    except NotFound as exc:
        return _refused(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _back(draw)
    messages.success(request, done if isinstance(done, str) else done(result))
    return _back(draw)


@login_required
@require_POST
def draw_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _draw_action(request, pk, lambda d: services.draw_confirm(draw=d, actor=request.user),
                        "摇号结果已确认锁定")


@login_required
@require_POST
def draw_void(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _draw_action(request, pk, lambda d: services.draw_void(draw=d, reason=reason, actor=request.user),
                        "本次摇号已作废，作废记录和理由保留并公开；如需重新摇号，请重新封存名单")


@login_required
@require_POST
def draw_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    return _draw_action(
        request, pk, lambda d: services.draw_dispatch(draw=d, actor=request.user),
        lambda r: f"已派发：新建检查 {r.visits_created} 个，并入已有检查 {r.visits_joined} 个（进一次门、查多项事）")


@login_required
@require_POST
def draw_remedy(request: HttpRequest, pk: int) -> HttpResponse:
    """补充匹配: a match-only remedy draw for the targets ``pk`` left unstaffed."""
    try:
        draw = _draw(request, pk)
        remedy = services.match_commit(task=draw.task, actor=request.user, source=draw)
    except NotFound as exc:
        return _refused(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _back(draw)
    messages.success(request, f"已封存补充匹配名单（第{remedy.number}次摇号），请录入种子")
    return redirect("draw:draw_detail", pk=remedy.pk)


@login_required
@require_POST
def substitution_request(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = Assignment.objects.select_related("selection__draw").filter(pk=pk).first()
    try:
        if assignment is None:
            raise NotFound("检查组成员不存在")
        draw = _draw(request, assignment.selection.draw_id)
        services.substitution_request(assignment=assignment, reason=request.POST.get("reason", ""),
                                      actor=request.user)
    except NotFound as exc:
        return _refused(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交更换申请，待审核负责人审批")
    return _back(draw)


@login_required
@require_POST
def substitution_decide(request: HttpRequest, pk: int) -> HttpResponse:
    sub = Substitution.objects.select_related("draw").filter(pk=pk).first()
    try:
        if sub is None:
            raise NotFound("更换申请不存在")
        draw = _draw(request, sub.draw_id)
        approve = request.POST.get("decision") == "approve"
        sub = services.substitution_decide(substitution=sub, approve=approve, note=request.POST.get("note", ""),
                                           actor=request.user)
    except NotFound as exc:
        return _refused(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已批准更换：{sub.line}" if approve else "已不同意更换")
    return _back(draw)


@login_required
def assignment_direct(request: HttpRequest, pk: int) -> HttpResponse:
    """直接委派 (not random) for one unstaffed target."""
    selection = Selection.objects.select_related("draw", "entity").filter(pk=pk).first()
    try:
        if selection is None:
            raise NotFound("抽中对象不存在")
        draw = _draw(request, selection.draw_id)
    except NotFound as exc:
        return _refused(request, exc)
    task = draw.task
    people = (Inspector.objects.filter(department_id__in=planning_selectors.family_ids(department=task.department),
                                       status=InspectorStatus.ON_DUTY).order_by("name", "cert_no"))
    form = DirectForm(request.POST or None, inspectors=people)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_direct(selection=selection, inspectors=form.chosen(),
                                       reason=form.cleaned_data["reason"], actor=request.user)
        except NotAllowed as exc:
            return _refused(request, exc)
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已直接委派检查对象 {selection.target_id} 的检查组（非随机，公开标注）")
            return redirect("draw:task", pk=task.pk)
    return render(request, "draw/direct.html", {"form": form, "selection": selection, "draw": draw, "task": task},
                  status=422 if request.method == "POST" else 200)


# --- presentation mode (projector) -----------------------------------------------------------

def _present_context(draw: Draw) -> dict:
    sels = selectors.draw_selections(draw=draw)[:PRESENT_LIMIT] if draw.result_text else []
    return {"draw": draw, "task": draw.task, "head": manifest_head(draw=draw),
            "rows": selection_rows(selections=sels) if sels else [],
            "total": draw.selections.count() if draw.result_text else 0, "limit": PRESENT_LIMIT,
            "waiting": draw.state == DrawState.COMMITTED}


@login_required
def draw_present(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        draw = _draw(request, pk)
    except NotFound as exc:
        return _refused(request, exc)
    return render(request, "draw/present.html", _present_context(draw))


@login_required
def draw_present_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx poll of the projector page: the stage while waiting for the seed; once
    drawn, the results (and no further polling)."""
    try:
        draw = _draw(request, pk)
    except NotFound:
        raise Http404 from None
    return render(request, "draw/_present_state.html", _present_context(draw))


# --- visits (进一次门、查多项事) ---------------------------------------------------------------

@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    merged = request.GET.get("merged") == "1"
    visits = visits_list(user=request.user, merged_only=merged)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "draw/visits.html", {"page": page, "merged": merged})


@login_required
def draw_record(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """抽查工作记录表 as PDF or xlsx (draw-protocol §6); public data only."""
    from shuangsuiji.draw.record import record_pdf, record_xlsx

    if fmt not in ("pdf", "xlsx"):
        raise Http404("仅提供 PDF 和 xlsx 格式")
    try:
        draw = _draw(request, pk)
        body = record_pdf(draw=draw) if fmt == "pdf" else record_xlsx(draw=draw)
    except ServiceError as exc:
        return _refused(request, exc)
    content_type = ("application/pdf" if fmt == "pdf"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(body, content_type=content_type)
    filename = f"{draw.task.code}-{draw.number}-抽查工作记录表.{fmt}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
