"""``ssj serve``, ``ssj migrate`` and ``ssj manage`` (Django's own commands)."""

import argparse
import os
import sys
from pathlib import Path

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
        "--logger-class",
        "shuangsuiji.common.gunicorn_logging.SafeAccessLogger",
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


def worker_command(args: argparse.Namespace) -> int:
    """The background worker: runs what is queued (imports …) until stopped; ``--batch`` runs
    what is there now and exits (cron, tests)."""
    from django.core.management import call_command

    options = ["--no-startup-delay", "--interval", str(args.interval)]
    if args.batch:
        options.append("--batch")
    print("后台任务进程已启动：处理导入等排队任务（Ctrl+C 停止）", flush=True)
    call_command("db_worker", *options)
    return 0


def _manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ssj manage", *args.rest])
    return 0


def backup_command(args: argparse.Namespace) -> int:
    from shuangsuiji.common.backup import BackupError, backup_create

    try:
        summary = backup_create(out=args.out)
    except BackupError as exc:
        print(f"备份失败：{exc}", file=sys.stderr)
        return 1
    print(
        f"已备份到 {summary.path}：{summary.database} 数据库和 {summary.files - 1} 个文件，"
        f"共 {summary.bytes / 1024 / 1024:.1f} MB；每个文件的 SHA-256 记在 manifest.json"
    )
    return 0


def restore_command(args: argparse.Namespace) -> int:
    from shuangsuiji.common.backup import BackupError, backup_restore

    try:
        summary = backup_restore(archive=args.file)
    except BackupError as exc:
        print(f"恢复失败（未写入任何数据）：{exc}", file=sys.stderr)
        return 1
    print(
        f"已从 {summary.path} 恢复 {summary.database} 数据库和 {summary.files - 1} 个文件"
        f"（均与清单的 SHA-256 一致）。请运行 ssj audit verify 核对审计日志。"
    )
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

    p = sub.add_parser("worker", help="后台任务进程：运行排队的导入等任务（与 serve 同时运行）")
    p.add_argument("--batch", action="store_true", help="处理完当前排队的任务后退出")
    p.add_argument("--interval", type=float, default=1.0, help="查询新任务的间隔（秒）")
    p.set_defaults(handler=worker_command)

    p = sub.add_parser("backup", help="备份数据库、摇号文件和证据文件到一个文件")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="备份文件（.tar）")
    p.set_defaults(handler=backup_command)

    p = sub.add_parser("restore", help="把备份恢复到新建的空数据库")
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(handler=restore_command)

    p = sub.add_parser("manage", help="Django 管理命令（如 createsuperuser、collectstatic）")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=_manage)
