"""The ceremony: commit → seed+draw → confirm → dispatch; no state can be skipped."""

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.draw import protocol, selectors, services
from shuangsuiji.draw.choices import (
    AssignmentSource,
    DrawKind,
    DrawState,
    SelectionRemedy,
    SubstitutionStatus,
)
from shuangsuiji.draw.models import Assignment, Draw, Selection
from shuangsuiji.draw.pool import InspectorCandidate
from shuangsuiji.planning.choices import TaskStatus
from tests.factories.ceremony import SEED, Crew, declare_conflict, pool_for, tid

pytestmark = pytest.mark.django_db
VECTORS = Path("/work/shared/design/draw-vectors")


@pytest.fixture
def crew():
    return Crew()


def _committed(crew, *, n=3, targets=10, inspectors=6, capacity=None, conflicts=()):
    task = crew.task()
    ents = crew.entities(targets)
    insp = crew.inspectors(inspectors)
    pool = pool_for(
        task,
        strata={"all": (n, ents)},
        inspectors=insp,
        capacity=capacity,
        conflicts=[(insp[i], ents[j]) for i, j in conflicts],
        excluded=[(crew.entities(1)[0], "本年度已被抽中2次（上限2次）")],
    )
    draw = services.draw_commit(task=task, actor=crew.operator, pool=pool)
    return task, draw, ents, insp


def _drawn(crew, **kw):
    task, draw, ents, insp = _committed(crew, **kw)
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED,
        sources="纪检监督员现场掷骰20次",
        witnesses=["王监督", "李见证"],
        actor=crew.witness,
    )
    return task, draw, ents, insp


def _persisted_result_text(draw: Draw) -> str:
    """The result text rebuilt from the database rows only."""
    sels = list(Selection.objects.filter(draw=draw).order_by("rank"))
    lines = ["ssj-draw-result/1", f"manifest {draw.manifest_sha256}", f"key {draw.key_hex}"]
    lines += [f"selected {s.target_id} {s.stratum} {s.score}" for s in sels]
    for s in sels:
        team = Assignment.objects.filter(selection=s, source=AssignmentSource.RANDOM).order_by(
            "position"
        )
        certs = [a.inspector.cert_no for a in team]
        lines.append(
            f"team {s.target_id} {' '.join(certs)}" if certs else f"unstaffed {s.target_id}"
        )
    return "\n".join(lines) + "\n"


# --- commit ------------------------------------------------------------------------------------


def test_commit_freezes_the_manifest_and_stores_c_and_the_excluded_list(crew, var_dir):  # noqa: F811
    task, draw, ents, insp = _committed(crew)
    path = var_dir / "draws" / task.code / "1" / "manifest"
    data = path.read_bytes()
    assert draw.manifest_path == f"draws/{task.code}/1/manifest"
    assert hashlib.sha256(data).hexdigest() == draw.manifest_sha256
    parsed = protocol.manifest_parse(data)
    assert [t for t, _s in parsed.targets] == sorted(tid(e) for e in ents)
    assert [i.id for i in parsed.inspectors] == sorted(i.cert_no for i in insp)
    assert draw.manifest_lines == data.count(b"\n")
    assert draw.state == DrawState.COMMITTED and draw.number == 1
    assert len(draw.excluded) == 1 and draw.excluded[0]["reason"] == "本年度已被抽中2次（上限2次）"
    task.refresh_from_db()
    assert task.status == TaskStatus.COMMITTED
    assert Event.objects.filter(action="draw.commit", object_id=str(draw.pk)).exists()


def test_it_refuses_a_second_commit_while_a_draw_is_open(crew):
    task, draw, ents, insp = _committed(crew)
    with pytest.raises(Conflict):
        services.draw_commit(
            task=task,
            actor=crew.operator,
            pool=pool_for(task, strata={"all": (1, ents)}, inspectors=insp),
        )
    assert Draw.objects.filter(task=task).count() == 1


