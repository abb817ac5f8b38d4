"""Staff pages of inspection (检查实施): 我的检查, the staff list of visits, and the visit
page — the entity and its past inspections and penalties (检查前了解 [000 三(五)]), the
checklist, evidence, the result draft, signing, review and follow-up.

Each action calls inspection/services; a refusal comes back in Chinese, next to the field
it names when there is one, else by common/middleware.py (404, 403, or a message and back to
``request.back_url``, the visit page). Scoping: selectors.visit_get (team, or staff of the
lead and partner departments); whoever may not read a visit gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.models import Department
from shuangsuiji.common.errors import NotFound, ValidationFailed
from shuangsuiji.common.listing import Column, ListSpec, list_page
from shuangsuiji.inspection import selectors, services
from shuangsuiji.inspection.choices import FollowUpKind, FollowUpStatus, VersionStatus, VisitStatus
from shuangsuiji.inspection.forms import (
    CloseForm,
    DraftForms,
    EvidenceForm,
    FindingsForm,
    FollowUpForm,
    NoteForm,
    PaperSignForm,
    PenaltyForm,
    PenaltyPublishedForm,
    RecheckForm,
    ReturnForm,
    VisitFilterForm,
    WithdrawForm,
)
from shuangsuiji.inspection.models import Evidence, FollowUp, Result, ResultVersion, Visit

PAGE_SIZE = 50
STEPS = [
    (VisitStatus.PENDING, "待检查"),
    (VisitStatus.IN_PROGRESS, "检查中"),
    (VisitStatus.SIGNING, "签字确认"),
    (VisitStatus.REVIEW, "审核"),
    (VisitStatus.FORMED, "形成结果"),
]
FIELD_LABELS = {
    "inspected_on": "检查日期",
    "conclusion": "检查结论",
    "non_cooperation": "不予配合情形",
    "summary": "检查情况",
    "problems": "发现的问题",
    "followups": "后续处理",
    "findings": "检查要点",
    "evidence": "证据材料",
}


# --- helpers -----------------------------------------------------------------------------


def _version_visit(request: HttpRequest, pk: int) -> tuple[ResultVersion, Visit]:
    version = ResultVersion.objects.select_related("result").filter(pk=pk).first()
    if version is None:
        raise NotFound("检查结果不存在或您无权查看")
    return version, selectors.visit_get(user=request.user, pk=version.result.visit_id)


def _followup_visit(request: HttpRequest, pk: int) -> tuple[FollowUp, Visit]:
    f = FollowUp.objects.select_related("version__result").filter(pk=pk).first()
    if f is None:
        raise NotFound("后续处理不存在或您无权查看")
    return f, selectors.visit_get(user=request.user, pk=f.version.result.visit_id)


def _back_url(visit_pk: int, anchor: str = "") -> str:
    url = reverse("inspection:visit", args=[visit_pk])
    return f"{url}#{anchor}" if anchor else url


def _back(visit: Visit, anchor: str = "") -> HttpResponse:
    return redirect(_back_url(visit.pk, anchor))


def _steps(visit: Visit) -> list[tuple[str, str]]:
    at = [s for s, _ in STEPS].index(visit.status)
    return [
        (
            label,
            "done"
            if i < at or visit.status == VisitStatus.FORMED
            else "current"
            if i == at
            else "todo",
        )
        for i, (_s, label) in enumerate(STEPS)
    ]


def _limits() -> list[tuple[str, str, int]]:
    from shuangsuiji.inspection.choices import EvidenceKind

    return [
        (
            str(k.label),
            "、".join(services.EXTENSIONS[k]),
            services.evidence_limit_bytes(k) // (1024 * 1024),
        )
        for k in EvidenceKind
    ]


def _page(request: HttpRequest, visit: Visit, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    me = selectors.visit_member_for(user=user, visit=visit)
    can_record = selectors.visit_can_record(user=user, visit=visit)
    can_review = selectors.visit_can_review(user=user, visit=visit)
    is_lead_operator = selectors.visit_is_lead_operator(user=user, visit=visit)
    version = selectors.result_working_version(visit=visit)
    editable = bool(
        visit.status == VisitStatus.IN_PROGRESS
        and version
        and version.status == VersionStatus.DRAFT
    )
    checklist = selectors.visit_checklist(visit=visit)
    submitted_at = selectors.last_submitted_at(visit=visit)
    evidence = [
        (e, selectors.evidence_is_frozen(evidence=e, submitted_at=submitted_at))
        for e in selectors.visit_evidence(visit=visit)
    ]
    team = list(
        visit.members.select_related("inspector__department", "task").order_by("-is_leader", "id")
    )
    ctx: dict = {
        "visit": visit,
        "entity": visit.entity,
        "steps": _steps(visit),
        "visit_tasks": visit.visit_tasks.select_related("task", "task__department")
        .prefetch_related("task__partners")
        .order_by("id"),
        "items": (
            None
            if checklist
            else selectors.visit_items_in_force(visit=visit, on=timezone.localdate())
        ),
        "team": team,
        # 联合检查 (000 四(二)): members of more than one department.
        "joint": len({m.inspector.department_id for m in team}) > 1,
        "history": selectors.visit_history(visit=visit)[:50],
        "penalties": selectors.visit_penalties(visit=visit)[:50],
        "me": me,
        "can_record": can_record,
        "can_review": can_review,
        "is_lead_operator": is_lead_operator,
        "is_leader": bool(me and me.is_leader),
        "version": version,
        "editable": editable and can_record,
        "checklist": checklist,
        "evidence": evidence,
        "limits": _limits(),
        "versions": selectors.result_versions(visit=visit),
        "result": selectors.result_for(visit=visit),
        # The 责令改正通知书 link (documents app) only where a rectification was ordered.
        "has_rectify": bool(
            version and version.followups.filter(kind=FollowUpKind.RECTIFY).exists()
        ),
        "submit_errors": forms.pop("submit_errors", None),
    }
    if ctx["editable"]:
        findings = [f for g in checklist for f in g.findings]
        ctx["findings_form"] = forms.get("findings_form") or FindingsForm(findings=findings)
        for f in findings:  # the form's fields beside each point of the checklist
            f.outcome_field, f.note_field = (
                ctx["findings_form"][f"o_{f.pk}"],
                ctx["findings_form"][f"n_{f.pk}"],
            )
        ctx["draft"] = forms.get("draft") or DraftForms(
            initial={
                n: getattr(version, n)
                for n in ("inspected_on", "conclusion", "non_cooperation", "summary", "problems")
            },
            followups=[
                {
                    "kind": f.kind,
                    "detail": f.detail,
                    "rectify_deadline": f.rectify_deadline,
                    "recipient": f.recipient,
                    "case_no": f.case_no,
                }
                for f in version.followups.order_by("id")
            ],
        )
        ctx["evidence_form"] = forms.get("evidence_form") or EvidenceForm()
    # After the result is formed the team still gathers material (复查 photos, a 立案
    # decision): it is added beside the signed record, never into it.
    ctx["supplement"] = visit.status == VisitStatus.FORMED and can_record
    if ctx["supplement"]:
        ctx["evidence_form"] = forms.get("evidence_form") or EvidenceForm()
    if version and version.status in (VersionStatus.SIGNING, VersionStatus.REVIEW):
        signing = selectors.version_signing(version=version)
        ctx["signing"] = signing
        ctx["can_sign"] = (
            version.status == VersionStatus.SIGNING
            and me is not None
            and not any(s.signature for s in signing if s.member.pk == me.pk)
        )
        paper = [s.member for s in signing if not s.has_account and s.signature is None]
        if (
            version.status == VersionStatus.SIGNING
            and paper
            and (ctx["is_leader"] or is_lead_operator)
        ):
            ctx["paper_form"] = forms.get("paper_form") or PaperSignForm(members=paper)
        if version.status == VersionStatus.SIGNING and ctx["is_leader"]:
            ctx["withdraw_form"] = WithdrawForm()
        if version.status == VersionStatus.REVIEW and can_review:
            ctx["approve_form"] = forms.get("approve_form") or NoteForm()
            ctx["return_form"] = forms.get("return_form") or ReturnForm()
    result = ctx["result"]
    if result and result.current_id:
        ctx["facts"] = selectors.result_followup_facts(result=result)
        ctx["can_followup"] = can_record and result.current.status in (
            VersionStatus.FORMED,
            VersionStatus.PUBLISHED,
        )
        bound = forms.get("followup_forms") or {}
        rows = []
        # Open follow-ups, and closed cases whose penalty decision is not yet published
        # (7 working days, 000 三(六)).
        pending = Q(status=FollowUpStatus.OPEN) | Q(
            kind=FollowUpKind.CASE,
            penalty_decided_on__isnull=False,
            penalty_published_on__isnull=True,
        )
        for f in result.current.followups.filter(pending).order_by("id"):
            kinds = {}
            if f.status == FollowUpStatus.OPEN:
                kinds = (
                    {"recheck": RecheckForm}
                    if f.kind == FollowUpKind.RECTIFY
                    else {"close": CloseForm}
                )
            if f.kind == FollowUpKind.CASE and f.penalty_decided_on is None:
                kinds["penalty"] = PenaltyForm
            elif f.kind == FollowUpKind.CASE and f.penalty_published_on is None:
                kinds["penalty_published"] = PenaltyPublishedForm
            rows.append(
                (
                    f,
                    {
                        name: bound.get((f.pk, cls)) or cls(prefix=f"f{f.pk}")
                        for name, cls in kinds.items()
                    },
                )
            )
        ctx["followup_rows"] = rows
        ctx["followup_add_form"] = forms.get("followup_add_form") or FollowUpForm(prefix="add")
    return render(request, "inspection/visit.html", ctx, status=status)


# --- lists -------------------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的检查."""
    return render(
        request,
        "inspection/mine.html",
        {"groups": selectors.visits_mine_grouped(user=request.user)},
    )


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.filter(
        id__in=selectors.staff_department_ids(user=request.user)
    ).order_by("code")
    form = VisitFilterForm(request.GET or None, departments=departments)
    filters = form.cleaned_data if form.is_valid() else {}
    # ?penalty=unpublished: the office's to-do card (inspection/todo.py) links here.
    penalty = request.GET.get("penalty") == "unpublished"
    visits = selectors.visits_for_staff(
        user=request.user,
        status=filters.get("status", ""),
        department=filters.get("department", ""),
        q=filters.get("q", ""),
        penalty_unpublished=penalty,
        year=filters.get("year"),
        conclusion=filters.get("conclusion", ""),
        published=filters.get("published", ""),
        joint=filters.get("joint", ""),
    )
    rows = list_page(
        request, visits, VISIT_LIST, for_export=lambda q: q.select_related("result__current")
    )
    if isinstance(rows, FileResponse):
        return rows
    return render(
        request,
        "inspection/list.html",
        {
            "form": form,
            "listing": rows,
            "page": rows.page,
            "is_staff": bool(departments),
            "penalty_unpublished": penalty,
        },
    )


