"""``ssj demo``: migrate, load the demo data, print the demo accounts, serve."""

import argparse
import subprocess
import sys

from shuangsuiji.common.commands import migrate_command, serve_command


def _die_with_parent() -> None:
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: Ctrl+C still stops both


def _demo(args: argparse.Namespace) -> int:
    from shuangsuiji.demo import demo_load

    migrate_command(argparse.Namespace(verbosity=0))
    # The addresses printed are the ones the server is about to listen on.
    summary = demo_load(entities=args.entities, site=f"http://{args.bind or '127.0.0.1:8000'}")
    print(summary.text())
    if args.no_serve:
        return 0
    # The background worker (imports run there) beside the web server. Ctrl+C reaches both
    # (same process group); and the worker is told to stop when this process — gunicorn's
    # master after the exec below — ends in any other way (Linux: PR_SET_PDEATHSIG).
    subprocess.Popen(
        [sys.executable, "-m", "shuangsuiji.cli", "worker"], preexec_fn=_die_with_parent
    )
    return serve_command(argparse.Namespace(bind=args.bind, workers=2, threads=4))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="载入演示数据并启动服务")
    p.add_argument("--no-serve", action="store_true", help="只载入数据，不启动服务")
    p.add_argument("--entities", type=int, default=3000, help="合成检查对象数量")
    p.add_argument("bind", nargs="?", metavar="HOST:PORT")
    p.set_defaults(handler=_demo)
