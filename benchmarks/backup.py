"""Benchmark of ``ssj backup`` / ``ssj restore`` (issue 11 item 8): the demo plus 100,000
published results in PostgreSQL, backed up in ≤ 30 s.

    .venv/bin/python benchmarks/backup.py                 # demo + 100,000 results, 3 backups
    .venv/bin/python benchmarks/backup.py --results 20000 --runs 1

Steps: a throw-away PostgreSQL server (scripts/pg-test-server.sh); ``ssj demo --no-serve``;
``results_data.results_generate`` adds the results (COPY); then ``ssj backup`` ``--runs``
times (the median is reported, with the archive's size), one ``ssj restore`` into a new empty
database, and ``ssj audit verify`` there. Each ``ssj`` runs as an operator would run it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).absolute().parent
ROOT = HERE.parent


def _ssj(env: dict, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"ssj {' '.join(args)} 失败：{done.stderr[-2000:]}")
    return time.perf_counter() - started


def _generate(env: dict, results: int) -> None:
    code = (
        f"import django, sys; django.setup(); sys.path.insert(0, {str(HERE)!r});"
        f"import results_data; g = results_data.results_generate(results={results}, bulk=True);"
        "print(g)"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "shuangsuiji.settings"},
        check=True,
        capture_output=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    script = ROOT / "scripts" / "pg-test-server.sh"
    with tempfile.TemporaryDirectory(prefix="ssj-bench-backup-") as tmp:
        tmp_path = Path(tmp)
        tmp_path.chmod(0o755)  # the server runs as the postgres user when we are root
        server = subprocess.run(
            ["bash", str(script), "start", str(tmp_path / "pg")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        try:
            import psycopg

            def database() -> str:
                name = f"bench_{uuid.uuid4().hex[:8]}"
                admin = server.rsplit("/", 1)[0] + "/postgres"
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return server.rsplit("/", 1)[0] + "/" + name

            base = {k: v for k, v in os.environ.items() if not k.startswith(("SSJ_", "DATABASE"))}
            source = {**base, "DATABASE_URL": database(), "SSJ_VAR_DIR": str(tmp_path / "source")}
            _ssj(source, "demo", "--no-serve")
            _generate(source, args.results)
            times, size = [], 0
            for run in range(args.runs):
                out = tmp_path / f"backup-{run}.tar"
                times.append(_ssj(source, "backup", "--out", str(out)))
                size = out.stat().st_size
            target = {**base, "DATABASE_URL": database(), "SSJ_VAR_DIR": str(tmp_path / "target")}
            restore = _ssj(target, "restore", str(tmp_path / "backup-0.tar"))
            verify = _ssj(target, "audit", "verify")
        finally:
            subprocess.run(["bash", str(script), "stop", str(tmp_path / "pg")], check=False)
    median = statistics.median(times)
    print(
        f"# {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"{time.strftime('%Y-%m-%d')} · demo + {args.results:,} published results (PostgreSQL)"
    )
    print(
        f"ssj backup: median {median:.1f} s ({' / '.join(f'{t:.1f}' for t in times)}), "
        f"archive {size / 1024 / 1024:.0f} MB"
    )
    print(f"ssj restore into an empty database: {restore:.1f} s; ssj audit verify: {verify:.1f} s")
    ok = median <= 30
    print("goal met (≤ 30 s)" if ok else "GOAL MISSED (≤ 30 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
