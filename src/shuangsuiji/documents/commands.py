"""``ssj archive task CODE --out FILE.zip`` writes a task's case file (电子档案);
``ssj archive verify FILE.zip`` re-checks every file against the index and re-runs the
draws' verification (exit 1 on any finding)."""

from __future__ import annotations

import argparse


def _task(args: argparse.Namespace) -> int:
    from shuangsuiji.documents.archive import archive_task
    from shuangsuiji.planning.models import Task

    task = Task.objects.filter(code=args.code.strip()).select_related("department").first()
    if task is None:
        print(f"任务编号不存在：{args.code}")
        return 2
    try:
        s = archive_task(task=task, out=args.out)
    except OSError as exc:
        print(f"无法写出 {args.out}：{exc.strerror or exc}")
        return 2
    print(
        f"已写出 {task.code} 的抽查档案 {args.out}：{s.files} 个文件（{s.bytes:,} 字节），"
        f"摇号 {s.draws} 次，检查 {s.visits} 户，证据 {s.evidence} 份，审计事件 {s.events} 条"
    )
    if s.not_issued:
        print(f"另有 {s.not_issued} 份文书尚未签发，未归入档案（清单见 documents-not-issued.json）")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from shuangsuiji.common.errors import ServiceError
    from shuangsuiji.documents.archive import archive_verify

    try:
        report = archive_verify(path=args.file)
    except ServiceError as exc:
        print(exc.message)
        return 2
    for p in report.problems:
        print(f"✗ {p}")
    if report.ok:
        print(f"✓ 档案完整：{report.files} 个文件与索引一致，{report.draws} 次摇号重新计算一致")
        return 0
    print(f"发现 {len(report.problems)} 处问题")
    return 1


def _batch(args: argparse.Namespace) -> int:
    import time

    from django.utils import timezone

    from shuangsuiji.common.errors import ServiceError
    from shuangsuiji.documents import batch
    from shuangsuiji.planning.models import Task

    task = Task.objects.filter(code=args.code.strip()).first()
    if task is None:
        print(f"任务编号不存在：{args.code}")
        return 2
    started = time.perf_counter()
    try:
        # The output first: a path that cannot be written must not cost any numbers.
        fh = open(args.out, "wb")  # noqa: SIM115 - closed below, after the numbering
    except OSError as exc:
        print(f"无法写出 {args.out}：{exc.strerror or exc}")
        return 2
    try:
        with fh:
            if args.issue:
                issued = batch.batch_issue(
                    task=task, slug=args.kind, actor="命令行", today=timezone.localdate()
                )
                print(f"已签发（或原已签发）{len(issued)}份")
            batch.batch_pdf(task=task, slug=args.kind, out=fh)
    except ServiceError as exc:
        print(exc.message)
        return 2
    print(f"已写出 {args.out}，用时 {time.perf_counter() - started:.1f} 秒")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    docs = sub.add_parser("documents", help="文书：批量打印").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = docs.add_parser(
        "batch", help="一个任务的全部检查通知书（或结果告知书）合成一个 PDF，按抽取顺序"
    )
    p.add_argument("code", metavar="CODE", help="任务编号")
    p.add_argument("--kind", choices=["notice", "result-letter"], default="notice")
    p.add_argument(
        "--issue", action="store_true", help="先为尚未签发的文书编号（按抽取顺序，连续编号）"
    )
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_batch)

    archive = sub.add_parser(
        "archive", help="抽查档案：导出任务的电子档案、校验档案"
    ).add_subparsers(dest="sub", metavar="子命令", required=True)
    p = archive.add_parser("task", help="导出一个抽查任务的电子档案（zip）")
    p.add_argument("code", metavar="CODE", help="任务编号")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="输出文件")
    p.set_defaults(handler=_task)
    p = archive.add_parser("verify", help="校验电子档案：逐个文件核对 SHA-256，重新计算摇号")
    p.add_argument("file", metavar="FILE.zip")
    p.set_defaults(handler=_verify)
