"""Benchmark of 一公开 at scale (issue 4 item 9): 1,000,000 published results in PostgreSQL.

Goals: looking up an entity's results by 统一社会信用代码 with p50 ≤ 20 ms at the service
(``disclosure.selectors.published_results_for_code``), and the public result page served
at ≥ 300 requests/s on the 2-core machine by the production setup of docs/deployment.md
(``ssj serve`` = gunicorn, ``--workers 3 --threads 4``, ``SSJ_PRODUCTION=true``).

Steps:

1. PostgreSQL: ``DATABASE_URL`` if it names one, else a throw-away server started with
   scripts/pg-test-server.sh (fsync off — it only speeds up loading; the measurements read).
2. ``ssj migrate``; ``results_data.results_generate`` writes the rows by ``COPY``; then
   ``VACUUM ANALYZE``. ``--reuse`` skips generation when the database already holds them.
3. Service: the real selector for ``--lookups`` random credit codes (a fifth of them of
   entities with several results), after a warm-up; p50/p95/p99 of the wall time, the rows
   fully fetched.
4. One request profiled in-process (Django test client): time, SQL queries and their time.
5. Load: ``ssj serve`` exactly as documented, its access log on, and ``wrk`` (installed from
   Debian when missing and running as root) from loopback for ``--runs`` bounded runs of
   ``--duration`` seconds each after a warm-up, against the result pages of random
   published rows (a Lua script picks them); a Python client if wrk cannot be had. Client
   and server share the machine's cores. The median run is reported.

Usage::

    .venv/bin/python benchmarks/results.py                     # 1,000,000 results, 3 × 20 s
    .venv/bin/python benchmarks/results.py --results 100000 --runs 1 --duration 10
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/results.py --reuse

Figures: docs/benchmarks.md; the last run's numbers in benchmarks/out/results-latest.json.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).absolute().parent
ROOT = HERE.parent
OUT = HERE / "out"
# Run as a script, HERE is sys.path[0] already; imported (by its test), the siblings are
# appended, so that nothing in benchmarks/ can shadow a real module.
for _p in (HERE, ROOT / "src"):
    if str(_p) not in sys.path:
        sys.path.append(str(_p))

import results_data  # noqa: E402
from results_load import load_run, server_start, server_stop, wrk_available  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank on the sorted samples."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def lookup_calls() -> dict[str, Callable[[str], int]]:
    """The real lookups by 统一社会信用代码, each returning the number of rows it fetched:
    the service (``selectors.published_results_for_code``, its queryset evaluated) and what
    the portal's entity page reads (``portal_selectors.entity_results``), when present."""
    from shuangsuiji.disclosure import selectors

    fn = selectors.published_results_for_code
    # Named ``code`` or ``credit_code`` depending on the version of the selector.
    param = "credit_code" if "credit_code" in inspect.signature(fn).parameters else "code"
    calls = {"published_results_for_code": lambda c: len(list(fn(**{param: c})))}
    try:
        from shuangsuiji.disclosure.portal_selectors import entity_results
    except ImportError:
        return calls
    calls["portal entity_results"] = lambda c: len(entity_results(credit_code=c))
    return calls


def lookup_measure(
    *, codes: list[str], call: Callable[[str], int], warmup: list[str] = ()
) -> list[tuple[float, int]]:
    """(seconds, rows) of ``call`` for each code, after calling it on ``warmup``."""
    for code in warmup:
        call(code)
    out = []
    for code in codes:
        start = time.perf_counter()
        rows = call(code)
        out.append((time.perf_counter() - start, rows))
    return out


def lookup_plan(*, code: str) -> str:
    """PostgreSQL's plan of the service's query (to show the index it uses)."""
    from shuangsuiji.disclosure import selectors

    fn = selectors.published_results_for_code
    param = "credit_code" if "credit_code" in inspect.signature(fn).parameters else "code"
    qs = fn(**{param: code})
    return qs.explain(analyze=True) if hasattr(qs, "explain") else "(选择器返回的不是查询集)"


def result_path(pk: int) -> str:
    """The public result page of one published row (disclosure/public_urls.py)."""
    from django.urls import reverse

    return reverse("portal:result", kwargs={"pk": pk})


