"""Benchmark of the draw ceremony (issue 3 item 10) on a fresh SQLite database.

1,000,000 entities in four credit-risk classes (A–D), 2,000 inspectors, 1,000 declared
conflicts; one task draws 5 % per class (50,000 targets) with teams of 2. Timed per run:

  pool       task_pool(task=…) (planning.pool), or an equivalent query if it is missing
  commit     draw_commit: manifest build + file write (+ ids.tsv) + C + the draw row
  draw       draw_seed: manifest read and checked, protocol.draw_compute, selections and
             assignments persisted (raw executemany)
  confirm    draw_confirm: yearly cap counters created, locked, checked, incremented
  dispatch   draw_dispatch: one visit per target with its members (进一次门、查多项事 check)

plus, in the same run, the protocol core against the bare cost of the pool's SHA-256
scores (one SHA-256(K ‖ "target:" ‖ id) per candidate, over the same id objects in the
same order, in a plain loop): goal ≤ 1.5×. For reference also against the same scores
over freshly allocated, contiguous ids ("bare_fresh", the best case of memory layout). The core is ``protocol.draw_compute`` on the manifest as ``draw_seed`` holds
it — read and checked once by ``protocol.manifest_prepare`` (timed apart, "prepare") —
and, for reference, ``draw_compute`` on the bytes with every check ("core_full", what
the public verifier runs). Core and bare take turns three times in each run and each
keeps its fastest turn (the machine is shared: others can only slow a turn down); the
ratio is given on the wall clock (the goal) and on CPU time. Goals: end to end ≤ 10 s,
peak RSS ≤ 2 GB.

Each run uses its own task in its own year (fresh cap counters, no visit merging), the
figures are the median of ``--runs``. The data are inserted with raw ``executemany`` and
not timed. Usage::

    .venv/bin/python benchmarks/draw.py                 # 1,000,000 entities, 3 runs
    .venv/bin/python benchmarks/draw.py --entities 100000 --runs 1
"""

import argparse
import datetime as dt
import hashlib
import math
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = (
    "2024年第116期 双色球 03 07 12 19 25 31 + 09; 骰子 3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4"
)
STAGES = ["pool", "commit", "draw", "confirm", "dispatch"]
CORE_TURNS = 3  # core and bare, alternately, in each run


