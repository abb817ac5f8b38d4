"""Presentation (projector) mode: the seed is typed on the projector page itself, in large
type, so the room sees it being entered; only the submitted text is ever stored."""

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.draw import services
from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Draw
from shuangsuiji.planning.models import TargetClass
from tests.factories.ceremony import SEED, Crew

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed():
    crew = Crew()
    task = crew.task()
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=3)
    crew.entities(5)
    crew.inspectors(4)
    return crew, services.draw_commit(task=task, actor=crew.operator)


def _seed_post(client, draw, **overrides):
    data = {"seed_text": SEED, "sources": "纪检监督员现场掷骰20次", "witness_other": "张见证"}
    data.update(overrides)
    return client.post(f"/draw/{draw.pk}/present/seed/", data)


def test_the_witness_gets_the_seed_form_in_large_type_on_the_projector(client, committed):
    crew, draw = committed
    client.force_login(crew.witness)
    html = client.get(f"/draw/{draw.pk}/present/").content.decode()
    assert (
        'id="present-seed-form"' in html
        and 'id="present-seed-input"' in html
        and 'class="seed"' in html
    )
    assert draw.manifest_sha256 in html
    # the form is never swapped away by the stage's poll; a separate watcher reloads instead
    assert 'hx-trigger="every 2s"' not in html and "present/state/?watch=1" in html


def test_a_seed_entered_on_the_projector_draws_and_the_results_appear_there(client, committed):
    crew, draw = committed
    client.force_login(crew.witness)
    response = _seed_post(client, draw, seed_text="骰子 3 1 4\n1 5 9  2 6")
    assert response.status_code == 302 and response["Location"] == f"/draw/{draw.pk}/present/"
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN and draw.seed_text == "骰子 3 1 4\n1 5 9  2 6"  # verbatim
    assert draw.witnesses == f"{crew.witness}、张见证（代录）" and draw.seeded_by == crew.witness
    html = client.get(f"/draw/{draw.pk}/present/").content.decode()
    assert (
        'id="present-seed"' in html
        and 'id="present-results"' in html
        and "present-seed-form" not in html
    )
    assert html.count('class="rank"') == 3


def test_a_seed_without_witnesses_keeps_the_typed_text_and_draws_nothing(client, committed):
    crew, draw = committed
    client.force_login(crew.operator)
    response = _seed_post(client, draw, witness_other="")
    assert response.status_code == 422
    html = response.content.decode()
    assert "见证人" in html and SEED in html  # still on the projector, as typed
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED and draw.seed_text == ""
    assert not Event.objects.filter(action="draw.seed").exists()


def test_a_reviewer_may_watch_but_not_enter_the_seed(client, committed):
    crew, draw = committed
    client.force_login(crew.reviewer)
    html = client.get(f"/draw/{draw.pk}/present/").content.decode()
    assert "present-seed-form" not in html and "等待纪检监督员录入种子" in html
    response = _seed_post(client, draw)
    assert response.status_code == 403
    assert Draw.objects.get(pk=draw.pk).state == DrawState.COMMITTED


def test_an_outsider_cannot_reach_the_projector_seed(client, committed):
    _crew, draw = committed
    outsider = Crew()
    client.force_login(outsider.operator)
    assert _seed_post(client, draw).status_code == 404
    assert Draw.objects.get(pk=draw.pk).state == DrawState.COMMITTED


def test_the_watcher_waits_quietly_and_reloads_once_the_seed_is_in(client, committed):
    crew, draw = committed
    client.force_login(crew.witness)
    url = f"/draw/{draw.pk}/present/state/?watch=1"
    waiting = client.get(url)
    assert waiting.status_code == 204 and "HX-Refresh" not in waiting
    services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.operator
    )
    done = client.get(url)
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
