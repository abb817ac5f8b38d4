"""``ssj results pending`` and ``ssj results publish``."""

import json

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.cli import main
from shuangsuiji.disclosure.models import PublishedResult
from tests.factories.disclosure import formed_scene

pytestmark = pytest.mark.django_db


def test_pending_lists_deadlines_and_publish_publishes(capsys):
    f = formed_scene(targets=2)
    assert main(["results", "pending", "--json", "--today", "2024-04-17"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["version_id"] for r in rows] == [v.pk for v in f.versions]
    assert rows[0]["deadline"] == "2024-04-18" and rows[0]["days_left"] == 1
    assert main(["results", "publish", str(f.versions[0].pk)]) == 0
    assert "已公示" in capsys.readouterr().out
    assert PublishedResult.objects.count() == 1
    assert Event.objects.get(action="result.publish").actor_name == "命令行"
    assert main(["results", "publish", str(f.versions[0].pk)]) == 1
    assert "不得擅自更改" in capsys.readouterr().err
    assert main(["results", "publish", "999999"]) == 1
    assert main(["results", "pending", "--today", "2024-04-19"]) == 0
    out = capsys.readouterr().out
    assert f.versions[1].result.visit.entity.name in out and "已逾期" in out
