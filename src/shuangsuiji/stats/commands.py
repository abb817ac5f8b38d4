"""``ssj stats --year Y [--department CODE] [--item CODE] [--risk A|B|C|D|none] [--json]``:
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
    out = []
    for dept in departments:
        fig = selectors.figures_for(
            department=dept, year=year, today=today, item_id=item_id, risk_class=risk
        )
        out.append({"department": dept.code, "name": dept.name, **fig.as_dict()})
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return 0
    for row in out:
        print(
            f"{row['name']}（{row['department']}）{year}年：检查对象 {row['entities']}，"
            f"抽查任务 {row['tasks']}，被抽中 {row['drawn']}，已检查 {row['inspected']}，"
            f"检查结果 {row['results']}，公示率 {_pct(row['publish_rate'])}"
        )
    return 0


def _pct(value) -> str:
    return "—" if value is None else f"{value:g}%"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="统计分析：某年度各部门（或一个部门，含下级单位）的统计数字")
    p.add_argument("--year", required=True, help="年度，如 2024")
    p.add_argument("--department", metavar="CODE", help="部门代码（含下级单位）；不填为各顶级部门")
    p.add_argument("--item", metavar="CODE", help="只统计含该抽查事项的任务")
    p.add_argument("--risk", metavar="A|B|C|D|none", help="只统计该信用风险分类的检查对象")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="计算期限的基准日，默认今天")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（与统计分析页面的数字相同）")
    p.set_defaults(handler=_stats)
