import pytest

from shuangsuiji.inspection.choices import VisitStatus
from tests.factories.inspection import dispatched_scene

pytestmark = pytest.mark.django_db


def test_a_scene_has_pending_visits_with_a_team_of_account_holders():
    scene = dispatched_scene(targets=2, inspectors=4)
    visits = scene.visits
    assert len(visits) == 2 and all(v.status == VisitStatus.PENDING for v in visits)
    team = scene.members_users(visits[0])
    assert len(team) == 2 and all(u is not None for u in team)
    assert scene.items[0].versions.get().checklist
