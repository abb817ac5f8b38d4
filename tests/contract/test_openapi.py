"""The API keeps its contract (issue 11 item 4): schemathesis generates requests from the
OpenAPI document (/api/v1/openapi.json) and checks every answer — no server error, the
status codes, content types and bodies the document declares, and a request the schema
forbids is refused. (Not checked: that every schema-valid request is accepted — a valid
shape can still break a rule of 001–004, which answers 404/409/422 in the envelope.) A bounded budget per operation keeps it
inside `make test`; derandomized, so a failure reproduces."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.wsgi import application
from tests import factories

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
EXAMPLES = 4


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # As Django's test client does: the WSGI handler would close the test's database
    # connection (and its transaction) at the end of every request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, dept):
    owner = factories.user(department=dept, role="dept_admin", username="contract-owner")
    factories.entity(department=dept, name="合同测试公司")
    _, secret = api_token_create(user=owner, name="契约测试")
    return secret


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )


def _licence_notice(scene) -> int:
    import datetime as dt

    from shuangsuiji.licences.services import notice_receive
    from tests import factories

    item = scene.items[0]
    return notice_receive(
        department=item.department,
        actor="命令行",
        values={
            "licence_item": item.current.name,
            "licensee": "契约测试被许可人",
            "uscc": factories.uscc(),
            "licence_no": "契约许〔2024〕1号",
            "licence_date": "2024-01-05",
            "issuing_office": "区行政服务中心",
        },
        today=dt.date(2024, 1, 8),
    ).pk


def test_real_records_are_answered_in_their_declared_shape(db):
    """Generated ids mostly miss; here every GET runs against records that exist (a
    published scene: draw with teams, visits with result versions, evidence, objections)."""
    from shuangsuiji.inspection import services as inspection_services
    from shuangsuiji.registry.models import Entity, Inspector
    from tests.factories.inspection import JPEG, dispatched_scene, started, upload
    from tests.factories.portal import published_plan, published_scene

    pub = published_scene()
    scene = pub.scene
    plan = published_plan(department=scene.crew.dept, items=scene.items)
    _, secret = api_token_create(user=scene.admin, name="契约测试")
    # evidence of a visit under way (published visits take only supplementary evidence)
    other = dispatched_scene(targets=1, inspectors=2)
    visit = started(other)
    evidence = inspection_services.evidence_upload(
        visit=visit,
        upload=upload("现场.JPG", JPEG),
        kind="",
        actor=other.members_users(visit)[0],
        description="现场取证",
    )
    _, other_secret = api_token_create(user=other.admin, name="契约测试")
    ids = {
        "entity_id": Entity.objects.filter(department=scene.crew.dept).first().pk,
        "inspector_id": Inspector.objects.filter(department=scene.crew.dept).first().pk,
        "item_id": scene.items[0].pk,
        "plan_id": plan.pk,
        "task_id": scene.task.pk,
        "draw_id": scene.draw.pk,
        "visit_id": pub.rows[0].version.result.visit_id,
        "evidence_id": evidence.pk,
        "objection_id": pub.answered.pk,
        "slug": "notice",  # a visit's document (documents/api.py), issued below
        "notice_id": _licence_notice(scene),  # 双告知 (licences/api.py)
    }
    from shuangsuiji.documents.visit_docs import doc_for, issue
    from shuangsuiji.inspection.models import Visit

    issued_visit = Visit.objects.get(pk=ids["visit_id"])
    issue(
        doc=doc_for("notice"),
        visit=issued_visit,
        actor=scene.crew.operator,
        today=issued_visit.window_start,
    )
    queries = {"code": pub.correction.credit_code}
    checked, failures = [], []
    for path, methods in schema.raw_schema["paths"].items():
        if "get" not in methods:
            continue
        declared = methods["get"].get("parameters", [])
        params = {p["name"] for p in declared if p["in"] == "path"}
        required = {p["name"] for p in declared if p["in"] == "query" and p.get("required")}
        case = schema[path]["GET"].Case(
            path_parameters={p: ids[p] for p in params},
            query={q: queries[q] for q in required} or None,
        )
        try:
            token = other_secret if "evidence_id" in params else secret
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append((path, str(exc)[:300]))
            continue
        checked.append((path, response.status_code))
    assert failures == []
    assert [(p, status) for p, status in checked if status != 200] == []
    assert len(checked) >= 20


def test_every_schema_has_a_name_of_its_own():
    # django-ninja files schemas under their class name: two apps' "MemberOut" made the
    # draw's team members documented with the visit members' fields.
    import ast
    from collections import Counter
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src" / "shuangsuiji"
    names = Counter(
        node.name
        for path in src.glob("*/api.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef)
        and any(getattr(b, "id", "") == "Schema" for b in node.bases)
    )
    assert [n for n, count in names.items() if count > 1] == []
