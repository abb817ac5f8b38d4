"""统计分析 page (issue 12 第 3 项) and its xlsx export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.xlsx import workbook
from shuangsuiji.registry.choices import RiskClass
from shuangsuiji.stats import selectors
from shuangsuiji.stats.tables import conclusion_rows, figure_rows

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
        "errors": [],
    }
    if not departments:
        ctx["errors"].append("您没有可查看统计的部门。")
        return render(request, "stats/page.html", ctx)
    g = request.GET
    try:
        year = selectors.year_check(g.get("year") or today.year, today=today)
        dept, _ids = selectors.scope_for(
            user=request.user, code=g.get("department") or departments[0].code
        )
        risk = selectors.risk_check(g.get("risk") or None)
        item_id = _item(g.get("item"))
    except ServiceError as exc:
        ctx["errors"].append(exc.message)
        return render(request, "stats/page.html", ctx, status=400)
    fig = selectors.figures_for(
        department=dept, year=year, today=today, item_id=item_id, risk_class=risk
    )
    rows = figure_rows(fig, department=dept, risk=risk)
    conclusions = conclusion_rows(fig, department=dept)
    side = []
    if leading:
        for top in selectors.top_departments():
            f = selectors.figures_for(department=top, year=year, today=today)
            side.append((top, f))
    items = Item.objects.filter(department__in=departments).order_by("code")[:500]
    ctx.update(
        {
            "year": year,
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
        name = f"统计分析-{dept.code}-{year}.xlsx"
        from urllib.parse import quote

        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    return render(request, "stats/page.html", ctx)


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
