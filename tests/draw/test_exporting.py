"""Exported files re-verify with the protocol; ``ssj draw list`` / ``ssj draw export``."""

import argparse
import json

import pytest

from shuangsuiji.draw import protocol, services
from shuangsuiji.draw.commands import add_draw_subcommands
from shuangsuiji.draw.exporting import draw_export
from tests.factories.ceremony import SEED, Crew, pool_for

pytestmark = pytest.mark.django_db
SEED_WITH_TRAILING = SEED + "  \n"  # the seed is kept exactly, trailing blanks included


def _full_ceremony(crew):
    task = crew.task(code="SJ-2024-03")
    ents, insp = crew.entities(8), crew.inspectors(6)
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(
            task,
            strata={"A": (2, ents[:4]), "D": (2, ents[4:])},
            inspectors=insp,
            excluded=[(crew.entities(1)[0], "已注销")],
        ),
    )
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED_WITH_TRAILING,
        sources="纪检监督员现场掷骰",
        witnesses=["王监督", "李见证"],
        actor=crew.witness,
    )
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    member = draw.selections.order_by("rank").first().assignments.get(position=1)
    sub = services.substitution_request(assignment=member, reason="身体原因", actor=crew.operator)
    services.substitution_decide(substitution=sub, approve=True, actor=crew.reviewer)
    return task, draw


def _cli(*argv):
    parser = argparse.ArgumentParser(prog="ssj draw")
    add_draw_subcommands(parser.add_subparsers(dest="sub"))
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_exported_files_reverify_with_the_protocol(tmp_path):
    task, draw = _full_ceremony(Crew())
    done = draw_export(draw=draw, out_dir=tmp_path / "out")
    assert sorted(p.name for p in done.files) == [
        "manifest",
        "record.json",
        "result.txt",
        "seed.txt",
    ]
    manifest = (tmp_path / "out" / "manifest").read_bytes()
    seed = (tmp_path / "out" / "seed.txt").read_bytes().decode("utf-8")
    assert seed == SEED_WITH_TRAILING
    result = (tmp_path / "out" / "result.txt").read_text(encoding="utf-8")
    computed = protocol.draw_compute(manifest, seed)
    base = protocol.result_text(computed)
    assert result.startswith(base)
    extra = result[len(base) :].splitlines()
    assert len(extra) == 1 and extra[0].startswith("substitute ")
    # the substitute line replays under the protocol
    protocol.teams_replay(
        protocol.manifest_parse(manifest), computed, [protocol.substitution_parse(extra[0])]
    )
    record = json.loads((tmp_path / "out" / "record.json").read_text(encoding="utf-8"))
    assert record["manifest_sha256"] == draw.manifest_sha256 and record["key"] == computed.key.hex()
    assert (
        record["witnesses"] == [str(draw.seeded_by), "王监督（代录）", "李见证（代录）"]
        and record["excluded"][0]["reason"] == "已注销"
    )
    assert record["substitutions"][0]["reason"] == "身体原因"


def test_a_committed_draw_exports_its_manifest_and_record_only(tmp_path):
    crew = Crew()
    task = crew.task()
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, crew.entities(2))}, inspectors=crew.inspectors(2)),
    )
    done = draw_export(draw=draw, out_dir=tmp_path)
    assert sorted(p.name for p in done.files) == ["manifest", "record.json"]


def test_cli_list_and_export(tmp_path, capsys):
    crew = Crew()
    task, draw = _full_ceremony(crew)
    services.draw_commit(
        task=crew.task(code="SJ-2024-04"),
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, crew.entities(2))}, inspectors=crew.inspectors(2)),
    )
    assert _cli("list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["task"], r["number"], r["state"], r["kind"]) for r in rows] == [
        ("SJ-2024-03", 1, "confirmed", "full"),
        ("SJ-2024-04", 1, "committed", "full"),
    ]
    assert rows[0]["manifest_sha256"] == draw.manifest_sha256 and rows[0]["confirmed_at"]
    assert _cli("list") == 0
    assert "已确认锁定" in capsys.readouterr().out
    assert _cli("export", "SJ-2024-03", "--out", str(tmp_path / "x")) == 0
    assert (tmp_path / "x" / "seed.txt").read_text(encoding="utf-8") == SEED_WITH_TRAILING
    from shuangsuiji.common.errors import NotFound

    with pytest.raises(NotFound):
        _cli("export", "NOPE", "--out", str(tmp_path / "y"))
    with pytest.raises(NotFound):
        _cli("export", "SJ-2024-03", "--number", "9", "--out", str(tmp_path / "y"))