def _setup_django(tmp: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["SSJ_VAR_DIR"] = str(tmp / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _insert(model, rows, overrides_keys: list[str]) -> None:
    """Raw executemany of ``rows`` (tuples for ``overrides_keys``), other columns default."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    fixed = {}
    for f in fields:
        if f.attname in overrides_keys:
            continue
        if f.attname in ("created_at", "updated_at"):
            fixed[f.attname] = now
        else:
            fixed[f.attname] = f.get_default()
    cols = overrides_keys + list(fixed)
    tail = tuple(fixed.values())
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(model._meta.get_field(c).column) for c in cols)})"
        f" VALUES ({', '.join(['%s'] * len(cols))})"
    )
    with transaction.atomic(), connection.cursor() as cur:
        batch = []
        for row in rows:
            batch.append(row + tail)
            if len(batch) == 50_000:
                cur.executemany(sql, batch)
                batch.clear()
        if batch:
            cur.executemany(sql, batch)


def _seed_data(*, entities: int, inspectors: int, conflicts: int):
    from shuangsuiji.accounts.choices import Role
    from shuangsuiji.accounts.models import Department, Membership, User
    from shuangsuiji.registry.models import Conflict, Entity, Inspector

    rng = random.Random(20241)
    dept = Department.objects.create(code="BENCH", name="基准测试建设管理委员会", yearly_draw_cap=2)
    operator = User.objects.create(username="bench-operator", full_name="基准操作员")
    witness = User.objects.create(username="bench-witness", full_name="基准纪检监督员")
    Membership.objects.create(user=operator, department=dept, role=Role.OPERATOR)
    Membership.objects.create(user=witness, department=dept, role=Role.WITNESS)
    risks = "ABCD"
    _insert(
        Entity,
        (
            (
                dept.pk,
                f"91310117{n:010d}",
                f"91310117{n:010d}",
                f"基准企业{n}有限公司",
                risks[n % 4],
            )
            for n in range(entities)
        ),
        ["department_id", "key", "uscc", "name", "risk_class"],
    )
    _insert(
        Inspector,
        ((dept.pk, f"1308{n:07d}", f"检查员{n}") for n in range(inspectors)),
        ["department_id", "cert_no", "name"],
    )
    first_e = Entity.objects.order_by("id").values_list("id", flat=True).first()
    first_i = Inspector.objects.order_by("id").values_list("id", flat=True).first()
    pairs = set()
    while len(pairs) < conflicts:
        pairs.add((first_i + rng.randrange(inspectors), first_e + rng.randrange(entities)))
    _insert(
        Conflict,
        ((i, e, "近亲属任职", dt.date(2024, 1, 2), True) for i, e in sorted(pairs)),
        ["inspector_id", "entity_id", "reason", "declared_on", "is_active"],
    )
    return dept, operator, witness


def _make_task(dept, operator, year: int, ratio: int):
    from shuangsuiji.planning.models import TargetClass, Task

    task = Task.objects.create(
        code=f"BENCH-{year}",
        title="燃气经营企业监督检查（基准）",
        department=dept,
        window_start=dt.date(year, 3, 1),
        window_end=dt.date(year, 5, 31),
        team_size=2,
        inspector_capacity=60,
        created_by=operator,
    )
    TargetClass.objects.create(
        task=task, code="gas", name="燃气经营企业", risk_ratios={letter: ratio for letter in "ABCD"}
    )
    return task


def _pool_fallback(task, ratio: int):
    """The same pool as ``task_pool`` for this data set, if planning.pool lacks it."""
    from shuangsuiji.draw.pool import InspectorCandidate, Stratum, TaskPool
    from shuangsuiji.registry.models import Conflict, Entity, Inspector

    buckets: dict[str, list] = {}
    for pk, uscc, risk in (
        Entity.objects.filter(department=task.department, status__in=["active", "operating"])
        .values_list("id", "uscc", "risk_class")
        .iterator(chunk_size=20_000)
    ):
        buckets.setdefault(f"gas.{risk}", []).append((uscc or f"E{pk}", pk))
    strata = [
        Stratum(name, name, min(len(t), max(1, math.ceil(len(t) * ratio / 100))), t)
        for name, t in sorted(buckets.items())
    ]
    insp = [
        InspectorCandidate(c, pk, task.inspector_capacity)
        for pk, c in Inspector.objects.filter(department=task.department).values_list(
            "id", "cert_no"
        )
    ]
    by_pk = {c.pk: c.inspector_id for c in insp}
    tid = {pk: t for s in strata for t, pk in s.targets}
    conflicts = sorted(
        {
            (by_pk[i], tid[e])
            for i, e in Conflict.objects.filter(is_active=True).values_list(
                "inspector_id", "entity_id"
            )
            if i in by_pk and e in tid
        }
    )
    return TaskPool(
        strata=strata, excluded=[], inspectors=insp, conflicts=conflicts, team_size=task.team_size
    )


def _timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _bare_same(key: bytes, groups: dict[bytes, list[bytes]]) -> tuple[float, float]:
    """(wall, CPU) seconds of SHA-256(K ‖ "target:" ‖ id) for every target, nothing else,
    over the very id objects the core hashes, in its order (a hashed prefix state copied
    per id, as a careful implementation does)."""
    base = hashlib.sha256(key + b"target:")

    def run() -> None:
        for ids in groups.values():
            for tid in ids:
                h = base.copy()
                h.update(tid)
                h.digest()

    return _timed(run)


def _bare_fresh(key: bytes, labels: list[bytes], ids: list[bytes]) -> tuple[float, float]:
    """The same scores over id objects freshly allocated one after the other (the faster of
    the whole label hashed and a prefix state copied): memory in sequence, a best case no
    real pool is laid out in — for reference."""
    sha = hashlib.sha256
    base = sha(key + b"target:")

    def plain() -> None:
        for label in labels:
            sha(key + label).digest()

    def copied() -> None:
        for tid in ids:
            h = base.copy()
            h.update(tid)
            h.digest()

    a, b = _timed(plain), _timed(copied)
    return min(a[0], b[0]), min(a[1], b[1])


def _one_run(dept, operator, witness, year: int, ratio: int) -> dict[str, float]:
    from shuangsuiji.draw import protocol, selectors, services

    task = _make_task(dept, operator, year, ratio)
    t: dict[str, float] = {}
    start = time.perf_counter()
    try:
        from shuangsuiji.draw.pool import task_pool

        pool = task_pool(task=task)
        t["pool_source"] = 1.0
    except (ImportError, AttributeError, NotImplementedError):
        pool = _pool_fallback(task, ratio)
        t["pool_source"] = 0.0
    t["pool"] = time.perf_counter() - start

    start = time.perf_counter()
    draw = services.draw_commit(task=task, actor=operator, pool=pool)
    t["commit"] = time.perf_counter() - start

    start = time.perf_counter()
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED_TEXT,
        sources="纪检监督员现场掷骰20次",
        witnesses=["基准纪检监督员"],
        actor=witness,
    )
    t["draw"] = time.perf_counter() - start

    start = time.perf_counter()
    draw = services.draw_confirm(draw=draw, actor=operator)
    t["confirm"] = time.perf_counter() - start

    start = time.perf_counter()
    report = services.draw_dispatch(draw=draw, actor=operator)
    t["dispatch"] = time.perf_counter() - start
    t["end_to_end"] = sum(t[s] for s in STAGES)

    # The protocol core against the bare SHA-256 scores of the pool, same run, same data.
    # "core" is what draw_seed runs after reading and checking the manifest once
    # (protocol.manifest_prepare): selection and matching from the prepared manifest.
    # "core_full" is draw_compute on the bytes, checks included (the public verifier).
    data = selectors.manifest_file(draw=draw).read_bytes()
    start = time.perf_counter()
    prepared = protocol.manifest_prepare(data)
    t["prepare"] = time.perf_counter() - start
    start = time.perf_counter()
    full = protocol.draw_compute(data, SEED_TEXT)
    t["core_full"] = time.perf_counter() - start
    labels = [b"target:" + tid.encode() for s in pool.strata for tid, _pk in s.targets]
    ids = [label[7:] for label in labels]
    # Core and bare take turns, CORE_TURNS times each, and each keeps its fastest turn
    # (wall clock; CPU time beside it): on a shared machine another process can only
    # make a turn slower, and both sides get the same chances. "bare" hashes the very id
    # objects the core hashes, in the same order: where a million small objects lie in
    # memory alone moves such a loop by a third (0.43 s in sequence, 0.57 s shuffled, on
    # this machine), which says nothing about the protocol's own cost.
    core, bare, fresh = [], [], []
    for _turn in range(CORE_TURNS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = protocol.draw_compute(prepared, SEED_TEXT)
        core.append((time.perf_counter() - wall, time.process_time() - cpu))
        assert result == full
        bare.append(_bare_same(result.key, prepared.groups))
        fresh.append(_bare_fresh(result.key, labels, ids))
    del prepared, full
    t["core"], t["core_cpu"] = min(w for w, _ in core), min(c for _, c in core)
    t["bare"], t["bare_cpu"] = min(w for w, _ in bare), min(c for _, c in bare)
    t["bare_fresh"] = min(w for w, _ in fresh)
    t["core_ratio"] = t["core"] / t["bare"]
    t["core_cpu_ratio"] = t["core_cpu"] / t["bare_cpu"]
    t["core_fresh_ratio"] = t["core"] / t["bare_fresh"]
    t["core_full_ratio"] = t["core_full"] / t["bare"]
    t["selected"] = float(len(result.selections))
    t["unstaffed"] = float(len(result.unstaffed))
    t["manifest_lines"] = float(draw.manifest_lines)
    t["visits"] = float(report.visits_created)
    del data, labels, ids, result, pool
    return t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--inspectors", type=int, default=2_000)
    parser.add_argument("--conflicts", type=int, default=1_000)
    parser.add_argument("--ratio", type=int, default=5, help="抽查比例（%%），每个风险等级")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="保留临时目录（数据库与名单文件）")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="ssj-bench-draw-"))
    try:
        _setup_django(tmp)
        start = time.perf_counter()
        dept, operator, witness = _seed_data(
            entities=args.entities, inspectors=args.inspectors, conflicts=args.conflicts
        )
        print(
            f"数据准备（不计时）：{args.entities:,} 个检查对象、{args.inspectors:,} 名执法检查人员、"
            f"{args.conflicts:,} 条回避关系，用时 {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        runs = []
        for i in range(args.runs):
            t = _one_run(dept, operator, witness, 2024 + i, args.ratio)
            runs.append(t)
            print(
                f"第{i + 1}次："
                + "  ".join(f"{k} {t[k]:.3f}s" for k in [*STAGES, "end_to_end", "core", "bare"])
                + f"  core/bare {t['core_ratio']:.2f}×（CPU {t['core_cpu_ratio']:.2f}×）"
                f"  core_full/bare {t['core_full_ratio']:.2f}×",
                flush=True,
            )
        first = runs[0]
        med = {k: statistics.median(r[k] for r in runs) for k in first}
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print()
        print(
            f"抽取 {int(first['selected']):,} 个（未配齐 {int(first['unstaffed'])} 个），名单 "
            f"{int(first['manifest_lines']):,} 行，检查 {int(first['visits']):,} 次；"
            f"人员池来源：{'planning.pool.task_pool' if first['pool_source'] else '基准内等价查询'}"
        )
        print(f"中位数（{args.runs} 次）：")
        for k in STAGES:
            print(f"  {k:<10} {med[k]:7.3f} s")
        print(f"  {'end_to_end':<10} {med['end_to_end']:7.3f} s   （目标 ≤ 10 s）")
        print(
            f"  {'core':<10} {med['core']:7.3f} s   protocol.draw_compute（已读入并校验的清单：抽取与配组）"
        )
        print(
            f"  {'prepare':<10} {med['prepare']:7.3f} s   protocol.manifest_prepare（读入并校验清单）"
        )
        print(
            f"  {'core_full':<10} {med['core_full']:7.3f} s   protocol.draw_compute（清单字节，含校验）"
        )
        print(f"  {'bare':<10} {med['bare']:7.3f} s   池内 SHA-256 评分")
        print(
            f"  core/bare  {med['core_ratio']:7.2f} ×   （目标 ≤ 1.5×；各次 "
            + " / ".join(f"{r['core_ratio']:.2f}" for r in runs)
            + "）"
        )
        print(
            f"  CPU 时间   {med['core_cpu_ratio']:7.2f} ×   （core {med['core_cpu']:.3f} s ÷ bare {med['bare_cpu']:.3f} s）"
        )
        print(
            f"  bare_fresh {med['bare_fresh']:7.3f} s   同样的评分，编号对象新建且在内存中连续（最有利情形，供参考）"
        )
        print(f"  core/fresh {med['core_fresh_ratio']:7.2f} ×   （供参考）")
        print(f"  full/bare  {med['core_full_ratio']:7.2f} ×   （含清单校验，供参考）")
        print(f"  peak RSS   {peak_mb:7.0f} MB  （目标 ≤ 2048 MB，含数据准备）")
    finally:
        if args.keep:
            print(f"临时目录：{tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
