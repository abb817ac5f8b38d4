"""/api/v1/inspection/: the whole path over JSON, refusals with the error envelope."""

import json

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.api import api
from shuangsuiji.inspection.choices import VersionStatus
from shuangsuiji.inspection.models import Evidence, Finding
from tests import factories
from tests.factories.inspection import (
    JPEG,
    PDF,
    TODAY,
    dispatched_scene,
    formed,
    in_review,
    started,
    upload,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/inspection"


@pytest.fixture
def scene():
    return dispatched_scene()


def _auth(user) -> dict:
    _, secret = api_token_create(user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, url, body, user, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **_auth(user)
    )


def test_every_operation_declares_its_errors():
    schema = api.get_openapi_schema()
    ops = [
        (path, m, op)
        for path, item in schema["paths"].items()
        if path.startswith(BASE)
        for m, op in item.items()
    ]
    assert len(ops) >= 18
    for path, method, op in ops:
        codes = {str(c) for c in op["responses"]}
        assert "401" in codes, (path, method)
        if "{" in path:
            assert {"403", "404"} <= codes, (path, method)
        if method != "get":
            assert {"409", "422"} <= codes, (path, method)


def test_the_whole_path_from_start_to_formed(client, scene):
    visit = scene.visits[0]
    leader, member = scene.members_users(visit)
    r = client.get(f"{BASE}/visits/mine", **_auth(leader))
    assert r.status_code == 200 and visit.pk in [v["id"] for v in r.json()]
    mine = next(v for v in r.json() if v["id"] == visit.pk)
    assert mine["team"][0]["leader"] and mine["tasks"][0]["lead"]
    r = _post(client, f"{BASE}/visits/{visit.pk}/start", {}, leader)
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    findings = r.json()["findings"]
    assert (
        len(findings) == 6
        and findings[0]["outcome"] == "unchecked"
        and findings[0]["item_version"] == 1
    )
    r = _post(
        client,
        f"{BASE}/visits/{visit.pk}/findings",
        {
            "entries": [
                {"item_id": f["item_id"], "point": f["point"], "outcome": "compliant"}
                for f in findings
            ]
        },
        leader,
    )
    assert r.status_code == 200 and {f["outcome"] for f in r.json()["findings"]} == {"compliant"}
    r = _post(
        client,
        f"{BASE}/visits/{visit.pk}/draft",
        {"inspected_on": "2024-03-10", "conclusion": "no_problem", "summary": "未发现问题"},
        leader,
        method="put",
    )
    assert r.status_code == 200 and r.json()["status"] == "draft"
    version_id = r.json()["id"]
    r = client.post(
        f"{BASE}/visits/{visit.pk}/evidence",
        {"file": upload("现场.jpg", JPEG), "kind": "photo"},
        **_auth(member),
    )
    assert r.status_code == 201 and len(r.json()["sha256"]) == 64
    r = _post(client, f"{BASE}/versions/{version_id}/submit", {}, leader)
    assert r.status_code == 200 and r.json()["status"] == "signing"
    for u in (leader, member):
        r = _post(client, f"{BASE}/versions/{version_id}/sign", {}, u)
        assert r.status_code == 200
    assert r.json()["status"] == "review" and len(r.json()["signatures"]) == 2
    r = _post(
        client, f"{BASE}/versions/{version_id}/approve", {"note": "同意"}, scene.crew.reviewer
    )
    assert r.status_code == 200 and r.json()["status"] == "formed"
    r = client.get(f"{BASE}/visits/{visit.pk}", **_auth(scene.crew.operator))
    body = r.json()
    assert body["status"] == "formed" and body["versions"][0]["status"] == "formed"
    assert body["evidence"][0]["original_name"] == "现场.jpg" and body["evidence"][0][
        "size"
    ] == len(JPEG)
    r = client.get(body["evidence"][0]["download"], **_auth(scene.crew.reviewer))
    assert r.status_code == 200 and b"".join(r.streaming_content) == JPEG
    assert r["Content-Disposition"].startswith("attachment")


def test_a_refused_submit_names_each_field_in_chinese(client, scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    version = visit.result.versions.get()
    r = _post(client, f"{BASE}/versions/{version.pk}/submit", {}, leader)
    assert r.status_code == 422
    body = r.json()
    assert body["detail"].startswith("检查结果不能提交签字") and body["errors"]["inspected_on"] == [
        "请填写检查日期"
    ]
    assert "尚未检查" in body["errors"]["findings"][0]


def test_a_wrong_draft_is_refused_with_field_keys(client, scene):
    visit = started(scene)
    r = _post(
        client,
        f"{BASE}/visits/{visit.pk}/draft",
        {"conclusion": "uncooperative", "followups": [{"kind": "rectify"}]},
        scene.members_users(visit)[0],
        method="put",
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert "non_cooperation" in errors and errors["followups.0.rectify_deadline"] == [
        "责令改正须填写整改期限"
    ]


def test_a_fake_file_is_refused_and_nothing_is_stored(client, scene, media_root):
    visit = started(scene)
    r = client.post(
        f"{BASE}/visits/{visit.pk}/evidence",
        {"file": upload("伪装.jpg", PDF)},
        **_auth(scene.members_users(visit)[0]),
    )
    assert (
        r.status_code == 422
        and "扩展名与文件内容不符" in r.json()["detail"]
        and "file" in r.json()["errors"]
    )
    assert not Evidence.objects.exists() and not media_root.exists()


def test_outsiders_get_404_and_a_colleague_without_the_role_gets_403(client, scene):
    visit = started(scene)
    outsider = factories.user(department=factories.department(), role=Role.DEPT_ADMIN)
    assert client.get(f"{BASE}/visits/{visit.pk}", **_auth(outsider)).status_code == 404
    r = _post(client, f"{BASE}/visits/{visit.pk}/findings", {"entries": []}, outsider)
    assert r.status_code == 404 and r.json()["detail"] == "检查不存在或您无权查看"
    r = _post(
        client, f"{BASE}/visits/{visit.pk}/draft", {"summary": "x"}, scene.admin, method="put"
    )
    assert r.status_code == 403 and "检查组成员" in r.json()["detail"]
    assert client.get(f"{BASE}/visits/{visit.pk}").status_code == 401


def test_edits_of_a_formed_result_are_refused_with_409(client, scene):
    visit, version = formed(scene)
    leader = scene.members_users(visit)[0]
    r = _post(client, f"{BASE}/visits/{visit.pk}/draft", {"summary": "改"}, leader, method="put")
    assert (
        r.status_code == 409
        and r.json()["detail"] == "检查结果已提交签字/已形成/已公示，不能修改；如需更正请走更正流程"
    )
    f = Finding.objects.filter(visit=visit).first()
    r = _post(
        client,
        f"{BASE}/visits/{visit.pk}/findings",
        {"entries": [{"item_id": f.item_id, "point": f.point, "outcome": "problem", "note": "改"}]},
        leader,
    )
    assert r.status_code == 409


def test_return_withdraw_and_follow_up_over_the_api(client, scene):
    visit, version = formed(scene)
    leader = scene.members_users(visit)[0]
    r = _post(
        client,
        f"{BASE}/versions/{version.pk}/followups",
        {"kind": "case", "case_no": "松建立〔2024〕1号"},
        leader,
    )
    assert r.status_code == 201
    fid = r.json()["id"]
    r = _post(
        client, f"{BASE}/followups/{fid}/penalty", {"penalty_decided_on": TODAY.isoformat()}, leader
    )
    assert r.status_code == 200 and r.json()["penalty_decided_on"] == "2024-03-10"
    r = _post(client, f"{BASE}/followups/{fid}/close", {"note": "罚款已缴纳"}, leader)
    assert (
        r.status_code == 200 and r.json()["status"] == "done" and "罚款已缴纳" in r.json()["detail"]
    )
    r = _post(
        client, f"{BASE}/followups/{fid}/recheck", {"status": "done", "recheck_note": "x"}, leader
    )
    assert r.status_code == 422


def test_the_reviewer_returns_over_the_api_and_gets_the_new_draft(client, scene):
    visit, version = in_review(scene)
    r = _post(client, f"{BASE}/versions/{version.pk}/return", {"note": ""}, scene.crew.reviewer)
    assert r.status_code == 422 and "note" in r.json()["errors"]
    r = _post(
        client,
        f"{BASE}/versions/{version.pk}/return",
        {"note": "补充检查情况"},
        scene.crew.reviewer,
    )
    assert (
        r.status_code == 200
        and r.json()["number"] == 2
        and r.json()["status"] == VersionStatus.DRAFT
    )
