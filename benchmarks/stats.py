"""Benchmark of 统计分析 (issue 12): the statistics of one department-year and the leading
office's all-department view, and `ssj stats --json` for the whole province.

Goals: p50 ≤ 300 ms on PostgreSQL (≤ 1 s on SQLite) for the page of one department-year and
for the all-department view; `ssj stats --year Y --json` for every department ≤ 2 s.

Data (PostgreSQL; a throw-away server unless DATABASE_URL names one): 300,000 published
results with their entities, visits, results and versions (benchmarks/results_data.py,
four years 2022–2025, by COPY), then entities topped up to 1,000,000, and the work spread
over 50 departments (the generator's 4, plus 46 more; tasks and their entities are
reassigned round-robin). The page is requested through Django's test client as the
leading office's 审计员 sees it (figures, conclusion table, the side-by-side table of all
50 departments); one department-year is timed through the same view.

Usage: .venv/bin/python benchmarks/stats.py [--results 300000] [--entities 1000000] [--runs 7]
Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import results_data  # noqa: E402
from results import _database, _setup_django, machine  # noqa: E402

DEPARTMENTS = 50


def _spread(entities_total: int) -> dict:
    """Top the library up to ``entities_total`` and spread tasks and entities over 50
    departments."""
    from django.db import connection

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.planning.models import Task
    from shuangsuiji.registry.choices import EntityStatus, EntityType, Scale, SubjectKind
    from shuangsuiji.registry.models import Entity

    started = time.perf_counter()
    base = list(Department.objects.order_by("id"))
    for k in range(len(base), DEPARTMENTS):
        Department.objects.get_or_create(
            code=f"BENCH-{k:02d}", defaults={"name": f"基准测试部门{k:02d}"}
        )
    depts = list(Department.objects.filter(code__startswith="BENCH").order_by("id"))[:DEPARTMENTS]
    have = Entity.objects.count()
    if connection.vendor == "sqlite":
        return _spread_sqlite(depts, have, entities_total)
    with connection.cursor() as cur:
        if have < entities_total:
            cur.execute(
                "INSERT INTO registry_entity (department_id, key, uscc, name, subject_kind, "
                "entity_type, legal_representative, contact_person, contact_phone, address, "
                "region, street, industry, scale, responsible_units, risk_class, risk_source, "
                "status, remark, row_digest, created_at, updated_at) "
                "SELECT %s, 'X' || g, '', '补充检查对象' || g, %s, %s, '', '', '', '', '松江区', '', "
                "'房屋建筑业', %s, '', (ARRAY['A','B','C','D'])[1 + g %% 4], '', %s, '', '', now(), now() "
                "FROM generate_series(1, %s) g",
                [
                    depts[0].pk,
                    SubjectKind.ENTITY,
                    EntityType.LEGAL_PERSON,
                    Scale.UNKNOWN,
                    EntityStatus.ACTIVE,
                    entities_total - have,
                ],
            )
        ids = [d.pk for d in depts]
        cur.execute(
            "UPDATE planning_task SET department_id = (%s::int[])[1 + (id %% %s)]",
            [ids, len(ids)],
        )
        cur.execute(
            "UPDATE registry_entity SET department_id = (%s::int[])[1 + (id %% %s)]",
            [ids, len(ids)],
        )
        # As autovacuum leaves a table some time after a bulk change (visibility map set:
        # index-only counts).
        cur.execute("VACUUM ANALYZE")
    return {
        "departments": len(depts),
        "tasks": Task.objects.count(),
        "entities": Entity.objects.count(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _spread_sqlite(depts, have: int, entities_total: int) -> dict:
    from django.db import connection, transaction

    from shuangsuiji.planning.models import Task
    from shuangsuiji.registry.choices import EntityStatus, EntityType, Scale, SubjectKind
    from shuangsuiji.registry.models import Entity

    started = time.perf_counter()
    ids = [d.pk for d in depts]
    cases = " ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(ids))
    with transaction.atomic(), connection.cursor() as cur:
        if have < entities_total:
            cur.execute(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
                "INSERT INTO registry_entity (department_id, key, uscc, name, subject_kind, "
                "entity_type, legal_representative, contact_person, contact_phone, address, "
                "region, street, industry, scale, responsible_units, risk_class, risk_source, "
                "status, remark, row_digest, created_at, updated_at) "
                "SELECT %s, 'X' || n, '', '补充检查对象' || n, %s, %s, '', '', '', '', '松江区', '', "
                "'房屋建筑业', %s, '', substr('ABCD', 1 + n %% 4, 1), '', %s, '', '', "
                "datetime('now'), datetime('now') FROM g",
                [
                    entities_total - have,
                    ids[0],
                    SubjectKind.ENTITY,
                    EntityType.LEGAL_PERSON,
                    Scale.UNKNOWN,
                    EntityStatus.ACTIVE,
                ],
            )
        cur.execute(f"UPDATE planning_task SET department_id = CASE id % {len(ids)} {cases} END")
        cur.execute(f"UPDATE registry_entity SET department_id = CASE id % {len(ids)} {cases} END")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {
        "departments": len(ids),
        "tasks": Task.objects.count(),
        "entities": Entity.objects.count(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _timed(fn, runs: int, before=None) -> dict:
    """``fn`` timed ``runs`` times after one warm-up; ``before`` (not timed) runs first each
    time (emptying the cache, or changing one department)."""
    fn()  # warm-up
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "max_ms": round(times[-1] * 1000, 1),
        "runs_ms": [round(t * 1000, 1) for t in times],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=300_000)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sqlite", action="store_true", help="在 SQLite 上运行（默认 PostgreSQL）")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ssj-bench-stats-"))
    if args.sqlite:
        url, pgdir = f"sqlite:///{tmp / 'stats.sqlite3'}", None
    else:
        url, pgdir = _database(args, tmp)
    report: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "args": vars(args)}
    try:
        _setup_django(url, tmp / "var")
        from django.test import Client

        from shuangsuiji.accounts.choices import Role
        from shuangsuiji.accounts.models import Department, Membership, User
        from shuangsuiji.audit.services import event_record
        from shuangsuiji.disclosure.models import PublishedResult

        if PublishedResult.objects.count() < args.results:
            t = time.perf_counter()
            gen = results_data.results_generate(results=args.results, bulk=not args.sqlite)
            if not args.sqlite:
                results_data.database_analyze()
            report["generate"] = {**gen.__dict__, "seconds": round(time.perf_counter() - t, 1)}
            print(
                f"生成 {gen.results:,} 条公示结果，用时 {report['generate']['seconds']} s",
                flush=True,
            )
        report["spread"] = _spread(args.entities)
        print(f"数据分布：{report['spread']}", flush=True)
        office, _ = Department.objects.get_or_create(
            code="LXBGS", defaults={"name": "联席会议办公室", "is_leading_office": True}
        )
        Department.objects.filter(pk=office.pk).update(is_leading_office=True)
        user, _ = User.objects.get_or_create(
            username="bench-auditor", defaults={"full_name": "督办"}
        )
        Membership.objects.get_or_create(user=user, department=office, role=Role.AUDITOR)
        client = Client()
        client.force_login(user)
        dept = Department.objects.filter(code__startswith="BENCH").order_by("id").first()

        def page(code: str, year: int):
            response = client.get(f"/stats/?year={year}&department={code}")
            assert response.status_code == 200, response.status_code
            return response

        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from shuangsuiji.stats.cache import figures_forget

        def touch(department=None):
            """An audit event, as every change writes one (stats/cache.py reads them)."""
            with transaction.atomic():
                event_record(actor=None, action="bench.touch", department=department)

        touch()  # the generated data has no events: start the chain
        other = Department.objects.filter(code__startswith="BENCH").order_by("-id").first()

        with CaptureQueriesContext(connection) as queries:
            figures_forget()
            page(dept.code, 2024)
        slow = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]
        report["slowest_queries"] = [(q["time"], q["sql"][:300]) for q in slow]
        report["queries"] = len(queries.captured_queries)
        # Cold: no figures kept (forgotten before each request; the menu's 待办 counts stay
        # cached for their 60 s, as between a user's requests).
        report["one_department_year"] = _timed(
            lambda: page(dept.code, 2024), args.runs, before=figures_forget
        )
        with CaptureQueriesContext(connection) as queries:
            figures_forget()
            page("LXBGS", 2024)
        slow = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]
        report["all_slowest_queries"] = [(q["time"], q["sql"][:200]) for q in slow]
        report["all_queries"] = len(queries.captured_queries)
        report["all_departments"] = _timed(
            lambda: page("LXBGS", 2024), args.runs, before=figures_forget
        )
        # Kept figures: one department changed since the last look (only its figures are
        # counted again), and nothing changed.
        report["all_departments_one_changed"] = _timed(
            lambda: page("LXBGS", 2024), args.runs, before=lambda: touch(other)
        )
        report["one_department_year_changed"] = _timed(
            lambda: page(dept.code, 2024), args.runs, before=lambda: touch(dept)
        )
        report["all_departments_unchanged"] = _timed(lambda: page("LXBGS", 2024), args.runs)
        # ssj stats-warm: the day's common views counted ahead (50 departments, 2 years).
        from django.utils import timezone

        from shuangsuiji.stats.selectors import figures_warm

        figures_forget()
        t = time.perf_counter()
        sets = figures_warm(today=timezone.localdate())
        report["warm"] = {"sets": sets, "seconds": round(time.perf_counter() - t, 1)}
        # (warmed: this year and last, 2026 and 2025 on the day measured)
        report["all_departments_after_warm"] = _timed(lambda: page("LXBGS", 2025), args.runs)
        env = dict(os.environ, DATABASE_URL=url, SSJ_VAR_DIR=str(tmp / "var"))

        def cli():
            subprocess.run(
                [sys.executable, "-m", "shuangsuiji.cli", "stats", "--year", "2024", "--json"],
                env=env,
                check=True,
                capture_output=True,
                cwd=ROOT,
            )

        # The shell reads the kept figures too (the same table); cold: forgotten first.
        report["cli_province"] = _timed(cli, max(3, args.runs // 2))
        report["cli_province_cold"] = _timed(cli, max(3, args.runs // 2), before=figures_forget)
        print(json.dumps(report, ensure_ascii=False, indent=1))
        (HERE / "out").mkdir(exist_ok=True)
        (HERE / "out" / f"stats-{'sqlite' if args.sqlite else 'postgres'}-latest.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=1)
        )
    finally:
        if pgdir is not None:
            subprocess.run(["bash", str(ROOT / "scripts/pg-test-server.sh"), "stop", str(pgdir)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
