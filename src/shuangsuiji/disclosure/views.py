"""Staff pages of 一公开: 待公示 (publish, bulk publish, withhold), 已公示 (search), the
result page with its versions, corrections and the principal's signature, objections
(review, answer). Every action calls disclosure/services/; a refusal a form shows stays
beside the form, any other goes to common/middleware.py (404, 403, or a message and back to
``request.back_url``). Reads come from disclosure/selectors.py."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shuangsuiji.common.errors import Conflict, NotFound, ValidationFailed
from shuangsuiji.common.listing import Column, export_size_check, listing, wants_export
from shuangsuiji.common.masking import mask_mobile
from shuangsuiji.disclosure import selectors, services
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.exporting import published_results_xlsx
from shuangsuiji.disclosure.forms import (
    AnswerForm,
    ContentFields,
    CorrectionForm,
    FollowUpFormSet,
    ObjectionFilterForm,
    ObjectionReviewForm,
    PendingFilterForm,
    PublishedFilterForm,
    ReasonForm,
    followups_from,
)
from shuangsuiji.disclosure.models import Objection
from shuangsuiji.inspection.choices import VersionKind, VersionStatus
from shuangsuiji.inspection.models import Result, ResultVersion

PAGE_SIZE = 50


def _next(request: HttpRequest, default: str) -> str:
    """Back to the page the action came from, when it is one of ours."""
    target = request.POST.get("next") or ""
    if target.startswith("/disclosure/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None
    ):
        return target
    return reverse(default)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return ("&" + query.urlencode()) if query else ""


# --- 待公示 --------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("disclosure:pending")


@login_required
def pending(request: HttpRequest) -> HttpResponse:
    form = PendingFilterForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.results_to_publish(user=request.user, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rights: dict[
        int, tuple[bool, bool]
    ] = {}  # per lead department: two role lookups, not two per row
    rows = []
    for r in selectors.pending_rows(versions=page.object_list):
        result = r.version.result
        key = result.visit.lead_task.department_id
        if key not in rights:
            rights[key] = (
                selectors.user_can_publish(user=request.user, result=result),
                selectors.user_is_principal(user=request.user, result=result),
            )
        rows.append((r, *rights[key]))
    return render(
        request,
        "disclosure/pending.html",
        {"form": form, "page": page, "rows": rows, "extra_query": _query_without_page(request)},
    )


@login_required
@require_POST
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = _next(request, "disclosure:pending")
    version = selectors.version_get(user=request.user, pk=pk)
    row = services.result_publish(version=version, actor=request.user)
    messages.success(request, f"已公示：{row.entity_name}（第{row.version_number}版）")
    return redirect(request.back_url)


@login_required
@require_POST
def publish_bulk(request: HttpRequest) -> HttpResponse:
    ids = [i for i in request.POST.getlist("versions") if i.isdigit()]
    if not ids:
        messages.error(request, "请勾选要公示的检查结果")
        return redirect("disclosure:pending")
    versions = selectors.versions_by_ids(user=request.user, ids=[int(i) for i in ids])
    try:
        rows = services.results_publish(versions=versions, actor=request.user)
    except (ValidationFailed, Conflict) as exc:
        # All or nothing: say so, the page shows which were left.
        messages.error(request, f"未公示任何结果：{exc.message}")
    else:
        messages.success(request, f"已公示 {len(rows)} 份检查结果")
    return redirect("disclosure:pending")


@login_required
def version_withhold(request: HttpRequest, pk: int) -> HttpResponse:
    """依法不予公开 (002 第二十八条): the reviewer records the legal basis."""
    version = selectors.version_get(user=request.user, pk=pk)
    form = ReasonForm(
        request.POST or None,
        label="不予公开的法律依据和理由",
        help_text="如：《中华人民共和国政府信息公开条例》第十四条，涉及国家秘密",
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.result_withhold(
                version=version, reason=form.cleaned_data["reason"], actor=request.user
            )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已决定不予公开：{version.result.visit.entity.name}")
            return redirect("disclosure:pending")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "disclosure/withhold.html", {"form": form, "version": version}, status=status
    )


# --- 已公示 --------------------------------------------------------------------------------


@login_required
def published(request: HttpRequest) -> HttpResponse:
    form = PublishedFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    qs = selectors.published_list(user=request.user, **filters)
    if wants_export(request):
        # The public copies only (PublishedResult: no personal number is ever copied there),
        # in the layout of the portal's export, newest first.
        export_size_check(qs=qs)
        fh = tempfile.TemporaryFile()  # noqa: SIM115 — handed to FileResponse
        published_results_xlsx(qs=qs, path_or_buffer=fh)
        fh.seek(0)
        return FileResponse(
            fh,
            as_attachment=True,
            filename=f"已公示的检查结果-{timezone.localtime():%Y%m%d-%H%M}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    rows = listing(
        request, qs, columns=PUBLISHED_COLUMNS, default_sort="-published", per_page=PAGE_SIZE
    )
    return render(
        request,
        "disclosure/published.html",
        {"form": form, "listing": rows, "page": rows.page},
    )


PUBLISHED_COLUMNS = (
    Column("entity", "检查对象", ("entity_name",)),
    Column("code", "统一社会信用代码", ("credit_code",), nowrap=True),
    Column("department", "检查实施机关", ("department_names",)),
    Column("inspected", "检查日期", ("inspected_on",), nowrap=True),
    Column("conclusion", "检查结论", ("conclusion",)),
    Column("version", "版本", ("version_number",), nowrap=True),
    Column("published", "公示时间", ("published_at",), nowrap=True),
)


# --- a result, its versions and corrections ----------------------------------------------


def _result_page(
    request: HttpRequest, result: Result, *, form=None, formset=None, status: int = 200
):
    user = request.user
    versions = selectors.result_versions(result=result)
    return render(
        request,
        "disclosure/result.html",
        {
            "result": result,
            "versions": versions,
            "visit": result.visit,
            "deadline": selectors.publish_deadline(result=result),
            "pending_correction": next(
                (
                    v
                    for v in versions
                    if v.kind == VersionKind.CORRECTION and v.status == VersionStatus.REVIEW
                ),
                None,
            ),
            "objections": result.objections.select_related("published").order_by(
                "-received_on", "-id"
            ),
            "can_publish": selectors.user_can_publish(user=user, result=result),
            "is_principal": selectors.user_is_principal(user=user, result=result),
            "can_correct": (
                result.current is not None
                and result.current.status == VersionStatus.PUBLISHED
                and selectors.user_can_publish(user=user, result=result)
            ),
            "form": form,
            "formset": formset,
        },
        status=status,
    )


@login_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    result = selectors.result_get(user=request.user, pk=pk)
    return _result_page(request, result)


@login_required
def entity_record(request: HttpRequest, pk: int) -> HttpResponse:
    """信用监管档案 of one entity, for the staff who may read it in the library."""
    from shuangsuiji.registry.selectors import entity_get

    entity = entity_get(user=request.user, pk=pk)
    record = selectors.entity_credit_record(entity=entity)
    return render(
        request,
        "disclosure/entity_record.html",
        {"r": record, "entity": entity, "history": {"r": record}},
    )


def _followup_initial(version: ResultVersion) -> list[dict]:
    return [
        {
            "kind": f.kind,
            "rectify_deadline": f.rectify_deadline,
            "recipient": f.recipient,
            "detail": f.detail,
            "case_no": f.case_no,
        }
        for f in version.followups.order_by("id")
    ]


@login_required
def result_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """提出更正 of a published result (002 第二十八条): the current content, to edit."""
    result = selectors.result_get(user=request.user, pk=pk)
    current = result.current
    if current is None:
        raise NotFound("该检查对象尚无检查结果")
    objection = None
    if oid := (request.POST.get("objection") or request.GET.get("objection") or ""):
        objection = Objection.objects.filter(pk=oid if oid.isdigit() else 0, result=result).first()
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        formset = FollowUpFormSet(request.POST, prefix="followups")
        if form.is_valid() and formset.is_valid():
            try:
                version = services.correction_create(
                    result=result,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    followups=followups_from(formset),
                    objection=objection,
                    **form.edits(),
                )
            except (ValidationFailed, Conflict) as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    f"已提出更正（第{version.number}版），等待任务执行单位主要负责人签字确认",
                )
                return redirect("disclosure:result", pk=result.pk)
        status = 422
    else:
        form = CorrectionForm(initial=ContentFields.initial_from(current))
        formset = FollowUpFormSet(initial=_followup_initial(current), prefix="followups")
        status = 200
    return render(
        request,
        "disclosure/correct.html",
        {
            "result": result,
            "current": current,
            "form": form,
            "formset": formset,
            "objection": objection,
        },
        status=status,
    )


@login_required
def corrections(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.corrections_pending(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "disclosure/corrections.html", {"page": page, "extra_query": ""})


@login_required
def version_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """主要负责人签字确认: the old and the corrected content side by side; signing publishes."""
    version = selectors.version_get(user=request.user, pk=pk)
    result = version.result
    if request.method == "POST":
        try:
            row = services.correction_sign(version=version, actor=request.user)
        except (ValidationFailed, Conflict) as exc:
            messages.error(request, exc.message)  # shown on this page, which says what is pending
        else:
            messages.success(
                request,
                f"已签字确认并公示更正（第{row.version_number}版）；原公示结果保留并标注“已被更正”",
            )
            return redirect("disclosure:result", pk=result.pk)
    current = result.current
    return render(
        request,
        "disclosure/sign.html",
        {
            "version": version,
            "result": result,
            "current": current,
            "is_principal": selectors.user_is_principal(user=request.user, result=result),
            "discard_form": ReasonForm(label="作废理由"),
            "can_discard": selectors.user_can_publish(user=request.user, result=result),
            "pending": version.kind == VersionKind.CORRECTION
            and version.status == VersionStatus.REVIEW,
        },
    )


@login_required
@require_POST
def version_discard(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = reverse("disclosure:sign", args=[pk])
    version = selectors.version_get(user=request.user, pk=pk)
    form = ReasonForm(request.POST, label="作废理由")
    if not form.is_valid():
        messages.error(request, "请填写作废理由")
        return redirect("disclosure:sign", pk=pk)
    services.correction_discard(
        version=version, reason=form.cleaned_data["reason"], actor=request.user
    )
    messages.success(request, f"已作废更正（第{version.number}版）")
    return redirect("disclosure:result", pk=version.result_id)


# --- objections --------------------------------------------------------------------------


@login_required
def objections(request: HttpRequest) -> HttpResponse:
    form = ObjectionFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    page = Paginator(selectors.objections_list(user=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(o, selectors.objection_due_dates(objection=o)) for o in page.object_list]
    return render(
        request,
        "disclosure/objections.html",
        {"form": form, "page": page, "rows": rows, "extra_query": _query_without_page(request)},
    )


def _candidates(objection: Objection) -> list[ResultVersion]:
    """Corrections an upheld objection may be linked to: this result's, pending or public,
    not used for another objection."""
    return [
        v
        for v in selectors.result_versions(result=objection.result)
        if v.kind == VersionKind.CORRECTION
        and v.status in (VersionStatus.REVIEW, VersionStatus.PUBLISHED)
        and v.objection_id in (None, objection.pk)
    ]


def _objection_page(
    request: HttpRequest,
    objection: Objection,
    *,
    review_form=None,
    answer_form=None,
    revealed: bool = False,
    status: int = 200,
) -> HttpResponse:
    result = objection.result
    current = result.current
    if review_form is None:
        review_form = ObjectionReviewForm(
            corrections=_candidates(objection),
            initial=ContentFields.initial_from(current) if current else {},
        )
    return render(
        request,
        "disclosure/objection.html",
        {
            "objection": objection,
            "result": result,
            "due": selectors.objection_due_dates(objection=objection),
            # 联系电话 is masked unless asked for (an audited act), as in the libraries.
            "contact": objection.contact if revealed else mask_mobile(objection.contact),
            "revealed": revealed,
            "review_form": review_form,
            "answer_form": answer_form or AnswerForm(),
            "linked": objection.corrections.order_by("-number"),
            "live_correction": objection.corrections.filter(
                status__in=(VersionStatus.REVIEW, VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)
            ).exists(),
            "is_principal": selectors.user_is_principal(user=request.user, result=result),
            "can_answer": selectors.user_can_publish(user=request.user, result=result),
            "received": objection.status == ObjectionStatus.RECEIVED,
            "reviewed": objection.status in (ObjectionStatus.UPHELD, ObjectionStatus.REJECTED),
        },
        status=status,
    )


@login_required
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    objection = selectors.objection_get(user=request.user, pk=pk)
    return _objection_page(request, objection)


@login_required
@require_POST
def objection_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """显示完整号码: recorded in the audit trail before the number is shown."""
    objection = selectors.objection_get(user=request.user, pk=pk)
    services.objection_contact_reveal(objection=objection, actor=request.user)
    return _objection_page(request, objection, revealed=True)


@login_required
@require_POST
def objection_review(request: HttpRequest, pk: int) -> HttpResponse:
    objection = selectors.objection_get(user=request.user, pk=pk)
    form = ObjectionReviewForm(request.POST, corrections=_candidates(objection))
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        chosen = form.chosen_correction()
        upheld = decision == "upheld"
        try:
            services.objection_review(
                objection=objection,
                decision=decision,
                note=form.cleaned_data["note"],
                actor=request.user,
                correction=chosen if upheld else None,
                edits=form.edits() if upheld and chosen is None else None,
            )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                "已复核"
                + ("；更正已提出，等待主要负责人签字确认" if upheld else "，维持原检查结果"),
            )
            return redirect("disclosure:objection", pk=pk)
    return _objection_page(request, objection, review_form=form, status=422)


@login_required
@require_POST
def objection_answer(request: HttpRequest, pk: int) -> HttpResponse:
    objection = selectors.objection_get(user=request.user, pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.objection_answer(
                objection=objection, answer=form.cleaned_data["answer"], actor=request.user
            )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "已反馈复核情况")
            return redirect("disclosure:objection", pk=pk)
    return _objection_page(request, objection, answer_form=form, status=422)
