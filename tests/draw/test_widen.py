"""A remedy for unstaffed targets: a new match-only draw with a wider inspector pool
(a neighbouring area's or chosen departments' inspectors, experts) [002 第二十条],
recorded on the draw, in the audit event and on the public page — service, staff page
and API."""

import json

import pytest

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.draw import protocol, services
from shuangsuiji.draw.choices import DrawKind, DrawState, SelectionRemedy
from shuangsuiji.draw.models import Draw
from shuangsuiji.draw.pool import InspectorCandidate, inspector_pool
from shuangsuiji.planning.models import TargetClass
from shuangsuiji.registry.choices import InspectorKind
from tests import factories
from tests.factories.ceremony import SEED, Crew

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew():
    return Crew()


def _confirmed_with_unstaffed(crew):
    """3 targets drawn from the task's real pool; 3 inspectors who may each take one
    target, teams of 2: one team is formed, two targets are left unstaffed."""
    task = crew.task(capacity=1)
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=3)
    crew.entities(5)
    crew.inspectors(3)
    draw = services.draw_commit(task=task, actor=crew.operator)
    draw = services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    assert draw.selections.filter(unstaffed=True).count() == 2
    return task, draw


def _neighbour(name="闵行区建设和管理委员会（相邻区域）"):
    dept = factories.department(name=name)
    section = factories.department(name="闵行区建管委安全科", parent=dept)
    people = [factories.inspector(department=d) for d in (dept, dept, section, section)]
    return dept, people


def _manifest_ids(var_dir, draw) -> set[str]:  # noqa: F811
    return {
        i.id
        for i in protocol.manifest_parse((var_dir / draw.manifest_path).read_bytes()).inspectors
    }


def test_a_remedy_widened_to_a_neighbour_draws_its_inspectors_and_records_the_scope(crew, var_dir):  # noqa: F811
    task, draw = _confirmed_with_unstaffed(crew)
    neighbour, people = _neighbour()
    assert not {p.pk for p in people} & {
        c.pk for c in inspector_pool(task=task)
    }  # not in the task's own pool
    remedy = services.match_commit(
        task=task, actor=crew.operator, source=draw, extra_departments=[neighbour]
    )
    assert remedy.kind == DrawKind.MATCH_ONLY and remedy.source == draw
    # the neighbour's inspectors (its sub-department's too) are in the frozen manifest
    assert {p.cert_no for p in people} <= _manifest_ids(var_dir, remedy)
    scope = remedy.inspector_scope
    assert scope["widened"] is True and scope["experts"] is False
    assert [d["code"] for d in scope["departments"]] == [crew.dept.code, neighbour.code]
    assert "扩大范围" in scope["departments"][1]["basis"]
    event = Event.objects.get(action="draw.match_commit", object_id=str(remedy.pk))
    assert event.after["inspector_scope"]["departments"][1]["code"] == neighbour.code
    # its own ceremony staffs the unstaffed targets with the wider pool
    remedy = services.draw_seed(
        draw=remedy, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    services.draw_confirm(draw=remedy, actor=crew.operator)
    assert set(draw.selections.filter(unstaffed=True).values_list("remedy", flat=True)) == {
        SelectionRemedy.MATCH
    }


def test_a_remedy_without_widening_keeps_the_tasks_pool_and_says_so(crew, var_dir):  # noqa: F811
    task, draw = _confirmed_with_unstaffed(crew)
    _neighbour()
    task.inspector_capacity = 2
    task.save(update_fields=["inspector_capacity"])
    remedy = services.match_commit(task=task, actor=crew.operator, source=draw)
    assert _manifest_ids(var_dir, remedy) == {c.inspector_id for c in inspector_pool(task=task)}
    assert remedy.inspector_scope["widened"] is False
    assert [d["code"] for d in remedy.inspector_scope["departments"]] == [crew.dept.code]


def test_experts_join_a_remedy_only_when_asked(crew, var_dir):  # noqa: F811
    task, draw = _confirmed_with_unstaffed(crew)
    experts = [
        factories.inspector(department=crew.dept, kind=InspectorKind.EXPERT) for _ in range(2)
    ]
    plain = services.match_commit(task=task, actor=crew.operator, source=draw)
    assert not {e.cert_no for e in experts} & _manifest_ids(var_dir, plain)
    services.draw_void(draw=plain, reason="专家未纳入，重新封存", actor=crew.operator)
    remedy = services.match_commit(
        task=task, actor=crew.operator, source=draw, include_experts=True
    )
    assert {e.cert_no for e in experts} <= _manifest_ids(var_dir, remedy)
    assert remedy.inspector_scope["experts"] and remedy.inspector_scope["experts_widened"]
    assert remedy.inspector_scope["widened"]


def test_an_inactive_department_is_refused_and_nothing_is_frozen(crew):
    task, draw = _confirmed_with_unstaffed(crew)
    neighbour, _people = _neighbour()
    neighbour.is_active = False
    neighbour.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed, match="停用") as exc:
        services.match_commit(
            task=task, actor=crew.operator, source=draw, extra_departments=[neighbour]
        )
    assert "extra_departments" in exc.value.errors
    assert not Draw.objects.filter(source=draw).exists()


