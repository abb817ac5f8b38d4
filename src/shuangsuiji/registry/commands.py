"""``ssj import`` and ``ssj export`` for the three libraries (一单两库).

    ssj import entities|inspectors|items FILE --department CODE [--dry-run] [--skip-invalid]
               [--json] [--error-report PATH]
    ssj export entities|inspectors|items --department CODE --format xlsx|csv --out FILE

The command line acts as ``CLI_ACTOR`` ("命令行"): whoever runs it operates the server, so
it may write any department and its exports include personal numbers. Exit codes: 0 when
the import went through without errors, 1 when the file had errors (each printed as
``第N行 [列名] 原因``; with ``--skip-invalid`` the valid rows were still imported) or the
import could not run.
"""

from __future__ import annotations

import argparse
import json
import sys

KINDS = ("entities", "inspectors", "items")
# Imported only (issue 14 第 3 项): they update the library, nothing to export as a library.
IMPORT_KINDS = (*KINDS, "credit-classes", "credit-flags", "complaints", "licences", "entity-status")


def _department(code: str):
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.common.errors import NotFound

    department = Department.objects.filter(code=code).first()
    if department is None:
        raise NotFound(f"部门代码「{code}」不存在（ssj department add CODE NAME 可新增部门）")
    return department


class _Bar:
    """tqdm on stderr, created on the first progress report (when the total is known)."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def __call__(self, done: int, total: int | None) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=total,
                desc=self.label,
                unit="行",
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.5,
            )
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from shuangsuiji.common.errors import NotFound
    from shuangsuiji.imports.framework import CLI_ACTOR, KIND_LABELS, import_file

    department = _department(args.department)
    if not Path(args.file).is_file():
        raise NotFound(f"文件不存在或不是普通文件：{args.file}")
    bar = None if args.json else _Bar(f"导入{KIND_LABELS[args.kind]}")
    try:
        result = import_file(
            args.kind,
            path=args.file,
            department=department,
            actor=CLI_ACTOR,
            dry_run=args.dry_run,
            skip_invalid=args.skip_invalid,
            error_report=args.error_report,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        data = result.to_dict()
        data.pop("preview", None)
        data["summary"] = result.summary()
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if result.encoding or result.file_format:
            print(
                f"文件：{result.file_name}（{result.file_format}{'，' + result.encoding if result.encoding else ''}"
                f"，表头在第{result.header_row}行）"
                if result.header_row
                else f"文件：{result.file_name}"
            )
        if result.unknown_headers:
            print(f"未识别的列（已忽略）：{'、'.join(result.unknown_headers)}")
        for error in result.errors:
            print(error.text())
        if result.error_count > len(result.errors):
            print(f"……另有 {result.error_count - len(result.errors)} 处错误未列出，见错误报告")
        for note in result.notes:
            print(note)
        print(result.summary())
        if result.error_report:
            print(f"错误报告：{result.error_report}")
    return 1 if result.has_errors else 0


def _export(args: argparse.Namespace) -> int:
    from shuangsuiji.imports.framework import CLI_ACTOR, KIND_LABELS, export_file

    department = _department(args.department)
    count = export_file(
        args.kind, department=department, actor=CLI_ACTOR, fmt=args.format, out=args.out
    )
    print(f"已导出{department.name}的{KIND_LABELS[args.kind]} {count} 条到 {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="从 xlsx/xls/ods/csv 文件导入名录（检查对象、执法检查人员、抽查事项）或信用信息",
    )
    p.add_argument(
        "kind",
        choices=IMPORT_KINDS,
        help="entities 检查对象 · inspectors 执法检查人员 · items 抽查事项 · "
        "credit-classes 信用风险分类 · credit-flags 信用标记（失信、经营异常、严重违法） · "
        "complaints 投诉件数 · licences 双告知信息 · entity-status 登记状态（注销、吊销、迁出）",
    )
    p.add_argument("file", help="xlsx、xls、ods 或 csv（UTF-8、带 BOM 的 UTF-8 或 GB18030）文件")
    p.add_argument("--department", required=True, metavar="CODE", help="部门代码")
    p.add_argument("--dry-run", action="store_true", help="只校验并报告将发生的变更，不写入")
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="跳过有错误的行，导入其余正确的行，并生成错误报告",
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果（不显示进度条）")
    p.add_argument("--error-report", metavar="PATH", help="错误报告（xlsx）的保存路径")
    p.set_defaults(handler=_import)

    p = sub.add_parser("export", help="导出名录为 xlsx 或 csv")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--department", required=True, metavar="CODE", help="部门代码")
    p.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    p.add_argument("--out", required=True, metavar="FILE", help="输出文件")
    p.set_defaults(handler=_export)
