"""一经公示，不得擅自更改 (002 第二十八条): once published, nothing changes a result version
or its public copy — not the staff pages, not the API, not the Django admin. Only a
signed correction adds a new version, and the old copy stays."""

import json

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from shuangsuiji.accounts.services import api_token_create
from shuangsuiji.disclosure.models import Objection, PortalSubmission, PublishedResult
from shuangsuiji.disclosure.services import correction_create, correction_sign, result_publish
from shuangsuiji.inspection.choices import Conclusion, VersionStatus
from shuangsuiji.inspection.models import FollowUp, ResultVersion
from tests import factories
from tests.factories.disclosure import formed_scene, objection

pytestmark = pytest.mark.django_db
API = "/api/v1/disclosure"


@pytest.fixture
def published():
    f = formed_scene(targets=1)
    f.row = result_publish(version=f.version, actor=f.operator)
    f.version.refresh_from_db()
    return f


def _state(f) -> dict:
    """Every stored field of the version, its follow-ups and its public copy."""
    version = ResultVersion.objects.get(pk=f.version.pk)
    return {
        "version": model_to_dict(version),
        "followups": [
            model_to_dict(x) for x in FollowUp.objects.filter(version=version).order_by("id")
        ],
        "published": model_to_dict(PublishedResult.objects.get(version=version)),
        "rows": PublishedResult.objects.count(),
        "versions": ResultVersion.objects.count(),
    }


def _api(client, method, url, user, body=None):
    _, secret = api_token_create(user=user, name="测试")
    return getattr(client, method)(
        url,
        data=json.dumps(body or {}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_the_staff_pages_change_nothing_on_a_published_result(client, published):
    f = published
    before = _state(f)
    client.force_login(f.reviewer)
    for url, data in (
        (reverse("disclosure:publish", args=[f.version.pk]), {}),
        (reverse("disclosure:publish_bulk"), {"versions": [f.version.pk]}),
        (reverse("disclosure:withhold", args=[f.version.pk]), {"reason": "涉密"}),
        (reverse("disclosure:sign", args=[f.version.pk]), {}),
        (reverse("disclosure:discard", args=[f.version.pk]), {"reason": "作废"}),
    ):
        r = client.post(url, data, follow=True)
        assert r.status_code in (200, 422), url
        assert (
            "不得擅自更改" in r.content.decode()
            or "不是待主要负责人签字的更正" in r.content.decode()
        ), url
    assert _state(f) == before


def test_the_api_changes_nothing_on_a_published_result(client, published):
    f = published
    before = _state(f)
    for url, body in (
        (f"{API}/versions/{f.version.pk}/publish", {}),
        (f"{API}/publish", {"version_ids": [f.version.pk]}),
        (f"{API}/versions/{f.version.pk}/withhold", {"reason": "涉密"}),
        (f"{API}/versions/{f.version.pk}/sign", {}),
        (f"{API}/versions/{f.version.pk}/discard", {"reason": "作废"}),
    ):
        r = _api(client, "post", url, f.reviewer, body)
        assert r.status_code == 409, (url, r.content)
        assert "不得擅自更改" in r.json()["detail"], url
    assert _state(f) == before


def test_the_admin_cannot_add_change_or_delete_public_copies_objections_or_submissions(
    client, published
):
    f = published
    o = objection(f.row)
    submission = PortalSubmission.objects.create(form="objection", client="abc", accepted=True)
    before = _state(f)
    objection_before = model_to_dict(Objection.objects.get(pk=o.pk))
    admin = factories.user(superuser=True)
    client.force_login(admin)
    for model, obj in ((PublishedResult, f.row), (Objection, o), (PortalSubmission, submission)):
        name = model._meta.model_name
        assert client.get(reverse(f"admin:disclosure_{name}_changelist")).status_code == 200
        change = reverse(f"admin:disclosure_{name}_change", args=[obj.pk])
        page = client.get(change)
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only
        assert (
            client.post(
                change, {"entity_name": "改名", "status": "answered", "answer": "x"}
            ).status_code
            == 403
        )
        assert client.get(reverse(f"admin:disclosure_{name}_add")).status_code == 403
        assert (
            client.post(
                reverse(f"admin:disclosure_{name}_delete", args=[obj.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        r = client.post(
            reverse(f"admin:disclosure_{name}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert r.status_code in (200, 302)
    assert _state(f) == before
    assert model_to_dict(Objection.objects.get(pk=o.pk)) == objection_before
    assert PortalSubmission.objects.filter(pk=submission.pk).exists()


def test_a_correction_adds_a_version_and_leaves_the_old_one_untouched(published):
    f = published
    before = _state(f)
    correction = correction_create(
        result=f.version.result,
        reason="复查发现错误",
        actor=f.operator,
        conclusion=Conclusion.NO_PROBLEM,
        problems="",
    )
    correction_sign(version=correction, actor=f.reviewer)
    after = _state(f)
    # Only the superseded marks moved; every other field of the old version and copy is as published.
    assert after["version"]["status"] == VersionStatus.SUPERSEDED
    assert after["published"]["superseded_by"] is not None
    for key in ("status", "superseded_at"):
        after["version"].pop(key), before["version"].pop(key)
    for key in ("superseded_by", "superseded_at"):
        after["published"].pop(key), before["published"].pop(key)
    assert after["version"] == before["version"] and after["published"] == before["published"]
    assert after["followups"] == before["followups"]
    assert after["rows"] == before["rows"] + 1 and after["versions"] == before["versions"] + 1
