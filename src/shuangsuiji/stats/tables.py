"""The figures as labelled rows: one list for the page, the xlsx export and the reports."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from shuangsuiji.accounts.models import Department
from shuangsuiji.inspection.choices import Conclusion, VisitStatus
from shuangsuiji.stats.figures import Figures


@dataclass
class Row:
    label: str
    value: int | float | None
    unit: str = ""  # "%" for shares
    url: str = ""  # the list it counts, where the list can show exactly those rows
    note: str = ""

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.unit == "%":
            return f"{self.value:g}%"
        return f"{self.value:,}"


def _link(name: str, **params) -> str:
    if params.pop("_off", False):
        return ""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def figure_rows(
    fig: Figures,
    *,
    department: Department,
    risk: str | None = None,
    item_id: int | None = None,
) -> list[Row]:
    """The figures with the list each counts. A number links only where that list can show
    exactly the rows counted: not for a month, nor under an item or risk filter the lists do
    not have; the library link only for a department without sub-units (its filter is
    the department itself)."""
    code, year = department.code, fig.year
    off = fig.month is not None or item_id is not None or risk is not None
    visits = {"department": code, "year": year, "_off": off}
    own_library = not Department.objects.filter(parent=department).exists()
    return [
        Row(
            "名录库中的检查对象",
            fig.entities,
            url=_link(
                "registry:entity_list",
                department=department.pk,
                risk_class=("none" if risk == "" else risk),
                _off=not own_library,
            ),
        ),
        Row(
            "抽查任务",
            fig.tasks,
            url=_link("planning:task_list", department=code, year=year, _off=off),
            note="不含已撤销的任务",
        ),
        Row("有抽查任务的抽查事项", fig.items_with_task),
        Row("被抽中的检查对象", fig.drawn, note="已确认锁定的摇号；作废的摇号不计"),
        Row("检查（户次）", fig.visits, url=_link("inspection:list", **visits)),
        Row(
            "已检查的检查对象",
            fig.inspected,
            url=_link("inspection:list", status=VisitStatus.FORMED, **visits),
            note="检查结果已审核形成",
        ),
        Row("抽查覆盖率", fig.coverage, "%", note="已检查 / 名录库中的检查对象"),
        Row(
            "检查结果",
            fig.results,
            url=_link("inspection:list", status=VisitStatus.FORMED, **visits),
        ),
        Row("发现问题率", fig.problem_rate, "%", note="结论为发现问题的检查结果 / 检查结果"),
        Row("后续处置：开启", fig.followups_opened),
        Row("后续处置：办结", fig.followups_closed),
        Row(
            "检查结果按期录入率",
            fig.result_on_time_rate,
            "%",
            note=f"{fig.results_on_time} / {fig.results_due}",
        ),
        Row(
            "已公示的检查结果",
            fig.published,
            url=_link("inspection:list", published="yes", **visits),
        ),
        Row(
            "公示率（按期公示）",
            fig.publish_rate,
            "%",
            note=f"期限内公示 {fig.published_on_time} / 应公示 {fig.publish_due}（001 一）",
        ),
        Row(
            "联合抽查占比",
            fig.joint_share,
            "%",
            url=_link("inspection:list", joint="yes", **visits),
            note=f"{fig.joint_visits} / {fig.visits} 户次",
        ),
        Row("异议", fig.objections),
        Row("更正", fig.corrections),
    ]


def conclusion_rows(fig: Figures, *, department: Department, filtered: bool = False) -> list[Row]:
    return [
        Row(
            str(c.label),
            fig.by_conclusion.get(c.value, 0),
            url=_link(
                "inspection:list",
                department=department.code,
                year=fig.year,
                conclusion=c.value,
                _off=fig.month is not None or filtered,
            ),
        )
        for c in Conclusion
    ]
