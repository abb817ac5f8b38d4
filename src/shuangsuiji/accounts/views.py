from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.forms import LoginForm, TokenForm
from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.http import client_address


def address_failures(*, address: str) -> int:
    """Failed logins from one address within the lockout window, over every account."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return total or 0


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), saying the lock in minutes (axes
    itself hands the template an ISO duration such as "PT15M")."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "accounts/locked.html", {"lockout_minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class LoginView(auth_views.LoginView):
    """Django's login, plus a throttle per address: one password tried over many account
    names is stopped after ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures (django-axes locks each
    account only per address, so that nobody can lock someone else out)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        if (
            address_failures(address=client_address(request))
            >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
        ):
            minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, f"本机地址登录失败次数过多，请 {minutes} 分钟后再试。")
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(minutes * 60)
            return response
        return super().post(request, *args, **kwargs)


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
