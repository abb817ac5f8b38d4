"""``ssj inspection …``: visits from the shell (read-only).

``ssj inspection list [--department CODE] [--status S]`` prints one visit per line, tab
separated: id, 对象标识, 名称, 检查期间, 状态, 任务, 组长 — no personal numbers.
"""

import argparse


def _list(args: argparse.Namespace) -> int:
    from shuangsuiji.common.errors import ValidationFailed
    from shuangsuiji.inspection.choices import VisitStatus
    from shuangsuiji.inspection.selectors import visits_search

    if args.status and args.status not in VisitStatus.values:
        raise ValidationFailed(f"状态只能是 {'、'.join(VisitStatus.values)}", field="status")
    visits = visits_search(status=args.status or "", department=args.department or "")
    count = 0
    print("\t".join(["id", "对象标识", "检查对象", "检查期间", "状态", "任务", "组长"]))
    for v in visits.iterator(chunk_size=500):
        leader = next((m.inspector for m in v.members.all() if m.is_leader), None)
        print(
            "\t".join(
                [
                    str(v.pk),
                    v.target_id,
                    v.entity.name,
                    f"{v.window_start}~{v.window_end}",
                    str(v.get_status_display()),
                    ",".join(vt.task.code for vt in v.visit_tasks.all()),
                    f"{leader.name}（{leader.cert_no}）" if leader else "—",
                ]
            )
        )
        count += 1
    print(f"共 {count} 个检查")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    insp = sub.add_parser("inspection", help="检查实施（只读）").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = insp.add_parser(
        "list", help="列出检查", description="列出检查（牵头或配合部门、状态可筛选）。"
    )
    p.add_argument("--department", metavar="CODE", help="部门代码（牵头或配合）")
    p.add_argument(
        "--status", metavar="S", help="pending / in_progress / signing / review / formed"
    )
    p.set_defaults(handler=_list)
