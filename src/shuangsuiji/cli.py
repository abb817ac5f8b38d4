"""The ``ssj`` command: every operator task from the shell.

Each app adds its own sub-commands in ``<app>/commands.py`` (``register(subparsers)``);
this module only sets Django up and dispatches. Commands translate arguments into service
calls and print the result; they hold no business logic.
"""

import argparse
import os
import sys
from collections.abc import Callable

COMMAND_MODULES = [
    "shuangsuiji.common.commands",
    "shuangsuiji.demo.commands",
    "shuangsuiji.workdays.commands",
    "shuangsuiji.accounts.commands",
    "shuangsuiji.audit.commands",
    "shuangsuiji.registry.commands",
    "shuangsuiji.catalog.commands",
    "shuangsuiji.draw.commands",
    "shuangsuiji.inspection.commands",
    "shuangsuiji.disclosure.commands",
    "shuangsuiji.disclosure.oversight_commands",
    "shuangsuiji.stats.commands",
    "shuangsuiji.documents.commands",
]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="ssj", description="双随机、一公开 监管平台 命令行")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from shuangsuiji.common.env import ConfigError

    try:
        _setup_django()
    except ConfigError as exc:
        # A setting that makes the platform unsafe or unusable: said by name, no traceback.
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    from shuangsuiji.common.errors import ServiceError

    try:
        return int(handler(args) or 0)
    except ServiceError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断：未提交的更改均已回滚。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
