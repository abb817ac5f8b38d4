"""部门联合抽查 (issue 14 第 1 项; 000 四(二)): the lead department's draw, then one match draw
per partner that takes part over the same selected targets — all ``ssj-draw/1``. Every
dispatched team has an inspector of each department and the lead's 组长, whatever the pools."""

import random
import subprocess
import sys
from pathlib import Path

import pytest

from shuangsuiji.common.errors import Conflict
from shuangsuiji.draw import services
from shuangsuiji.draw.selectors import manifest_file
from shuangsuiji.inspection.models import Visit, VisitMember
from shuangsuiji.planning.models import TargetClass
from shuangsuiji.planning.selectors import family_ids
from shuangsuiji.planning.services import task_partner_respond
from tests import factories
from tests.factories.catalog import make_item
from tests.factories.ceremony import SEED, Crew

pytestmark = pytest.mark.django_db
VERIFIER = Path(__file__).resolve().parents[2] / "docs" / "verify_draw.py"


def _joint(rng: random.Random, partners: int):
    crew = Crew()
    # 指引第二十条 (2 per target) counts the partners' inspectors: the lead's part may be 1.
    task = crew.task(capacity=40, team_size=rng.choice([1, 2]))
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=rng.randint(2, 9))
    crew.entities(rng.randint(9, 14))
    crew.inspectors(rng.randint(3, 6))
    depts = []
    for i in range(partners):
        dept = factories.department(name=f"配合部门{i}")
        for _ in range(rng.randint(1, 4)):
            factories.inspector(department=dept, category="市场监管")
        factories.inspector(department=dept, category="城市管理")  # not of the named category
        operator = factories.user(department=dept, role="operator")
        item = make_item(department=dept, code=f"P{i}-01")
        task.partners.add(dept)
        task_partner_respond(
            task=task,
            department=dept,
            actor=operator,
            accept=True,
            items=[item],
            inspector_category="市场监管",
        )
        depts.append(dept)
    return crew, task, depts


