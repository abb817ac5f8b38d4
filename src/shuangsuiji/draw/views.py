"""Staff pages of the draw ceremony (摇号): 封存名单 → 录入种子并摇号 → 确认锁定 → 派发.

Each page shows the draw's current state and only the next action the state allows;
every action calls draw/services/, whose refusals (in Chinese) are shown as they are: beside
the form that caused them, else by common/middleware.py (404, 403, or a message and back to
``request.back_url``).
Scoping: a draw is visible to whoever may read its task (planning.selectors.task_get).
"""

from dataclasses import dataclass
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.common.errors import Conflict, ServiceError, ValidationFailed
from shuangsuiji.draw import record_jobs, selectors, services
from shuangsuiji.draw.choices import DrawState, SubstitutionStatus
from shuangsuiji.draw.forms import DirectForm, MatchOnlyForm, SeedForm, WidenForm
from shuangsuiji.draw.hooks import visit_hooks
from shuangsuiji.draw.models import Draw
from shuangsuiji.draw.pool import task_pool_preview
from shuangsuiji.planning import selectors as planning_selectors
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task

PAGE_SIZE = 50
PRESENT_LIMIT = 300  # the projector shows the first targets; the page and result.txt hold all


# --- helpers -----------------------------------------------------------------------------


def _task(request: HttpRequest, pk: int) -> Task:
    return planning_selectors.task_get(user=request.user, pk=pk)


def _draw(request: HttpRequest, pk: int) -> Draw:
    return selectors.draw_for_user(user=request.user, pk=pk)


@dataclass(frozen=True)
class Roles:
    operator: bool
    witness: bool
    reviewer: bool


def _roles(user: User, task: Task) -> Roles:
    return Roles(
        *(
            user_has_role(user=user, role=r, department=task.department)
            for r in (Role.OPERATOR, Role.WITNESS, Role.REVIEWER)
        )
    )


def _back_url(draw: Draw) -> str:
    if draw.is_secondary:
        return reverse("draw:draw_detail", args=[draw.pk])
    return reverse("draw:task", args=[draw.task_id])


def _back(draw: Draw) -> HttpResponse:
    return redirect(_back_url(draw))


STEPS = ["封存名单", "录入种子并摇号", "确认锁定", "派发"]


def _steps(draw: Draw | None) -> list[tuple[str, str]]:
    """(label, done|current|todo) of each step; the current one is the only allowed action."""
    if draw is None:
        at = 0
    elif draw.state == DrawState.VOID:
        return []
    else:
        at = {DrawState.COMMITTED: 1, DrawState.DRAWN: 2}.get(
            draw.state, 4 if draw.dispatched_at else 3
        )
    labels = STEPS[:3] if draw is not None and draw.is_secondary else STEPS
    return [
        (label, "done" if i < at else "current" if i == at else "todo")
        for i, label in enumerate(labels)
    ]


def _widen_form(task: Task, data=None, form_class=WidenForm):
    return form_class(data, departments=selectors.widening_departments(task=task))


