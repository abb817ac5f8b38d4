"""``ssj results …``: published results (公示的抽查检查结果) from the shell.

``ssj results pending [--json] [--today DATE]`` lists the formed results waiting to be
published, with their deadline in working days (or why it cannot be computed);
``ssj results publish VERSION_ID…`` publishes them in one transaction as the server's
operator ("命令行"), each with its own audit event.

``ssj results export --format csv|xlsx --out FILE [--department CODE] [--year Y] [--since
DATE] [--until DATE] [--layout full|gsxt]`` writes every published row (superseded ones
marked 已被更正) for a 信用公示 system; public columns only, the same file as the portal's
download — or, ``--layout gsxt``, the columns of 国家企业信用信息公示系统's 抽查检查结果信息
(current results only).
"""

import argparse


def _export(args: argparse.Namespace) -> int:
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.common.errors import NotFound
    from shuangsuiji.disclosure.exporting import published_results_csv, published_results_xlsx
    from shuangsuiji.disclosure.portal_selectors import ResultFilters, published_results_filter

    department_id = None
    if args.department:
        department = Department.objects.filter(code=args.department).first()
        if department is None:
            raise NotFound(f"没有部门代码为「{args.department}」的部门")
        department_id = department.pk
    qs = published_results_filter(
        filters=ResultFilters(department_id=department_id, year=args.year)
    )
    # The period: the days the results were published (either end may be left open).
    if args.since:
        qs = qs.filter(published_at__date__gte=args.since)
    if args.until:
        qs = qs.filter(published_at__date__lte=args.until)
    if args.since and args.until and args.since > args.until:
        print(f"起始日期 {args.since} 晚于截止日期 {args.until}")
        return 2
    if args.format == "csv":
        with open(args.out, "wb") as fh:
            for chunk in published_results_csv(qs=qs, layout=args.layout):
                fh.write(chunk)
        rows = (
            qs.filter(superseded_by__isnull=True).count() if args.layout == "gsxt" else qs.count()
        )
    else:
        rows = published_results_xlsx(qs=qs, path_or_buffer=args.out, layout=args.layout)
    print(f"已导出 {rows} 条公示结果到 {args.out}")
    return 0


def _pending(args: argparse.Namespace) -> int:
    import json

    from shuangsuiji.disclosure.selectors import pending_rows, results_to_publish

    rows = []
    for r in pending_rows(versions=results_to_publish(user=None), today=args.today):
        v = r.version
        rows.append(
            {
                "version_id": v.pk,
                "entity": v.result.visit.entity.name,
                "credit_code": v.result.visit.target_id,
                "department": v.result.visit.lead_task.department.name,
                "formed_at": v.result.formed_at.isoformat() if v.result.formed_at else None,
                "deadline": r.deadline.date.isoformat() if r.deadline.date else None,
                "deadline_error": r.deadline.error or None,
                "days_left": r.deadline.days_left,
                "deadline_note": r.deadline.note or None,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("没有待公示的检查结果")
    for row in rows:
        left = row["days_left"]
        due = row["deadline_error"] or f"公示期限 {row['deadline']}"
        if left is not None:
            due += "（已逾期）" if left < 0 else f"（剩余{left}个工作日）"
        if row["deadline_note"]:
            due += f"（{row['deadline_note']}）"
        print(
            f"{row['version_id']}  {row['entity']}  {row['credit_code']}  {row['department']}  {due}"
        )
    return 0


def _publish(args: argparse.Namespace) -> int:
    from shuangsuiji.disclosure.services import results_publish
    from shuangsuiji.imports.framework import CLI_ACTOR
    from shuangsuiji.inspection.models import ResultVersion

    versions = list(
        ResultVersion.objects.filter(pk__in=args.version_ids).select_related(
            "result__visit__entity", "result__visit__lead_task__department"
        )
    )
    missing = sorted(set(args.version_ids) - {v.pk for v in versions})
    if missing:
        from shuangsuiji.common.errors import NotFound

        raise NotFound(f"没有这些检查结果版本：{'、'.join(map(str, missing))}")
    rows = results_publish(versions=versions, actor=CLI_ACTOR)
    for row in rows:
        print(f"已公示：{row.entity_name}（{row.credit_code}）第{row.version_number}版")
    return 0


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text}") from None


def register(sub: argparse._SubParsersAction) -> None:
    results = sub.add_parser("results", help="公示的抽查检查结果").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = results.add_parser(
        "export",
        help="导出公示结果（供信用公示系统）",
        description="导出公示的抽查检查结果（含已被更正的版本，标注状态），仅含公开字段。",
    )
    p.add_argument("--format", choices=["csv", "xlsx"], required=True, help="文件格式")
    p.add_argument("--out", metavar="FILE", required=True, help="输出文件")
    p.add_argument("--department", metavar="CODE", help="只导出该部门（部门代码）")
    p.add_argument("--year", type=int, metavar="Y", help="只导出该年度")
    p.add_argument("--since", type=_date, metavar="DATE", help="公示日期不早于（YYYY-MM-DD）")
    p.add_argument("--until", type=_date, metavar="DATE", help="公示日期不晚于（YYYY-MM-DD）")
    p.add_argument(
        "--layout",
        choices=["full", "gsxt"],
        default="full",
        help="full：全部公开字段（默认）；gsxt：国家企业信用信息公示系统“抽查检查结果信息”的列，仅现行结果",
    )
    p.set_defaults(handler=_export)

    p = results.add_parser("pending", help="列出待公示的检查结果及公示期限")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--today", type=_date, metavar="DATE", help="按此日期计算剩余工作日（默认今天）")
    p.set_defaults(handler=_pending)

    p = results.add_parser("publish", help="公示已形成的检查结果（一次事务，逐份记入审计日志）")
    p.add_argument(
        "version_ids", type=int, nargs="+", metavar="VERSION_ID", help="检查结果版本编号"
    )
    p.set_defaults(handler=_publish)
