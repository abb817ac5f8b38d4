"""/api/v1/disclosure/: each operation, refusals in the error envelope, declared errors."""

import datetime as dt
import json

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.api import api
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.inspection.choices import Conclusion, VersionStatus
from tests import factories
from tests.factories.disclosure import formed_scene, objection

pytestmark = pytest.mark.django_db
BASE = "/api/v1/disclosure"


def _auth(user) -> dict:
    _, secret = api_token_create(user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, url, user, body=None):
    return client.post(
        url, data=json.dumps(body or {}), content_type="application/json", **_auth(user)
    )


def _get(client, url, user, **params):
    return client.get(url, params, **_auth(user))


def test_pending_then_publish_then_by_code(client):
    f = formed_scene(targets=2)
    r = _get(client, f"{BASE}/pending", f.operator)
    assert r.status_code == 200
    assert [x["version"]["id"] for x in r.json()] == [v.pk for v in f.versions]
    assert r.json()[0]["deadline"]["date"] == "2024-04-18"
    r = _post(client, f"{BASE}/versions/{f.versions[0].pk}/publish", f.operator)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["version_number"] == 1
        and body["superseded_by_id"] is None
        and body["conclusion_label"] == "发现问题已责令改正"
    )
    r = _post(client, f"{BASE}/publish", f.operator, {"version_ids": [f.versions[1].pk]})
    assert r.status_code == 201 and len(r.json()) == 1
    r = _get(client, f"{BASE}/published", f.operator, code=body["credit_code"])
    assert r.status_code == 200 and [x["id"] for x in r.json()] == [body["id"]]
    assert _get(client, f"{BASE}/published", f.operator).status_code == 422  # code is required


def test_refusals_come_back_in_the_error_envelope(client):
    f = formed_scene(targets=1)
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    colleague = factories.user(department=f.dept, role=Role.WITNESS)
    r = _post(client, f"{BASE}/versions/{f.version.pk}/publish", outsider)
    assert r.status_code == 404 and r.json()["detail"] == "检查结果版本不存在或您无权查看"
    r = _post(client, f"{BASE}/versions/{f.version.pk}/publish", colleague)
    assert r.status_code == 403 and "抽查操作员或审核负责人" in r.json()["detail"]
    r = _post(client, f"{BASE}/publish", f.operator, {"version_ids": [f.version.pk, 999999]})
    assert r.status_code == 404 and "999999" in r.json()["detail"]
    r = _post(client, f"{BASE}/versions/{f.version.pk}/withhold", f.reviewer, {"reason": " "})
    assert r.status_code == 422 and r.json()["errors"] == {
        "reason": ["请填写不予公开的法律依据和理由"]
    }
    r = _post(client, f"{BASE}/versions/{f.version.pk}/withhold", f.reviewer, {})
    assert r.status_code == 422
    assert client.post(f"{BASE}/versions/{f.version.pk}/publish").status_code == 401
    assert not PublishedResult.objects.exists()


def test_withhold(client):
    f = formed_scene(targets=1)
    r = _post(
        client, f"{BASE}/versions/{f.version.pk}/withhold", f.reviewer, {"reason": "涉及国家秘密"}
    )
    assert r.status_code == 200 and r.json()["status"] == VersionStatus.WITHHELD
    assert r.json()["withheld_reason"] == "涉及国家秘密"


def test_correction_create_sign_and_discard(client):
    f = formed_scene(targets=1)
    row = _post(client, f"{BASE}/versions/{f.version.pk}/publish", f.operator).json()
    result_id = row["result_id"]
    r = _post(
        client,
        f"{BASE}/results/{result_id}/corrections",
        f.operator,
        {"reason": "复查", "conclusion": Conclusion.NO_PROBLEM, "problems": "", "followups": []},
    )
    assert r.status_code == 201, r.content
    first = r.json()
    assert (
        first["number"] == 2
        and first["status"] == VersionStatus.REVIEW
        and first["followups"] == []
    )
    r = _post(client, f"{BASE}/versions/{first['id']}/discard", f.operator, {"reason": "填错"})
    assert r.status_code == 200 and r.json()["status"] == VersionStatus.RETURNED
    r = _post(
        client,
        f"{BASE}/results/{result_id}/corrections",
        f.operator,
        {
            "reason": "复查",
            "summary": "更正后的情况",
            "followups": [{"kind": "transfer", "recipient": "区市场监督管理局"}],
        },
    )
    second = r.json()
    assert second["number"] == 3 and second["conclusion"] == Conclusion.RECTIFIED
    assert [x["kind"] for x in second["followups"]] == ["transfer"]
    assert _post(client, f"{BASE}/versions/{second['id']}/sign", f.operator).status_code == 403
    r = _post(client, f"{BASE}/versions/{second['id']}/sign", f.reviewer)
    assert r.status_code == 201 and r.json()["is_correction"] and r.json()["version_number"] == 3
    assert r.json()["followup_text"] == "移交有关部门：区市场监督管理局"
    by_code = _get(client, f"{BASE}/published", f.operator, code=row["credit_code"]).json()
    assert [x["version_number"] for x in by_code] == [3, 1] and by_code[1][
        "superseded_by_id"
    ] == r.json()["id"]
    r = _post(
        client,
        f"{BASE}/results/{result_id}/corrections",
        f.operator,
        {"reason": "", "summary": "x"},
    )
    assert r.status_code == 422 and "reason" in r.json()["errors"]


