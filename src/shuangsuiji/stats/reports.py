"""Monthly report (004 四: 每月10日前报随机抽查情况) and annual report (000 四(三): 每年11月中旬
报年度报告) of a department: the figures of 统计分析 plus the text the department writes,
saved as versions, exported as xlsx and PDF (issue 12 第 4 项)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.common.pdf import font_register, numbered_canvas
from shuangsuiji.common.text import text_problem
from shuangsuiji.common.xlsx import workbook
from shuangsuiji.stats.figures import Figures
from shuangsuiji.stats.models import REPORT_SECTIONS, Report, ReportKind, ReportSetting
from shuangsuiji.stats.selectors import figures_for, month_check, year_check
from shuangsuiji.stats.tables import conclusion_rows, figure_rows

WRITERS = (Role.DEPT_ADMIN, Role.OPERATOR)
SECTION_MAX = 5000


def report_due(*, department: Department, kind: str, year: int, month: int | None) -> dt.date:
    """Monthly: the 10th of the next month (004 四). Annual: the department's date, by default
    15 November (000 四(三) 11月中旬)."""
    if kind == ReportKind.MONTHLY:
        assert month is not None
        return dt.date(year + (month == 12), month % 12 + 1, 10)
    setting = ReportSetting.objects.filter(department=department).first()
    month_, day = (setting.annual_due_month, setting.annual_due_day) if setting else (11, 15)
    return dt.date(year, month_, day)


def report_period_check(
    *, kind: str, year: Any, month: Any, today: dt.date
) -> tuple[int, int | None]:
    if kind not in ReportKind.values:
        raise ValidationFailed(f"报告类型无效：{kind}（应为 monthly 或 annual）", field="kind")
    year_ = year_check(year, today=today)
    month_ = month_check(month)
    if kind == ReportKind.MONTHLY and month_ is None:
        raise ValidationFailed("月度报告须指定月份（1—12）", field="month")
    if kind == ReportKind.ANNUAL:
        month_ = None
    return year_, month_


def report_save(
    *,
    department: Department,
    kind: str,
    year: Any,
    month: Any,
    sections: dict[str, str],
    actor: User,
    today: dt.date,
) -> Report:
    """Saves a new version: the figures as of now and the department's text."""
    year_, month_ = report_period_check(kind=kind, year=year, month=month, today=today)
    if not any(user_has_role(user=actor, role=r, department=department) for r in WRITERS):
        raise NotAllowed("只有本部门的部门管理员或抽查操作员可以编写报告")
    clean: dict[str, str] = {}
    for key, label in REPORT_SECTIONS[kind]:
        text = str(sections.get(key) or "").strip()
        if len(text) > SECTION_MAX:
            raise ValidationFailed(f"“{label}”过长（最多{SECTION_MAX}字）", field=key)
        if problem := text_problem(text):
            raise ValidationFailed(f"“{label}”{problem}", field=key)
        clean[key] = text
    fig = figures_for(department=department, year=year_, month=month_, today=today)
    with transaction.atomic():
        # Two people saving at once must not take the same version number.
        Department.objects.select_for_update().filter(pk=department.pk).first()
        last = (
            Report.objects.filter(department=department, kind=kind, year=year_, month=month_)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        report = Report.objects.create(
            department=department,
            kind=kind,
            year=year_,
            month=month_,
            version=(last or 0) + 1,
            sections=clean,
            figures=fig.as_dict(),
            created_by=actor,
        )
        event_record(
            actor=actor,
            action="report.save",
            obj=report,
            department=department,
            after={"kind": kind, "year": year_, "month": month_, "version": report.version},
        )
    return report


def _figures_of(report: Report) -> Figures:
    data = dict(report.figures)
    known = {f for f in Figures.__dataclass_fields__}
    return Figures(**{k: v for k, v in data.items() if k in known})


def _title(report: Report) -> str:
    return f"{report.department.name}{report.period}{report.get_kind_display()}"


def report_tables(report: Report) -> tuple[list[list[Any]], list[list[Any]]]:
    fig = _figures_of(report)
    rows = [[r.label, r.text, r.note] for r in figure_rows(fig, department=report.department)]
    conclusions = [[r.label, r.value] for r in conclusion_rows(fig, department=report.department)]
    return rows, conclusions


def report_xlsx(report: Report) -> bytes:
    rows, conclusions = report_tables(report)
    text = [[label, report.sections.get(key, "")] for key, label in REPORT_SECTIONS[report.kind]]
    return workbook(
        [
            (
                "报告",
                ["项目", "内容"],
                [
                    ["标题", _title(report)],
                    ["版本", f"第{report.version}版" if report.pk else "未保存"],
                    *text,
                ],
            ),
            ("统计数字", ["指标", "数值", "说明"], rows),
            ("检查结论", ["检查结论", "检查结果"], conclusions),
        ]
    )


def report_pdf(report: Report) -> bytes:
    """A4, the embedded CJK font, page numbers “第 x 页 共 y 页”."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = font_register()
    title_style = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    head = ParagraphStyle("h", fontName=font, fontSize=12, leading=18, spaceBefore=8)
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    small = ParagraphStyle("s", fontName=font, fontSize=9, leading=13, wordWrap="CJK")

    def footer(canvas, page: int, total: int) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"第 {page} 页 共 {total} 页")

    numbered = numbered_canvas(footer)

    def para(text: str, style) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    rows, conclusions = report_tables(report)
    story: list = [para(_title(report), title_style), Spacer(1, 4 * mm)]
    if report.pk:
        saved = timezone.localtime(report.created_at)
        line = f"第{report.version}版 · 保存于 {saved:%Y年%-m月%-d日 %H:%M}（{report.created_by}）"
    else:
        line = "尚未保存文字部分：以下统计数字为导出时的数字"
    story.append(para(line, small))
    for key, label in REPORT_SECTIONS[report.kind]:
        story += [para(label, head), para(report.sections.get(key) or "（未填写）", body)]
    story.append(para("统计数字", head))
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 9.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    table = Table(
        [[para("指标", small), para("数值", small), para("说明", small)]]
        + [[para(a, small), para(b, small), para(c, small)] for a, b, c in rows],
        colWidths=[55 * mm, 30 * mm, 85 * mm],
        repeatRows=1,
    )
    table.setStyle(grid)
    story.append(table)
    story.append(para("检查结果按结论", head))
    by = Table(
        [[para("检查结论", small), para("检查结果", small)]]
        + [[para(a, small), para(str(b), small)] for a, b in conclusions],
        colWidths=[120 * mm, 50 * mm],
        repeatRows=1,
    )
    by.setStyle(grid)
    story.append(by)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=_title(report),
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    doc.build(story, canvasmaker=numbered)
    return buf.getvalue()


def report_transient(
    *, department: Department, kind: str, year: Any, month: Any, today: dt.date
) -> Report:
    """An unsaved report with today's figures and no text (the shell's export when nothing
    was saved yet)."""
    year_, month_ = report_period_check(kind=kind, year=year, month=month, today=today)
    fig = figures_for(department=department, year=year_, month=month_, today=today)
    return Report(
        department=department,
        kind=kind,
        year=year_,
        month=month_,
        version=0,
        sections={},
        figures=fig.as_dict(),
    )


def report_latest(
    *, department: Department, kind: str, year: int, month: int | None
) -> Report | None:
    return (
        Report.objects.filter(department=department, kind=kind, year=year, month=month)
        .order_by("-version")
        .first()
    )
