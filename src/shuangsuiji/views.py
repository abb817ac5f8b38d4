"""The staff home page (工作台): a project-level view, since it gathers what every app offers."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shuangsuiji.accounts.selectors import departments_readable
from shuangsuiji.workdays.services import calendar_reminder


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # 系统管理员 keep the holiday calendar: from 1 November they are told when next year's
    # notice is missing (deadlines reaching it are provisional until it is entered).
    reminder = calendar_reminder(today=timezone.localdate()) if request.user.is_superuser else ""
    return render(
        request,
        "home.html",
        {"departments": departments_readable(user=request.user), "calendar_reminder": reminder},
    )