def _ceremony(draw, crew, seed: str):
    draw = services.draw_seed(
        draw=draw, seed_text=seed, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    return services.draw_confirm(draw=draw, actor=crew.operator)


@pytest.mark.parametrize("case", range(6))
def test_every_joint_team_has_each_department_and_a_lead_leader(case, tmp_path, var_dir):
    rng = random.Random(case)
    crew, task, depts = _joint(rng, partners=1 + case % 3)
    lead = services.draw_commit(task=task, actor=crew.operator)
    lead = _ceremony(lead, crew, f"{SEED} #{case}")
    with pytest.raises(Conflict) as exc:  # the partners' matches first
        services.draw_dispatch(draw=lead, actor=crew.operator)
    assert "人员匹配尚未确认锁定" in exc.value.message
    matches = []
    for i, dept in enumerate(depts):
        match = services.partner_match_commit(task=task, partner=dept, actor=crew.operator)
        matches.append(_ceremony(match, crew, f"{SEED} #{case}.{i}"))
    services.draw_dispatch(draw=lead, actor=crew.operator)

    lead_family = family_ids(department=crew.dept)
    visits = list(Visit.objects.filter(lead_task=task))
    assert len(visits) == lead.selections.count() > 0
    for visit in visits:
        members = list(VisitMember.objects.filter(visit=visit).select_related("inspector"))
        [leader] = [m for m in members if m.is_leader]
        assert leader.inspector.department_id in lead_family  # 组长: the lead department's
        for dept in depts:
            theirs = [m for m in members if m.inspector.department_id == dept.pk]
            assert len(theirs) == 1 and theirs[0].inspector.category == "市场监管"
        assert len(members) == task.team_size + len(depts)

    # Every published draw — the lead's and each partner's — reproduces with the
    # standalone verifier (docs/verify_draw.py, standard library only).
    for draw in [lead, *matches]:
        (tmp_path / "seed.txt").write_text(draw.seed_text, encoding="utf-8")
        run = subprocess.run(
            [
                sys.executable,
                str(VERIFIER),
                str(manifest_file(draw=draw)),
                str(tmp_path / "seed.txt"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout == draw.result_text


def test_a_partner_match_is_sealed_once_and_only_after_the_lead_draw(var_dir):
    crew, task, [dept] = _joint(random.Random(99), partners=1)
    with pytest.raises(Conflict):  # the lead's draw is not confirmed yet
        services.partner_match_commit(task=task, partner=dept, actor=crew.operator)
    lead = _ceremony(services.draw_commit(task=task, actor=crew.operator), crew, SEED)
    match = services.partner_match_commit(task=task, partner=dept, actor=crew.operator)
    assert (match.source_id, match.partner_id, match.kind) == (lead.pk, dept.pk, "match_only")
    with pytest.raises(Conflict):
        services.partner_match_commit(task=task, partner=dept, actor=crew.operator)
    # Voided (before its seed), it is sealed again, the new one replacing it.
    services.draw_void(draw=match, reason="人员名单有误", actor=crew.operator)
    task.refresh_from_db()
    assert task.status == "confirmed"  # the lead's confirmed draw is untouched
    again = services.partner_match_commit(task=task, partner=dept, actor=crew.operator)
    assert again.replaces_id == match.pk


def test_the_lead_seals_each_partners_match_from_the_draw_page(client, var_dir):
    crew, task, [dept] = _joint(random.Random(7), partners=1)
    lead = _ceremony(services.draw_commit(task=task, actor=crew.operator), crew, SEED)
    client.force_login(crew.operator)
    page = client.get(f"/draw/tasks/{task.pk}/").content.decode()
    assert "联合抽查：配合部门人员匹配" in page and "尚未封存" in page
    response = client.post(f"/draw/{lead.pk}/partner/", {"partner": dept.code})
    match = lead.remedies.get(partner=dept)
    assert response.status_code == 302 and response["Location"] == f"/draw/{match.pk}/"
    page = client.get(f"/draw/{match.pk}/").content.decode()
    assert f"从配合部门“{dept.name}”的执法人员中随机匹配每组1人" in page
    public = client.get(f"/public/draw/{task.code}/").content.decode()
    assert f"从配合部门“{dept.name}”的执法检查人员中随机匹配每组1人" in public


def test_a_partners_inspector_is_not_shown_as_the_leader(client, var_dir):
    crew, task, [dept] = _joint(random.Random(3), partners=1)
    lead = _ceremony(services.draw_commit(task=task, actor=crew.operator), crew, SEED)
    match = _ceremony(
        services.partner_match_commit(task=task, partner=dept, actor=crew.operator), crew, SEED
    )
    client.force_login(crew.operator)
    assert 'badge leader">组长' in client.get(f"/draw/{lead.pk}/").content.decode()
    assert 'badge leader">组长' not in client.get(f"/draw/{match.pk}/").content.decode()
    public = client.get(f"/public/draw/{task.code}/").content.decode()
    lead_part, partner_part = public.split('id="draw-2"')
    assert 'badge leader">组长' in lead_part and 'badge leader">组长' not in partner_part


def test_a_partner_match_left_short_is_not_locked_but_voided_and_sealed_again(var_dir, client):
    """The partner's inspectors cannot cover every target (capacity): confirming would lock
    teams without that department, which dispatch refuses and nobody could undo. So the
    confirmation is refused, the match voided, and sealed again once the partner adds staff."""
    from shuangsuiji.registry.models import Inspector

    crew = Crew()
    task = crew.task(capacity=1, team_size=1)
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=3)
    crew.entities(3)
    crew.inspectors(3)
    dept = factories.department(name="配合部门甲")
    factories.inspector(department=dept)  # one inspector, capacity 1: two targets short
    operator = factories.user(department=dept, role="operator")
    task.partners.add(dept)
    task_partner_respond(
        task=task,
        department=dept,
        actor=operator,
        accept=True,
        items=[make_item(department=dept, code="PJ-01")],
    )
    lead = _ceremony(services.draw_commit(task=task, actor=crew.operator), crew, SEED)
    match = services.draw_seed(
        draw=services.partner_match_commit(task=task, partner=dept, actor=crew.operator),
        seed_text=SEED,
        sources="掷骰",
        witnesses=["王监督"],
        actor=crew.witness,
    )
    assert match.selections.filter(unstaffed=True).count() == 2
    with pytest.raises(Conflict) as exc:
        services.draw_confirm(draw=match, actor=crew.operator)
    assert "2个检查对象未配齐" in exc.value.message and "配合部门甲" in exc.value.message
    match.refresh_from_db()
    assert match.state == "drawn"
    services.draw_void(draw=match, reason="配合部门人员不足", actor=crew.operator)
    for _ in range(2):
        factories.inspector(department=dept)
    assert Inspector.objects.filter(department=dept).count() == 3
    again = _ceremony(
        services.partner_match_commit(task=task, partner=dept, actor=crew.operator), crew, SEED
    )
    assert again.state == "confirmed" and not again.selections.filter(unstaffed=True).exists()
    services.draw_dispatch(draw=lead, actor=crew.operator)
    for visit in Visit.objects.filter(lead_task=task):
        assert {m.inspector.department_id for m in visit.members.select_related("inspector")} == {
            crew.dept.pk,
            dept.pk,
        }
    # The team table names each member's department (a joint team, 000 四(二)).
    client.force_login(crew.operator)
    page = client.get(f"/inspection/visits/{visit.pk}/").content.decode()
    assert "<th>部门</th>" in page and "配合部门甲" in page and crew.dept.name in page