def test_only_an_operator_commits(crew):
    task = crew.task()
    ents, insp = crew.entities(3), crew.inspectors(3)
    with pytest.raises(NotAllowed):
        services.draw_commit(
            task=task,
            actor=crew.witness,
            pool=pool_for(task, strata={"all": (1, ents)}, inspectors=insp),
        )
    other = Crew()
    with pytest.raises(NotAllowed):
        services.draw_commit(
            task=task,
            actor=other.operator,
            pool=pool_for(task, strata={"all": (1, ents)}, inspectors=insp),
        )
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAFT and not Draw.objects.exists()


def test_a_bad_pool_writes_nothing(crew, var_dir):  # noqa: F811
    task = crew.task()
    ents, insp = crew.entities(2), crew.inspectors(2)
    with pytest.raises(ValidationFailed):  # n larger than the stratum
        services.draw_commit(
            task=task,
            actor=crew.operator,
            pool=pool_for(task, strata={"all": (5, ents)}, inspectors=insp),
        )
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAFT and not Draw.objects.exists()
    assert not (var_dir / "draws" / task.code / "1").exists()


# --- seed and draw -----------------------------------------------------------------------------


def test_persisted_selections_match_the_protocol_byte_for_byte(crew, var_dir):  # noqa: F811
    task, draw, ents, insp = _drawn(
        crew, n=5, targets=12, inspectors=5, capacity=2, conflicts=[(0, 1), (2, 3)]
    )
    manifest = (var_dir / draw.manifest_path).read_bytes()
    expected = protocol.result_text(protocol.draw_compute(manifest, SEED))
    assert draw.result_text == expected
    assert _persisted_result_text(draw) == expected
    assert draw.state == DrawState.DRAWN and draw.seed_text == SEED
    assert draw.witnesses == f"{crew.witness}、王监督（代录）、李见证（代录）"
    assert draw.seed_sources == "纪检监督员现场掷骰20次"
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAWN


def test_unstaffed_targets_are_flagged(crew):
    # 2 inspectors with capacity 1: only the first target can be staffed.
    task, draw, ents, insp = _drawn(crew, n=3, targets=5, inspectors=2, capacity=1)
    flags = list(draw.selections.order_by("rank").values_list("unstaffed", flat=True))
    assert flags == [False, True, True]
    assert draw.result_text.count("unstaffed ") == 2


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"seed_text": "   "}, "seed_text"),
        ({"sources": ""}, "sources"),
        ({"witnesses": ["  "]}, "witnesses"),
        # published verbatim (the verification needs them as typed): no personal numbers
        ({"sources": "掷骰，记录人电话 139 1234 5678"}, "sources"),
        ({"witnesses": ["王监督 13912345678"]}, "witnesses"),
        ({"witnesses": ["王监督", "350881198501011234"]}, "witnesses"),
    ],
)
def test_bad_seed_input_changes_nothing(crew, kwargs, field):
    task, draw, ents, insp = _committed(crew)
    args = {"seed_text": SEED, "sources": "掷骰", "witnesses": ["王监督"], **kwargs}
    # Entered by the operator: no witness is present by entering it himself.
    with pytest.raises(ValidationFailed) as err:
        services.draw_seed(draw=draw, actor=crew.operator, **args)
    assert err.value.field == field
    assert not draw.witness_presences.exists()
    draw.refresh_from_db()
    assert (
        draw.state == DrawState.COMMITTED and not draw.selections.exists() and draw.seed_text == ""
    )


def test_the_seed_is_entered_once_only_after_the_commit(crew):
    task, draw, ents, insp = _drawn(crew)
    with pytest.raises(Conflict):
        services.draw_seed(
            draw=draw,
            seed_text="另一个种子",
            sources="掷骰",
            witnesses=["王监督"],
            actor=crew.witness,
        )
    draw.refresh_from_db()
    assert draw.seed_text == SEED and draw.selections.count() == 3


def test_a_void_draw_cannot_be_seeded(crew):
    task, draw, ents, insp = _committed(crew)
    services.draw_void(draw=draw, reason="名单有误", actor=crew.operator)
    with pytest.raises(Conflict):
        services.draw_seed(
            draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
        )


def test_a_changed_manifest_file_is_refused(crew, var_dir):  # noqa: F811
    task, draw, ents, insp = _committed(crew)
    path = var_dir / draw.manifest_path
    path.write_bytes(path.read_bytes().replace(b"team 2", b"team 3"))
    with pytest.raises(Conflict, match="摘要"):
        services.draw_seed(
            draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
        )
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED


