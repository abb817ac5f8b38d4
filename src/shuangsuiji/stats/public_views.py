"""年度统计 on the public portal (issue 12 第 5 项): per department (with its sub-units) the
year's tasks, entities inspected, results by conclusion and publication on time. Counts
only: no name, no person, and only results whose current version is public."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from shuangsuiji.disclosure.public_views import cached
from shuangsuiji.inspection.choices import Conclusion
from shuangsuiji.stats import selectors


@require_safe
@cached(300)
def public_stats(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    years = selectors.years_with_tasks()
    wanted = request.GET.get("year", "")
    year = None
    error = ""
    if wanted:
        if wanted.isdigit() and int(wanted) in years:
            year = int(wanted)
        else:
            error = f"没有 {wanted[:10]} 年度的统计，请从下面的年度中选择。"
    if year is None and years:
        year = years[0]
    rows = []
    if year is not None:
        for dept, fig in selectors.figures_by_top(year=year, today=today, published_only=True):
            if fig.tasks or fig.results:
                counts = [fig.by_conclusion.get(c.value, 0) for c in Conclusion]
                rows.append((dept, fig, counts))
    return render(
        request,
        "stats/public.html",
        {
            "years": years,
            "year": year,
            "rows": rows,
            "conclusions": list(Conclusion),
            "error": error,
        },
        status=404 if error else 200,
    )
