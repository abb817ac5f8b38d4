"""``ssj stats --year Y [--month M] [--department CODE] [--item CODE] [--risk A|B|C|D|none] [--json]``:
the figures of the 统计分析 page from the shell (the same function computes both)."""

from __future__ import annotations

import argparse
import json


def _stats(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from shuangsuiji.catalog.models import Item
    from shuangsuiji.common.errors import ServiceError
    from shuangsuiji.stats import selectors
    from shuangsuiji.workdays.commands import date_arg

    today = date_arg(args.today) if args.today else timezone.localdate()
    try:
        year = selectors.year_check(args.year, today=today)
        risk = selectors.risk_check(args.risk)
        month = selectors.month_check(args.month)
        departments = (
            [selectors.scope_for(user=None, code=args.department)[0]]
            if args.department
            else selectors.top_departments()
        )
        item_id = None
        if args.item:
            item = Item.objects.filter(code=args.item.strip()).first()
            if item is None:
                print(f"抽查事项编码不存在：{args.item}")
                return 2
            item_id = item.pk
    except ServiceError as exc:
        print(exc.message)
        return 2
    if not departments:
        print("还没有任何部门")
        return 2
    if args.department or item_id is not None or risk is not None:
        pairs = [
            (
                dept,
                selectors.figures_for(
                    department=dept,
                    year=year,
                    today=today,
                    item_id=item_id,
                    risk_class=risk,
                    month=month,
                ),
            )
            for dept in departments
        ]
    else:  # the whole province: every top department in one grouped pass
        pairs = selectors.figures_by_top(year=year, today=today, month=month)
    out = [{"department": d.code, "name": d.name, **fig.as_dict()} for d, fig in pairs]
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return 0
    for row in out:
        if not row["has_data"]:
            print(f"{row['name']}（{row['department']}）{year}年：没有抽查任务、摇号或检查记录")
            continue
        print(
            f"{row['name']}（{row['department']}）{year}年：检查对象 {row['entities']}，"
            f"抽查任务 {row['tasks']}，被抽中 {row['drawn']}，已检查 {row['inspected']}，"
            f"检查结果 {row['results']}，公示率 {_pct(row['publish_rate'])}"
        )
    return 0


def _warm(args: argparse.Namespace) -> int:
    import time

    from django.utils import timezone

    from shuangsuiji.stats.selectors import figures_warm
    from shuangsuiji.workdays.commands import date_arg

    today = date_arg(args.today) if args.today else timezone.localdate()
    started = time.perf_counter()
    n = figures_warm(today=today)
    print(
        f"已预先计算{today:%Y年%m月%d日}的统计数字{n}组，用时 {time.perf_counter() - started:.1f} 秒"
    )
    return 0


def _pct(value) -> str:
    return "—" if value is None else f"{value:g}%"


def register(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser(
        "stats-warm",
        help="预先计算当天常用的统计数字（各部门今年和去年、各部门对比、门户年度统计；每天凌晨运行一次）",
    )
    w.add_argument("--today", metavar="YYYY-MM-DD", help="计算期限的基准日，默认今天")
    w.set_defaults(handler=_warm)

    p = sub.add_parser("stats", help="统计分析：某年度各部门（或一个部门，含下级单位）的统计数字")
    p.add_argument("--year", required=True, help="年度，如 2024")
    p.add_argument(
        "--month",
        help="月份 1—12：只统计该月（月报口径：当月执行的任务、当月确认的摇号、当月形成的检查结果）",
    )
    p.add_argument("--department", metavar="CODE", help="部门代码（含下级单位）；不填为各顶级部门")
    p.add_argument("--item", metavar="CODE", help="只统计含该抽查事项的任务")
    p.add_argument("--risk", metavar="A|B|C|D|none", help="只统计该信用风险分类的检查对象")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="计算期限的基准日，默认今天")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（与统计分析页面的数字相同）")
    p.set_defaults(handler=_stats)
    register_report(sub)


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from django.utils import timezone

    from shuangsuiji.common.errors import ServiceError
    from shuangsuiji.stats import selectors
    from shuangsuiji.stats.reports import (
        report_latest,
        report_pdf,
        report_period_check,
        report_transient,
        report_xlsx,
    )

    today = timezone.localdate()
    try:
        department, _ids = selectors.scope_for(user=None, code=args.department)
        year, month = report_period_check(
            kind=args.kind, year=args.year, month=args.month, today=today
        )
        report = report_latest(department=department, kind=args.kind, year=year, month=month)
        if report is None:
            report = report_transient(
                department=department, kind=args.kind, year=year, month=month, today=today
            )
            print("该期报告尚未保存文字部分：导出当前统计数字，文字部分留空")
        data = report_xlsx(report) if args.format == "xlsx" else report_pdf(report)
    except ServiceError as exc:
        print(exc.message)
        return 2
    Path(args.out).write_bytes(data)
    print(f"已导出：{args.out}（{len(data)} 字节）")
    return 0


def register_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="导出月度（004 四）或年度（000 四(三)）报告：最新保存的版本，未保存时导出当前统计数字",
    )
    p.add_argument("kind", choices=["monthly", "annual"], help="monthly 月度 · annual 年度")
    p.add_argument("--department", required=True, metavar="CODE", help="部门代码（含下级单位）")
    p.add_argument("--year", required=True)
    p.add_argument("--month", help="月份 1—12（月度报告必填）")
    p.add_argument("--format", choices=["xlsx", "pdf"], default="xlsx")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(handler=_report)
