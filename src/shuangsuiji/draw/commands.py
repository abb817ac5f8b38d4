"""``ssj draw …``: the draw (摇号) from the shell.

``ssj draw verify MANIFEST (--seed TEXT | --seed-file FILE)`` re-runs a published draw
and prints its result text (docs/draw-protocol.md §5) exactly, nothing else; anyone can
compare it byte for byte with the published ``result.txt``. It needs no database.
``ssj draw list`` and ``ssj draw export`` come with the draw ceremony (issue 3).
"""

import argparse
import sys
from pathlib import Path

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
    seed.add_argument("--seed-file", metavar="FILE", help="保存种子文本的文件（UTF-8，原样，不含多余换行）")
    p.set_defaults(handler=_verify)

    from shuangsuiji.draw.cli_ceremony import add_draw_subcommands

    add_draw_subcommands(draw)  # ssj draw list / ssj draw export (the ceremony's files)