def test_a_given_inspector_list_cannot_also_be_widened(crew):
    task, draw = _confirmed_with_unstaffed(crew)
    neighbour, people = _neighbour()
    with pytest.raises(TypeError):
        services.match_commit(
            task=task,
            actor=crew.operator,
            source=draw,
            extra_departments=[neighbour],
            inspectors=[InspectorCandidate(p.cert_no, p.pk, 1) for p in people],
        )


def test_a_match_only_ceremony_may_widen_the_pool_too(crew, var_dir):  # noqa: F811
    task = crew.task()
    ents = crew.entities(2)
    neighbour, people = _neighbour()
    draw = services.match_commit(
        task=task, actor=crew.operator, entities=ents, extra_departments=[neighbour]
    )
    assert {p.cert_no for p in people} <= _manifest_ids(var_dir, draw)
    assert draw.source is None and draw.inspector_scope["widened"]


# --- staff page and public page ----------------------------------------------------------------


def test_the_remedy_form_widens_the_pool_and_the_public_page_shows_the_pool_used(
    client,
    crew,
    var_dir,  # noqa: F811
):
    task, draw = _confirmed_with_unstaffed(crew)
    neighbour, people = _neighbour()
    client.force_login(crew.operator)
    html = client.get(f"/draw/tasks/{task.pk}/").content.decode()
    assert 'id="remedy-form"' in html and neighbour.name in html and "含专家库人员" in html
    assert (
        f'value="{crew.dept.pk}"' not in html.split('id="remedy-form"')[1]
    )  # own department: already in
    response = client.post(f"/draw/{draw.pk}/remedy/", {"extra_departments": [str(neighbour.pk)]})
    remedy = Draw.objects.get(source=draw)
    assert response.status_code == 302 and response["Location"] == f"/draw/{remedy.pk}/"
    assert {p.cert_no for p in people} <= _manifest_ids(var_dir, remedy)
    staff = client.get(f"/draw/{remedy.pk}/").content.decode()
    assert 'id="scope-widened"' in staff and neighbour.name in staff
    public = client.get(f"/public/draw/{task.code}/{remedy.number}/").content.decode()
    assert (
        'id="inspector-scope"' in public
        and neighbour.name in public
        and "扩大范围（本次摇号" in public
    )
    assert "补充匹配" in public


def test_the_remedy_form_rejects_an_unknown_department_and_changes_nothing(client, crew):
    task, draw = _confirmed_with_unstaffed(crew)
    client.force_login(crew.operator)
    response = client.post(f"/draw/{draw.pk}/remedy/", {"extra_departments": ["999999"]})
    assert response.status_code == 422 and "不可选" in response.content.decode()
    assert not Draw.objects.filter(source=draw).exists()


def test_the_match_only_form_takes_extra_departments(client, crew, var_dir):  # noqa: F811
    task = crew.task()
    ents = crew.entities(2)
    crew.inspectors(2)
    neighbour, people = _neighbour()
    client.force_login(crew.operator)
    client.post(
        f"/draw/tasks/{task.pk}/match/",
        {
            "codes": "\n".join(e.uscc for e in ents),
            "extra_departments": [str(neighbour.pk)],
            "include_experts": "on",
        },
    )
    draw = Draw.objects.get(task=task)
    assert {p.cert_no for p in people} <= _manifest_ids(var_dir, draw)
    assert draw.inspector_scope["experts"] and draw.inspector_scope["widened"]


# --- API ---------------------------------------------------------------------------------------


