#!/usr/bin/env python
"""Benchmark (issue 16 第 4 项, "lists that scale"): the entity library's list page over a
1,000,000-entity library — page numbers, sorting, filters, search, the xlsx export — and
the global search, through Django's test client (the view, its queries and the template;
no network).

    .venv/bin/python benchmarks/lists.py                      # 1,000,000 entities, 5 runs
    .venv/bin/python benchmarks/lists.py --entities 100000 --runs 3

A child process gets a fresh SQLite database (the settings of ``ssj``), writes the library
with ``executemany`` (not timed; a tenth of it in 建筑业, names ``企业N``), then times each
request ``--runs`` times and prints the median. Goals: each page ≤ 0.4 s (what the first-week
test of the issue measured the other pages at); the export of a filtered list of 100,000
rows (the most one export takes) ≤ 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).absolute().parent
CASES = [
    ("第1页（默认：最新在前）", "/registry/entities/", {}),
    ("按名称排序，第1页", "/registry/entities/", {"sort": "name"}),
    ("按名称排序，第200页", "/registry/entities/", {"sort": "name", "page": "200"}),
    ("行业筛选+按信用代码倒序", "/registry/entities/", {"industry": "建筑业", "sort": "-code"}),
    ("名称搜索“企业12345”", "/registry/entities/", {"q": "企业12345"}),
    ("全局搜索“企业12345”", "/search/", {"q": "企业12345"}),
]
EXPORT = (
    "导出 xlsx：行业筛选（10万行）",
    "/registry/entities/",
    {"industry": "建筑业", "format": "xlsx"},
)


def _child(entities: int, runs: int, db: Path) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone
    from stdnum.cn import uscc

    call_command("migrate", verbosity=0)
    from shuangsuiji.accounts.models import Department, Membership, User

    department = Department.objects.create(code="BENCH", name="基准测试部门")
    user = User.objects.create(username="bench", full_name="基准测试", is_active=True)
    Membership.objects.create(user=user, department=department, role="dept_admin")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        "INSERT INTO registry_entity (key, uscc, name, subject_kind, entity_type, legal_representative,"
        " contact_person, contact_phone, address, region, street, industry, scale, responsible_units,"
        " risk_class, risk_source, status, status_reason, remark, row_digest, department_id, created_at,"
        " updated_at)"
        " VALUES (%s, %s, %s, 'entity', 'legal_person', '', '联络人', '13800138000', '', %s, '', %s,"
        " '', '', '', '', 'active', '', '', '', %s, %s, %s)"
    )
    regions = ["松江区", "闵行区", "漳平市", "青浦区"]
    industries = [
        "建筑业",
        "餐饮",
        "零售",
        "制造业",
        "物流",
        "燃气",
        "物业",
        "医药",
        "教育",
        "其他",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, entities, 10000):
            rows = []
            for n in range(start, min(entities, start + 10000)):
                first17 = f"9135{n:013d}"
                code = first17 + uscc.calc_check_digit(first17)
                rows.append(
                    (
                        code,
                        code,
                        f"企业{n}",
                        regions[n % 4],
                        industries[n % 10],
                        department.pk,
                        now,
                        now,
                    )
                )
            cursor.executemany(sql, rows)
    cursor = connection.cursor()
    cursor.execute("ANALYZE")
    client = Client(SERVER_NAME="127.0.0.1", HTTP_HOST="127.0.0.1")
    client.force_login(user)
    out: dict = {"cases": []}
    for label, path, params in CASES:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            r = client.get(path, params)
            assert r.status_code == 200, (label, r.status_code)
            times.append(time.perf_counter() - started)
        out["cases"].append({"label": label, "median": statistics.median(times), "runs": times})
    label, path, params = EXPORT
    times = []
    size = 0
    for _ in range(max(1, runs // 2)):
        started = time.perf_counter()
        r = client.get(path, params)
        body = b"".join(r.streaming_content)
        times.append(time.perf_counter() - started)
        assert r.status_code == 200, r.status_code
        size = len(body)
    out["cases"].append(
        {"label": label, "median": statistics.median(times), "runs": times, "bytes": size}
    )
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("ENTITIES", "RUNS", "DB"))
    args = parser.parse_args()
    if args.child:
        entities, runs, db = args.child
        print(json.dumps(_child(int(entities), int(runs), Path(db)), ensure_ascii=False))
        return 0
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {args.entities:,} entities"
    )
    with tempfile.TemporaryDirectory(prefix="ssj-bench-") as tmp:
        env = dict(os.environ, SSJ_VAR_DIR=tmp, PYTHONPATH=str(HERE.parent / "src"))
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(args.entities),
                str(args.runs),
                f"{tmp}/b.sqlite3",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        return 1
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for case in result["cases"]:
        runs = " / ".join(f"{t:.3f}" for t in case["runs"])
        extra = f"（{case['bytes'] / 1e6:.1f} MB）" if "bytes" in case else ""
        print(f"{case['label']}: median {case['median']:.3f} s{extra}  [{runs}]")
    print(f"peak RSS {result['peak_rss_mb']:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