def test_an_objection_due_in_a_year_without_calendar_data_has_a_provisional_date(
    client, time_machine
):
    time_machine.move_to(
        dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
    )  # the note counts from today too
    f = formed_scene(targets=1)
    row = _post(client, f"{BASE}/versions/{f.version.pk}/publish", f.operator).json()
    o = objection(PublishedResult.objects.get(pk=row["id"]), received_on=dt.date(2026, 12, 4))
    item = _get(client, f"{BASE}/objections/{o.pk}", f.operator).json()
    # 19 working days are left in December 2026; the 20th is 2027-01-01, counted Monday–Friday.
    assert item["review_due"]["date"] == "2027-01-01" and item["review_due"]["provisional"] is True
    assert item["review_due"]["note"] == "暂按双休日推算，待2027年节假日安排录入后自动更正"


def test_objection_list_review_and_answer(client):
    f = formed_scene(targets=1)
    row = _post(client, f"{BASE}/versions/{f.version.pk}/publish", f.operator).json()
    o = objection(PublishedResult.objects.get(pk=row["id"]), contact="13800138000")
    r = _get(client, f"{BASE}/objections", f.operator, status="received")
    assert r.status_code == 200
    [item] = r.json()
    assert item["number"] == o.number and item["contact"] == "138****8000"
    assert item["review_due"]["date"] == "2024-10-30" and item["answer_due"]["date"] is None
    outsider = factories.user(department=factories.department(), role=Role.REVIEWER)
    assert _get(client, f"{BASE}/objections", outsider).json() == []
    assert _get(client, f"{BASE}/objections/{o.pk}", outsider).status_code == 404
    url = f"{BASE}/objections/{o.pk}/review"
    r = _post(
        client, url, f.operator, {"decision": "upheld", "note": "x", "correction": {"summary": "y"}}
    )
    assert r.status_code == 403
    r = _post(client, url, f.reviewer, {"decision": "upheld", "note": "确有错误"})
    assert r.status_code == 422 and "correction" in r.json()["errors"]
    r = _post(
        client,
        url,
        f.reviewer,
        {
            "decision": "upheld",
            "note": "确有错误",
            "correction": {"conclusion": Conclusion.NO_PROBLEM, "problems": ""},
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == ObjectionStatus.UPHELD and len(body["correction_ids"]) == 1
    assert body["answer_due"]["date"] is not None
    r = _post(client, f"{BASE}/objections/{o.pk}/answer", f.operator, {"answer": "已更正"})
    assert r.status_code == 409
    _post(client, f"{BASE}/versions/{body['correction_ids'][0]}/sign", f.reviewer)
    r = _post(
        client,
        f"{BASE}/objections/{o.pk}/answer",
        f.operator,
        {"answer": "经复核确有错误，已更正公示"},
    )
    assert r.status_code == 200 and r.json()["status"] == ObjectionStatus.ANSWERED


def test_review_linking_an_existing_correction(client):
    f = formed_scene(targets=1)
    row = _post(client, f"{BASE}/versions/{f.version.pk}/publish", f.operator).json()
    o = objection(PublishedResult.objects.get(pk=row["id"]))
    c = _post(
        client,
        f"{BASE}/results/{row['result_id']}/corrections",
        f.operator,
        {"reason": "自查", "summary": "新"},
    ).json()
    r = _post(
        client,
        f"{BASE}/objections/{o.pk}/review",
        f.reviewer,
        {"decision": "upheld", "note": "同自查更正", "correction_id": c["id"]},
    )
    assert r.status_code == 200 and r.json()["correction_ids"] == [c["id"]]


def test_every_operation_declares_its_errors():
    schema = api.get_openapi_schema()
    ops = [
        (path, method, op)
        for path, item in schema["paths"].items()
        if path.startswith(BASE)
        for method, op in item.items()
    ]
    assert len(ops) == 12
    for path, method, op in ops:
        codes = {int(c) for c in op["responses"]}
        assert 401 in codes, (path, method)
        if method == "post":
            assert {403, 404, 409, 422} <= codes, (path, method)