def _post(client, url, body, user):
    _, secret = api_token_create(user=user, name="测试")
    return client.post(
        url,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_the_api_commits_a_remedy_with_a_wider_pool(client, crew, var_dir):  # noqa: F811
    task, draw = _confirmed_with_unstaffed(crew)
    neighbour, people = _neighbour()
    r = _post(
        client,
        f"/api/v1/draw/draws/{draw.pk}/remedy",
        {"extra_departments": [neighbour.code]},
        crew.operator,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["kind"] == "match_only"
        and body["source_number"] == draw.number
        and body["state"] == "committed"
    )
    assert body["inspector_scope"]["widened"] is True
    assert [d["code"] for d in body["inspector_scope"]["departments"]] == [
        crew.dept.code,
        neighbour.code,
    ]
    remedy = Draw.objects.get(pk=body["id"])
    assert {p.cert_no for p in people} <= _manifest_ids(var_dir, remedy)
    # a second remedy while this one is open: 409, nothing new
    r = _post(client, f"/api/v1/draw/draws/{draw.pk}/remedy", {}, crew.operator)
    assert r.status_code == 409 and "进行中" in r.json()["detail"]
    assert Draw.objects.filter(source=draw).count() == 1


def test_the_api_remedy_refuses_unknown_departments_witnesses_and_outsiders(client, crew):
    task, draw = _confirmed_with_unstaffed(crew)
    r = _post(
        client,
        f"/api/v1/draw/draws/{draw.pk}/remedy",
        {"extra_departments": ["NO-SUCH"]},
        crew.operator,
    )
    assert r.status_code == 422 and "NO-SUCH" in r.json()["errors"]["extra_departments"][0]
    r = _post(client, f"/api/v1/draw/draws/{draw.pk}/remedy", {}, crew.witness)
    assert r.status_code == 403
    outsider = Crew()
    r = _post(client, f"/api/v1/draw/draws/{draw.pk}/remedy", {}, outsider.operator)
    assert r.status_code == 404
    assert not Draw.objects.filter(source=draw).exists()


def test_the_api_commits_a_match_only_ceremony(client, crew, var_dir):  # noqa: F811
    task = crew.task()
    ents = crew.entities(3)
    crew.inspectors(4)
    r = _post(
        client,
        f"/api/v1/draw/tasks/{task.pk}/match",
        {"targets": [e.uscc for e in ents]},
        crew.operator,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "match_only" and body["source_number"] is None
    assert body["inspector_scope"]["widened"] is False
    draw = Draw.objects.get(pk=body["id"])
    parsed = protocol.manifest_parse((var_dir / draw.manifest_path).read_bytes())
    assert sorted(t for t, _s in parsed.targets) == sorted(e.uscc for e in ents)
    r = _post(
        client,
        f"/api/v1/draw/draws/{draw.pk}/seed",
        {"seed_text": SEED, "sources": "掷骰", "witnesses": ["王监督"]},
        crew.witness,
    )
    assert r.status_code == 200 and len(r.json()["selections"]) == 3
    assert Draw.objects.get(pk=draw.pk).state == DrawState.DRAWN


def test_the_api_match_refuses_unknown_targets_an_empty_list_and_a_second_commit(client, crew):
    task = crew.task()
    ents = crew.entities(2)
    url = f"/api/v1/draw/tasks/{task.pk}/match"
    r = _post(client, url, {"targets": [ents[0].uscc, "91310000NOSUCH0000"]}, crew.operator)
    assert r.status_code == 422 and "91310000NOSUCH0000" in r.json()["errors"]["targets"][0]
    r = _post(client, url, {"targets": []}, crew.operator)
    assert r.status_code == 422 and "targets" in r.json()["errors"]
    assert not Draw.objects.filter(task=task).exists()
    assert _post(client, url, {"targets": [ents[0].uscc]}, crew.operator).status_code == 201
    r = _post(client, url, {"targets": [ents[1].uscc]}, crew.operator)
    assert r.status_code == 409
    assert Draw.objects.filter(task=task).count() == 1


def test_the_api_declares_the_errors_of_match_and_remedy():
    from shuangsuiji.api import api

    paths = api.get_openapi_schema()["paths"]
    for path in ("/api/v1/draw/tasks/{task_id}/match", "/api/v1/draw/draws/{draw_id}/remedy"):
        declared = {str(code) for code in paths[path]["post"]["responses"]}
        assert {"201", "401", "403", "404", "409", "422"} <= declared, (path, declared)
