"""``ssj audit verify``: walks the hash chain, exits non-zero at the first bad event."""

import argparse


def _verify(args: argparse.Namespace) -> int:
    from shuangsuiji.audit.services import chain_verify

    report = chain_verify()
    if report.ok:
        print(f"审计日志完整：共 {report.checked} 个事件，哈希链无断点。")
        return 0
    print(f"审计日志校验失败：{report.reason}（已核对 {report.checked} 个事件）")
    return 1


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="审计日志").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = audit.add_parser("verify", help="校验审计日志哈希链")
    p.set_defaults(handler=_verify)
