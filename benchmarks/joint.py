#!/usr/bin/env python
"""Benchmark (issue 14 Numbers): a joint draw of 4 departments over a 200,000-entity pool,
5 %, one inspector per department per team, end to end — on a fresh SQLite database.

The lead department keeps the library (200,000 entities) and 150 inspectors; three partner
departments take part (their answers recorded through ``task_partner_respond``) with 150
inspectors each. Timed, through the platform's own services:

  commit     draw_commit of the lead: the pool (200,000 candidates), manifest, C
  draw       draw_seed + draw_confirm of the lead (10,000 targets, team 1)
  partners   for each partner: partner_match_commit + draw_seed + draw_confirm (team 1)
  dispatch   draw_dispatch: 10,000 visits, 40,000 members

Goal: end to end ≤ 10 s. Each run uses a task of its own year; median of ``--runs``.

    .venv/bin/python benchmarks/joint.py                    # 200,000 entities, 3 runs
    .venv/bin/python benchmarks/joint.py --entities 20000 --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = "2026年第140期 双色球 02 09 14 21 26 30 + 11; 骰子 5 0 3 8 2 9 1 4 6 7 7 3 0 9 2 8 5 1 4 6"


def _setup(tmp: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["SSJ_VAR_DIR"] = str(tmp / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world(entities: int, inspectors: int):
    from benchmarks.draw import _insert  # the same raw executemany loader
    from shuangsuiji.accounts.choices import Role
    from shuangsuiji.accounts.models import Department, Membership, User
    from shuangsuiji.catalog.services import item_create
    from shuangsuiji.registry.models import Entity, Inspector

    lead = Department.objects.create(code="BENCH", name="基准建设管理委员会")
    operator = User.objects.create(username="bench-operator", full_name="基准操作员")
    witness = User.objects.create(username="bench-witness", full_name="基准纪检监督员")
    Membership.objects.create(user=operator, department=lead, role=Role.OPERATOR)
    Membership.objects.create(user=witness, department=lead, role=Role.WITNESS)
    _insert(
        Entity,
        (
            (lead.pk, f"91310117{n:010d}", f"91310117{n:010d}", f"基准企业{n}有限公司")
            for n in range(entities)
        ),
        ["department_id", "key", "uscc", "name"],
    )
    partners = []
    for p in range(4):
        dept = lead if p == 0 else Department.objects.create(code=f"BP{p}", name=f"配合部门{p}")
        _insert(
            Inspector,
            ((dept.pk, f"13{p:02d}{n:07d}", f"检查员{p}-{n}") for n in range(inspectors)),
            ["department_id", "cert_no", "name"],
        )
        if p:
            op = User.objects.create(username=f"bench-p{p}", full_name=f"配合操作员{p}")
            Membership.objects.create(user=op, department=dept, role=Role.OPERATOR)
            item = item_create(
                department=dept,
                code=f"BP{p}-01",
                actor="基准",
                data={
                    "name": f"配合部门{p}事项",
                    "category": "general",
                    "target_type": "燃气经营企业",
                    "methods": ["on_site"],
                    "checklist": ["检查要点"],
                    "content": "检查内容",
                    "basis": "《城镇燃气管理条例》",
                    "subject": dept.name,
                },
                effective_date=dt.date(2020, 1, 1),
            )
            partners.append((dept, op, item))
    lead_item = item_create(
        department=lead,
        code="BENCH-01",
        actor="基准",
        data={
            "name": "燃气经营监督检查",
            "category": "general",
            "target_type": "燃气经营企业",
            "methods": ["on_site"],
            "checklist": ["检查要点"],
            "content": "检查内容",
            "basis": "《城镇燃气管理条例》",
            "subject": lead.name,
        },
        effective_date=dt.date(2020, 1, 1),
    )
    return lead, operator, witness, partners, lead_item


def _run(year: int, lead, operator, witness, partners, lead_item) -> dict[str, float]:
    from shuangsuiji.draw import services
    from shuangsuiji.planning.models import TargetClass, Task
    from shuangsuiji.planning.services import task_partner_respond

    task = Task.objects.create(
        code=f"BENCH-J{year}",
        title="燃气经营企业部门联合抽查（基准）",
        department=lead,
        window_start=dt.date(year, 3, 1),
        window_end=dt.date(year, 5, 31),
        team_size=1,
        inspector_capacity=100,
        created_by=operator,
    )
    task.items.add(lead_item)
    TargetClass.objects.create(task=task, code="gas", name="燃气经营企业", ratio=5)
    for dept, op, item in partners:
        task.partners.add(dept)
        task_partner_respond(task=task, department=dept, actor=op, accept=True, items=[item])
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    draw = services.draw_commit(task=task, actor=operator)
    t1 = time.perf_counter()
    draw = services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=witness
    )
    draw = services.draw_confirm(draw=draw, actor=operator)
    t2 = time.perf_counter()
    for i, (dept, _op, _item) in enumerate(partners):
        match = services.partner_match_commit(task=task, partner=dept, actor=operator)
        match = services.draw_seed(
            draw=match,
            seed_text=f"{SEED} #{i}",
            sources="掷骰",
            witnesses=["王监督"],
            actor=witness,
        )
        services.draw_confirm(draw=match, actor=operator)
    t3 = time.perf_counter()
    report = services.draw_dispatch(draw=draw, actor=operator)
    t4 = time.perf_counter()
    out.update(commit=t1 - t0, draw=t2 - t1, partners=t3 - t2, dispatch=t4 - t3, total=t4 - t0)
    out["targets"] = draw.selections.count()
    out["visits"] = report.visits_created
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--inspectors", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ssj-joint-") as tmp:
        _setup(Path(tmp))
        sys.path.insert(0, str(ROOT))
        world = _world(args.entities, args.inspectors)
        runs = [_run(2030 + i, *world) for i in range(args.runs)]
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite"
    )
    print(
        f"{args.entities:,} entities, 4 departments × {args.inspectors} inspectors, 5 %, team 1 per department"
    )
    for key in ("commit", "draw", "partners", "dispatch", "total"):
        values = [r[key] for r in runs]
        print(
            f"  {key:9s} {' / '.join(f'{v:.2f}' for v in values)} s, median {statistics.median(values):.2f} s"
        )
    print(f"  targets {runs[0]['targets']:,}, visits {runs[0]['visits']:,}")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
