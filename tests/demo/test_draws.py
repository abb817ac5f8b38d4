"""The demo draws: the real demo loader, then three completed ceremonies (joint, per
credit-risk class, match-only) and one void draw — every one re-verified from its
exported files with the protocol and with the standalone docs/verify_draw.py."""

import hashlib
import json

import pytest

from shuangsuiji.demo.draws import VOID_REASON, demo_codes, demo_draw_list, demo_draws
from shuangsuiji.draw import protocol
from shuangsuiji.draw.choices import DrawKind, DrawState, SubstitutionStatus
from shuangsuiji.draw.exporting import draw_export
from shuangsuiji.draw.models import Draw, Substitution
from shuangsuiji.draw.record import record_xlsx
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from shuangsuiji.registry.models import Conflict
from tests.draw.conftest import naive_result

pytestmark = pytest.mark.django_db


def _codes() -> tuple[str, str, str]:
    codes = demo_codes()
    return codes.joint, codes.risk, codes.match


def _dispatched(demo) -> list[str]:
    return [line for line in demo["first_lines"] if "次摇号已确认锁定并派发" in line]


def _manifest_lines(draw: Draw, kind: str) -> list[list[str]]:
    from shuangsuiji.draw.selectors import manifest_file

    return [
        line.split(" ")
        for line in manifest_file(draw=draw).read_text(encoding="ascii").splitlines()
        if line.startswith(kind + " ")
    ]


def _teams(draw: Draw) -> dict[str, tuple[str, ...]]:
    from shuangsuiji.draw.selectors import selection_team

    return {
        s.target_id: tuple(a.inspector.cert_no for a in selection_team(selection=s))
        for s in draw.selections.order_by("rank")
    }


def test_three_completed_demo_draws_and_one_void_draw(demo):
    JOINT, RISK, MATCH = _codes()
    assert len(_dispatched(demo)) == 3
    tasks = {t.code: t for t in Task.objects.filter(code__in=[JOINT, RISK, MATCH])}
    assert all(t.status == TaskStatus.DISPATCHED for t in tasks.values())
    draws = demo_draw_list()
    assert [(d.task.code, d.number, d.state, d.kind) for d in draws] == [
        (RISK, 1, DrawState.VOID, DrawKind.FULL),
        (RISK, 2, DrawState.CONFIRMED, DrawKind.FULL),
        (JOINT, 1, DrawState.CONFIRMED, DrawKind.FULL),
        (JOINT, 2, DrawState.CONFIRMED, DrawKind.MATCH_ONLY),  # the partner's inspectors
        (MATCH, 1, DrawState.CONFIRMED, DrawKind.MATCH_ONLY),
    ]
    for d in draws:
        if d.state == DrawState.CONFIRMED and d.is_partner_match:
            assert d.seed_text and d.witnesses and not d.dispatched_at  # dispatched with its lead
        elif d.state == DrawState.CONFIRMED:
            assert d.dispatched_at and d.seed_text and d.witnesses and d.seed_sources
            assert Visit.objects.filter(visit_tasks__task=d.task).count() == d.selections.count()


def test_joint_task_matches_the_partners_inspectors_in_a_draw_of_its_own(demo):
    """issue 14 第 1 项: the lead's draw holds the lead's inspectors only; the partner's are
    matched to the same targets in a second draw, one per team; every team has both
    departments and the lead's 组长."""
    from shuangsuiji.inspection.models import VisitMember

    task = Task.objects.get(code=demo_codes().joint)
    assert [p.name for p in task.partners.all()] == ["上海市松江区市场监督管理局"]
    assert {i.department.code for i in task.items.all()} == {"SJJW-RQS", "SJSC"}
    draw, match = task.draws.order_by("number")
    inspectors = {row[1] for row in _manifest_lines(draw, "inspector")}
    assert not any(i.startswith("31170SC") for i in inspectors)
    partner_ids = {row[1] for row in _manifest_lines(match, "inspector")}
    assert partner_ids == {"31170SC0001", "31170SC0002", "31170SC0003", "31170SC0004"}
    assert match.source_id == draw.pk and match.partner.code == "SJSC"
    assert {s.target_id for s in match.selections.all()} == {
        s.target_id for s in draw.selections.all()
    }
    for visit in Visit.objects.filter(lead_task=task):
        members = list(
            VisitMember.objects.filter(visit=visit).select_related("inspector__department")
        )
        codes = {m.inspector.department.code for m in members}
        assert "SJSC" in codes and codes - {"SJSC"}
        [leader] = [m for m in members if m.is_leader]
        assert leader.inspector.department.code != "SJSC"
    sub = Substitution.objects.get(draw=draw)
    assert sub.status == SubstitutionStatus.APPROVED and sub.line.startswith("substitute ")
    # 孙立纪 entered the seed with his own login; 韩梅 was typed by him (代录).
    assert draw.witnesses == "孙立纪、韩梅（代录）"