# --- confirm, void -----------------------------------------------------------------------------


def test_confirm_before_the_draw_is_refused(crew):
    task, draw, ents, insp = _committed(crew)
    with pytest.raises(Conflict):
        services.draw_confirm(draw=draw, actor=crew.operator)
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED


def test_confirm_locks_the_result(crew):
    task, draw, ents, insp = _drawn(crew)
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    assert draw.state == DrawState.CONFIRMED and draw.confirmed_by == crew.operator
    task.refresh_from_db()
    assert task.status == TaskStatus.CONFIRMED
    with pytest.raises(Conflict):
        services.draw_confirm(draw=draw, actor=crew.operator)


def test_void_needs_a_reason(crew):
    task, draw, ents, insp = _drawn(crew)
    with pytest.raises(ValidationFailed):
        services.draw_void(draw=draw, reason="  ", actor=crew.operator)
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN


def test_void_after_confirmation_is_refused(crew):
    task, draw, ents, insp = _drawn(crew)
    services.draw_confirm(draw=draw, actor=crew.operator)
    with pytest.raises(Conflict):
        services.draw_void(draw=draw, reason="不满意结果", actor=crew.operator)
    draw.refresh_from_db()
    assert draw.state == DrawState.CONFIRMED


def test_a_new_draw_after_void_needs_a_new_commit(crew):
    task, draw, ents, insp = _drawn(crew)
    services.draw_void(draw=draw, reason="名单中混入已注销企业", actor=crew.operator)
    draw.refresh_from_db()
    task.refresh_from_db()
    assert draw.state == DrawState.VOID and draw.void_reason == "名单中混入已注销企业"
    assert draw.selections.count() == 3  # the void result stays public
    assert task.status == TaskStatus.DRAFT
    with pytest.raises(Conflict):
        services.draw_confirm(draw=draw, actor=crew.operator)
    second = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (3, ents)}, inspectors=insp),
    )
    assert second.number == 2 and second.replaces == draw
    assert selectors.draw_current(task=task) == second
    assert selectors.draw_get(task=task) == second