VISIT_COLUMNS = (
    Column("entity", "检查对象", ("entity__name",)),
    Column("window", "检查期间", ("window_start", "window_end"), nowrap=True),
    Column("task", "任务（进一次门、查多项事）", ("lead_task__code",)),
    Column("team", "检查组（组长在前）"),
    Column("status", "状态", ("status",), nowrap=True),
)
# The inspection and, once formed, its result (检查结论, 形成, 公示): one row per visit.
VISIT_EXPORT_HEADERS = (
    "检查对象",
    "统一社会信用代码/名录编号",
    "检查开始",
    "检查结束",
    "牵头任务",
    "牵头部门",
    "合并的任务",
    "检查组（组长在前）",
    "状态",
    "检查结论",
    "结果形成时间",
    "首次公示时间",
)


def _visit_row(v: Visit) -> list:
    result = getattr(v, "result", None)
    version = result.current if result is not None and result.formed_at else None
    return [
        v.entity.name,
        v.target_id,
        v.window_start,
        v.window_end,
        f"{v.lead_task.code} {v.lead_task.title}",
        v.lead_task.department.name,
        "、".join(vt.task.code for vt in v.visit_tasks.all()),
        "、".join(
            f"{m.inspector.name}（执法证号 {m.inspector.cert_no}）{'（组长）' if m.is_leader else ''}"
            for m in v.members.all()
        ),
        v.get_status_display(),
        version.get_conclusion_display() if version else "",
        result.formed_at if result is not None else None,
        result.first_published_at if result is not None else None,
    ]


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    return _page(request, visit)


