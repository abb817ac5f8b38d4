"""Pages of 年度抽查计划 and 抽查任务. They translate requests into selector/service calls."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from shuangsuiji.common.listing import Column, ListSpec, list_page
from shuangsuiji.imports.choices import ImportKind
from shuangsuiji.imports.jobs import import_job_create
from shuangsuiji.planning import selectors, services
from shuangsuiji.planning.choices import PlanStatus, TaskKind, TaskStatus
from shuangsuiji.planning.forms import (
    PlanCreateForm,
    PlanFileForm,
    PlanFilterForm,
    PlanImportForm,
    PlanRowForm,
    TargetClassForm,
    TargetClassFormSet,
    TaskCancelForm,
    TaskFilterForm,
    TaskForm,
    default_year,
    task_input,
)
from shuangsuiji.planning.importing import plan_import_check
from shuangsuiji.planning.models import Plan, PlanRow, Task
from shuangsuiji.registry.models import Tag

PAGE_SIZE = 20


# --- plans -----------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.filter(
        id__in=selectors.planning_readable_ids(user=request.user)
    ).order_by("code")
    form = PlanFilterForm(request.GET or None, departments=departments)
    f = form.cleaned_data if form.is_valid() else {}
    plans = selectors.plan_search(
        user=request.user,
        department=f.get("department") or "",
        year=f.get("year"),
        status=f.get("status") or "",
    )
    return render(
        request,
        "planning/plan_list.html",
        {
            "form": form,
            "plans": plans,
            "can_create": selectors.planner_departments(user=request.user).exists(),
        },
    )


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    departments = list(selectors.planner_departments(user=request.user))
    if not departments:
        raise NotAllowed("只有抽查操作员可以制定年度抽查计划")
    form = PlanCreateForm(
        request.POST or None, departments=departments, initial={"year": default_year()}
    )
    if request.method == "POST" and form.is_valid():
        department = next(d for d in departments if d.code == form.cleaned_data["department"])
        try:
            plan = services.plan_create(
                department=department,
                year=form.cleaned_data["year"],
                title=form.cleaned_data["title"],
                actor=request.user,
            )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已新建“{plan.title}”，请添加计划事项或导入计划表")
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(request, "planning/form.html", {"form": form, "title": "新建年度抽查计划"})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "rows": selectors.plan_rows(plan=plan),
            "warnings": selectors.plan_warnings(plan=plan),
            "can_write": selectors.plan_can_write(user=request.user, plan=plan),
            "file_form": PlanFileForm(),
            "versions": plan.versions.order_by("-number"),
            "rollup": selectors.section_rollup(plan=plan),
            "tasks": selectors.tasks_visible(user=request.user)
            .filter(plan_row__plan=plan)
            .order_by("code"),
        },
    )


def _writable_plan(request: HttpRequest, pk: int) -> Plan:
    plan = selectors.plan_get(user=request.user, pk=pk)
    if not selectors.plan_can_write(user=request.user, plan=plan):
        raise NotAllowed(f"您不是“{plan.department.name}”的抽查操作员，不能修改其年度抽查计划")
    return plan


def _row_items(plan: Plan):
    return (
        Item.objects.filter(
            department_id__in=selectors.subtree_ids(department=plan.department), is_repealed=False
        )
        .select_related("current")
        .order_by("code")
    )


@login_required
def plan_row_edit(request: HttpRequest, pk: int, row_pk: int | None = None) -> HttpResponse:
    plan = _writable_plan(request, pk)
    row = plan.rows.filter(pk=row_pk).first() if row_pk else None
    if row_pk and row is None:
        raise NotFound("计划事项不存在")
    if plan.status != PlanStatus.DRAFT:
        messages.error(request, f"计划已{plan.get_status_display()}，不能再修改计划事项")
        return redirect("planning:plan_detail", pk=plan.pk)
    initial = (
        PlanRowForm.initial_from(row)
        if row
        else {"seq": (max(plan.rows.values_list("seq", flat=True), default=0) + 1)}
    )
    form = PlanRowForm(request.POST or None, items=_row_items(plan), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            items = list(form.cleaned_data["items"])
            if row:
                services.plan_row_update(
                    row=row, data=form.row_data(), items=items, actor=request.user
                )
            else:
                row = services.plan_row_add(
                    plan=plan, data=form.row_data(), items=items, actor=request.user
                )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已保存第{row.seq}行")
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(
        request,
        "planning/form.html",
        {
            "form": form,
            "plan": plan,
            "title": f"{'修改' if row_pk else '添加'}计划事项 · {plan.title}",
        },
    )


@login_required
@require_POST
def plan_row_delete(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    request.back_url = reverse("planning:plan_detail", args=[pk])
    plan = _writable_plan(request, pk)
    row = PlanRow.objects.filter(plan=plan, pk=row_pk).first()
    if row is None:
        raise NotFound("计划事项不存在")
    services.plan_row_remove(row=row, actor=request.user)
    messages.success(request, f"已删除第{row.seq}行")
    return redirect("planning:plan_detail", pk=pk)


@login_required
def plan_import(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload form of a plan table; the preview and the confirm are the imports app's
    job pages (one flow for every import: preview → 确认导入, no second upload)."""
    plan = _writable_plan(request, pk)
    plan_import_check(plan=plan, actor=request.user)
    form = PlanImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                user=request.user,
                department=plan.department,
                kind=ImportKind.PLANS,
                upload=form.cleaned_data["file"],
                skip_invalid=False,
                options={"plan": plan.pk, "replace": form.cleaned_data["replace"]},
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            return redirect("imports:job", pk=job.pk)
    return render(
        request,
        "planning/plan_import.html",
        {"form": form, "plan": plan},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def plan_file(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = reverse("planning:plan_detail", args=[pk])
    plan = _writable_plan(request, pk)
    services.plan_file(plan=plan, filed_to=request.POST.get("filed_to", ""), actor=request.user)
    messages.success(request, "计划已备案")
    return redirect("planning:plan_detail", pk=pk)


@login_required
@require_POST
def plan_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    """调整 a filed or published plan (002 第十二条): its next version as a draft."""
    request.back_url = reverse("planning:plan_detail", args=[pk])
    plan = _writable_plan(request, pk)
    services.plan_adjust(plan=plan, reason=request.POST.get("reason", ""), actor=request.user)
    messages.success(
        request, "已开始调整：修改计划事项后重新备案、公开；调整前已公开的版本仍向社会公开"
    )
    return redirect("planning:plan_detail", pk=pk)


@login_required
@require_POST
def plan_publish(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = reverse("planning:plan_detail", args=[pk])
    plan = _writable_plan(request, pk)
    services.plan_publish(plan=plan, actor=request.user)
    messages.success(request, "计划已向社会公开")
    return redirect("planning:plan_detail", pk=pk)


# --- tasks -----------------------------------------------------------------------------


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    form = TaskFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    tasks = selectors.task_search(
        user=request.user,
        q=f.get("q") or "",
        status=f.get("status") or "",
        year=f.get("year"),
        department=f.get("department") or "",
    )
    rows = list_page(
        request,
        tasks,
        TASK_LIST,
        for_export=lambda q: q.select_related("department").prefetch_related("items", "partners"),
    )
    if isinstance(rows, FileResponse):
        return rows
    return render(
        request,
        "planning/task_list.html",
        {
            "form": form,
            "listing": rows,
            "page": rows.page,
            "can_create": selectors.planner_departments(user=request.user).exists(),
        },
    )


TASK_COLUMNS = (
    Column("code", "任务编号", ("code",), nowrap=True),
    Column("title", "任务名称", ("title",)),
    Column("kind", "类型", ("kind",), nowrap=True),
    Column("department", "牵头部门", ("department__code",)),
    Column("window", "执行期", ("window_start", "window_end"), nowrap=True),
    Column("status", "状态", ("status",), nowrap=True),
)
TASK_EXPORT_HEADERS = (
    "任务编号",
    "任务名称",
    "类型",
    "牵头部门",
    "配合部门",
    "抽查事项",
    "执行开始",
    "执行结束",
    "每组人数",
    "状态",
)


def _task_row(t) -> list:
    return [
        t.code,
        t.title,
        t.get_kind_display(),
        t.department.name,
        "、".join(d.name for d in t.partners.all()),
        "、".join(i.code for i in t.items.all()),
        t.window_start,
        t.window_end,
        t.team_size,
        t.get_status_display(),
    ]


def _task_choices(departments: list[Department]):
    family: set[int] = set()
    for d in departments:
        family |= selectors.family_ids(department=d)
    items = (
        Item.objects.filter(department_id__in=family, is_repealed=False)
        .select_related("current")
        .order_by("code")
    )
    subtree: set[int] = set()
    for d in departments:
        subtree |= selectors.subtree_ids(department=d)
    rows = (
        PlanRow.objects.filter(plan__department_id__in=subtree)
        .select_related("plan__department")
        .order_by("-plan__year", "plan__department__code", "seq")
    )
    tags = list(Tag.objects.filter(department_id__in=family).order_by("department__code", "name"))
    return items, rows, tags


def _task_page(
    request: HttpRequest,
    *,
    departments: list[Department],
    task: Task | None,
    initial: dict,
    class_initial: list[dict],
) -> HttpResponse:
    items, rows, tags = _task_choices(departments)
    all_departments = Department.objects.filter(is_active=True).order_by("code")
    form = TaskForm(
        request.POST or None,
        departments=departments,
        items=items,
        all_departments=all_departments,
        rows=rows,
        lock_department=task is not None,
        initial=initial,
    )
    formset = TargetClassFormSet(
        request.POST or None, initial=class_initial, prefix="classes", form_kwargs={"tags": tags}
    )
    if request.method == "POST" and form.is_valid() & formset.is_valid():
        tags_by_pk = {t.pk: t for t in tags}
        classes = [f.to_input(tags_by_pk) for f in formset.forms if not f.is_blank()]
        spec = task_input(form, classes)
        try:
            if task is None:
                department = next(
                    d for d in departments if d.code == form.cleaned_data["department"]
                )
                row = next((r for r in rows if r.pk == form.cleaned_data["plan_row"]), None)
                task = services.task_create(
                    department=department, spec=spec, plan_row=row, actor=request.user
                )
            else:
                task = services.task_update(task=task, spec=spec, actor=request.user)
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已保存抽查任务 {task.code}")
            return redirect("planning:task_detail", pk=task.pk)
    return render(
        request,
        "planning/task_form.html",
        {
            "form": form,
            "formset": formset,
            "task": task,
            "title": f"修改抽查任务 {task.code}" if task else "新建抽查任务",
        },
    )


@login_required
def task_create(request: HttpRequest) -> HttpResponse:
    departments = list(selectors.planner_departments(user=request.user))
    if not departments:
        raise NotAllowed("只有抽查操作员可以设置抽查任务")
    initial: dict = {
        "department": departments[0].code,
        "team_size": 2,
        "inspector_capacity": 10,
        "kind": TaskKind.AD_HOC,
    }
    class_initial = [{"code": "all", "name": "全部检查对象", "mode": "undirected"}]
    row_pk = request.GET.get("row")
    if row_pk and row_pk.isdigit():
        row = (
            PlanRow.objects.filter(
                pk=int(row_pk),
                plan__department_id__in=selectors.planning_writable_ids(user=request.user),
            )
            .select_related("plan__department")
            .first()
        )
        if row is not None:
            spec = services.task_input_from_row(row=row)
            initial.update(
                kind=TaskKind.PLANNED,
                plan_row=row.pk,
                title=spec.title,
                items=spec.items,
                window_start=spec.window_start,
                window_end=spec.window_end,
                department=row.plan.department.code,
            )
            c = spec.classes[0]
            class_initial = [
                {
                    "code": c.code,
                    "name": c.name,
                    "mode": c.mode,
                    "ratio": f"{c.ratio.normalize():f}" if c.ratio is not None else "",
                    "count": c.count,
                }
            ]
    return _task_page(
        request, departments=departments, task=None, initial=initial, class_initial=class_initial
    )


def _writable_task(request: HttpRequest, pk: int) -> Task:
    task = selectors.task_get(user=request.user, pk=pk)
    if not selectors.task_can_write(user=request.user, task=task):
        raise NotAllowed(f"您不是牵头部门“{task.department.name}”的抽查操作员，不能修改此任务")
    return task


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = _writable_task(request, pk)
    if task.status != TaskStatus.DRAFT:
        messages.error(request, f"任务 {task.code} 已{task.get_status_display()}，不能再修改")
        return redirect("planning:task_detail", pk=task.pk)
    initial = {
        name: getattr(task, name)
        for name in (
            "kind",
            "code",
            "title",
            "description",
            "window_start",
            "window_end",
            "team_size",
            "inspector_capacity",
            "exclude_recent_days",
            "inspector_category",
            "include_experts",
            "include_neighbour_inspectors",
        )
    }
    initial.update(
        department=task.department.code,
        plan_row=task.plan_row_id,
        items=list(task.items.all()),
        partners=list(task.partners.all()),
        neighbour_departments=list(task.neighbour_departments.all()),
    )
    class_initial = [TargetClassForm.initial_from(c) for c in selectors.task_classes(task=task)]
    return _task_page(
        request,
        departments=[task.department],
        task=task,
        initial=initial,
        class_initial=class_initial,
    )


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    classes = list(selectors.task_classes(task=task))
    for c in classes:
        c.conditions = selectors.class_conditions(cls=c)
    return render(
        request,
        "planning/task_detail.html",
        {
            "task": task,
            "classes": classes,
            "items": task.items.select_related("current").order_by("code"),
            "partners": task.partners.order_by("code"),
            "answers": selectors.partner_answers(task=task),
            "my_partner_depts": _answering(request.user, task),
            "neighbours": task.neighbour_departments.order_by("code"),
            "can_write": selectors.task_can_write(user=request.user, task=task),
            "cancel_form": TaskCancelForm(),
        },
    )


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    request.back_url = reverse("planning:task_detail", args=[pk])
    task = _writable_task(request, pk)
    services.task_cancel(task=task, reason=request.POST.get("reason", ""), actor=request.user)
    messages.success(request, "任务已撤销")
    return redirect("planning:task_detail", pk=pk)


def _answering(user, task: Task) -> list:
    """The partner departments of ``task`` the user may answer for (its 抽查操作员)."""
    writable = selectors.planning_writable_ids(user=user)
    return [d for d in task.partners.order_by("code") if d.pk in writable]


@login_required
@require_POST
def task_partner(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner's answer to a joint task: 参加 with its items, or 不参加 with its reason."""
    task = selectors.task_get(user=request.user, pk=pk)
    code = request.POST.get("department", "")
    dept = next((d for d in _answering(request.user, task) if d.code == code), None)
    if dept is None:
        raise NotAllowed("只有配合部门的抽查操作员可以答复联合抽查邀请")
    accept = request.POST.get("answer") == "accept"
    items = list(
        Item.objects.filter(pk__in=[v for v in request.POST.getlist("items") if v.isdigit()])
    )
    try:
        services.task_partner_respond(
            task=task,
            department=dept,
            actor=request.user,
            accept=accept,
            items=items,
            inspector_category=request.POST.get("inspector_category", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"已答复：{dept.name}{'参加' if accept else '不参加'}本次联合抽查"
        )
    return redirect("planning:task_detail", pk=task.pk)


TASK_LIST = ListSpec(
    columns=TASK_COLUMNS,
    default_sort="-window",
    title="抽查任务",
    headers=TASK_EXPORT_HEADERS,
    row=_task_row,
    per_page=PAGE_SIZE,
)
