"""Benchmark of the pure draw protocol (issue 3, item 10), in memory, no database.

1,000,000 targets in four credit-risk classes, 5 % drawn in each (50,000 in all), every
selected target matched with 2 of 2,000 inspectors, 1,000 declared conflicts. Times
``manifest_build``, ``manifest_parse``, ``manifest_prepare``, ``draw_compute`` (on the
bytes, and on the prepared manifest as the platform's ``draw_seed`` runs it) and
``result_text``, and — in the same runs — the bare cost of the pool's SHA-256 scores:
``C``, ``K`` and ``SHA-256(K || "target:" || id)`` for every target, with the fastest
plain loop (a hashed prefix copied per id, ids already split into a list). Goal: the
protocol core — selection and matching from the prepared manifest — within 1.5× of that
bare cost; ``draw_compute`` on the bytes (reading and checking every line too) is shown
beside it.

    .venv/bin/python benchmarks/draw_protocol.py [--targets N] [--runs 3]

Prints a table of medians over the runs (wall clock and CPU time), the ratios per run,
and the peak RSS. The ratios are given against the target scores alone and against all
the SHA-256 the protocol needs (target scores plus the k assignment scores per target).
"""

import argparse
import hashlib
import math
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shuangsuiji.draw.protocol import (  # noqa: E402
    draw_compute,
    manifest_build,
    manifest_parse,
    manifest_prepare,
    result_text,
    seed_bytes,
)

SEED = "2024年第116期 双色球 03 07 12 19 25 31 + 09; 骰子 3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4"
CLASSES = {"A": 0.40, "B": 0.30, "C": 0.20, "D": 0.10}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_pool(targets: int, inspectors: int, conflicts: int, rnd: random.Random) -> dict:
    """Python data as a service would read them from the libraries (not in canonical order)."""
    codes: set[str] = set()
    while len(codes) < targets:
        codes.update(
            "91310117" + "".join(rnd.choices(USCC_CHARS, k=10)) for _ in range(targets - len(codes))
        )
    classes = rnd.choices(list(CLASSES), weights=list(CLASSES.values()), k=targets)
    pool = list(zip(codes, classes, strict=True))
    counts = {c: classes.count(c) for c in CLASSES}
    staff = [(f"130807{x:05d}", 60) for x in range(1, inspectors + 1)]
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < conflicts:
        pairs.add((rnd.choice(staff)[0], rnd.choice(pool)[0]))
    return {
        "task": "BENCH-2024-01",
        "team": 2,
        "strata": [(c, math.ceil(0.05 * counts[c])) for c in CLASSES],
        "targets": pool,
        "inspectors": staff,
        "conflicts": list(pairs),
    }


def bare_scores(manifest: bytes, ids: list[bytes]) -> list[bytes]:
    """Only the hashing: C, K and one score per target."""
    digest = hashlib.sha256(manifest).digest()
    key = hashlib.sha256(digest + seed_bytes(SEED)).digest()
    base = hashlib.sha256(key)
    base.update(b"target:")
    copy = base.copy
    scores = []
    add = scores.append
    for tid in ids:
        h = copy()
        h.update(tid)
        add(h.digest())
    return scores


def bare_assign_scores(result) -> list[bytes]:
    """The k assignment scores per selected target that §4 also needs (same labels)."""
    base = hashlib.sha256(result.key)
    base.update(b"assign:")
    copy = base.copy
    suffixes = [b":%d" % j for j in range(result.team_size)]
    scores = []
    for s in result.selections:
        tid = s.target.encode()
        for suffix in suffixes:
            h = copy()
            h.update(tid + suffix)
            scores.append(h.digest())
    return scores


def timed(fn, *args, **kwargs):
    """(wall seconds, CPU seconds, value): CPU time is steadier on a shared machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--inspectors", type=int, default=2_000)
    parser.add_argument("--conflicts", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    data = make_pool(args.targets, args.inspectors, args.conflicts, random.Random(20240116))
    manifest = manifest_build(**data)
    ids = [line.split(b" ")[1] for line in manifest.split(b"\n") if line.startswith(b"target ")]

    names = ("build", "parse", "prepare", "draw", "core", "text", "bare", "assign")
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(args.runs):
        runs = {}
        runs["build"] = timed(manifest_build, **data)
        assert runs["build"][2] == manifest
        runs["parse"] = timed(manifest_parse, manifest)
        runs["bare"] = timed(bare_scores, manifest, ids)
        runs["prepare"] = timed(manifest_prepare, manifest)
        runs["core"] = timed(draw_compute, runs["prepare"][2], SEED)
        runs["draw"] = timed(draw_compute, manifest, SEED)
        result = runs["draw"][2]
        assert runs["core"][2] == result
        runs["text"] = timed(result_text, result)
        runs["assign"] = timed(bare_assign_scores, result)
        text = runs["text"][2]
        for name in names:
            wall[name].append(runs[name][0])
            cpu[name].append(runs[name][1])
        del runs

    selected = len(result.selections)
    unstaffed = len(result.unstaffed)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    labels = {
        "build": "manifest_build（排序、生成、校验）",
        "parse": "manifest_parse（校验并转为 Manifest）",
        "prepare": "manifest_prepare（读入并校验一次）",
        "draw": "draw_compute（清单字节：校验、抽取、配组）",
        "core": "draw_compute（已校验清单：抽取、配组）",
        "text": "result_text",
        "bare": "仅 SHA-256：C、K、全部对象分值",
        "assign": "仅 SHA-256：配组分值（每个抽中对象 k 个）",
    }
    print(
        f"ssj-draw/1 基准：{args.targets:,} 个检查对象（4 个风险等级），抽取 {selected:,} 个，"
        f"每组 2 人，{args.inspectors:,} 名执法人员，{args.conflicts:,} 条回避关系；"
        f"清单 {len(manifest) / 2**20:.1f} MiB，结果 {len(text) / 2**20:.1f} MiB，未配齐 {unstaffed}"
    )
    print(f"{'步骤':<36}{'墙钟中位数 s':>14}{'CPU 中位数 s':>14}   各次墙钟 s")
    for name in names:
        runs = " ".join(f"{v:.3f}" for v in wall[name])
        print(
            f"{labels[name]:<36}{statistics.median(wall[name]):>14.3f}{statistics.median(cpu[name]):>14.3f}   {runs}"
        )
    for clock, table in (("墙钟", wall), ("CPU", cpu)):
        for step, label in (
            ("core", "协议核心（已校验清单）"),
            ("draw", "draw_compute（清单字节）"),
        ):
            strict = [d / b for d, b in zip(table[step], table["bare"], strict=True)]
            full = [
                d / (b + a)
                for d, b, a in zip(table[step], table["bare"], table["assign"], strict=True)
            ]
            print(
                f"{clock}：{label} ÷ 对象分值 {statistics.median(strict):.2f}×"
                f"（各次 {' '.join(f'{r:.2f}' for r in strict)}；目标 ≤ 1.5×）；"
                f"÷ 协议全部 SHA-256（对象 + 配组）{statistics.median(full):.2f}×"
            )
    print(f"峰值内存（RSS）：{peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
