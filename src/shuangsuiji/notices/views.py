from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shuangsuiji.notices import selectors, services
from shuangsuiji.notices.services import email_enabled

PAGE_SIZE = 30


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notices_for(user=request.user, unread=unread_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "extra_query": "&unread=1" if unread_only else "",
            "email_on": selectors.email_wanted(user=request.user),
            "email_enabled": email_enabled(),
            "has_address": bool(request.user.email),
        },
    )


@login_required
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Marks the message read and goes where it points (only within this site)."""
    notice = services.notice_open(
        user=request.user, notice=selectors.notice_get(user=request.user, pk=pk)
    )
    target = notice.url or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notices:list")


@login_required
@require_POST
def notices_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notices_read_all(user=request.user)
    messages.success(request, f"已将{count}条消息标为已读")
    return redirect("notices:list")


@login_required
@require_POST
def notice_setting(request: HttpRequest) -> HttpResponse:
    email = request.POST.get("email") == "1"
    services.notice_setting_set(user=request.user, email=email)
    messages.success(
        request, "已开启邮件提醒" if email else "已关闭邮件提醒，消息仍会出现在站内消息中"
    )
    return redirect("notices:list")
