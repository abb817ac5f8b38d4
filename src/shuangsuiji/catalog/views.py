"""Pages of the 抽查事项清单. They translate requests into selector/service calls and back;
a refusal no form shows becomes a page in common/middleware.py."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.selectors import departments_readable, departments_writable
from shuangsuiji.catalog import rules, selectors, services
from shuangsuiji.catalog.forms import (
    ItemContentForm,
    ItemCopyForm,
    ItemCreateForm,
    ItemFilterForm,
    ItemRepealForm,
    ItemReviseForm,
)
from shuangsuiji.catalog.importing import COLUMNS as ITEM_COLUMNS_IMPORT
from shuangsuiji.catalog.importing import item_row
from shuangsuiji.catalog.models import CapMode, Item, SupervisionRule
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.common.listing import Column, ListSpec, list_page
from shuangsuiji.common.text import cn_date
from shuangsuiji.imports.tabular import cell_date

PAGE_SIZE = 20


def _readable_item(request: HttpRequest, pk: int) -> Item:
    return selectors.item_get(user=request.user, pk=pk)


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    departments = list(departments_readable(user=request.user))
    form = ItemFilterForm(request.GET or None, departments=departments)
    filters = (
        form.cleaned_data if form.is_valid() else {}
    )  # the form offers only what item_search takes
    items = selectors.item_search(
        user=request.user,
        q=filters.get("q", ""),
        category=filters.get("category", ""),
        department=filters.get("department", ""),
        include_repealed=bool(filters.get("include_repealed")),
    )
    rows = list_page(request, items, ITEM_LIST)
    if isinstance(rows, FileResponse):
        return rows
    return render(
        request,
        "catalog/item_list.html",
        {
            "form": form,
            "listing": rows,
            "page": rows.page,
            "can_create": departments_writable(user=request.user).exists(),
        },
    )


ITEM_COLUMNS = (
    Column("code", "事项编码", ("code",), nowrap=True),
    Column("name", "事项名称", ("current__name",)),
    Column("category", "事项类别", ("current__category",), nowrap=True),
    Column("target", "检查对象", ("current__target_type",)),
    Column("methods", "检查方式"),
    Column("ratio", "抽查比例", ("current__default_ratio",), nowrap=True),
    Column("department", "所属部门", ("department__code",)),
    Column("version", "版本", ("current__number",), nowrap=True),
    Column("effective", "生效日期", ("current__effective_date",), nowrap=True),
)
# The export of the list is the file ``ssj export items`` writes, row for row (the import's
# headers: it re-imports unchanged), for the items the list shows.
ITEM_LIST = ListSpec(
    columns=ITEM_COLUMNS,
    default_sort="code",
    title="抽查事项清单",
    headers=tuple(c.header for c in ITEM_COLUMNS_IMPORT),
    row=item_row,
    per_page=PAGE_SIZE,
)


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _readable_item(request, pk)
    return render(
        request,
        "catalog/item_detail.html",
        {
            "item": item,
            "current": item.current,
            "history": selectors.item_history(item=item),
            "can_write": selectors.item_can_write(user=request.user, item=item),
            "source_changed": selectors.item_source_changed(item=item),
            "copies": item.copies.select_related("department").order_by("department__code"),
        },
    )


@login_required
def item_create(request: HttpRequest) -> HttpResponse:
    departments = list(departments_writable(user=request.user))
    if not departments:
        raise NotAllowed("只有部门管理员可以新增抽查事项")
    form = ItemCreateForm(
        request.POST or None,
        departments=departments,
        initial={"effective_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        department = next(d for d in departments if d.code == form.cleaned_data["department"])
        try:
            item = services.item_create(
                department=department,
                code=form.cleaned_data["code"],
                data=form.content_data(),
                effective_date=form.cleaned_data["effective_date"],
                change_reason=form.cleaned_data["change_reason"],
                actor=request.user,
            )
        except (ValidationFailed, Conflict) as exc:  # a Conflict names its field too
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已新增抽查事项 {item.code} {item.current.name}")
            return redirect("catalog:item_detail", pk=item.pk)
    return render(request, "catalog/item_form.html", {"form": form, "title": "新增抽查事项"})


def _writable_item(request: HttpRequest, pk: int) -> Item:
    item = _readable_item(request, pk)
    if not selectors.item_can_write(user=request.user, item=item):
        raise NotAllowed(f"您不是“{item.department.name}”的部门管理员，不能修改其抽查事项")
    return item


@login_required
def item_revise(request: HttpRequest, pk: int) -> HttpResponse:
    item = _writable_item(request, pk)
    if item.is_repealed:
        messages.error(request, f"事项 {item.code} 已废止，不能再修订")
        return redirect("catalog:item_detail", pk=item.pk)
    initial = {
        **ItemContentForm.initial_from(item.current),
        "expected_number": item.current.number,
        "effective_date": timezone.localdate(),
    }
    form = ItemReviseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.item_revise(
                item=item,
                data=form.content_data(),
                change_kind=form.cleaned_data["change_kind"],
                change_reason=form.cleaned_data["change_reason"],
                effective_date=form.cleaned_data["effective_date"],
                expected_number=form.cleaned_data["expected_number"],
                actor=request.user,
            )
        except (ValidationFailed, Conflict) as exc:  # a Conflict names its field too
            form.add_service_errors(exc)
        else:
            messages.success(
                request, f"已保存为第{version.number}版（{version.get_change_kind_display()}）"
            )
            return redirect("catalog:item_detail", pk=item.pk)
    return render(
        request,
        "catalog/item_form.html",
        {
            "form": form,
            "item": item,
            "title": f"修订抽查事项 {item.code}",
            "note": f"基于现行第{item.current.number}版修改；保存后生成新版本，原版本保留不变。",
        },
    )


@login_required
def item_repeal(request: HttpRequest, pk: int) -> HttpResponse:
    item = _writable_item(request, pk)
    if item.is_repealed:
        messages.error(request, f"事项 {item.code} 已废止")
        return redirect("catalog:item_detail", pk=item.pk)
    form = ItemRepealForm(
        request.POST or None,
        initial={"expected_number": item.current.number, "effective_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.item_repeal(
                item=item,
                change_reason=form.cleaned_data["change_reason"],
                effective_date=form.cleaned_data["effective_date"],
                expected_number=form.cleaned_data["expected_number"],
                actor=request.user,
            )
        except (ValidationFailed, Conflict) as exc:  # a Conflict names its field too
            form.add_service_errors(exc)
        else:
            messages.success(request, f"事项 {item.code} 已废止")
            return redirect("catalog:item_detail", pk=item.pk)
    return render(request, "catalog/item_repeal.html", {"form": form, "item": item})


@login_required
def item_copy(request: HttpRequest) -> HttpResponse:
    """引用上级清单 [001 三(一)]: pick the target department, then items of the levels above it."""
    departments = [d for d in departments_writable(user=request.user) if d.parent_id is not None]
    if not departments:
        raise NotAllowed("只有下级部门的部门管理员可以引用上级清单")
    code = request.POST.get("department") or request.GET.get("department") or departments[0].code
    department = next((d for d in departments if d.code == code), None)
    if department is None:
        raise NotAllowed(f"您不能为部门 {code} 引用上级清单")
    candidates = list(selectors.item_copy_candidates(department=department))
    form = ItemCopyForm(
        request.POST or None,
        candidates=candidates,
        initial={"effective_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        chosen = {int(pk) for pk in form.cleaned_data["items"]}
        try:
            copies = services.item_copy(
                department=department,
                items=[i for i in candidates if i.pk in chosen],
                actor=request.user,
                effective_date=form.cleaned_data["effective_date"],
                change_reason=form.cleaned_data["change_reason"],
            )
        except (ValidationFailed, Conflict) as exc:  # a Conflict names its field too
            form.add_service_errors(exc)
        else:
            messages.success(request, f"已引用{len(copies)}个上级事项到“{department.name}”")
            return redirect(
                f"{reverse('catalog:item_list')}?{urlencode({'department': department.code})}"
            )
    return render(
        request,
        "catalog/item_copy.html",
        {
            "form": form,
            "department": department,
            "departments": departments,
            "candidates": candidates,
        },
    )


@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    """抽查规则 (issue 14 第 2 项): the department admin sets, with an effective date, the
    cap on draws per entity (yearly, monthly or none), the minimum ratio and rounds and the
    results' publication deadline, for all items or one."""
    departments = list(departments_writable(user=request.user))
    if not departments:
        raise NotAllowed("只有部门管理员可以设置抽查规则")
    code = request.POST.get("department") or request.GET.get("department") or departments[0].code
    dept = next((d for d in departments if d.code == code), None)
    if dept is None:
        raise NotAllowed("只能设置本部门的抽查规则")
    items = list(Item.objects.filter(department=dept, is_repealed=False).select_related("current"))
    fields = (
        "item",
        "effective_from",
        "cap_mode",
        "cap",
        "min_ratio",
        "min_rounds",
        "publish_workdays",
        "note",
    )
    values = {k: request.POST.get(k, "") for k in fields}
    status = 200
    if request.method == "POST":
        item = next((i for i in items if str(i.pk) == values["item"]), None)
        try:
            try:
                when = cell_date(values["effective_from"])
            except ValueError as exc:
                raise ValidationFailed(f"生效日期：{exc}", field="effective_from") from None
            if values["item"] and item is None:
                raise ValidationFailed("只能为本部门清单中的抽查事项设置规则", field="item")
            rules.supervision_rule_set(
                department=dept,
                actor=request.user,
                effective_from=when,
                item=item,
                cap_mode=values["cap_mode"],
                cap=values["cap"],
                min_ratio=values["min_ratio"],
                min_rounds=values["min_rounds"],
                publish_workdays=values["publish_workdays"],
                note=values["note"],
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            status = 422
        else:
            today = timezone.localdate()
            messages.success(
                request,
                "已保存抽查规则，今天起生效"
                if when <= today
                else f"已保存抽查规则，自{cn_date(when)}起生效（生效前仍按现行规则，见“设置记录”）",
            )
            return redirect(f"{request.path}?department={dept.code}")
    today = timezone.localdate()
    return render(
        request,
        "catalog/rules.html",
        {
            "departments": departments,
            "dept": dept,
            "items": items,
            "values": values,
            "cap_modes": CapMode.choices,
            "current": rules.rule_for(department=dept, item=None, on=today),
            "per_item": [(i, rules.rule_for(department=dept, item=i, on=today)) for i in items],
            "history": SupervisionRule.objects.filter(department=dept)
            .select_related("item", "set_by")
            .order_by("-effective_from", "-id")[:200],
        },
        status=status,
    )
