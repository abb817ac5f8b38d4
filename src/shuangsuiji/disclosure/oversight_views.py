"""Staff pages of 督办 [002 第三十二条]: what is overdue or due soon, per department, and
for the leading office across all departments. Reads only (disclosure/deadlines.py)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.xlsx import book_open
from shuangsuiji.disclosure import deadlines
from shuangsuiji.disclosure.deadlines import ALL_DEPARTMENTS, DeadlineKind, DeadlineRow
from shuangsuiji.workdays.services import calendar_reminder

PAGE_SIZE = 100  # the counts and the Excel download cover every row
KIND_CHOICES = [(k.value, k.label) for k in DeadlineKind]


@dataclass
class Filters:
    kind: str
    department: str
    today: dt.date
    errors: list[str]

    @property
    def kinds(self) -> list[str] | None:
        return [self.kind] if self.kind else None

    def query(self) -> str:
        params = {"kind": self.kind, "department": self.department, "date": self.today.isoformat()}
        return urlencode({k: v for k, v in params.items() if v})


def _today() -> dt.date:
    return timezone.localdate()


def _filters(request: HttpRequest) -> Filters:
    errors = []
    kind = request.GET.get("kind", "").strip()
    if kind and kind not in DeadlineKind.values:
        errors.append(f"期限类型无效：{kind}")
        kind = ""
    today = _today()
    text = request.GET.get("date", "").strip()
    if text:
        try:
            today = dt.date.fromisoformat(text)
        except ValueError:
            errors.append(f"统计基准日格式无效：{text}（应如 2024-10-08）")
    return Filters(
        kind=kind, department=request.GET.get("department", "").strip(), today=today, errors=errors
    )


def _scope(request: HttpRequest, filters: Filters) -> deadlines.Scope:
    scope = deadlines.oversight_scope(user=request.user)
    if filters.department:
        try:
            ids = deadlines.department_subtree_ids(code=filters.department)
        except NotFound as exc:
            filters.errors.append(exc.message)
            return frozenset()
        scope = deadlines.scope_narrow(scope=scope, ids=ids)
    return scope


@login_required
def oversight_index(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    own = deadlines.oversight_scope(user=request.user)
    scope = _scope(request, filters)
    lists = deadlines.deadline_lists(departments=scope, today=filters.today, kinds=filters.kinds)
    overdue, soon = lists.overdue, lists.soon
    departments = list(deadlines.scope_departments(scope=own))
    return render(
        request,
        "disclosure/oversight.html",
        {
            "filters": filters,
            "kind_choices": KIND_CHOICES,
            "leading": own == ALL_DEPARTMENTS,
            "has_scope": own == ALL_DEPARTMENTS or bool(own),
            "departments": departments,
            "overdue": overdue,
            "page": Paginator(overdue, PAGE_SIZE).get_page(request.GET.get("page")),
            "soon": soon,
            # Deadlines that are not about a task (the reports, stats app), shown as they are:
            # the kind and department filters are the task deadlines'.
            "others": []
            if filters.kind
            else deadlines.other_deadlines(departments=scope, today=filters.today),
            "counts": [
                (DeadlineKind(k).label, k, n)
                for k, n in deadlines.kind_counts(rows=overdue).items()
            ],
            "groups": deadlines.rows_by_department(rows=overdue),
            "kinds": list(DeadlineKind),
            "rules": [(DeadlineKind(k).label, text) for k, text in deadlines.RULE_TEXT.items()],
            "calendar_reminder": calendar_reminder(today=_today()),
        },
    )


XLSX_HEADERS = [
    "部门",
    "期限类型",
    "适用规则",
    "任务编号",
    "任务名称",
    "检查对象",
    "统一社会信用代码",
    "异议受理编号",
    "起算事项",
    "起算日",
    "截止日",
    "逾期工作日",
    "说明",
    "链接",
]


def overdue_workbook(*, rows: list[DeadlineRow], today: dt.date, base_url: str) -> bytes:
    """The overdue list as xlsx. Entities appear by name and credit code only (no person's
    mobile or 身份证号 is ever part of a row)."""
    buf = io.BytesIO()
    # Text stays text: a name beginning with "=" must not become a formula.
    book = book_open(buf)
    sheet = book.add_worksheet("逾期事项")
    head = book.add_format({"bold": True, "bg_color": "#eef1f4", "border": 1})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(
        0,
        0,
        f"逾期事项清单（统计基准日 {today.isoformat()}，共 {len(rows)} 项）",
        book.add_format({"bold": True}),
    )
    for col, title in enumerate(XLSX_HEADERS):
        sheet.write(1, col, title, head)
    for r, row in enumerate(rows, start=2):
        values = [
            row.department.name,
            row.kind_label,
            row.rule_label,
            row.task.code,
            row.task.title,
            row.entity_name,
            row.credit_code,
            row.objection_number,
            row.start_label,
        ]
        for col, value in enumerate(values):
            sheet.write_string(r, col, value)
        sheet.write_datetime(r, 9, dt.datetime.combine(row.start, dt.time()), date_fmt)
        if row.due is not None:
            sheet.write_datetime(r, 10, dt.datetime.combine(row.due, dt.time()), date_fmt)
        if row.workdays_overdue is not None:
            sheet.write_number(r, 11, row.workdays_overdue)
        sheet.write_string(r, 12, row.note)
        sheet.write_string(r, 13, base_url + row.link if row.link else "")
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, max(1, len(rows) + 1), len(XLSX_HEADERS) - 1)
    for col, width in enumerate([22, 20, 20, 16, 26, 28, 22, 18, 10, 12, 12, 10, 40, 40]):
        sheet.set_column(col, col, width)
    book.close()
    return buf.getvalue()


@login_required
def oversight_export(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    scope = _scope(request, filters)
    rows = deadlines.overdue_items(departments=scope, today=filters.today, kinds=filters.kinds)
    data = overdue_workbook(
        rows=rows, today=filters.today, base_url=request.build_absolute_uri("/").rstrip("/")
    )
    name = f"逾期事项_{filters.today.isoformat()}.xlsx"
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="overdue_{filters.today.isoformat()}.xlsx"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    return response
