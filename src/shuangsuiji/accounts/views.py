from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.forms import TokenForm
from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.common.errors import ServiceError


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("department").order_by("department__code")
    tokens = request.user.api_tokens.filter(is_active=True).order_by("-created_at")
    return render(
        request,
        "accounts/profile.html",
        {"memberships": memberships, "tokens": tokens, "form": TokenForm()},
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    secret = None
    if form.is_valid():
        try:
            _, secret = api_token_create(
                user=request.user, name=form.cleaned_data["name"], actor=request.user
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "请填写令牌用途")
    memberships = request.user.memberships.select_related("department").order_by("department__code")
    tokens = request.user.api_tokens.filter(is_active=True).order_by("-created_at")
    return render(
        request,
        "accounts/profile.html",
        {"memberships": memberships, "tokens": tokens, "form": TokenForm(), "new_secret": secret},
    )