def test_every_step_is_audited(crew):
    task, draw, ents, insp = _drawn(crew)
    services.draw_confirm(draw=draw, actor=crew.operator)
    services.draw_dispatch(draw=draw, actor=crew.operator)
    actions = list(
        Event.objects.filter(object_type="draw.draw", object_id=str(draw.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["draw.commit", "draw.seed", "draw.confirm", "draw.dispatch"]
    seed_event = Event.objects.get(action="draw.seed")
    assert seed_event.after["seed_text"] == SEED and seed_event.actor == crew.witness


# --- substitution ------------------------------------------------------------------------------


def test_substitution_with_approval_reproduces_the_protocol(crew, var_dir):  # noqa: F811
    task, draw, ents, insp = _drawn(crew, n=3, targets=6, inspectors=6, capacity=2)
    sel = draw.selections.order_by("rank").first()
    leader = sel.assignments.get(position=0)
    sub = services.substitution_request(
        assignment=leader, reason="身体健康原因无法履职", actor=crew.operator
    )
    with pytest.raises(NotAllowed):  # the reviewer approves, not the operator
        services.substitution_decide(substitution=sub, approve=True, actor=crew.operator)
    sub = services.substitution_decide(substitution=sub, approve=True, actor=crew.reviewer)
    data = (var_dir / draw.manifest_path).read_bytes()
    result = protocol.draw_compute(data, SEED)
    expected_in = protocol.substitute(
        protocol.manifest_parse(data),
        result,
        [],
        target=sel.target_id,
        out=leader.inspector.cert_no,
    )
    assert sub.status == SubstitutionStatus.APPROVED and sub.seq == 1
    assert sub.line == f"substitute {sel.target_id} {leader.inspector.cert_no} {expected_in}"
    team = selectors.selection_team(selection=sel)
    teams = protocol.teams_replay(
        protocol.manifest_parse(data), result, [protocol.substitution_parse(sub.line)]
    )
    assert tuple(a.inspector.cert_no for a in team) == teams[sel.target_id]
    assert team[-1].source == AssignmentSource.SUBSTITUTE
    leader.refresh_from_db()
    assert (
        not leader.active
        and leader.replaced_reason == "身体健康原因无法履职"
        and leader.approved_by == crew.reviewer
    )
    published = selectors.draw_published_result(draw=draw)
    assert published == draw.result_text + sub.line + "\n"
    assert Event.objects.filter(action="substitution.approve").exists()
    # a second substitution on the same target replays the first
    second_out = team[0]
    sub2 = services.substitution_request(
        assignment=second_out, reason="岗位调整", actor=crew.operator
    )
    sub2 = services.substitution_decide(substitution=sub2, approve=True, actor=crew.reviewer)
    expected2 = protocol.substitute(
        protocol.manifest_parse(data),
        result,
        [protocol.substitution_parse(sub.line)],
        target=sel.target_id,
        out=second_out.inspector.cert_no,
    )
    assert sub2.seq == 2 and sub2.line.endswith(f" {expected2}")


def test_substitution_needs_a_reason_and_a_refusal_needs_a_note(crew):
    task, draw, ents, insp = _drawn(crew)
    member = Assignment.objects.filter(selection__draw=draw).first()
    with pytest.raises(ValidationFailed):
        services.substitution_request(assignment=member, reason="", actor=crew.operator)
    sub = services.substitution_request(assignment=member, reason="工作冲突", actor=crew.operator)
    with pytest.raises(Conflict):
        services.substitution_request(assignment=member, reason="重复申请", actor=crew.operator)
    with pytest.raises(ValidationFailed):
        services.substitution_decide(substitution=sub, approve=False, actor=crew.reviewer)
    sub = services.substitution_decide(
        substitution=sub, approve=False, actor=crew.reviewer, note="理由不充分"
    )
    assert sub.status == SubstitutionStatus.REJECTED
    member.refresh_from_db()
    assert member.active


# --- remedies: direct assignment, match draws --------------------------------------------------


def _confirmed_with_unstaffed(crew):
    task, draw, ents, insp = _drawn(crew, n=3, targets=5, inspectors=2, capacity=1)
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    return task, draw, ents, insp


def test_direct_assignment_is_stored_and_flagged_not_random(crew):
    task, draw, ents, insp = _confirmed_with_unstaffed(crew)
    sel = draw.selections.filter(unstaffed=True).order_by("rank").first()
    extra = crew.inspectors(3)
    declare_conflict(extra[2], sel.entity)
    with pytest.raises(ValidationFailed, match="回避"):
        services.assignment_direct(
            selection=sel, inspectors=[extra[0], extra[2]], reason="人员不足", actor=crew.operator
        )
    with pytest.raises(ValidationFailed):
        services.assignment_direct(
            selection=sel, inspectors=[extra[0]], reason="人员不足", actor=crew.operator
        )
    with pytest.raises(ValidationFailed):
        services.assignment_direct(
            selection=sel, inspectors=extra[:2], reason="", actor=crew.operator
        )
    assert not sel.assignments.exists()
    made = services.assignment_direct(
        selection=sel,
        inspectors=extra[:2],
        reason="本区域执法检查人员不足，直接委派",
        actor=crew.operator,
    )
    assert [a.source for a in made] == [AssignmentSource.DIRECT] * 2
    assert all(a.note == "本区域执法检查人员不足，直接委派" for a in made)
    sel.refresh_from_db()
    assert sel.unstaffed and sel.remedy == SelectionRemedy.DIRECT
    assert [a.inspector for a in selectors.selection_team(selection=sel)] == extra[:2]
    assert Event.objects.get(action="assignment.direct").after["random"] is False
    with pytest.raises(Conflict):  # a staffed target needs no direct assignment
        services.assignment_direct(
            selection=sel, inspectors=extra[:2], reason="再次", actor=crew.operator
        )


def test_dispatch_is_refused_while_targets_are_unstaffed(crew):
    task, draw, ents, insp = _confirmed_with_unstaffed(crew)
    with pytest.raises(Conflict, match="未配齐"):
        services.draw_dispatch(draw=draw, actor=crew.operator)
    task.refresh_from_db()
    assert task.status == TaskStatus.CONFIRMED


def test_a_remedy_match_draw_staffs_the_unstaffed_targets(crew, var_dir):  # noqa: F811
    task, draw, ents, insp = _confirmed_with_unstaffed(crew)
    wider = insp + crew.inspectors(4)  # e.g. a neighbouring area's inspectors
    candidates = [InspectorCandidate(i.cert_no, i.pk, 1) for i in wider]
    remedy = services.match_commit(
        task=task, actor=crew.operator, source=draw, inspectors=candidates
    )
    assert remedy.kind == DrawKind.MATCH_ONLY and remedy.source == draw and remedy.number == 2
    parsed = protocol.manifest_parse((var_dir / remedy.manifest_path).read_bytes())
    unstaffed = sorted(draw.selections.filter(unstaffed=True).values_list("target_id", flat=True))
    assert [t for t, _s in parsed.targets] == unstaffed
    assert parsed.strata == (protocol.Stratum("all", 2),)
    # the two inspectors already at capacity in this task are left out
    assert {i.id for i in parsed.inspectors} == {i.cert_no for i in wider[2:]}
    with pytest.raises(Conflict):  # not while the remedy ceremony is open
        services.draw_dispatch(draw=draw, actor=crew.operator)
    task.refresh_from_db()
    assert task.status == TaskStatus.CONFIRMED  # a remedy does not move the task
    remedy = services.draw_seed(
        draw=remedy,
        seed_text="骰子 1 2 3 4 5 6 1 2 3 4 5 6 1 2 3 4 5 6 1 2",
        sources="掷骰",
        witnesses=["王监督"],
        actor=crew.witness,
    )
    remedy = services.draw_confirm(draw=remedy, actor=crew.operator)
    for sel in draw.selections.filter(unstaffed=True):
        assert sel.remedy == SelectionRemedy.MATCH and sel.matched_by.draw == remedy
        assert len(selectors.selection_team(selection=sel)) == 2
    report = services.draw_dispatch(draw=draw, actor=crew.operator)
    assert report.visits_created == 3


def test_a_match_only_ceremony_reproduces_vector_v2(crew, var_dir):  # noqa: F811
    from shuangsuiji.registry.models import Entity
    from tests import factories

    task = crew.task(
        code="ZP-2022-07", start=dt.date(2022, 7, 1), end=dt.date(2022, 9, 30), capacity=1
    )
    manifest = protocol.manifest_parse((VECTORS / "v2-match.manifest").read_bytes())
    ents = {
        t: Entity.objects.create(department=crew.dept, key=t, uscc=t, name=f"企业{t[-4:]}")
        for t, _s in manifest.targets
    }
    insp = {
        i.id: factories.inspector(department=crew.dept, cert_no=i.id) for i in manifest.inspectors
    }
    for iid, t in manifest.conflicts:
        declare_conflict(insp[iid], ents[t])
    draw = services.match_commit(
        task=task,
        actor=crew.operator,
        entities=list(ents.values()),
        inspectors=[InspectorCandidate(i.cert_no, i.pk, 1) for i in insp.values()],
    )
    assert (var_dir / draw.manifest_path).read_bytes() == (
        VECTORS / "v2-match.manifest"
    ).read_bytes()
    task.refresh_from_db()
    assert (
        task.status == TaskStatus.COMMITTED
        and draw.kind == DrawKind.MATCH_ONLY
        and draw.source is None
    )
    seed = (VECTORS / "v2-match.seed").read_text(encoding="utf-8")
    draw = services.draw_seed(
        draw=draw,
        seed_text=seed,
        sources="福彩3D开奖号码",
        witnesses=["王监督"],
        actor=crew.witness,
    )
    assert draw.result_text == (VECTORS / "v2-match.result").read_text(encoding="utf-8")
    assert _persisted_result_text(draw) == draw.result_text
    assert draw.selections.filter(unstaffed=True).count() == 3
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    task.refresh_from_db()
    assert task.status == TaskStatus.CONFIRMED