# --- recording ---------------------------------------------------------------------------


def _simple(
    request: HttpRequest, visit: Visit, action, done: str, anchor: str = ""
) -> HttpResponse:
    request.back_url = _back_url(visit.pk, anchor)
    action()
    messages.success(request, done)
    return _back(visit, anchor)


@login_required
@require_POST
def visit_start(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    return _simple(
        request,
        visit,
        lambda: services.visit_start(visit=visit, actor=request.user),
        "已开始检查：请按检查表单逐项录入检查情况",
        "findings",
    )


@login_required
@require_POST
def findings_save(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = _back_url(pk)
    visit = selectors.visit_get(user=request.user, pk=pk)
    findings = [f for g in selectors.visit_checklist(visit=visit) for f in g.findings]
    form = FindingsForm(request.POST, findings=findings)
    if form.is_valid():
        try:
            changed = services.findings_record(
                visit=visit, entries=form.entries(), actor=request.user
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已保存检查情况（更新{len(changed)}项）")
            return _back(visit, "findings")
    return _page(request, visit, findings_form=form, status=422)


@login_required
@require_POST
def draft_save(request: HttpRequest, pk: int) -> HttpResponse:
    """保存草稿, or 保存并提交签字确认 (``submit`` in the form)."""
    request.back_url = _back_url(pk)
    visit = selectors.visit_get(user=request.user, pk=pk)
    draft = DraftForms(request.POST)
    if draft.is_valid():
        try:
            version = services.result_draft_save(
                visit=visit, data=draft.to_input(), actor=request.user
            )
        except ValidationFailed as exc:
            draft.add_service_errors(exc)
        else:
            if "submit" not in request.POST:
                messages.success(request, "检查结果草稿已保存")
                return _back(visit, "result")
            return _submit(request, visit, version)
    return _page(request, visit, draft=draft, status=422)


def _submit(request: HttpRequest, visit: Visit, version: ResultVersion) -> HttpResponse:
    request.back_url = _back_url(visit.pk)
    try:
        services.result_submit(version=version, actor=request.user)
    except ValidationFailed as exc:  # shown on the page, above the result (not one form's field)
        errors = [
            (FIELD_LABELS.get(k.split(".")[0], k), m) for k, ms in exc.errors.items() for m in ms
        ]
        return _page(request, visit, submit_errors=errors or [("", exc.message)], status=422)
    messages.success(request, "已提交签字确认：请检查组全体成员签字确认（002 第二十五条）")
    return _back(visit, "signing")


@login_required
@require_POST
def result_submit(request: HttpRequest, pk: int) -> HttpResponse:
    version, visit = _version_visit(request, pk)
    return _submit(request, visit, version)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = _back_url(pk)
    visit = selectors.visit_get(user=request.user, pk=pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ev = services.evidence_upload(
                visit=visit,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                f"已上传{ev.get_kind_display()}“{ev.original_name}”，"
                f"文件指纹 {ev.sha256[:8]}（完整的 SHA-256 见证据材料的“技术细节”）",
            )
            return _back(visit, "evidence")
    return _page(request, visit, evidence_form=form, status=422)


def _evidence(request: HttpRequest, pk: int) -> Evidence:
    ev = Evidence.objects.select_related("visit").filter(pk=pk).first()
    if ev is None:
        raise NotFound("证据材料不存在或您无权查看")
    selectors.visit_get(user=request.user, pk=ev.visit_id)
    return ev


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Always as an attachment (never rendered inline), to readers of the visit only."""
    ev = _evidence(request, pk)
    fh = services.evidence_open(evidence=ev, actor=request.user)
    response = FileResponse(
        fh, as_attachment=True, filename=ev.original_name, content_type=ev.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    ev = _evidence(request, pk)
    return _simple(
        request,
        ev.visit,
        lambda: services.evidence_delete(evidence=ev, actor=request.user),
        f"已删除证据材料“{ev.original_name}”",
        "evidence",
    )


# --- signing and review ------------------------------------------------------------------


def _version_action(
    request: HttpRequest, pk: int, action, done: str, anchor: str = "signing"
) -> HttpResponse:
    version, visit = _version_visit(request, pk)
    return _simple(request, visit, lambda: action(version), done, anchor)


@login_required
@require_POST
def result_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return _version_action(
        request, pk, lambda v: services.result_sign(version=v, actor=request.user), "已签字确认"
    )


@login_required
@require_POST
def result_sign_paper(request: HttpRequest, pk: int) -> HttpResponse:
    version, visit = _version_visit(request, pk)
    request.back_url = _back_url(visit.pk, "signing")
    members = [
        s.member
        for s in selectors.version_signing(version=version)
        if not s.has_account and not s.signature
    ]
    form = PaperSignForm(request.POST, request.FILES, members=members)
    if form.is_valid():
        member = form.chosen()
        try:
            services.result_sign_on_paper(
                version=version,
                member=member,
                actor=request.user,
                scan=form.cleaned_data.get("scan"),
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                f"已代录{member.inspector.name}的纸质签字，签字页扫描件已保存为证据材料",
            )
            return _back(visit, "signing")
    return _page(request, visit, paper_form=form, status=422)


@login_required
@require_POST
def result_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _version_action(
        request,
        pk,
        lambda v: services.result_withdraw(version=v, actor=request.user, reason=reason),
        "已撤回：原版本标记为已退回（签字保留），已生成新的草稿",
        "result",
    )


@login_required
@require_POST
def result_approve(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    version, visit = _version_visit(request, pk)
    request.back_url = _back_url(visit.pk, "result")
    services.result_approve(version=version, actor=request.user, note=note)
    # The deadline of this result: its items' rule on the day it was formed (003 附件3
    # 第十一条: 10 in 漳平), never a fixed 20.
    n = Result.objects.values_list("publish_workdays", flat=True).get(pk=version.result_id)
    n = n or visit.lead_task.department.publish_deadline_workdays
    messages.success(
        request, f"审核通过：检查结果已形成，须在{n}个工作日内公示（000 三(六)、002 第二十八条）"
    )
    return _back(visit, "result")


@login_required
@require_POST
def result_return(request: HttpRequest, pk: int) -> HttpResponse:
    version, visit = _version_visit(request, pk)
    request.back_url = _back_url(visit.pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.result_return(
                version=version, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "已退回检查组修改")
            return _back(visit, "result")
    return _page(request, visit, return_form=form, status=422)


# --- follow-up ---------------------------------------------------------------------------


def _followup_form(request: HttpRequest, pk: int, form_class, call, done: str) -> HttpResponse:
    followup, visit = _followup_visit(request, pk)
    request.back_url = _back_url(visit.pk, "followups")
    form = form_class(request.POST, prefix=f"f{pk}")
    if form.is_valid():
        try:
            call(followup, form.cleaned_data)
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, done)
            return _back(visit, "followups")
    return _page(request, visit, followup_forms={(pk, form_class): form}, status=422)


@login_required
@require_POST
def followup_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    return _followup_form(
        request,
        pk,
        RecheckForm,
        lambda f, d: services.followup_recheck(
            followup=f,
            recheck_on=d["recheck_on"],
            recheck_note=d["recheck_note"],
            status=d["status"],
            actor=request.user,
        ),
        "已登记复查情况",
    )


@login_required
@require_POST
def followup_penalty(request: HttpRequest, pk: int) -> HttpResponse:
    return _followup_form(
        request,
        pk,
        PenaltyForm,
        lambda f, d: services.followup_penalty(
            followup=f,
            case_no=d["case_no"],
            penalty_decided_on=d["penalty_decided_on"],
            actor=request.user,
        ),
        "已登记行政处罚决定：处罚信息须在7个工作日内公开（000 三(六)）",
    )


@login_required
@require_POST
def followup_penalty_published(request: HttpRequest, pk: int) -> HttpResponse:
    return _followup_form(
        request,
        pk,
        PenaltyPublishedForm,
        lambda f, d: services.followup_penalty_published(
            followup=f, published_on=d["penalty_published_on"], actor=request.user
        ),
        "已登记处罚信息公开日期",
    )


@login_required
@require_POST
def followup_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _followup_form(
        request,
        pk,
        CloseForm,
        lambda f, d: services.followup_close(followup=f, note=d["note"], actor=request.user),
        "已办结",
    )


@login_required
@require_POST
def followup_add(request: HttpRequest, pk: int) -> HttpResponse:
    version, visit = _version_visit(request, pk)
    request.back_url = _back_url(visit.pk, "followups")
    form = FollowUpForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            services.followup_add(version=version, data=form.to_input(), actor=request.user)
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "已登记后续处理")
            return _back(visit, "followups")
    return _page(request, visit, followup_add_form=form, status=422)


VISIT_LIST = ListSpec(
    columns=VISIT_COLUMNS,
    default_sort="window",
    title="检查与检查结果",
    headers=VISIT_EXPORT_HEADERS,
    row=_visit_row,
    per_page=PAGE_SIZE,
)
