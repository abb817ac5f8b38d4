"""The draw ceremony over /api/v1/draw/: each step, refusals with the error envelope."""

import json

import pytest

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.api import api
from shuangsuiji.draw.choices import DrawState, SelectionRemedy, SubstitutionStatus
from shuangsuiji.draw.models import Draw, Selection
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.models import TargetClass
from tests import factories
from tests.factories.ceremony import SEED, Crew

pytestmark = pytest.mark.django_db
BASE = "/api/v1/draw"


@pytest.fixture
def crew():
    return Crew()


def _auth(user) -> dict:
    _, secret = api_token_create(user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, url, body, user):
    return client.post(url, data=json.dumps(body), content_type="application/json", **_auth(user))


def _task(crew, *, count=3, inspectors=4, capacity=10):
    task = crew.task(capacity=capacity)
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=count)
    crew.entities(6)
    insp = crew.inspectors(inspectors)
    return task, insp


def _seed_body(**kw):
    return {
        "seed_text": SEED,
        "sources": "纪检监督员现场掷骰20次",
        "witnesses": ["王监督", "李见证"],
        **kw,
    }


def test_a_full_ceremony_commit_seed_confirm_dispatch(client, crew):
    task, _insp = _task(crew)
    r = _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator)
    assert r.status_code == 201, r.content
    body = r.json()
    draw_id = body["id"]
    assert (
        body["state"] == "committed" and len(body["manifest_sha256"]) == 64 and body["key"] is None
    )
    assert body["seed_text"] is None and body["selections"] == []
    r = _post(client, f"{BASE}/draws/{draw_id}/seed", _seed_body(), crew.witness)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["state"] == "drawn"
        and body["seed_text"] == SEED
        # the witness who entered it with his own login, then the names he typed (代录)
        and body["witnesses"] == [str(crew.witness), "王监督（代录）", "李见证（代录）"]
    )
    assert [s["rank"] for s in body["selections"]] == [1, 2, 3]
    assert all(len(s["team"]) == 2 and s["team"][0]["leader"] for s in body["selections"])
    assert body["public_url"].endswith(f"/public/draw/{task.code}/1/")
    r = _post(client, f"{BASE}/draws/{draw_id}/confirm", {}, crew.operator)
    assert r.json()["state"] == "confirmed" and r.json()["confirmed_at"]
    r = _post(client, f"{BASE}/draws/{draw_id}/dispatch", {}, crew.operator)
    assert r.status_code == 200, r.content
    assert r.json()["visits_created"] == 3 and r.json()["visits_joined"] == 0
    assert Visit.objects.filter(lead_task=task).count() == 3


def test_list_and_get_are_scoped_to_the_users_departments(client, crew):
    task, _insp = _task(crew)
    _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator)
    draw = Draw.objects.get(task=task)
    r = client.get(f"{BASE}/draws", **_auth(crew.reviewer))
    assert [d["task"] for d in r.json()] == [task.code]
    outsider = factories.user(department=factories.department(), role="operator")
    assert client.get(f"{BASE}/draws", **_auth(outsider)).json() == []
    r = client.get(f"{BASE}/draws/{draw.pk}", **_auth(outsider))
    assert r.status_code == 404 and "无权查看" in r.json()["detail"]
    r = _post(client, f"{BASE}/draws/{draw.pk}/void", {"reason": "捣乱"}, outsider)
    assert r.status_code == 404
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED


def test_refusals_come_back_in_chinese_with_their_status(client, crew):
    task, _insp = _task(crew)
    draw_id = _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator).json()["id"]
    r = _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator)
    assert r.status_code == 409 and "不能再次封存名单" in r.json()["detail"]
    r = _post(client, f"{BASE}/draws/{draw_id}/confirm", {}, crew.operator)
    assert r.status_code == 409 and "只有已摇号、未确认的摇号可以确认锁定" in r.json()["detail"]
    r = _post(client, f"{BASE}/draws/{draw_id}/seed", _seed_body(witnesses=[]), crew.operator)
    assert r.status_code == 422 and r.json()["errors"]["witnesses"]
    r = _post(client, f"{BASE}/draws/{draw_id}/seed", _seed_body(), crew.reviewer)
    assert r.status_code == 403 and "纪检监督员" in r.json()["detail"]
    r = _post(client, f"{BASE}/draws/{draw_id}/void", {"reason": ""}, crew.operator)
    assert r.status_code == 422 and r.json()["errors"]["reason"]
    assert Draw.objects.get(pk=draw_id).state == DrawState.COMMITTED
    r = client.post(f"{BASE}/draws/{draw_id}/confirm")
    assert r.status_code == 401 and r.json()["detail"] == "未登录或令牌无效"


