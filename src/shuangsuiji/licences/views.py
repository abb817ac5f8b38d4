"""双告知 pages: the list of notices with their due days, one notice with its answer, and
the department's settings (反馈期限, 审批事项对应)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.selectors import department_subtree_ids_of, readable_department_ids
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.licences import selectors, services
from shuangsuiji.licences.choices import NoticeStatus
from shuangsuiji.licences.models import LicenceItemMap

PAGE_SIZE = 50


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    qs = selectors.notices_visible(user=request.user)
    status = request.GET.get("status", "")
    if status in NoticeStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.with_due(list(page.object_list), today=today)
    rate = selectors.feedback_rate(
        department_ids=readable_department_ids(user=request.user),
        start=today.replace(month=1, day=1),
        end=today,
        today=today,
    )
    return render(
        request,
        "licences/list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": NoticeStatus.choices,
            "rate": rate,
            "year": today.year,
            "can_set": selectors.departments_answering(user=request.user).exists(),
        },
    )


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get(user=request.user, pk=pk)
    [due] = selectors.with_due([notice], today=timezone.localdate())
    return render(
        request,
        "licences/detail.html",
        {
            "n": notice,
            "due": due,
            "can_answer": notice.status == NoticeStatus.PENDING
            and selectors.can_answer(user=request.user, notice=notice),
        },
    )


@login_required
@require_POST
def notice_answer(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get(user=request.user, pk=pk)
    today = timezone.localdate()
    if request.POST.get("action") == "accept":
        done = services.notice_accept(notice=notice, actor=request.user, today=today)
        messages.success(request, f"已认领：{done.licensee}已纳入检查对象名录库")
    elif request.POST.get("action") == "return":
        try:
            services.notice_return(
                notice=notice,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                today=today,
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已退回并记录理由")
    else:
        messages.error(request, "请选择认领或退回")
    return redirect("licences:detail", pk=notice.pk)


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    departments = list(selectors.departments_answering(user=request.user))
    if not departments:
        raise NotAllowed("只有部门管理员可以设置双告知")
    code = request.POST.get("department") or request.GET.get("department") or departments[0].code
    dept = next((d for d in departments if d.code == code), None)
    if dept is None:
        raise NotAllowed("只能设置本部门的双告知")
    maps = list(LicenceItemMap.objects.filter(department=dept).select_related("item"))
    values = {
        "ack_workdays": services.ack_workdays(department=dept),
        "maps": "\n".join(f"{m.licence_item}={m.item.code}" for m in maps),
    }
    status = 200
    if request.method == "POST":
        values = {
            "ack_workdays": request.POST.get("ack_workdays", ""),
            "maps": request.POST.get("maps", ""),
        }
        pairs: dict[str, str] = {}
        bad = []
        for number, line in enumerate(values["maps"].splitlines(), 1):
            name, sep, item = line.replace("＝", "=").partition("=")
            if not line.strip():
                continue
            if not sep or not name.strip() or not item.strip():
                bad.append(f"第{number}行“{line.strip()[:30]}”应写成：审批事项=抽查事项编码")
                continue
            pairs[name.strip()] = item.strip()
        try:
            if bad:
                raise ValidationFailed("；".join(bad), field="maps")
            services.licence_setting_set(
                department=dept, actor=request.user, ack_workdays=values["ack_workdays"], maps=pairs
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, f"已保存“{dept.name}”的双告知设置")
            return redirect(f"{request.path}?department={dept.code}")
    items = Item.objects.filter(
        department_id__in=department_subtree_ids_of(department=dept), is_repealed=False
    ).select_related("current", "department")
    return render(
        request,
        "licences/settings.html",
        {"departments": departments, "dept": dept, "values": values, "items": items},
        status=status,
    )
