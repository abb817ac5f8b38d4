"""`ssj demo --no-serve` loads the documents' departments, rosters, plans and draws, and
loading it twice changes nothing."""

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.audit.services import chain_verify
from shuangsuiji.registry.models import Entity, Inspector
from tests.demo.conftest import ENTITIES, SECOND_SITE

pytestmark = pytest.mark.django_db


def test_the_demo_loads_and_a_second_load_changes_nothing(demo):
    first = demo["first_text"]
    assert Inspector.objects.filter(department__code="ZPZJ").count() == 26
    assert Inspector.objects.get(cert_no="13080716005").name == "谢璇"
    assert Entity.objects.count() == ENTITIES
    assert "sj_operator" in first and "Demo-ssj-2024" in first
    second = demo["text"]
    assert f"{SECOND_SITE}/public/results/" in second  # the address it serves on
    assert "新增 26 条" not in second and "更新 1" not in second and "新增 0 项" in second
    # Re-imports that change nothing write no audit events for records.
    assert Event.objects.filter(action__in=["entity.update", "inspector.update"]).count() == 0
    assert demo["second"]["events"] == demo["first"]["events"]
    assert chain_verify().ok
