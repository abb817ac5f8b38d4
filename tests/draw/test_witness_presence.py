"""纪检监督员 confirm their own presence at a draw (issue 12 第 6 项): the witness list is the
accounts that confirmed, then names typed by someone else marked （代录）."""

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed
from shuangsuiji.draw import services
from shuangsuiji.draw.models import WitnessPresence
from tests import factories
from tests.factories.ceremony import SEED, Crew, pool_for

pytestmark = pytest.mark.django_db


def _committed(crew):
    task = crew.task()
    return services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (2, crew.entities(3))}, inspectors=crew.inspectors(4)),
    )


def test_the_witness_confirms_on_the_page_and_the_operator_types_the_rest(client, var_dir):
    crew = Crew()
    draw = _committed(crew)
    client.force_login(crew.witness)
    page = client.get(f"/draw/tasks/{draw.task_id}/").content.decode()
    assert 'id="witness-confirm-button"' in page
    response = client.post(f"/draw/{draw.pk}/witness/")
    assert response.status_code == 302
    assert WitnessPresence.objects.filter(draw=draw, user=crew.witness).exists()
    assert Event.objects.filter(action="draw.witness_confirm", actor=crew.witness).exists()
    page = client.get(f"/draw/tasks/{draw.task_id}/").content.decode()
    assert "witness-confirm-button" not in page and "本人确认" in page
    # The operator enters the seed and types the witness's name and a visitor's.
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED,
        sources="纪检监督员现场掷骰20次",
        witnesses=[str(crew.witness), "赵来宾"],
        actor=crew.operator,
    )
    assert draw.witnesses == f"{crew.witness}、赵来宾（代录）"
    # Too late now.
    with pytest.raises(Conflict):
        services.witness_confirm(draw=draw, actor=crew.witness)


def test_only_the_departments_witnesses_may_confirm(client, var_dir):
    crew = Crew()
    draw = _committed(crew)
    stranger = factories.user(department=Crew().dept, role="witness", full_name="外部门监督员")
    with pytest.raises(NotAllowed):
        services.witness_confirm(draw=draw, actor=stranger)
    with pytest.raises(NotAllowed):
        services.witness_confirm(draw=draw, actor=crew.operator)
    services.witness_confirm(draw=draw, actor=crew.witness)
    with pytest.raises(Conflict, match="已确认"):
        services.witness_confirm(draw=draw, actor=crew.witness)
    client.force_login(crew.operator)
    assert (
        "witness-confirm-button" not in client.get(f"/draw/tasks/{draw.task_id}/").content.decode()
    )
