"""``ssj serve``, ``ssj migrate`` and ``ssj manage`` (Django's own commands)."""

import argparse
import os
import sys

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


def serve_command(args: argparse.Namespace) -> int:
    from django.conf import settings

    bind = args.bind or "127.0.0.1:8000"
    print(f"服务地址：http://{bind}/  （Ctrl+C 停止）", flush=True)
    # gunicorn is the production server too (docs/deployment.md): one code path for both.
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "shuangsuiji.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--access-logfile",
        "-",
        # Path without query string and no referer: searches by name, credit code or phone
        # number (and pages reached from them) never reach the log (issue 11).
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "--timeout",
        "120",
    ]
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    os.execv(sys.executable, cmd)
    return 0  # pragma: no cover


def migrate_command(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def _manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ssj manage", *args.rest])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="启动网页服务（gunicorn）")
    p.add_argument("bind", nargs="?", metavar="HOST:PORT", help="监听地址，默认 127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.set_defaults(handler=serve_command)

    p = sub.add_parser("migrate", help="创建或升级数据库表")
    p.add_argument("--verbosity", type=int, default=1)
    p.set_defaults(handler=migrate_command)

    p = sub.add_parser("manage", help="Django 管理命令（如 createsuperuser、collectstatic）")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=_manage)
