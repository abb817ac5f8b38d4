"""Hostile spreadsheets against the entity import (issue 11 item 1 and its numbers).

    .venv/bin/python benchmarks/hostile_files.py            # every file, 3 runs each
    .venv/bin/python benchmarks/hostile_files.py --runs 1

Each file is imported with ``imports.framework.import_file("entities", …)`` — what the web
job and ``ssj import`` run — in a fresh process with a fresh SQLite database. Measured per
file: the wall time until the refusal, the peak RSS of the importing process (the one a
web worker would be) and of the reader's child process, and the message. Goal: each
refused in ≤ 2 s with the importing process ≤ 300 MB, nothing written.

The files (made once under benchmarks/out/hostile/):
* corners        — two cells at opposite corners (A1, XFD1048576), 5 KB: declares the range
* corners-lying  — the same with ``<dimension ref="A1"/>``: calamine aborts allocating 8 TB
* bomb-cell      — one 600 MB cell of one repeated letter, zipped to ~600 KB
* long-cell      — one 40 MB cell of random letters (compresses ~1.3×)
* full-height    — 1,048,576 rows in column A, declared
* full-height-lying — the same declaring A1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import statistics
import string
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).absolute().parent
OUT = HERE / "out" / "hostile"
FILES = ["corners", "corners-lying", "bomb-cell", "long-cell", "full-height", "full-height-lying"]


def _rewrite(path: Path, part: str, change) -> None:
    src = path.with_suffix(".orig")
    os.replace(path, src)
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info, change(data) if info.filename == part else data)
    src.unlink()


def _lie(path: Path) -> None:
    _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', d),
    )


def make(name: str) -> Path:
    import xlsxwriter

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.xlsx"
    if path.exists():
        return path
    # constant_memory writes strings inline; the cell files need the shared-strings part.
    book = xlsxwriter.Workbook(str(path), {"constant_memory": name.startswith("full-height")})
    sheet = book.add_worksheet()
    if name.startswith("corners"):
        sheet.write_row(0, 0, ["统一社会信用代码", "名称"])
        sheet.write(1_048_575, 16_383, "x")
    elif name.startswith("full-height"):
        sheet.write(0, 0, "统一社会信用代码")
        for row in range(1, 1_048_576):
            sheet.write_number(row, 0, row)
    else:
        sheet.write(0, 0, "PLACEHOLDER")
    book.close()
    if name.endswith("-lying"):
        _lie(path)
    elif name == "bomb-cell":
        _rewrite(
            path, "xl/sharedStrings.xml", lambda d: d.replace(b"PLACEHOLDER", b"a" * (600 << 20))
        )
    elif name == "long-cell":
        text = "".join(random.Random(1).choices(string.ascii_letters, k=40 << 20)).encode()
        _rewrite(path, "xl/sharedStrings.xml", lambda d: d.replace(b"PLACEHOLDER", text))
    return path


def _hwm_mb() -> int:
    """This process's peak RSS (VmHWM: reset by exec, unlike ru_maxrss, which a child
    inherits from the process that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _child(path: Path, db: Path) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.imports.framework import CLI_ACTOR, import_file
    from shuangsuiji.registry.models import Entity

    department = Department.objects.create(code="BENCH", name="基准测试部门")
    rss_setup = _hwm_mb()
    started = time.perf_counter()
    result = import_file("entities", path=path, department=department, actor=CLI_ACTOR)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rss_mb": _hwm_mb(),
        "rss_setup_mb": rss_setup,
        "reader_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
        "refused": result.file_error is not None and not result.committed,
        "message": result.file_error.message if result.file_error else result.summary(),
        "written": Entity.objects.count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--make", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make(args.make)
        return 0
    if args.child:
        print(json.dumps(_child(Path(args.child[0]), Path(args.child[1])), ensure_ascii=False))
        return 0
    print(
        f"# {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(
        "| file | size | refused in (median s) | importing process peak RSS | reader child peak RSS (from the fork) | written | message |"
    )
    print("|---|---|---|---|---|---|---|")
    ok = True
    for name in FILES:
        # Made in a process of its own: the 600 MB string must not sit in this one.
        subprocess.run([sys.executable, __file__, "--make", name], check=True)
        path = OUT / f"{name}.xlsx"
        runs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                env = {**os.environ, "SSJ_VAR_DIR": tmp}
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), str(Path(tmp) / "db.sqlite3")],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        seconds = statistics.median(r["seconds"] for r in runs)
        last = runs[-1]
        ok &= (
            all(r["refused"] and r["written"] == 0 for r in runs)
            and seconds <= 2
            and last["rss_mb"] <= 300
        )
        print(
            f"| {name} | {path.stat().st_size / 1024:,.0f} KB | {seconds:.2f} | {last['rss_mb']} MB "
            f"(Django + migrate: {last['rss_setup_mb']} MB) | {last['reader_rss_mb']} MB | "
            f"{last['written']} | {last['message'][:60]} |"
        )
    print("goal met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