def test_void_keeps_the_draw_and_a_new_commit_replaces_it(client, crew):
    task, _insp = _task(crew)
    draw_id = _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator).json()["id"]
    r = _post(client, f"{BASE}/draws/{draw_id}/void", {"reason": "名录库漏录企业"}, crew.operator)
    assert r.json()["state"] == "void" and r.json()["void_reason"] == "名录库漏录企业"
    r = _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator)
    assert r.status_code == 201 and r.json()["number"] == 2
    states = [
        (d["number"], d["state"])
        for d in client.get(f"{BASE}/draws?task={task.code}", **_auth(crew.operator)).json()
    ]
    assert states == [(1, "void"), (2, "committed")]


def test_substitution_request_and_decision(client, crew):
    task, _insp = _task(crew)
    draw_id = _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator).json()["id"]
    body = _post(client, f"{BASE}/draws/{draw_id}/seed", _seed_body(), crew.witness).json()
    member = body["selections"][0]["team"][0]
    r = _post(
        client,
        f"{BASE}/assignments/{member['assignment_id']}/substitution",
        {"reason": "利害关系"},
        crew.operator,
    )
    assert r.status_code == 201, r.content
    sub = r.json()
    assert sub["status"] == SubstitutionStatus.PENDING and sub["out_cert_no"] == member["cert_no"]
    r = _post(client, f"{BASE}/substitutions/{sub['id']}/decide", {"approve": True}, crew.operator)
    assert r.status_code == 403
    r = _post(
        client,
        f"{BASE}/substitutions/{sub['id']}/decide",
        {"approve": True, "note": "同意"},
        crew.reviewer,
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved" and r.json()["line"].startswith("substitute ")
    team = client.get(f"{BASE}/draws/{draw_id}", **_auth(crew.operator)).json()["selections"][0][
        "team"
    ]
    assert member["cert_no"] not in [m["cert_no"] for m in team]
    assert team[-1]["source"] == "substitute" and r.json()["in_cert_no"] == team[-1]["cert_no"]


def test_direct_assignment_is_marked_not_random(client, crew):
    task, insp = _task(crew, count=2, inspectors=3, capacity=1)
    draw_id = _post(client, f"{BASE}/tasks/{task.pk}/commit", {}, crew.operator).json()["id"]
    _post(client, f"{BASE}/draws/{draw_id}/seed", _seed_body(), crew.witness)
    _post(client, f"{BASE}/draws/{draw_id}/confirm", {}, crew.operator)
    unstaffed = Selection.objects.get(draw_id=draw_id, unstaffed=True)
    r = _post(
        client,
        f"{BASE}/selections/{unstaffed.pk}/direct",
        {"inspectors": [insp[0].cert_no, "NO-SUCH"], "reason": "人员不足"},
        crew.operator,
    )
    assert r.status_code == 422 and "NO-SUCH" in r.json()["detail"]
    r = _post(
        client,
        f"{BASE}/selections/{unstaffed.pk}/direct",
        {"inspectors": [insp[0].cert_no, insp[1].cert_no], "reason": "本区域执法检查人员不足"},
        crew.operator,
    )
    assert r.status_code == 201, r.content
    row = next(s for s in r.json()["selections"] if s["id"] == unstaffed.pk)
    assert row["remedy"] == SelectionRemedy.DIRECT and row["unstaffed"]
    assert [m["random"] for m in row["team"]] == [False, False]


def test_the_openapi_document_declares_the_errors():
    schema = api.get_openapi_schema()
    paths = schema["paths"]
    commit = paths["/api/v1/draw/tasks/{task_id}/commit"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= {str(k) for k in commit["responses"]}
    get = paths["/api/v1/draw/draws/{draw_id}"]["get"]
    assert {"200", "401", "403", "404"} <= {str(k) for k in get["responses"]}
