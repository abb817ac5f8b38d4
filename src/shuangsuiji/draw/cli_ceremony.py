"""``ssj draw list`` and ``ssj draw export``: translate arguments, call selectors and
``draw_export``, print. Hooked into ``draw/commands.py`` with
``add_draw_subcommands(draw_subparsers)``."""

import argparse
import json

from shuangsuiji.common.errors import NotFound


def _list(args: argparse.Namespace) -> int:
    from shuangsuiji.draw.selectors import draws_list

    rows = []
    for d in draws_list():
        rows.append({
            "task": d.task.code, "number": d.number, "state": d.state, "kind": d.kind,
            "remedy_of": d.source.number if d.source_id else None,
            "replaces": d.replaces.number if d.replaces_id else None,
            "manifest_sha256": d.manifest_sha256, "manifest_lines": d.manifest_lines,
            "committed_at": d.committed_at.isoformat() if d.committed_at else None,
            "drawn_at": d.drawn_at.isoformat() if d.drawn_at else None,
            "confirmed_at": d.confirmed_at.isoformat() if d.confirmed_at else None,
            "dispatched_at": d.dispatched_at.isoformat() if d.dispatched_at else None,
            "voided_at": d.voided_at.isoformat() if d.voided_at else None,
            "void_reason": d.void_reason or None,
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from shuangsuiji.draw.choices import DrawKind, DrawState

    if not rows:
        print("暂无摇号记录")
    for r in rows:
        times = "  ".join(f"{label}{r[key][:19].replace('T', ' ')}" for key, label in
                          (("committed_at", "封存"), ("drawn_at", "摇号"), ("confirmed_at", "确认"),
                           ("voided_at", "作废")) if r[key])
        print(f"{r['task']}  第{r['number']}次  {DrawState(r['state']).label}  {DrawKind(r['kind']).label}  "
              f"C={r['manifest_sha256']}  {times}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from shuangsuiji.draw.export import draw_export
    from shuangsuiji.draw.selectors import draw_get
    from shuangsuiji.planning.models import Task

    task = Task.objects.filter(code=args.task).first()
    if task is None:
        raise NotFound(f"没有编号为 {args.task} 的抽查任务")
    draw = draw_get(task=task, number=args.number)
    if draw is None:
        raise NotFound(f"任务 {args.task} 没有" + (f"第{args.number}次摇号" if args.number else "未作废的摇号"))
    done = draw_export(draw=draw, out_dir=args.out)
    print(f"已导出 {draw}（{draw.get_state_display()}）到 {done.out_dir}：" + "、".join(p.name for p in done.files))
    return 0


def add_draw_subcommands(draw_subparsers: argparse._SubParsersAction) -> None:
    p = draw_subparsers.add_parser("list", help="列出全部摇号（含作废的）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=_list)

    p = draw_subparsers.add_parser("export", help="导出摇号的公开文件：manifest、seed.txt、result.txt、record.json")
    p.add_argument("task", metavar="TASK", help="任务编号")
    p.add_argument("--number", type=int, help="第几次摇号（默认：最近一次未作废的）")
    p.add_argument("--out", required=True, metavar="DIR", help="输出目录")
    p.set_defaults(handler=_export)
