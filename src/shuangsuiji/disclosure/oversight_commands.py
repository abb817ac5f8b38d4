"""``ssj deadlines``: deadlines and overdue work (督办 [002 第三十二条]) from the shell.

* ``ssj deadlines overdue [--department CODE] [--today YYYY-MM-DD] [--json]`` — the overdue
  list of every department (or of one with its sub-departments);
* ``ssj deadlines remind [--today YYYY-MM-DD]`` — 站内消息 (and mail) for what falls due within
  3 working days, once per item and due day (run daily: cron, docs/deployment.md);
* ``ssj deadlines due --start DATE --kind publish|result|penalty|objection_review|objection_answer
  [--department CODE]`` — the due day of one rule for an event on DATE.
"""

import argparse
import json

from shuangsuiji.workdays.commands import date_arg

# deadlines.WORKDAY_RULES, spelled out: the parser is built before models may be imported.
RULE_KINDS = ["publish", "result", "penalty", "objection_review", "objection_answer"]


def _department(code: str | None):
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.common.errors import NotFound

    if not code:
        return None
    dept = Department.objects.filter(code=code.strip()).first()
    if dept is None:
        raise NotFound(f"部门代码不存在：{code}")
    return dept


def _overdue(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from shuangsuiji.disclosure import deadlines

    today = date_arg(args.today) if args.today else timezone.localdate()
    scope = (
        deadlines.department_subtree_ids(code=args.department)
        if args.department
        else deadlines.ALL_DEPARTMENTS
    )
    rows = deadlines.overdue_items(departments=scope, today=today)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "kind": r.kind,
                        "rule": r.rule,
                        "department": r.department.code,
                        "task": r.task.code,
                        "entity": r.entity_name or None,
                        "credit_code": r.credit_code or None,
                        "objection": r.objection_number or None,
                        "start": r.start.isoformat(),
                        "due": r.due.isoformat() if r.due else None,
                        "workdays_overdue": r.workdays_overdue,
                        "provisional": r.provisional,
                        "note": r.note,
                        "link": r.link,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"统计基准日 {today.isoformat()}：逾期 {len(rows)} 项")
    for r in rows:
        late = f"逾期{r.workdays_overdue}个工作日" + (f"（{r.note}）" if r.note else "")
        print(
            f"{r.department.code}\t{r.kind_label}\t{r.task.code}\t{r.subject}\t"
            f"{r.start_label}{r.start.isoformat()}\t截止{r.due.isoformat()}\t{late}"
        )
    return 0


def _due(args: argparse.Namespace) -> int:
    from shuangsuiji.disclosure import deadlines

    start = date_arg(args.start)
    dept = _department(args.department)
    n = deadlines.rule_workdays(kind=args.kind, department=dept)
    due = deadlines.deadline_compute(kind=args.kind, start=start, department=dept)
    print(due.date.isoformat())
    print(
        f"（{deadlines.DeadlineKind(args.kind).label}：{start.isoformat()} 起 {n} 个工作日，起算日当日不计）"
    )
    if due.provisional:
        print(f"（{due.note}）")
    return 0


def _remind(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from shuangsuiji.disclosure import deadlines

    today = date_arg(args.today) if args.today else timezone.localdate()
    written = deadlines.due_soon_notify(today=today)
    print(f"已发送{written}条即将到期提醒（基准日 {today:%Y年%-m月%-d日}）")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("deadlines", help="期限与逾期督办").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = group.add_parser(
        "overdue", help="列出逾期事项", description="列出逾期事项（按工作日计算）。"
    )
    p.add_argument("--department", metavar="CODE", help="部门代码（含下级部门）；不填为全部部门")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="统计基准日，默认今天")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=_overdue)
    p = group.add_parser(
        "remind",
        help="发送即将到期提醒（站内消息，配置了邮件时同时发邮件；每天运行一次）",
        description="对3个工作日内到期的事项，给所在部门的抽查操作员、审核负责人和部门管理员发送提醒；"
        "同一事项同一截止日只提醒一次，重复运行不会重复发送。",
    )
    p.add_argument("--today", metavar="YYYY-MM-DD", help="基准日，默认今天")
    p.set_defaults(handler=_remind)
    p = group.add_parser(
        "due", help="计算某项规则的截止日", description="按工作日计算某项规则的截止日。"
    )
    p.add_argument("--start", required=True, metavar="DATE", help="起算日（该日不计入）")
    p.add_argument(
        "--kind",
        required=True,
        choices=RULE_KINDS,
        help="publish 结果公示 · result 结果录入 · penalty 处罚信息公示 · "
        "objection_review 异议复核 · objection_answer 复核反馈",
    )
    p.add_argument(
        "--department", metavar="CODE", help="部门代码（结果公示时限按部门设置，默认20个工作日）"
    )
    p.set_defaults(handler=_due)
