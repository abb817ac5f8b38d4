from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shuangsuiji.accounts.selectors import departments_readable


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"departments": departments_readable(user=request.user)})
