"""Benchmark of the documents (issue 13, Numbers) on a fresh SQLite database:

  notices   the 5,000 检查通知书 of one dispatched task as one PDF, numbered on the way
            (``ssj documents batch CODE --issue``, a separate process): goal ≤ 60 s, ≤ 1 GB
  archive   the case file of a 500-visit task with 2,000 small evidence files
            (``ssj archive task``, a separate process): goal ≤ 60 s, memory flat

Time is the wall clock of the command; memory its peak RSS (getrusage of the child). The
data — entities, inspectors, the draws and their visits (through the real draw services),
the evidence files — are made first and not timed. Usage::

    .venv/bin/python benchmarks/documents.py [--notices 5000] [--visits 500] [--evidence 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import draw as draw_bench  # noqa: E402  (the same data helpers as benchmarks/draw.py)


def _dispatched(dept, operator, witness, *, year: int, targets: int, entities: int):
    from shuangsuiji.draw import services
    from shuangsuiji.draw.pool import task_pool

    ratio = max(1, -(-100 * targets // entities))  # rounded up: at least ``targets``
    task = draw_bench._make_task(dept, operator, year, ratio)
    draw = services.draw_commit(task=task, actor=operator, pool=task_pool(task=task))
    draw = services.draw_seed(
        draw=draw, seed_text=draw_bench.SEED_TEXT, sources="掷骰", witnesses=["基准"], actor=witness
    )
    draw = services.draw_confirm(draw=draw, actor=operator)
    services.draw_dispatch(draw=draw, actor=operator)
    return task


def _evidence(task, per_visit: int, operator) -> int:
    """Small evidence files on disk and their rows (as evidence_upload stores them)."""
    from django.conf import settings
    from django.utils import timezone

    from shuangsuiji.inspection.models import Evidence, Visit

    rows, n = [], 0
    media = Path(settings.MEDIA_ROOT)
    for v in Visit.objects.filter(lead_task=task).order_by("pk"):
        for k in range(per_visit):
            data = f"现场照片 {v.pk}-{k} ".encode() * 200  # about 4 KB
            digest = hashlib.sha256(data).hexdigest()
            name = f"evidence/{digest[:2]}/{digest}.jpg"
            path = media / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            rows.append(
                Evidence(
                    visit=v,
                    kind="photo",
                    file=name,
                    original_name=f"照片{k + 1}.jpg",
                    content_type="image/jpeg",
                    size=len(data),
                    sha256=digest,
                    description="现场照片",
                    uploaded_by=operator,
                    uploaded_at=timezone.now(),
                )
            )
            n += 1
    Evidence.objects.bulk_create(rows, batch_size=1000)
    return n


def _run(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one ``ssj`` process (GNU time's %M when present,
    else the children's maximum so far)."""
    cmd = [sys.executable, "-m", "shuangsuiji.cli", *argv]
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        cmd = [str(gnu_time), "-f", "%M", *cmd]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if gnu_time.exists():
        peak_kib = int(done.stderr.strip().splitlines()[-1])
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kib / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--visits", type=int, default=500)
    parser.add_argument("--evidence", type=int, default=4, help="每户证据文件数")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ssj-bench-docs-"))
    draw_bench._setup_django(tmp)
    from django.conf import settings

    entities = args.notices * 4  # 25 %: the big task draws ``notices``
    t = time.perf_counter()
    dept, operator, witness = draw_bench._seed_data(
        entities=entities, inspectors=max(200, args.notices // 25), conflicts=0
    )
    big = _dispatched(dept, operator, witness, year=2024, targets=args.notices, entities=entities)
    small = _dispatched(dept, operator, witness, year=2025, targets=args.visits, entities=entities)
    files = _evidence(small, args.evidence, operator)
    setup = time.perf_counter() - t
    from shuangsuiji.inspection.models import Visit

    report: dict = {
        "machine": draw_bench_machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "args": vars(args),
        "setup_seconds": round(setup, 1),
        "notices": Visit.objects.filter(lead_task=big).count(),
        "archive_visits": Visit.objects.filter(lead_task=small).count(),
        "evidence_files": files,
    }
    env = dict(
        os.environ,
        DATABASE_URL=os.environ["DATABASE_URL"],
        SSJ_VAR_DIR=str(settings.VAR_DIR),
    )
    notice_runs, archive_runs = [], []
    for i in range(args.runs):
        out = tmp / f"notices-{i}.pdf"
        notice_runs.append(
            _run(["documents", "batch", big.code, "--issue", "--out", str(out)], env)
        )
        size = out.stat().st_size
        zip_out = tmp / f"case-{i}.zip"
        archive_runs.append(_run(["archive", "task", small.code, "--out", str(zip_out)], env))
        zsize = zip_out.stat().st_size
        print(
            f"第{i + 1}次：通知书 {notice_runs[-1][0]:.1f} s / {notice_runs[-1][1]:.0f} MiB；"
            f"档案 {archive_runs[-1][0]:.1f} s / {archive_runs[-1][1]:.0f} MiB",
            flush=True,
        )
    report["notices_pdf_bytes"] = size
    report["archive_bytes"] = zsize
    report["notices_seconds"] = [round(w, 1) for w, _ in notice_runs]
    report["notices_peak_mib"] = [round(m) for _, m in notice_runs]
    report["archive_seconds"] = [round(w, 1) for w, _ in archive_runs]
    report["archive_peak_mib"] = [round(m) for _, m in archive_runs]
    report["notices_median_s"] = statistics.median(w for w, _ in notice_runs)
    report["archive_median_s"] = statistics.median(w for w, _ in archive_runs)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "documents-latest.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1)
    )
    return 0


def draw_bench_machine() -> dict:
    import platform

    return {
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in open("/proc/cpuinfo")
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": os.getloadavg()[0],
    }


if __name__ == "__main__":
    raise SystemExit(main())
