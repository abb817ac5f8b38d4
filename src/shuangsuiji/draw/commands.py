"""``ssj draw …``: the draw (摇号) from the shell.

``ssj draw verify MANIFEST (--seed TEXT | --seed-file FILE)`` re-runs a published draw
and prints its result text (docs/draw-protocol.md §5) exactly, nothing else; anyone can
compare it byte for byte with the published ``result.txt``. It needs no database.
``ssj draw list`` and ``ssj draw export`` come with the draw ceremony (issue 3).
"""

import argparse
import json
import sys
from pathlib import Path

from shuangsuiji.common.errors import NotFound

# Exit status of ``verify`` for a manifest that breaks a rule of the protocol (the
# usual code for bad input on the command line; 1 is the platform's refused request).
EXIT_BAD_MANIFEST = 2


def _verify(args: argparse.Namespace) -> int:
    from shuangsuiji.draw.protocol import ManifestError, draw_compute, result_text

    try:
        manifest = Path(args.manifest).read_bytes()
        if args.seed_file is not None:
            # The seed file holds the seed text exactly: no newline translation, no strip.
            seed = Path(args.seed_file).read_bytes().decode("utf-8")
        else:
            seed = args.seed
    except OSError as exc:
        print(f"错误：无法读取文件 {exc.filename}：{exc.strerror}", file=sys.stderr)
        return EXIT_BAD_MANIFEST
    except UnicodeDecodeError:
        print("错误：种子文件不是 UTF-8 文本", file=sys.stderr)
        return EXIT_BAD_MANIFEST
    try:
        result = draw_compute(manifest, seed)
    except ManifestError as exc:
        print(f"错误：清单不合规，无法验证。{exc.message}", file=sys.stderr)
        return EXIT_BAD_MANIFEST
    text = result_text(result)
    # Bytes, not text, when possible: the output must match the published result.txt
    # byte for byte on every platform (LF line ends, no locale encoding).
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        sys.stdout.flush()
        buffer.write(text.encode("ascii"))
        buffer.flush()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    draw = sub.add_parser("draw", help="摇号（双随机抽取）").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = draw.add_parser(
        "verify",
        help="按 ssj-draw/1 协议复算摇号结果",
        description="按 ssj-draw/1 协议，由清单和种子文本复算摇号结果，原样输出结果文本。",
    )
    p.add_argument("manifest", metavar="MANIFEST", help="抽取清单文件（ssj-draw/1）")
    seed = p.add_mutually_exclusive_group(required=True)
    seed.add_argument("--seed", metavar="TEXT", help="种子文本（原样）")
    seed.add_argument(
        "--seed-file", metavar="FILE", help="保存种子文本的文件（UTF-8，原样，不含多余换行）"
    )
    p.set_defaults(handler=_verify)

    add_draw_subcommands(draw)  # ssj draw list / ssj draw export (the ceremony's files)


# --- ssj draw list / export: the ceremony's files ----------------------------------------


def _list(args: argparse.Namespace) -> int:
    from shuangsuiji.draw.selectors import draws_list

    rows = []
    for d in draws_list():
        rows.append(
            {
                "task": d.task.code,
                "number": d.number,
                "state": d.state,
                "kind": d.kind,
                "remedy_of": d.source.number if d.source_id else None,
                "replaces": d.replaces.number if d.replaces_id else None,
                "manifest_sha256": d.manifest_sha256,
                "manifest_lines": d.manifest_lines,
                "committed_at": d.committed_at.isoformat() if d.committed_at else None,
                "drawn_at": d.drawn_at.isoformat() if d.drawn_at else None,
                "confirmed_at": d.confirmed_at.isoformat() if d.confirmed_at else None,
                "dispatched_at": d.dispatched_at.isoformat() if d.dispatched_at else None,
                "voided_at": d.voided_at.isoformat() if d.voided_at else None,
                "void_reason": d.void_reason or None,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from shuangsuiji.draw.choices import DrawKind, DrawState

    if not rows:
        print("暂无摇号记录")
    for r in rows:
        times = "  ".join(
            f"{label}{r[key][:19].replace('T', ' ')}"
            for key, label in (
                ("committed_at", "封存"),
                ("drawn_at", "摇号"),
                ("confirmed_at", "确认"),
                ("voided_at", "作废"),
            )
            if r[key]
        )
        print(
            f"{r['task']}  第{r['number']}次  {DrawState(r['state']).label}  {DrawKind(r['kind']).label}  "
            f"C={r['manifest_sha256']}  {times}"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    from shuangsuiji.draw.exporting import draw_export
    from shuangsuiji.draw.selectors import draw_get
    from shuangsuiji.planning.models import Task

    task = Task.objects.filter(code=args.task).first()
    if task is None:
        raise NotFound(f"没有编号为 {args.task} 的抽查任务")
    draw = draw_get(task=task, number=args.number)
    if draw is None:
        raise NotFound(
            f"任务 {args.task} 没有" + (f"第{args.number}次摇号" if args.number else "未作废的摇号")
        )
    done = draw_export(draw=draw, out_dir=args.out)
    print(
        f"已导出 {draw}（{draw.get_state_display()}）到 {done.out_dir}："
        + "、".join(p.name for p in done.files)
    )
    return 0


def add_draw_subcommands(draw_subparsers: argparse._SubParsersAction) -> None:
    p = draw_subparsers.add_parser("list", help="列出全部摇号（含作废的）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=_list)

    p = draw_subparsers.add_parser(
        "export", help="导出摇号的公开文件：manifest、seed.txt、result.txt、record.json"
    )
    p.add_argument("task", metavar="TASK", help="任务编号")
    p.add_argument("--number", type=int, help="第几次摇号（默认：最近一次未作废的）")
    p.add_argument("--out", required=True, metavar="DIR", help="输出目录")
    p.set_defaults(handler=_export)