def page_profile(*, ids: list[int]) -> dict:
    """Serve the result pages of ``ids`` in this process through Django's WSGI handler (what
    gunicorn calls; no network): CPU and wall milliseconds per request, split into SQL
    (queries, time), template rendering and the rest (middleware, view, ORM building).
    Every response must be 200 for the figures to count. The database connection stays
    open between requests (as in Django's test client); connecting is measured by the load
    run, in the database's CPU."""
    import io

    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections, connection
    from django.template.backends import django as django_backend

    handler = WSGIHandler()
    statuses: list[str] = []
    spent = {"sql": 0.0, "queries": 0, "template": 0.0}

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def call(pk: int) -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": result_path(pk),
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
        }
        response = handler(environ, start_response)
        b"".join(response)
        response.close()

    def sql_timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.perf_counter() - start
            spent["queries"] += 1

    render = django_backend.Template.render

    def timed_render(self, *a, **kw):
        start = time.perf_counter()
        try:
            return render(self, *a, **kw)
        finally:
            spent["template"] += time.perf_counter() - start

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        for pk in ids[: max(1, len(ids) // 10)]:  # warm: URL resolver, template cache, connection
            call(pk)
        statuses.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        for pk in ids:
            call(pk)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        django_backend.Template.render = timed_render
        with connection.execute_wrapper(sql_timer):
            for pk in ids:
                call(pk)
    finally:
        django_backend.Template.render = render
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    n = len(ids)
    return {
        "requests": n,
        "cpu_ms_per_request": cpu * 1000 / n,
        "wall_ms_per_request": wall * 1000 / n,
        "queries_per_request": spent["queries"] / n,
        "sql_ms_per_request": spent["sql"] * 1000 / n,
        "template_ms_per_request": spent["template"] * 1000 / n,
        "non_200": sum(not s.startswith("200") for s in statuses),
    }


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process (parent of our backend), when it runs here."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    try:
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_before": os.getloadavg()[0],
    }


def _database(args, tmp: Path) -> tuple[str, Path | None]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url, None
    pgdir = tmp / "pg"
    tmp.chmod(0o755)  # the server runs as user postgres (under root) and must reach its directory
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/pg-test-server.sh"), "start", str(pgdir)],
        capture_output=True,
        text=True,
    )
    url = out.stdout.strip()
    if out.returncode or not url.startswith("postgres"):
        log = pgdir / "initdb.log"
        raise SystemExit(
            f"无法启动 PostgreSQL：{out.stdout}{out.stderr}{log.read_text() if log.exists() else ''}"
        )
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE ssj_bench")
    return base + "/ssj_bench", pgdir


