"""Demo reports (``ssj demo``, last): the reports the departments have already sent, each
saved through ``report_save`` on a day before its deadline (``demo.timeline``) —

- last year's annual report (000 四(三), mid-November);
- this year's monthly reports (004 四, by the 10th of the next month) up to the month
  before last, and this year's annual report once its week has come —

so 报告 shows a history and only the report now due is waiting (待办, 期限督办).
Loading twice changes nothing: a period already saved is left alone.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.demo.timeline import Timeline
from shuangsuiji.stats.models import Report, ReportKind
from shuangsuiji.stats.reports import report_due, report_save

WRITER = {"SJJW": "sj_operator", "ZPZJ": "zp_admin"}


def _monthly(month: int) -> dict[str, str]:
    return {
        "work": f"本月按年度抽查计划推进随机抽查工作，抽查结果均在规定时限内录入。（{month}月）",
        "problems": "发现的问题已当场责令整改，并按期复查。",
        "next": "下月继续按计划开展抽查，做好检查结果公示和后续监管。",
    }


ANNUAL = {
    "work": "全年按“一单两库一细则”开展随机抽查，计划事项均已实施，抽查结果按期公示。",
    "results": "对发现问题的检查对象责令改正并复查，涉嫌违法的依法立案查处，结果记入信用档案。",
    "problems": "部分检查对象登记住所无法联系，名录库信息需进一步更新。",
    "next": "下一年度继续扩大部门联合抽查覆盖面，提高高风险对象的抽查比例。",
}


def _save(tl: Timeline, dept: Department, actor: User, kind: str, year: int, month: int | None):
    if Report.objects.filter(department=dept, kind=kind, year=year, month=month).exists():
        return 0
    due = report_due(department=dept, kind=kind, year=year, month=month)
    day = tl.add(due, -2)
    if not tl.past(day, 16, 0):
        return 0  # not sent yet: it waits in 待办 and 期限督办
    sections = _monthly(month) if kind == ReportKind.MONTHLY and month else ANNUAL
    with transaction.atomic(), tl.at(day, 16, 0):
        report_save(
            department=dept,
            kind=kind,
            year=year,
            month=month,
            sections=sections,
            actor=actor,
            today=day,
        )
    return 1


def demo_reports(*, timeline: Timeline, part: str) -> list[str]:
    """``part="history"``: last year's annual report; ``"current"``: this year's."""
    tl = timeline
    saved = 0
    last_month = tl.today.replace(day=1) - dt.timedelta(days=1)
    for code, username in WRITER.items():
        dept = Department.objects.get(code=code)
        actor = User.objects.get(username=username)
        if part == "history":
            saved += _save(tl, dept, actor, ReportKind.ANNUAL, tl.history, None)
            continue
        for month in range(1, 13):
            # The month before last at most: last month's report is the one due now.
            if dt.date(tl.year, month, 1) >= last_month.replace(day=1):
                break
            saved += _save(tl, dept, actor, ReportKind.MONTHLY, tl.year, month)
        saved += _save(tl, dept, actor, ReportKind.ANNUAL, tl.year, None)
    return [f"演示报告：新保存{saved}份（月度报告、年度报告）"] if saved else []
