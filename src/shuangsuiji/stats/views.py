"""统计分析 page (issue 12 第 3 项) and its xlsx export."""

from __future__ import annotations

import calendar
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.xlsx import workbook
from shuangsuiji.licences.selectors import feedback_rate
from shuangsuiji.registry.choices import RiskClass
from shuangsuiji.stats import selectors
from shuangsuiji.stats.tables import Row, conclusion_rows, figure_rows

YEARS_SHOWN = 6


@login_required
def stats_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    departments = selectors.stats_departments(user=request.user)
    leading = selectors.is_leading_office(user=request.user)
    ctx: dict = {
        "departments": departments,
        "years": list(range(today.year, today.year - YEARS_SHOWN, -1)),
        "risks": [(v or "none", label) for v, label in RiskClass.choices],
        "leading": leading,
        "months": list(range(1, 13)),
        "errors": [],
    }
    if not departments:
        ctx["errors"].append("您没有可查看统计的部门。")
        return render(request, "stats/page.html", ctx)
    g = request.GET
    try:
        year = selectors.year_check(g.get("year") or today.year, today=today)
        dept, _ids = selectors.scope_for(
            user=request.user, code=g.get("department") or _default_code(request.user, departments)
        )
        risk = selectors.risk_check(g.get("risk") or None)
        month = selectors.month_check(g.get("month") or None)
        item_id = _item(g.get("item"))
    except ServiceError as exc:
        ctx["errors"].append(exc.message)
        return render(request, "stats/page.html", ctx, status=400)
    fig = selectors.figures_for(
        department=dept, year=year, today=today, item_id=item_id, risk_class=risk, month=month
    )
    rows = figure_rows(fig, department=dept, risk=risk, item_id=item_id)
    if risk is None and item_id is None:
        rows.append(_feedback_row(ids=_ids, year=year, month=month, today=today))
    conclusions = conclusion_rows(
        fig, department=dept, filtered=risk is not None or item_id is not None
    )
    side = []
    if leading and (dept.is_leading_office or g.get("compare") == "1"):
        side = selectors.figures_by_top(year=year, today=today, month=month)
    items = (
        Item.objects.filter(department__in=departments)
        .select_related("current")
        .order_by("code")[:500]
    )
    ctx.update(
        {
            "year": year,
            "month": month,
            "dept": dept,
            "risk": g.get("risk") or "",
            "item_id": item_id,
            "items": items,
            "fig": fig,
            "rows": rows,
            "conclusions": conclusions,
            "side": side,
            "chart": {
                "conclusions": [[r.label, r.value] for r in conclusions],
                "departments": [[d.name, f.inspected, f.results, f.publish_rate] for d, f in side],
            },
        }
    )
    if g.get("format") == "xlsx":
        sheets = [
            (
                "统计",
                ["指标", "数值", "说明"],
                [[r.label, r.value, r.note] for r in rows],
            ),
            ("检查结论", ["检查结论", "检查结果数"], [[r.label, r.value] for r in conclusions]),
        ]
        if side:
            sheets.append(
                (
                    "各部门",
                    [
                        "部门",
                        "检查对象",
                        "抽查任务",
                        "被抽中",
                        "已检查",
                        "覆盖率%",
                        "检查结果",
                        "发现问题率%",
                        "公示率%",
                    ],
                    [
                        [
                            d.name,
                            f.entities,
                            f.tasks,
                            f.drawn,
                            f.inspected,
                            f.coverage,
                            f.results,
                            f.problem_rate,
                            f.publish_rate,
                        ]
                        for d, f in side
                    ],
                )
            )
        response = HttpResponse(
            workbook(sheets),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"统计分析-{dept.code}-{year}" + (f"-{month:02d}" if month else "") + ".xlsx"
        from urllib.parse import quote

        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    return render(request, "stats/page.html", ctx)


def _feedback_row(*, ids, year: int, month: int | None, today) -> Row:
    """双告知反馈率 (004 一, issue 14 第 5 项) of the notices received in the period."""
    start = dt.date(year, month or 1, 1)
    end = dt.date(year, month or 12, calendar.monthrange(year, month or 12)[1])
    rate = feedback_rate(department_ids=ids, start=start, end=end, today=today)
    return Row(
        "双告知反馈率",
        round(rate.on_time * 100 / rate.due, 1) if rate.due else None,
        unit="%",
        url=reverse("licences:list"),
        note=f"按期反馈 {rate.on_time} 条 / 应反馈（已反馈或已到期） {rate.due} 条（接收 {rate.received} 条，"
        f"逾期未反馈 {rate.overdue_pending} 条；004 一）",
    )


def _default_code(user, departments) -> str:
    """The user's own department first (the leading office lands on its side-by-side view)."""
    from shuangsuiji.accounts.models import Membership

    own = Membership.objects.filter(user=user).order_by("department__code").first()
    if own is not None and any(d.pk == own.department_id for d in departments):
        return own.department.code
    return departments[0].code


def _item(value: str | None) -> int | None:
    from shuangsuiji.common.errors import ValidationFailed

    if not value:
        return None
    try:
        pk = int(value)
    except ValueError:
        raise ValidationFailed(f"抽查事项无效：{value}", field="item") from None
    if not Item.objects.filter(pk=pk).exists():
        raise ValidationFailed(f"抽查事项不存在：{value}", field="item")
    return pk


# --- reports (issue 12 第 4 项) -----------------------------------------------------------


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The department's reports: each period with its due date and saved versions, and the
    form to write the next one."""
    from shuangsuiji.accounts.selectors import user_has_role
    from shuangsuiji.stats.models import REPORT_SECTIONS, Report, ReportKind
    from shuangsuiji.stats.reports import WRITERS, report_due, report_period_check, report_save

    today = timezone.localdate()
    departments = selectors.stats_departments(user=request.user)
    g = request.POST if request.method == "POST" else request.GET
    errors: list[str] = []
    dept = None
    kind = g.get("kind") or ReportKind.MONTHLY
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    year = g.get("year") or (last_month.year if kind == ReportKind.MONTHLY else today.year)
    month = g.get("month") or (last_month.month if kind == ReportKind.MONTHLY else "")
    if departments:
        try:
            dept, _ids = selectors.scope_for(
                user=request.user, code=g.get("department") or departments[0].code
            )
        except ServiceError as exc:
            errors.append(exc.message)
    if request.method == "POST" and dept is not None:
        sections = {key: request.POST.get(key, "") for key, _l in REPORT_SECTIONS.get(kind, [])}
        try:
            report = report_save(
                department=dept,
                kind=kind,
                year=year,
                month=month,
                sections=sections,
                actor=request.user,
                today=today,
            )
        except ServiceError as exc:
            errors.append(exc.message)
        else:
            from django.contrib import messages
            from django.shortcuts import redirect

            messages.success(request, f"已保存：{report}")
            return redirect("stats:report", pk=report.pk)
    reports = (
        Report.objects.filter(department=dept).select_related("created_by")[:200]
        if dept is not None
        else []
    )
    due = None
    if dept is not None:
        try:
            y, m = report_period_check(kind=kind, year=year, month=month, today=today)
            due = report_due(department=dept, kind=kind, year=y, month=m)
        except ServiceError:
            pass  # the period is checked again, and said, when the report is saved
    return render(
        request,
        "stats/reports.html",
        {
            "departments": departments,
            "dept": dept,
            "kind": kind,
            "kinds": ReportKind.choices,
            "year": year,
            "month": month,
            "months": list(range(1, 13)),
            "sections": [
                (k, label, request.POST.get(k, "")) for k, label in REPORT_SECTIONS.get(kind, [])
            ],
            "reports": reports,
            "can_write": dept is not None
            and any(user_has_role(user=request.user, role=r, department=dept) for r in WRITERS),
            "due": due,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from urllib.parse import quote

    from shuangsuiji.common.errors import NotFound
    from shuangsuiji.stats.models import REPORT_SECTIONS, Report
    from shuangsuiji.stats.reports import report_due, report_pdf, report_tables, report_xlsx

    report = Report.objects.select_related("department", "created_by").filter(pk=pk).first()
    if report is None or report.department not in selectors.stats_departments(user=request.user):
        raise NotFound("没有该报告或您无权查看")
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        data = report_xlsx(report) if fmt == "xlsx" else report_pdf(report)
        kind = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "application/pdf"
        )
        response = HttpResponse(data, content_type=kind)
        name = f"{report.department.name}{report.period}{report.get_kind_display()}-第{report.version}版.{fmt}"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    rows, conclusions = report_tables(report)
    return render(
        request,
        "stats/report.html",
        {
            "report": report,
            "texts": [
                (label, report.sections.get(key, "")) for key, label in REPORT_SECTIONS[report.kind]
            ],
            "rows": rows,
            "conclusions": conclusions,
            "due": report_due(
                department=report.department, kind=report.kind, year=report.year, month=report.month
            ),
        },
    )
