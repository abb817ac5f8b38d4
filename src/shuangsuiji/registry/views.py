"""Pages of 检查对象名录库 and 执法检查人员名录库. Views only translate: selectors read,
services write, and a refusal a form can show (ValidationFailed, a Conflict such as a taken
number or a stale edit) becomes a message beside the field; the rest (NotFound, NotAllowed)
becomes a page in common/middleware.py.

Scope (谁管理、谁维护 [002 第十一条]): a record of a department the user cannot read is a 404
(its existence does not leak); a colleague without the 部门管理员 role reads it but gets
no edit buttons, and a 403 for any write.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.selectors import departments_readable, departments_writable
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.common.listing import Column, ListSpec, list_page
from shuangsuiji.registry import review, selectors, services
from shuangsuiji.registry.forms import (
    ConflictDeclareForm,
    ConflictWithdrawForm,
    EntityFilterForm,
    EntityForm,
    InspectorAccountForm,
    InspectorFilterForm,
    InspectorForm,
    TagForm,
)
from shuangsuiji.registry.models import LibraryReview
from shuangsuiji.registry.panels import entity_panels


def _form_status(request: HttpRequest) -> int:
    # A POST that comes back to the form failed validation: 422 tells scripts and tests so.
    return 422 if request.method == "POST" else 200


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


# --- entities --------------------------------------------------------------------------------


@login_required
def entity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    departments = list(departments_readable(user=user))
    tags = list(selectors.tag_list(user=user))
    form = EntityFilterForm(request.GET or None, departments=departments, tags=tags)
    filters = selectors.EntityFilters()
    if form.is_bound and form.is_valid():
        filters = selectors.EntityFilters(
            **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        )
    # Newest first unless a column is chosen; a library of a million rows is counted and
    # paged up to COUNT_CAP rows (a filter narrows it further).
    qs = selectors.entity_queryset(user=user, filters=filters).order_by("-id")
    rows = list_page(
        request,
        qs,
        ENTITY_LIST,
        for_export=lambda q: q.prefetch_related("tags").select_related("department"),
    )
    if isinstance(rows, FileResponse):
        return rows
    items = list(rows.page.object_list)
    selectors.entities_prefetch(items)
    return render(
        request,
        "registry/entity_list.html",
        {
            "form": form,
            "listing": rows,
            "items": items,
            "can_create": selectors.user_keeps_any_library(user=user),
        },
    )


ENTITY_COLUMNS = (
    Column("name", "名称", ("name",)),
    Column("code", "统一社会信用代码/名录编号", ("uscc", "key"), nowrap=True),
    Column("type", "主体类型", ("entity_type",), nowrap=True),
    Column("region", "区域", ("region", "street")),
    Column("industry", "行业", ("industry",)),
    Column("scale", "规模", ("scale",), nowrap=True),
    Column("risk", "信用风险", ("risk_class",), nowrap=True),
    Column("status", "状态", ("status",), nowrap=True),
    Column("tags", "标签"),
    Column("department", "管理部门", ("department__code",)),
)
# 003 第六条's columns of the entity directory, in its words, then the platform's own.
ENTITY_EXPORT_HEADERS = (
    "市场主体名称",
    "统一社会信用代码",
    "名录编号",
    "对象类别",
    "主体类型",
    "法定代表人",
    "联络人",
    "联系方式",
    "地址",
    "所属区域",
    "街镇",
    "行业",
    "规模",
    "监管责任股室",
    "信用风险分类",
    "风险分类日期",
    "登记状态",
    "标签",
    "管理部门",
)


def _entity_row(e) -> list:
    return [
        e.name,
        e.uscc,
        e.key,
        e.get_subject_kind_display(),
        e.get_entity_type_display(),
        e.legal_representative,
        e.contact_person,
        e.contact_phone_masked,  # masked as on every staff page
        e.address,
        e.region,
        e.street,
        e.industry,
        e.get_scale_display(),
        e.responsible_units,
        e.get_risk_class_display() if e.risk_class else "未分类",
        e.risk_date,
        e.get_status_display(),
        "、".join(t.name for t in e.tags.all()),
        e.department.name,
    ]


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity = selectors.entity_get(user=request.user, pk=pk)
    return render(
        request,
        "registry/entity_detail.html",
        {
            "entity": entity,
            "panels": entity_panels(entity=entity, user=request.user),
            "tags": list(entity.tags.all()),
            "conflicts": selectors.conflicts_of_entity(entity=entity),
            "history": selectors.record_history(obj=entity),
            "can_edit": selectors.can_write_department(
                user=request.user, department_id=entity.department_id
            ),
        },
    )


@login_required
def entity_create(request: HttpRequest) -> HttpResponse:
    departments = list(departments_writable(user=request.user))
    if not departments:
        raise NotAllowed("只有部门管理员可以录入检查对象（谁管理、谁维护）")
    tags = list(selectors.tag_list(user=request.user, writable_only=True))
    form = EntityForm(request.POST or None, departments=departments, tags=tags)
    if request.method == "POST" and form.is_valid():
        department = next(d for d in departments if d.id == form.cleaned_data["department"])
        try:
            entity = services.entity_create(
                actor=request.user,
                department=department,
                fields=form.service_fields(),
                tags=form.cleaned_data["tags"],
            )
        except (ValidationFailed, Conflict) as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"已录入检查对象：{entity.name}")
            return redirect("registry:entity_detail", pk=entity.pk)
    return render(
        request,
        "registry/record_form.html",
        status=_form_status(request),
        context={
            "form": form,
            "title": "录入检查对象",
            "cancel": reverse("registry:entity_list"),
        },
    )


@login_required
def entity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entity = selectors.entity_get_for_write(user=request.user, pk=pk)
    tags = list(selectors.tag_list(user=request.user, department=entity.department_id))
    if request.method == "POST":
        form = EntityForm(
            request.POST, instance=entity, tags=tags, reveal=request.POST.get("revealed") == "1"
        )
        if form.is_valid():
            try:
                services.entity_update(
                    actor=request.user,
                    entity=entity,
                    fields=form.service_fields(),
                    tags=form.cleaned_data["tags"],
                    expected_fingerprint=form.cleaned_data["fingerprint"] or None,
                )
            except (ValidationFailed, Conflict) as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, "已保存")
                return redirect("registry:entity_detail", pk=entity.pk)
    else:
        reveal = request.GET.get("reveal") == "1"
        if reveal:
            services.entity_numbers_reveal(actor=request.user, entity=entity)
        form = EntityForm(
            instance=entity,
            tags=tags,
            reveal=reveal,
            initial={"fingerprint": selectors.entity_fingerprint(entity=entity)},
        )
    return render(
        request,
        "registry/record_form.html",
        status=_form_status(request),
        context={
            "form": form,
            "title": f"编辑检查对象：{entity.name}",
            "record": entity,
            "cancel": reverse("registry:entity_detail", args=[entity.pk]),
            "reveal_url": reverse("registry:entity_edit", args=[entity.pk]) + "?reveal=1",
        },
    )


# --- inspectors ------------------------------------------------------------------------------


@login_required
def inspector_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    departments = list(departments_readable(user=user))
    form = InspectorFilterForm(request.GET or None, departments=departments)
    filters = selectors.InspectorFilters()
    if form.is_bound and form.is_valid():
        filters = selectors.InspectorFilters(
            **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        )
    qs = selectors.inspector_list(user=user, filters=filters)
    rows = list_page(request, qs, INSPECTOR_LIST)
    if isinstance(rows, FileResponse):
        return rows
    return render(
        request,
        "registry/inspector_list.html",
        {
            "form": form,
            "listing": rows,
            "page": rows.page,
            "today": timezone.localdate(),
            "can_create": selectors.user_keeps_any_library(user=user),
        },
    )


INSPECTOR_COLUMNS = (
    Column("name", "姓名", ("name",), nowrap=True),
    Column("gender", "性别", ("gender",), nowrap=True),
    Column("cert", "执法证号", ("cert_no",), nowrap=True),
    Column("kind", "人员类别", ("kind",), nowrap=True),
    Column("unit", "单位", ("unit", "department__code")),
    Column("area", "执法区域", ("area",)),
    Column("category", "执法类别", ("category",)),
    Column("valid", "证件有效期至", ("cert_valid_until",), nowrap=True),
    Column("mobile", "手机号码", nowrap=True),
    Column("status", "状态", ("status",), nowrap=True),
)
# 003 第七条's columns (执法人员姓名、执法证号、执法领域…); numbers masked as on the page.
INSPECTOR_EXPORT_HEADERS = (
    "执法人员姓名",
    "性别",
    "执法证号",
    "人员类别",
    "单位",
    "所属部门",
    "执法区域",
    "执法类别（执法领域）",
    "发证机关",
    "证件有效期至",
    "职务/岗位",
    "业务专长",
    "手机号码",
    "身份证号",
    "状态",
)


def _inspector_row(i) -> list:
    return [
        i.name,
        i.get_gender_display(),
        i.cert_no,
        i.get_kind_display(),
        i.unit,
        i.department.name,
        i.area,
        i.category,
        i.issuer,
        i.cert_valid_until,
        i.post,
        i.expertise,
        i.mobile_masked,
        i.id_number_masked,
        i.get_status_display(),
    ]


@login_required
def inspector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspector = selectors.inspector_get(user=request.user, pk=pk)
    can_edit = selectors.can_write_department(
        user=request.user, department_id=inspector.department_id
    )
    return _inspector_detail(request, inspector, can_edit=can_edit)


def _inspector_detail(
    request,
    inspector,
    *,
    can_edit,
    declare_form=None,
    withdraw_form=None,
    withdraw_pk=None,
    account_form=None,
    status=200,
):
    if can_edit and account_form is None:
        account_form = InspectorAccountForm(
            accounts=selectors.inspector_accounts_eligible(inspector=inspector),
            initial={"user": inspector.user_id},
        )
    return render(
        request,
        "registry/inspector_detail.html",
        {
            "account_form": account_form,
            "inspector": inspector,
            "expired": selectors.inspector_cert_expired(inspector=inspector),
            "conflicts": selectors.conflicts_of_inspector(inspector=inspector),
            "history": selectors.record_history(obj=inspector),
            "can_edit": can_edit,
            "declare_form": declare_form or ConflictDeclareForm(),
            "withdraw_form": withdraw_form or ConflictWithdrawForm(),
            "withdraw_pk": withdraw_pk,
        },
        status=status,
    )


@login_required
def inspector_create(request: HttpRequest) -> HttpResponse:
    departments = list(departments_writable(user=request.user))
    if not departments:
        raise NotAllowed("只有部门管理员可以录入执法检查人员（谁管理、谁维护）")
    form = InspectorForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        department = next(d for d in departments if d.id == form.cleaned_data["department"])
        try:
            inspector = services.inspector_create(
                actor=request.user, department=department, fields=form.service_fields()
            )
        except (ValidationFailed, Conflict) as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"已录入执法检查人员：{inspector.name}")
            return redirect("registry:inspector_detail", pk=inspector.pk)
    return render(
        request,
        "registry/record_form.html",
        status=_form_status(request),
        context={
            "form": form,
            "title": "录入执法检查人员",
            "cancel": reverse("registry:inspector_list"),
        },
    )


@login_required
def inspector_edit(request: HttpRequest, pk: int) -> HttpResponse:
    inspector = selectors.inspector_get_for_write(user=request.user, pk=pk)
    if request.method == "POST":
        form = InspectorForm(
            request.POST, instance=inspector, reveal=request.POST.get("revealed") == "1"
        )
        if form.is_valid():
            try:
                services.inspector_update(
                    actor=request.user,
                    inspector=inspector,
                    fields=form.service_fields(),
                    expected_fingerprint=form.cleaned_data["fingerprint"] or None,
                )
            except (ValidationFailed, Conflict) as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, "已保存")
                return redirect("registry:inspector_detail", pk=inspector.pk)
    else:
        reveal = request.GET.get("reveal") == "1"
        if reveal:
            services.inspector_numbers_reveal(actor=request.user, inspector=inspector)
        form = InspectorForm(
            instance=inspector,
            reveal=reveal,
            initial={"fingerprint": selectors.inspector_fingerprint(inspector=inspector)},
        )
    return render(
        request,
        "registry/record_form.html",
        status=_form_status(request),
        context={
            "form": form,
            "title": f"编辑执法检查人员：{inspector.name}",
            "record": inspector,
            "cancel": reverse("registry:inspector_detail", args=[inspector.pk]),
            "reveal_url": reverse("registry:inspector_edit", args=[inspector.pk]) + "?reveal=1",
        },
    )


# --- conflicts of interest ------------------------------------------------------------------


@login_required
@require_POST
def conflict_declare(request: HttpRequest, pk: int) -> HttpResponse:
    inspector = selectors.inspector_get_for_write(user=request.user, pk=pk)
    form = ConflictDeclareForm(request.POST)
    if form.is_valid():
        entity = selectors.entity_find_for_write(
            user=request.user, code=form.cleaned_data["entity"]
        )
        if entity is None:
            form.add_error(
                "entity", "检查对象：在您维护的名录库中找不到该统一社会信用代码或名录编号"
            )
        else:
            try:
                services.conflict_declare(
                    actor=request.user,
                    inspector=inspector,
                    entity=entity,
                    reason=form.cleaned_data["reason"],
                    declared_on=form.cleaned_data["declared_on"],
                )
            except (ValidationFailed, Conflict) as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, f"已申报利害关系：{inspector.name} ↔ {entity.name}")
                return redirect("registry:inspector_detail", pk=inspector.pk)
    return _inspector_detail(request, inspector, can_edit=True, declare_form=form, status=422)


@login_required
@require_POST
def inspector_account(request: HttpRequest, pk: int) -> HttpResponse:
    """登录账号 of an inspector, set by the department admin on the detail page."""
    inspector = selectors.inspector_get_for_write(user=request.user, pk=pk)
    form = InspectorAccountForm(
        request.POST, accounts=selectors.inspector_accounts_eligible(inspector=inspector)
    )
    if form.is_valid():
        user = form.chosen()
        try:
            services.inspector_account_link(actor=request.user, inspector=inspector, user=user)
        except (ValidationFailed, Conflict) as exc:
            form.apply_service_error(exc)
        else:
            messages.success(
                request,
                f"已将{inspector.name}关联到登录账号 {user.username}"
                if user
                else f"已解除{inspector.name}的登录账号关联",
            )
            return redirect("registry:inspector_detail", pk=inspector.pk)
    return _inspector_detail(request, inspector, can_edit=True, account_form=form, status=422)


@login_required
@require_POST
def conflict_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = selectors.conflict_get(user=request.user, pk=pk)
    inspector = selectors.inspector_get_for_write(user=request.user, pk=conflict.inspector_id)
    request.back_url = reverse("registry:inspector_detail", args=[inspector.pk])  # 已撤销 meanwhile
    form = ConflictWithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.conflict_withdraw(
                actor=request.user, conflict=conflict, reason=form.cleaned_data["withdraw_reason"]
            )
        except ValidationFailed as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已撤销利害关系申报（申报记录保留备查）")
            return redirect("registry:inspector_detail", pk=inspector.pk)
    return _inspector_detail(
        request, inspector, can_edit=True, withdraw_form=form, withdraw_pk=conflict.pk, status=422
    )


# --- tags --------------------------------------------------------------------------------------


@login_required
def tag_list(request: HttpRequest) -> HttpResponse:
    departments = list(departments_writable(user=request.user))
    form = None
    if departments:
        form = TagForm(request.POST or None, departments=departments)
    elif request.method == "POST":
        raise NotAllowed("只有部门管理员可以维护子库标签（谁管理、谁维护）")
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            department = next(d for d in departments if d.id == form.cleaned_data["department"])
            try:
                tag = services.tag_create(
                    actor=request.user,
                    department=department,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"] or "sub",
                    description=form.cleaned_data["description"],
                )
            except (ValidationFailed, Conflict) as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, f"已新建标签：{tag.name}")
                return redirect("registry:tag_list")
        status = 422
    tags = selectors.tag_list(user=request.user, with_counts=True)
    return render(request, "registry/tag_list.html", {"form": form, "tags": tags}, status=status)


@login_required
def library_review(request: HttpRequest) -> HttpResponse:
    """名录库定期修订 (003 第六条): the half-year's checklist with the facts, and its sign-off."""

    departments = list(departments_writable(user=request.user))
    if not departments:
        raise NotAllowed("只有部门管理员可以签署名录库定期修订")
    code = request.POST.get("department") or request.GET.get("department") or departments[0].code
    dept = next((d for d in departments if d.code == code), None)
    if dept is None:
        raise NotAllowed("只能签署本部门的名录库定期修订")
    today = timezone.localdate()
    status = 200
    checked = request.POST.getlist("checks")
    if request.method == "POST":
        try:
            review.library_review_sign(
                department=dept,
                actor=request.user,
                checked=checked,
                note=request.POST.get("note", ""),
                today=today,
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, "已签署本次名录库定期修订")
            return redirect(f"{request.path}?department={dept.code}")
    year, month = review.review_period(today=today)
    return render(
        request,
        "registry/review.html",
        {
            "departments": departments,
            "dept": dept,
            "year": year,
            "month": month,
            "checks": review.CHECKS,
            "checked": checked,
            "note": request.POST.get("note", ""),
            "facts": review.review_facts(department=dept, today=today),
            "signed": LibraryReview.objects.filter(department=dept, year=year, month=month)
            .select_related("signed_by")
            .first(),
            "history": LibraryReview.objects.filter(department=dept).select_related("signed_by")[
                :20
            ],
        },
        status=status,
    )


ENTITY_LIST = ListSpec(
    columns=ENTITY_COLUMNS,
    default_sort="new",
    title="检查对象名录库",
    headers=ENTITY_EXPORT_HEADERS,
    row=_entity_row,
    per_page=selectors.PAGE_SIZE,
    cap=selectors.COUNT_CAP,
)
INSPECTOR_LIST = ListSpec(
    columns=INSPECTOR_COLUMNS,
    default_sort="",
    title="执法检查人员名录库",
    headers=INSPECTOR_EXPORT_HEADERS,
    row=_inspector_row,
)