def test_risk_task_draws_per_credit_risk_class_and_keeps_its_void_draw(demo):
    task = Task.objects.get(code=demo_codes().risk)
    void, draw = task.draws.order_by("number")
    assert void.state == DrawState.VOID and void.void_reason == VOID_REASON and not void.result_text
    assert draw.replaces_id == void.pk and draw.manifest_sha256 != void.manifest_sha256
    strata = {row[1]: int(row[2]) for row in _manifest_lines(draw, "stratum")}
    assert len(strata) >= 3 and all(name.startswith("gas.") for name in strata)
    assert {s.stratum for s in draw.selections.all()} == set(strata)
    assert draw.selections.count() == sum(strata.values())


def test_match_only_ceremony_uses_the_zhangping_roster_and_respects_conflicts(demo):
    task = Task.objects.get(code=demo_codes().match)
    draw = task.draws.get()
    assert draw.kind == DrawKind.MATCH_ONLY
    assert [row[1:] for row in _manifest_lines(draw, "stratum")] == [
        ["all", str(draw.selections.count())]
    ]
    assert len(_manifest_lines(draw, "inspector")) == 26
    conflicts = {(row[1], row[2]) for row in _manifest_lines(draw, "conflict")}
    declared = {
        (c.inspector.cert_no, c.entity.uscc)
        for c in Conflict.objects.filter(is_active=True).select_related("inspector", "entity")
    }
    assert len(conflicts) == 3 and conflicts == declared
    for target, team in _teams(draw).items():
        assert len(team) == 2
        assert not any((member, target) in conflicts for member in team)


def test_every_demo_draw_verifies_from_its_exported_files(demo, tmp_path):
    for draw in demo_draw_list():
        out = tmp_path / f"{draw.task.code}-{draw.number}"
        files = {p.name for p in draw_export(draw=draw, out_dir=out).files}
        manifest = (out / "manifest").read_bytes()
        record = json.loads((out / "record.json").read_text(encoding="utf-8"))
        assert (
            hashlib.sha256(manifest).hexdigest()
            == draw.manifest_sha256
            == record["manifest_sha256"]
        )
        protocol.manifest_parse(manifest)  # canonical
        if draw.state == DrawState.VOID:
            assert files == {"manifest", "record.json"} and record["void_reason"] == VOID_REASON
            continue
        seed = (out / "seed.txt").read_bytes().decode("utf-8")
        published = (out / "result.txt").read_text(encoding="utf-8")
        computed = protocol.draw_compute(manifest, seed)
        base = protocol.result_text(computed)
        assert published.startswith(base) and record["key"] == computed.key.hex()
        assert (
            naive_result(manifest, seed, tmp_path).decode("ascii") == base
        )  # docs/verify_draw.py agrees
        history = [
            protocol.substitution_parse(line) for line in published[len(base) :].splitlines()
        ]
        lead_of_joint = draw.task.code == demo_codes().joint and not draw.is_partner_match
        assert len(history) == (1 if lead_of_joint else 0)
        teams = protocol.teams_replay(protocol.manifest_parse(manifest), computed, history)
        assert teams == _teams(draw)  # the teams in the database are the replayed ones
        assert [s.target for s in computed.selections] == list(
            draw.selections.order_by("rank").values_list("target_id", flat=True)
        )


def test_demo_draws_twice_changes_nothing(demo):
    from shuangsuiji.demo import ACTOR

    before = list(Draw.objects.order_by("pk").values_list("pk", "state", "manifest_sha256"))
    again = demo_draws(actor=ACTOR)
    assert all("已存在" in line for line in again) and len(again) == 4
    assert list(Draw.objects.order_by("pk").values_list("pk", "state", "manifest_sha256")) == before


def test_demo_records_export_as_xlsx(demo):
    import io

    from python_calamine import CalamineWorkbook

    for draw in demo_draw_list():
        book = CalamineWorkbook.from_filelike(io.BytesIO(record_xlsx(draw=draw)))
        cells = "\n".join(
            str(c)
            for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python()
            for c in row
        )
        assert draw.manifest_sha256 in cells and draw.task.title in cells
        if draw.state == DrawState.CONFIRMED:
            assert draw.seed_text in cells
