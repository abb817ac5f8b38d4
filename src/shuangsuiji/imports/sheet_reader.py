"""The spreadsheet reader's own process: ``python -m shuangsuiji.imports.sheet_reader``.

python-calamine reads a whole sheet into memory, and a hostile file can make its Rust code
allocate gigabytes or abort the process (SIGABRT: no ``except`` catches that). So the web
worker never runs it: ``tabular.Table`` starts this module in a child process with an
address-space cap (``RLIMIT_AS``) and reads the rows back through a pipe. Whatever the file
does, the worst case is this child dying, which the parent reports as a refused file.

No Django here (the child starts in about 0.1 s). Protocol on stdout: pickled frames
``("rows", [(row number, cells), …])``, then ``("end", count)``; or ``("error", message)``.
Arguments (JSON, one argument): path, format, by_name, memory_mb, max_rows, max_columns,
max_cell_chars.
"""

from __future__ import annotations

import json
import pickle
import resource
import sys
from typing import Any

BATCH = 2000


def _limit_memory(mb: int) -> None:
    if mb > 0:
        cap = mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _send(out: Any, kind: str, payload: Any) -> None:
    pickle.dump((kind, payload), out, protocol=pickle.HIGHEST_PROTOCOL)


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def read(args: dict[str, Any], out: Any) -> None:
    import python_calamine

    fmt = args["format"]
    try:
        if args["by_name"]:
            workbook = python_calamine.load_workbook(args["path"])
        else:
            # calamine picks its reader by the file name; the content said otherwise (an
            # xlsx saved as .xls), so hand it the bytes to sniff.
            with open(args["path"], "rb") as fh:
                workbook = python_calamine.CalamineWorkbook.from_filelike(fh)
        if not workbook.sheet_names:
            _send(out, "error", "表格文件中没有工作表")
            return
        sheet = workbook.get_sheet_by_index(0)
    except MemoryError:
        raise
    except BaseException as exc:  # noqa: BLE001 - CalamineError, a Rust panic: a damaged file
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        detail = "文件结构已损坏" if type(exc).__name__ == "PanicException" else str(exc)
        _send(
            out,
            "error",
            f"无法读取{fmt}文件：文件可能已损坏、加密，或不是真正的 Excel/ODS 文件（{detail}）",
        )
        return
    first_row, first_col = sheet.start or (0, 0)
    end_row, end_col = sheet.end or (0, 0)
    rows_used, columns_used = end_row + 1, end_col + 1
    if rows_used > args["max_rows"] or columns_used > args["max_columns"]:
        _send(
            out,
            "error",
            f"工作表实际使用的范围到第 {rows_used} 行、第 {columns_used} 列，超过上限"
            f"（最多 {args['max_rows']} 行、{args['max_columns']} 列）",
        )
        return
    max_chars = args["max_cell_chars"]
    pad = [""] * first_col
    batch: list[tuple[int, list[Any]]] = []
    count = 0
    for offset, row in enumerate(sheet.iter_rows()):
        number = first_row + offset + 1
        for col, cell in enumerate(row):
            if isinstance(cell, str) and len(cell) > max_chars:
                _send(
                    out,
                    "error",
                    f"第{number}行 {_column_name(first_col + col)} 列的内容有 {len(cell)} 个字符，"
                    f"超过单元格上限 {max_chars} 个字符",
                )
                return
        batch.append((number, pad + row if first_col else row))
        count += 1
        if len(batch) >= BATCH:
            _send(out, "rows", batch)
            batch = []
    if batch:
        _send(out, "rows", batch)
    _send(out, "end", count)


def main() -> int:
    args = json.loads(sys.argv[1])
    _limit_memory(int(args.get("memory_mb") or 0))
    out = sys.stdout.buffer
    try:
        read(args, out)
    except MemoryError:
        _send(
            out,
            "error",
            f"读取文件所需内存超过上限 {args.get('memory_mb')} MB：表格过大或结构异常",
        )
    except BrokenPipeError:
        return 0  # the parent stopped reading (it had the rows it needed)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
