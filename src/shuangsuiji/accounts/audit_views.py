"""审计日志 page for the 审计员 (issue 12 第 6 项): every audit event of his departments
(with their sub-units), filtered, exported, and the hash chain checked on demand — the
same check as `ssj audit verify`. Here in ``accounts`` because who sees which events is a
question of departments and roles, which the audit app (below accounts) does not know."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import department_ids_for
from shuangsuiji.audit.labels import action_label
from shuangsuiji.audit.models import Event
from shuangsuiji.audit.services import chain_verify
from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.common.xlsx import workbook

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


def _scope(user: User) -> QuerySet[Event]:
    """Events the user may read: a system admin all; an 审计员 those of his departments."""
    if user.is_superuser:
        return Event.objects.all()
    ids = department_ids_for(user=user, roles=[Role.AUDITOR])
    if not ids:
        raise NotAllowed("审计日志只对审计员和系统管理员开放")
    return Event.objects.filter(department_id__in=ids)


def _date(text: str, errors: list[str], label: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label}格式无效：{text}（应如 2024-09-30）")
        return None


def _filtered(request: HttpRequest) -> tuple[QuerySet[Event], dict, list[str]]:
    qs = _scope(request.user)
    g = request.GET
    errors: list[str] = []
    f = {
        "actor": g.get("actor", "").strip()[:100],
        "action": g.get("action", "").strip()[:64],
        "object": g.get("object", "").strip()[:100],
        "since": g.get("since", "").strip()[:10],
        "until": g.get("until", "").strip()[:10],
    }
    if f["actor"]:
        qs = qs.filter(actor_name__icontains=f["actor"])
    if f["action"]:
        qs = qs.filter(action__startswith=f["action"])
    if f["object"]:
        qs = qs.filter(
            Q(object_repr__icontains=f["object"])
            | Q(object_id=f["object"])
            | Q(object_type=f["object"])
        )
    since, until = _date(f["since"], errors, "起始日期"), _date(f["until"], errors, "截止日期")
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(created_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz))
    if until:
        qs = qs.filter(
            created_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    return qs.order_by("-seq"), f, errors


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    qs, f, errors = _filtered(request)
    if request.GET.get("format") == "xlsx" and not errors:
        return _export(qs)
    page = Paginator(qs.select_related("department"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in f.items() if v})
    actions = sorted(
        {a.split(".")[0] for a in Event.objects.values_list("action", flat=True).distinct()[:500]}
    )
    return render(
        request,
        "accounts/audit_log.html",
        {
            "page": page,
            "f": f,
            "errors": errors,
            "actions": actions,
            "extra_query": f"&{query}" if query else "",
            "query": query,
            "verify": request.session.pop("audit_verify", None),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Runs the whole chain check (the same as `ssj audit verify`) and shows the outcome."""
    from django.shortcuts import redirect

    _scope(request.user)  # auditors and system admins only
    report = chain_verify()
    request.session["audit_verify"] = {
        "ok": report.ok,
        "checked": report.checked,
        "reason": report.reason,
        "at": timezone.localtime().strftime("%Y年%-m月%-d日 %H:%M"),
    }
    return redirect("audit_log")


def _export(qs: QuerySet[Event]) -> HttpResponse:
    rows = [
        [
            e.seq,
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name,
            e.department.name if e.department else "",
            action_label(e.action),
            e.object_type,
            e.object_id,
            mask_personal_numbers(e.object_repr),
            e.hash,
        ]
        for e in qs.select_related("department")[:EXPORT_LIMIT]
    ]
    data = workbook(
        [
            (
                "审计日志",
                ["序号", "时间", "操作人", "部门", "动作", "对象类型", "对象标识", "对象", "哈希"],
                rows,
            )
        ]
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"审计日志-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
