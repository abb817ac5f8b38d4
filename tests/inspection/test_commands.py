"""``ssj inspection list`` (read-only) and the read-only admin."""

import pytest

from shuangsuiji.cli import main
from shuangsuiji.inspection import services
from shuangsuiji.inspection.models import Finding, ResultVersion, Visit
from tests import factories
from tests.factories.inspection import JPEG, dispatched_scene, formed, started, upload

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_department_and_status(capsys):
    scene = dispatched_scene()
    formed(scene)
    assert main(["inspection", "list", "--department", scene.crew.dept.code]) == 0
    out = capsys.readouterr().out
    assert "共 2 个检查" in out and all(v.target_id in out for v in scene.visits)
    assert scene.inspector_users[0].mobile not in out
    assert main(["inspection", "list", "--status", "formed"]) == 0
    out = capsys.readouterr().out
    assert "共 1 个检查" in out and "已形成结果" in out
    assert main(["inspection", "list", "--department", "NOPE"]) == 0
    assert "共 0 个检查" in capsys.readouterr().out


def test_a_wrong_status_exits_1_in_chinese(capsys):
    assert main(["inspection", "list", "--status", "done"]) == 1
    assert "状态只能是" in capsys.readouterr().err


def test_the_admin_shows_inspection_records_but_allows_no_change(client):
    scene = dispatched_scene()
    visit = started(scene)
    ev = services.evidence_upload(
        visit=visit, upload=upload("a.jpg", JPEG), kind="photo", actor=scene.members_users(visit)[0]
    )
    root = factories.user(superuser=True)
    client.force_login(root)
    f = Finding.objects.filter(visit=visit).first()
    version = ResultVersion.objects.get(result__visit=visit)
    for model, pk in (
        ("visit", visit.pk),
        ("finding", f.pk),
        ("evidence", ev.pk),
        ("resultversion", version.pk),
    ):
        r = client.get(f"/admin/inspection/{model}/{pk}/change/")
        assert r.status_code == 200, model
        assert 'name="_save"' not in r.content.decode(), model
        assert client.get(f"/admin/inspection/{model}/{pk}/delete/").status_code == 403, model
        assert client.get(f"/admin/inspection/{model}/add/").status_code == 403, model
    assert ev.sha256 in client.get(f"/admin/inspection/evidence/{ev.pk}/change/").content.decode()
    r = client.post(f"/admin/inspection/visit/{visit.pk}/change/", {"status": "formed"})
    assert r.status_code == 403
    visit.refresh_from_db()
    assert visit.status == "in_progress" and Visit.objects.count() == 2
