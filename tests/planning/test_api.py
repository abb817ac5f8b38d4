import json

import pytest

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.api import api
from shuangsuiji.planning import services
from shuangsuiji.planning.models import Plan, Task
from tests import factories

pytestmark = pytest.mark.django_db
BASE = "/api/v1/planning"


def _auth(user) -> dict:
    _, secret = api_token_create(user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, url, body, user):
    return client.post(url, data=json.dumps(body), content_type="application/json", **_auth(user))


def test_an_operator_creates_a_plan_adds_a_row_files_and_publishes_it(client, trio, item):
    colleague = trio["colleague"]
    r = _post(client, f"{BASE}/plans", {"department": "SJJW", "year": 2024}, colleague)
    assert r.status_code == 201, r.content
    plan_id = r.json()["id"]
    r = _post(
        client,
        f"{BASE}/plans/{plan_id}/rows",
        {
            "seq": 1,
            "target_desc": "燃气经营企业",
            "item_codes": [item.code],
            "schedule_text": "9月",
            "ratio": "3%",
        },
        colleague,
    )
    assert r.status_code == 201, r.content
    row = r.json()["rows"][0]
    assert row["months"] == [9] and row["items"] == [item.code] and float(row["ratio"]) == 3
    assert any("低于5%" in w for w in r.json()["warnings"])
    assert (
        _post(
            client, f"{BASE}/plans/{plan_id}/file", {"filed_to": "区市场监管局"}, colleague
        ).status_code
        == 200
    )
    r = _post(client, f"{BASE}/plans/{plan_id}/publish", {}, colleague)
    assert r.json()["status"] == "published"


def test_errors_come_back_in_the_envelope(client, trio, plan):
    r = _post(
        client,
        f"{BASE}/plans/{plan.pk}/rows",
        {"seq": 1, "target_desc": "x", "ratio": "三成"},
        trio["colleague"],
    )
    assert r.status_code == 422
    assert "抽查比例" in r.json()["errors"]["ratio"][0]
    r = _post(client, f"{BASE}/plans", {"department": "SJJW", "year": 2024}, trio["owner"])
    assert r.status_code == 403 and "抽查操作员" in r.json()["detail"]
    r = client.get(f"{BASE}/plans/{plan.pk}", **_auth(trio["outsider"]))
    assert r.status_code == 404
    assert client.get(f"{BASE}/plans").status_code == 401


def test_plan_lists_are_scoped(client, trio, plan):
    services.plan_create(department=trio["other"], year=2024, actor=None)
    assert [p["id"] for p in client.get(f"{BASE}/plans", **_auth(trio["owner"])).json()] == [
        plan.pk
    ]
    assert len(client.get(f"{BASE}/plans", **_auth(trio["outsider"])).json()) == 1


def test_a_task_is_created_and_its_pool_previewed(client, trio, item):
    factories.entity(department=trio["dept"])
    factories.entity(department=trio["dept"], risk_class="D")
    body = {
        "department": "SJJW",
        "title": "燃气企业临时抽查",
        "kind": "ad_hoc",
        "description": "投诉举报",
        "item_codes": [item.code],
        "window_start": "2024-09-01",
        "window_end": "2024-09-30",
        "classes": [
            {"code": "gas", "name": "燃气企业", "ratio": "10", "risk_ratios": {"D": "100"}}
        ],
    }
    r = _post(client, f"{BASE}/tasks", body, trio["colleague"])
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["code"] == "SJJW-2024-001" and task["classes"][0]["risk_ratios"] == {"D": "100"}
    r = client.get(f"{BASE}/tasks/{task['id']}/pool-preview", **_auth(trio["owner"]))
    preview = r.json()
    assert [(s["name"], s["pool_size"], s["n"]) for s in preview["strata"]] == [
        ("gas.D", 1, 1),
        ("gas.U", 1, 1),
    ]
    assert client.get(f"{BASE}/tasks/{task['id']}", **_auth(trio["outsider"])).status_code == 404


def test_a_bad_task_is_refused_with_the_field_named(client, trio, item):
    body = {
        "department": "SJJW",
        "title": "x",
        "kind": "ad_hoc",
        "description": "d",
        "item_codes": [item.code],
        "window_start": "2024-09-01",
        "window_end": "2024-09-30",
        "team_size": 1,
        "classes": [{"code": "all", "name": "全部", "ratio": "5"}],
    }
    r = _post(client, f"{BASE}/tasks", body, trio["colleague"])
    assert r.status_code == 422 and "team_size" in r.json()["errors"]
    assert not Task.objects.exists()


def test_the_openapi_document_declares_the_errors():
    schema = api.get_openapi_schema()
    post = schema["paths"]["/api/v1/planning/tasks"]["post"]
    assert {"201", "403", "409", "422"} <= {str(k) for k in post["responses"]}
    assert Plan  # the module imports cleanly