def _ceremony(
    request: HttpRequest,
    *,
    task: Task,
    draw: Draw | None,
    seed_form: SeedForm | None = None,
    match_form: MatchOnlyForm | None = None,
    remedy_form: WidenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    roles = _roles(request.user, task)
    ctx: dict = {
        "task": task,
        "draw": draw,
        "roles": roles,
        "history": selectors.draw_history(task=task),
        "match_form": match_form or _widen_form(task, form_class=MatchOnlyForm),
        "steps": _steps(draw),
    }
    if draw is None:
        if task.status == TaskStatus.DRAFT:
            ctx["preview"] = task_pool_preview(task=task)
        return render(request, "draw/task.html", ctx, status=status)
    presences = list(draw.witness_presences.select_related("user").order_by("confirmed_at", "id"))
    ctx["presences"] = presences
    ctx["can_witness"] = (
        draw.state == DrawState.COMMITTED
        and request.user in selectors.ceremony_witnesses(task=task)
        and all(p.user_id != request.user.pk for p in presences)
    )
    page = Paginator(
        selectors.draw_selections(draw=draw).prefetch_related("assignments"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    progress = selectors.draw_progress(draw=draw)
    head = selectors.manifest_head(draw=draw)
    ctx.update(
        {
            "head": head,
            "seed_form": seed_form or SeedForm(witnesses=selectors.ceremony_witnesses(task=task)),
            "remedy_form": remedy_form or _widen_form(task),
            "page": page,
            "rows": selectors.selection_rows(selections=page.object_list, labels=head.labels),
            "unstaffed_count": progress.unstaffed_count,
            "needing_remedy": progress.needing_remedy,
            "remedies": progress.remedies,
            "remedy_pending": progress.remedy_pending,
            "partner_matches": selectors.partner_matches(draw=draw),
            "substitutions": progress.substitutions,
            "pending_status": SubstitutionStatus.PENDING,
            "scope": draw.inspector_scope,
            "visits": (visit_hooks().visits_list(task=task)[:200] if draw.dispatched_at else []),
        }
    )
    return render(request, "draw/task.html", ctx, status=status)


# --- pages -------------------------------------------------------------------------------


@login_required
def draw_list(request: HttpRequest) -> HttpResponse:
    draws = selectors.draws_list(user=request.user).order_by("-committed_at", "-pk")
    # ?state=committed: the witness's to-do card (common/todo.py) links here.
    state = request.GET.get("state", "")
    if state in DrawState.values:
        draws = draws.filter(state=state)
    else:
        state = ""
    page = Paginator(draws, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "draw/list.html",
        {
            "page": page,
            "state": state,
            "states": DrawState.choices,
            "extra_query": f"&state={state}" if state else "",
        },
    )


@login_required
def task_ceremony(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return _ceremony(request, task=task, draw=selectors.draw_current(task=task))


@login_required
def pool_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """候选名单预览 of a draft task: a fragment for the task page (htmx), a page otherwise."""
    task = _task(request, pk)
    preview = task_pool_preview(task=task) if task.status == TaskStatus.DRAFT else None
    template = (
        "draw/_pool_preview.html" if request.headers.get("HX-Request") else "draw/pool_preview.html"
    )
    return render(request, template, {"task": task, "preview": preview})


@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    draw = _draw(request, pk)
    return _ceremony(request, task=draw.task, draw=draw)


# --- actions -----------------------------------------------------------------------------


@login_required
@require_POST
def task_commit(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = reverse("draw:task", args=[pk])
    draw = services.draw_commit(task=_task(request, pk), actor=request.user)
    messages.success(
        request,
        f"已封存名单（第{draw.number}次摇号），名单指纹 {draw.manifest_sha256[:8]}（摘要 C 的前8位）。"
        "请在公告页公布后再录入种子",
    )
    return redirect("draw:task", pk=pk)


@login_required
@require_POST
def task_match(request: HttpRequest, pk: int) -> HttpResponse:
    """仅匹配执法检查人员 for targets already drawn (a match-only manifest)."""
    request.back_url = reverse("draw:task", args=[pk])
    task = _task(request, pk)
    form = _widen_form(task, request.POST, MatchOnlyForm)
    if form.is_valid():
        codes = form.code_list()
        found, missing = selectors.match_targets_lookup(task=task, codes=codes)
        if missing:
            form.add_error("codes", f"检查对象名录库中没有：{'、'.join(missing[:20])}")
        else:
            try:
                draw = services.match_commit(
                    task=task,
                    actor=request.user,
                    entities=[found[c] for c in codes],
                    **form.widening(),
                )
            except ValidationFailed as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, f"已封存匹配名单（第{draw.number}次摇号，仅匹配执法检查人员）"
                )
                return redirect("draw:task", pk=pk)
    return _ceremony(
        request, task=task, draw=selectors.draw_current(task=task), match_form=form, status=422
    )


@login_required
@require_POST
def draw_seed(request: HttpRequest, pk: int) -> HttpResponse:
    draw = _draw(request, pk)
    form = SeedForm(request.POST, witnesses=selectors.ceremony_witnesses(task=draw.task))
    if form.is_valid():
        try:
            draw = services.draw_seed(
                draw=draw,
                seed_text=form.cleaned_data["seed_text"],
                sources=form.cleaned_data["sources"],
                witnesses=form.witness_names(),
                actor=request.user,
            )
        except (
            ValidationFailed,
            Conflict,
        ) as exc:  # a Conflict (seeded meanwhile) stays on this page
            draw.refresh_from_db()
            if (
                draw.state != DrawState.COMMITTED
            ):  # no seed form on the page any more: say it on top
                messages.error(request, exc.message)
            form.add_service_errors(exc)
        else:
            progress = selectors.draw_progress(draw=draw)
            messages.success(
                request,
                f"已摇号：抽中 {progress.selected_count} 个检查对象"
                + (
                    f"，其中 {progress.unstaffed_count} 个未配齐执法检查人员"
                    if progress.unstaffed_count
                    else ""
                ),
            )
            return _back(draw)
    draw.refresh_from_db()
    return _ceremony(request, task=draw.task, draw=draw, seed_form=form, status=422)


def _draw_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    draw = _draw(request, pk)
    request.back_url = _back_url(draw)
    result = action(draw)
    messages.success(request, done if isinstance(done, str) else done(result))
    return _back(draw)


@login_required
@require_POST
def draw_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _draw_action(
        request,
        pk,
        lambda d: services.draw_confirm(draw=d, actor=request.user),
        "摇号结果已确认锁定",
    )


@login_required
@require_POST
def witness_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _draw_action(
        request,
        pk,
        lambda d: services.witness_confirm(draw=d, actor=request.user),
        "已确认您本人到场见证",
    )


@login_required
@require_POST
def draw_void(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _draw_action(
        request,
        pk,
        lambda d: services.draw_void(draw=d, reason=reason, actor=request.user),
        "本次摇号已作废，作废记录和理由保留并公开；如需重新摇号，请重新封存名单",
    )


@login_required
@require_POST
def draw_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    return _draw_action(
        request,
        pk,
        lambda d: services.draw_dispatch(draw=d, actor=request.user),
        lambda r: (
            f"已派发：新建检查 {r.visits_created} 个，并入已有检查 {r.visits_joined} 个（进一次门、查多项事）"
        ),
    )


@login_required
@require_POST
def draw_remedy(request: HttpRequest, pk: int) -> HttpResponse:
    """补充匹配: a match-only remedy draw for the targets ``pk`` left unstaffed, optionally
    with a wider inspector pool (departments added, experts) [002 第二十条]."""
    draw = _draw(request, pk)
    request.back_url = _back_url(draw)
    form = _widen_form(draw.task, request.POST)
    if not form.is_valid():
        return _ceremony(request, task=draw.task, draw=draw, remedy_form=form, status=422)
    remedy = services.match_commit(
        task=draw.task, actor=request.user, source=draw, **form.widening()
    )
    widened = (
        "（扩大了执法检查人员范围，见名单说明）" if remedy.inspector_scope.get("widened") else ""
    )
    messages.success(request, f"已封存补充匹配名单（第{remedy.number}次摇号）{widened}，请录入种子")
    return redirect("draw:draw_detail", pk=remedy.pk)


@login_required
@require_POST
def draw_partner_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """联合抽查: seal the match of one partner's inspectors over the confirmed draw ``pk``."""
    draw = _draw(request, pk)
    request.back_url = _back_url(draw)
    partner = draw.task.partners.filter(code=request.POST.get("partner", "")).first()
    if partner is None:
        raise ValidationFailed("请选择本任务的配合部门", field="partner")
    match = services.partner_match_commit(task=draw.task, partner=partner, actor=request.user)
    messages.success(
        request,
        f"已封存“{partner.name}”的人员匹配名单（第{match.number}次摇号），请纪检监督员到场录入种子",
    )
    return redirect("draw:draw_detail", pk=match.pk)


@login_required
@require_POST
def substitution_request(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_for_user(user=request.user, pk=pk)
    draw = assignment.selection.draw
    request.back_url = _back_url(draw)
    services.substitution_request(
        assignment=assignment, reason=request.POST.get("reason", ""), actor=request.user
    )
    messages.success(request, "已提交更换申请，待审核负责人审批")
    return _back(draw)


@login_required
@require_POST
def substitution_decide(request: HttpRequest, pk: int) -> HttpResponse:
    sub = selectors.substitution_for_user(user=request.user, pk=pk)
    draw = sub.draw
    request.back_url = _back_url(draw)
    approve = request.POST.get("decision") == "approve"
    sub = services.substitution_decide(
        substitution=sub, approve=approve, note=request.POST.get("note", ""), actor=request.user
    )
    messages.success(request, f"已批准更换：{sub.line}" if approve else "已不同意更换")
    return _back(draw)


@login_required
def assignment_direct(request: HttpRequest, pk: int) -> HttpResponse:
    """直接委派 (not random) for one unstaffed target."""
    selection = selectors.selection_for_user(user=request.user, pk=pk)
    draw = selection.draw
    task = draw.task
    request.back_url = reverse("draw:task", args=[task.pk])
    form = DirectForm(request.POST or None, inspectors=selectors.direct_candidates(task=task))
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_direct(
                selection=selection,
                inspectors=form.chosen(),
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, f"已直接委派检查对象 {selection.target_id} 的检查组（非随机，公开标注）"
            )
            return redirect("draw:task", pk=task.pk)
    return render(
        request,
        "draw/direct.html",
        {"form": form, "selection": selection, "draw": draw, "task": task},
        status=422 if request.method == "POST" else 200,
    )


# --- presentation mode (projector) -----------------------------------------------------------
# The seed is typed on the projector page itself, in large type, so the room sees every
# digit as the witness enters it; nothing of it is stored before it is submitted (the
# manifest, the audit log and the draw only ever hold the submitted text). Viewers who
# may not enter the seed see the stage wait and poll until the draw is made.


def _can_seed(user: User, draw: Draw) -> bool:
    roles = _roles(user, draw.task)
    return draw.state == DrawState.COMMITTED and (roles.operator or roles.witness)


def _present_context(request: HttpRequest, draw: Draw, seed_form: SeedForm | None = None) -> dict:
    sels = selectors.draw_selections(draw=draw)[:PRESENT_LIMIT] if draw.result_text else []
    can_seed = _can_seed(request.user, draw)
    if can_seed and seed_form is None:
        seed_form = SeedForm(witnesses=selectors.ceremony_witnesses(task=draw.task))
    head = selectors.manifest_head(draw=draw)
    return {
        "draw": draw,
        "task": draw.task,
        "head": head,
        "rows": selectors.selection_rows(selections=sels, labels=head.labels) if sels else [],
        "total": selectors.draw_selections(draw=draw).count() if draw.result_text else 0,
        "limit": PRESENT_LIMIT,
        "waiting": draw.state == DrawState.COMMITTED,
        "seed_form": seed_form if can_seed else None,
    }


@login_required
def draw_present(request: HttpRequest, pk: int) -> HttpResponse:
    draw = _draw(request, pk)
    return render(request, "draw/present.html", _present_context(request, draw))


@login_required
@require_POST
def draw_present_seed(request: HttpRequest, pk: int) -> HttpResponse:
    """录入种子 from the projector page: the same service as the ceremony page; success
    goes back to the projector, where the results appear."""
    draw = _draw(request, pk)
    form = SeedForm(request.POST, witnesses=selectors.ceremony_witnesses(task=draw.task))
    if form.is_valid():
        try:
            services.draw_seed(
                draw=draw,
                seed_text=form.cleaned_data["seed_text"],
                sources=form.cleaned_data["sources"],
                witnesses=form.witness_names(),
                actor=request.user,
            )
        except (ValidationFailed, Conflict) as exc:  # the projector shows no messages: say it here
            form.add_service_errors(exc)
        else:
            return redirect("draw:present", pk=draw.pk)
    draw.refresh_from_db()
    return render(
        request, "draw/present.html", _present_context(request, draw, seed_form=form), status=422
    )


@login_required
def draw_present_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx poll of the projector page: the stage while waiting for the seed; once
    drawn, the results (and no further polling). ``?watch=1`` (the page holding the seed
    form): nothing (204) while the draw waits, else a full reload — the seed form is never
    swapped away under the witness's fingers."""
    draw = _draw(request, pk)
    if request.GET.get("watch") == "1":
        if draw.state == DrawState.COMMITTED:
            return HttpResponse(status=204)
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "draw/_present_state.html", _present_context(request, draw))


# --- visits (进一次门、查多项事) ---------------------------------------------------------------


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    merged = request.GET.get("merged") == "1"
    visits = visit_hooks().visits_list(user=request.user, merged_only=merged)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "draw/visits.html", {"page": page, "merged": merged})


@login_required
def draw_record(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """抽查工作记录表 as PDF or xlsx (draw-protocol §6); public data only. A large PDF is
    rendered once per draw state in the background (draw/record_jobs.py): until it is
    there, a page that polls says 正在生成."""
    from shuangsuiji.draw.record import record_xlsx

    if fmt not in ("pdf", "xlsx"):
        raise Http404("仅提供 PDF 和 xlsx 格式")
    draw = _draw(request, pk)
    if fmt == "xlsx":
        return _attachment(record_xlsx(draw=draw), draw, fmt)
    pdf = record_jobs.record_pdf_get(draw=draw, retry=request.GET.get("retry") == "1")
    if pdf.body is not None:
        return _attachment(pdf.body, draw, fmt)
    if pdf.path is not None:
        return FileResponse(
            pdf.path.open("rb"),
            as_attachment=True,
            filename=_record_name(draw, fmt),
            content_type="application/pdf",
        )
    return render(
        request,
        "draw/record_pending.html",
        {"draw": draw, "task": draw.task, "pdf": pdf},
        # A render that failed (no font, an internal error): the service cannot give the
        # file now — 503 with the reason in Chinese, the detail in the log (issue 13 第 1 项).
        status=503 if pdf.error else 202,
    )


@login_required
def draw_record_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx poll of the 正在生成 page; a render that fails is said inside the fragment."""
    draw = _draw(request, pk)
    try:
        pdf = record_jobs.record_pdf_get(draw=draw)
    except ServiceError as exc:
        pdf = record_jobs.RecordPdf(error=exc.message)
    return render(request, "draw/_record_status.html", {"draw": draw, "pdf": pdf})


def _record_name(draw: Draw, fmt: str) -> str:
    return f"{draw.task.code}-{draw.number}-抽查工作记录表.{fmt}"


def _attachment(body: bytes, draw: Draw, fmt: str) -> HttpResponse:
    content_type = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(_record_name(draw, fmt))}"
    )
    return response
