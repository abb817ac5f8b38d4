#!/usr/bin/env python
"""Benchmark (issue 14 Numbers): importing a credit-risk classification file and a flag file
into a large library, through the same code as ``ssj import credit-classes`` /
``ssj import credit-flags`` (``imports.framework.import_file``).

    .venv/bin/python benchmarks/credit.py                       # 1,000,000 entities, 3 runs
    .venv/bin/python benchmarks/credit.py --entities 100000 --runs 1

Each run is a child process with a fresh SQLite database (the settings of ``ssj``): the
library of ``--entities`` entities is written with ``executemany`` (not timed), then

* ``classes`` — a CSV of one row per entity (统一社会信用代码, 分类 as people write it — "A类",
  "较高风险" …, 评定日期, 来源) is imported: every code checked, every row compared with the
  library, the changed ones updated, one audit event and one record change per entity;
* ``flags``   — a CSV of ``--flags`` rows (a fifth of them for codes outside the library, as
  a city's list has) is imported: every row checked, upserted by (code, type, 列入日期).

Goal: ≤ 60 s each on SQLite. Wall time and peak RSS of the child are printed; figures go
to docs/benchmarks.md (median of the runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).absolute().parent
OUT = HERE / "out"
SEED = 20261205
CLASSES = ["A", "B类", "C", "D级", "低风险", "较高风险", "高风险", "一般风险"]
FLAG_KINDS = ["失信被执行人", "经营异常名录", "严重违法失信名单"]


def _codes(rng: random.Random, count: int, prefix: str) -> list[str]:
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    seen: set[str] = set()
    out = []
    while len(out) < count:
        first17 = prefix + "".join(rng.choices(alphabet, k=17 - len(prefix)))
        if first17 in seen:
            continue
        seen.add(first17)
        out.append(first17 + uscc.calc_check_digit(first17))
    return out


def make_files(entities: int, flags: int) -> tuple[Path, Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    codes_path = OUT / f"credit-codes-{entities}.txt"
    classes_path = OUT / f"credit-classes-{entities}.csv"
    flags_path = OUT / f"credit-flags-{entities}-{flags}.csv"
    if codes_path.exists() and classes_path.exists() and flags_path.exists():
        return codes_path, classes_path, flags_path
    rng = random.Random(SEED)
    codes = _codes(rng, entities, "91350881")
    codes_path.write_text("\n".join(codes), encoding="ascii")
    with open(classes_path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统一社会信用代码", "分类结果", "评定日期", "评定机关"])
        for code in codes:
            w.writerow(
                [
                    code,
                    rng.choice(CLASSES),
                    f"2026-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}",
                    "市市场监督管理局",
                ]
            )
    outside = _codes(rng, flags // 5, "91350800")
    inside = rng.sample(codes, min(len(codes), flags - len(outside)))
    with open(flags_path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["统一社会信用代码", "名单类型", "列入日期", "移出日期", "作出决定机关", "列入原因"]
        )
        for code in inside + outside:
            listed = f"20{rng.randint(20, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            removed = "2026-01-15" if rng.random() < 0.2 else ""
            w.writerow(
                [
                    code,
                    rng.choice(FLAG_KINDS),
                    listed,
                    removed,
                    "区市场监督管理局",
                    "未按规定报送年度报告",
                ]
            )
    return codes_path, classes_path, flags_path


def _child(case: str, codes_path: Path, path: Path, db: Path) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.imports.framework import CLI_ACTOR, import_file

    department = Department.objects.create(code="BENCH", name="基准测试部门")
    codes = codes_path.read_text(encoding="ascii").split("\n")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        "INSERT INTO registry_entity (key, uscc, name, subject_kind, entity_type, legal_representative,"
        " contact_person, contact_phone, address, region, street, industry, scale, responsible_units,"
        " risk_class, risk_source, status, remark, row_digest, department_id, created_at, updated_at)"
        " VALUES (%s, %s, %s, 'entity', 'legal_person', '', '', '', '', '', '', '', '', '', '', '',"
        " 'active', '', '', %s, %s, %s)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(0, len(codes), 10000):
            cursor.executemany(
                sql,
                [
                    (c, c, f"企业{n}", department.pk, now, now)
                    for n, c in enumerate(codes[i : i + 10000], i)
                ],
            )
    kind = "credit-classes" if case == "classes" else "credit-flags"
    started = time.perf_counter()
    result = import_file(kind, path=path, department=department, actor=CLI_ACTOR)
    seconds = time.perf_counter() - started
    assert result.committed and not result.has_errors, result.summary()
    return {
        "case": case,
        "seconds": seconds,
        "rows": result.total,
        "summary": result.summary(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _run_child(case: str, codes_path: Path, path: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="ssj-bench-") as tmp:
        env = dict(os.environ, SSJ_VAR_DIR=tmp, PYTHONPATH=str(HERE.parent / "src"))
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                case,
                str(codes_path),
                str(path),
                str(Path(tmp) / "b.sqlite3"),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"基准测试子进程失败：{case}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--flags", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("CASE", "CODES", "FILE", "DB"))
    args = parser.parse_args()
    if args.child:
        case, codes, path, db = args.child
        print(json.dumps(_child(case, Path(codes), Path(path), Path(db)), ensure_ascii=False))
        return 0
    codes_path, classes_path, flags_path = make_files(args.entities, args.flags)
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for case, path in (("classes", classes_path), ("flags", flags_path)):
        runs = [_run_child(case, codes_path, path) for _ in range(args.runs)]
        secs = [r["seconds"] for r in runs]
        rss = [r["peak_rss_mb"] for r in runs]
        print(
            f"{case}: {runs[0]['rows']:,} rows into {args.entities:,} entities — "
            f"{' / '.join(f'{s:.1f}' for s in secs)} s, median {statistics.median(secs):.1f} s; "
            f"peak RSS median {statistics.median(rss):.0f} MiB"
        )
        print(f"  {runs[0]['summary']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