def _setup_django(url: str, var: Path, conn_max_age: int | None = None) -> None:
    os.environ["DATABASE_URL"] = url
    if conn_max_age is not None:  # the in-process profile connects as the server does
        os.environ["SSJ_DB_CONN_MAX_AGE"] = str(conn_max_age)
    os.environ["SSJ_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _summary(times: list[float]) -> dict:
    ms = [t * 1000 for t in times]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "mean_ms": statistics.fmean(ms),
        "max_ms": max(ms),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=1_000_000, help="公示结果行数")
    parser.add_argument("--lookups", type=int, default=2_000, help="按信用代码查询次数")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=20, help="每次压测秒数（≤ 30）")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn 进程数（docs/deployment.md：2 核用 3）"
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="SSJ_DB_CONN_MAX_AGE of the server (default: as docs/deployment.md)",
    )
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--reuse", action="store_true", help="库中已有足够数据时不再生成")
    parser.add_argument("--skip-load", action="store_true", help="只测服务层查询")
    parser.add_argument("--keep", action="store_true", help="保留临时目录与 PostgreSQL")
    args = parser.parse_args(argv)
    args.duration = min(args.duration, 30)  # each load run is bounded (issue 4 item 9)

    tmp = Path(tempfile.mkdtemp(prefix="ssj-bench-results-"))
    report: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "args": vars(args)}
    pgdir = None
    server = None
    try:
        url, pgdir = _database(args, tmp)
        _setup_django(url, tmp / "var", args.conn_max_age)
        from django.db import connection

        from shuangsuiji.disclosure.models import PublishedResult

        report["postgres"] = connection.cursor().connection.info.server_version
        have = PublishedResult.objects.count()
        if args.reuse and have >= args.results:
            print(f"沿用库中已有的 {have:,} 条公示结果", flush=True)
        else:
            gen = results_data.results_generate(
                results=args.results,
                bulk=True,
                progress=lambda done, total: print(f"  生成 {done:,}/{total:,}", flush=True),
            )
            start = time.perf_counter()
            dangling = {k: n for k, n in results_data.foreign_keys_check().items() if n}
            if dangling:
                raise SystemExit(f"生成的数据外键不一致：{dangling}")
            check_s = time.perf_counter() - start
            start = time.perf_counter()
            results_data.database_analyze()
            report["generate"] = {
                **gen.__dict__,
                "fk_check_seconds": check_s,
                "analyze_seconds": time.perf_counter() - start,
            }
            print(
                f"数据生成：{gen.results:,} 条公示结果（{gen.distinct_results:,} 个检查结果，"
                f"其中更正 {gen.corrections:,} 个），{gen.entities:,} 个检查对象；COPY 用时 {gen.seconds:.1f} s，"
                f"外键核对 {check_s:.1f} s，VACUUM ANALYZE {report['generate']['analyze_seconds']:.1f} s",
                flush=True,
            )
        report["dataset"] = {
            "published": PublishedResult.objects.count(),
            "entities_with_results": PublishedResult.objects.values("credit_code")
            .distinct()
            .count(),
        }

        # (a) the service
        codes, multi = results_data.codes_sample(count=args.lookups + 200, multi_share=0.2, seed=7)
        warm, codes = codes[:200], codes[200:]
        report["lookup"] = {}
        for name, call in lookup_calls().items():
            measured = lookup_measure(codes=codes, call=call, warmup=warm)
            times = [t for t, _rows in measured]
            report["lookup"][name] = {
                "all": _summary(times),
                "multi": _summary([t for t, c in zip(times, codes, strict=True) if c in multi]),
                "rows_max": max(rows for _t, rows in measured),
            }
            lk = report["lookup"][name]["all"]
            print(
                f"{name}（{lk['n']} 个信用代码）：p50 {lk['p50_ms']:.2f} ms  p95 {lk['p95_ms']:.2f} ms  "
                f"p99 {lk['p99_ms']:.2f} ms  最多 {report['lookup'][name]['rows_max']} 行（目标 p50 ≤ 20 ms）",
                flush=True,
            )
        report["lookup_plan"] = lookup_plan(code=next(c for c in codes if c in multi))
        print(report["lookup_plan"], flush=True)

        if not args.skip_load:
            ids = results_data.published_ids_sample(count=20_000, seed=11)
            report["profile"] = page_profile(ids=ids[:500])
            pr = report["profile"]
            print(
                f"单个页面（进程内 WSGI，{pr['requests']} 次）：CPU {pr['cpu_ms_per_request']:.2f} ms/次，"
                f"耗时 {pr['wall_ms_per_request']:.2f} ms/次；其中 {pr['queries_per_request']:.1f} 条 SQL "
                f"{pr['sql_ms_per_request']:.2f} ms，模板 {pr['template_ms_per_request']:.2f} ms",
                flush=True,
            )
            client = args.client
            if client == "auto":
                client = "wrk" if wrk_available(install=True) else "python"
            server = server_start(
                url=url,
                var=tmp / "var",
                workers=args.workers,
                threads=args.threads,
                log=tmp / "server.log",
                probe=result_path(ids[0]),
                conn_max_age=args.conn_max_age,
            )
            db_pid = postmaster_pid()
            paths = [result_path(pk) for pk in ids]
            warm = load_run(
                client=client,
                port=server.port,
                paths=paths,
                seconds=5,
                connections=args.connections,
                workdir=tmp,
            )
            print(f"预热 5 s：{warm['rps']:.0f} 次/秒", flush=True)
            runs = []
            for i in range(args.runs):
                r = load_run(
                    client=client,
                    port=server.port,
                    paths=paths,
                    seconds=args.duration,
                    connections=args.connections,
                    workdir=tmp,
                    server_pid=server.proc.pid,
                    db_pid=db_pid,
                )
                runs.append(r)
                print(
                    f"第{i + 1}次（{client}，{args.duration} s，{args.connections} 连接）：{r['rps']:.0f} 次/秒  "
                    f"p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  非2xx {r['non2xx']}  "
                    f"错误 {r['errors']}  整机 CPU {r['cpu_busy']:.0%}",
                    flush=True,
                )
                c = r["cpu_ms_per_request"]
                print(
                    f"    每请求 CPU：服务 {c['server']:.2f} ms  数据库 {c['db']:.2f} ms  客户端 {c['client']:.2f} ms"
                    f" → 两核独占时约 {r['cpu_bound_rps']:.0f} 次/秒",
                    flush=True,
                )
            median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
            report["load"] = {
                "client": client,
                "runs": runs,
                "median": median,
                "server": {"workers": args.workers, "threads": args.threads},
            }
            print(
                f"中位数：{median['rps']:.0f} 次/秒（目标 ≥ 300），p50 {median['p50_ms']:.1f} ms，"
                f"p99 {median['p99_ms']:.1f} ms；三次共非2xx {sum(r['non2xx'] for r in runs)}",
                flush=True,
            )
        OUT.mkdir(exist_ok=True)
        (OUT / "results-latest.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=1, default=str)
        )
    finally:
        if server is not None:
            server_stop(server)
        if pgdir is not None and not args.keep:
            from django.db import connections

            connections.close_all()
            subprocess.run(["bash", str(ROOT / "scripts/pg-test-server.sh"), "stop", str(pgdir)])
        if args.keep:
            print(
                f"临时目录（含 PostgreSQL）：{tmp}；DATABASE_URL={os.environ.get('DATABASE_URL')}"
            )
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
