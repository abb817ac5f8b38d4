"""The 抽查工作记录表 PDF of a large draw: rendered once per draw state (in a background
thread, while a page polls), cached under VAR_DIR, invalidated by any change the record
shows, and byte for byte what an inline render gives."""

import time

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from shuangsuiji.draw import record, record_jobs, services
from shuangsuiji.draw.record import FontMissing, record_pdf
from tests.factories.ceremony import SEED, Crew, pool_for

pytestmark = pytest.mark.django_db


def _confirmed():
    crew = Crew()
    task = crew.task()
    ents = crew.entities(8)
    insp = crew.inspectors(6)
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (4, ents)}, inspectors=insp),
    )
    draw = services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    return crew, services.draw_confirm(draw=draw, actor=crew.operator)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def large(monkeypatch, settings):
    """Every draw counts as large (background render, cache), rendered in the request."""
    monkeypatch.setattr(record_jobs, "INLINE_LIMIT", 0)
    settings.RECORD_JOBS_INLINE = True


def test_a_small_record_renders_inline_and_leaves_no_file(client, var_dir):  # noqa: F811
    crew, draw = _confirmed()
    client.force_login(crew.operator)
    response = client.get(f"/draw/{draw.pk}/record.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert not list(var_dir.rglob("record/*.pdf"))


def test_a_large_record_is_cached_once_and_equals_an_inline_render(
    client,
    var_dir,  # noqa: F811
    large,
    monkeypatch,
):
    crew, draw = _confirmed()
    client.force_login(crew.operator)
    first = client.get(f"/draw/{draw.pk}/record.pdf")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    files = list(var_dir.rglob("record/*.pdf"))
    assert len(files) == 1 and files[0].stem == record_jobs.record_key(draw=draw)
    assert _body(first) == files[0].read_bytes() == record_pdf(draw=draw)  # same bytes as inline
    # served from the cache: no second render
    monkeypatch.setattr(record, "record_pdf", lambda **kw: pytest.fail("rendered again"))
    again = client.get(f"/draw/{draw.pk}/record.pdf")
    assert again.status_code == 200 and _body(again) == files[0].read_bytes()


def test_the_cached_record_is_invalidated_when_a_substitution_is_approved(client, var_dir, large):  # noqa: F811
    crew, draw = _confirmed()
    client.force_login(crew.operator)
    client.get(f"/draw/{draw.pk}/record.pdf")
    key = record_jobs.record_key(draw=draw)
    assert record_jobs.record_pdf_cached(draw=draw) is not None
    member = draw.selections.order_by("rank").first().assignments.get(position=1)
    sub = services.substitution_request(
        assignment=member, reason="身体健康状况（住院治疗）", actor=crew.operator
    )
    assert record_jobs.record_key(draw=draw) == key  # a pending request is not on the record
    services.substitution_decide(substitution=sub, approve=True, actor=crew.reviewer)
    new_key = record_jobs.record_key(draw=draw)
    assert new_key != key and record_jobs.record_pdf_cached(draw=draw) is None
    body = _body(client.get(f"/draw/{draw.pk}/record.pdf"))
    assert body == record_pdf(draw=draw)
    files = list(var_dir.rglob("record/*.pdf"))
    assert [f.stem for f in files] == [new_key]  # the stale file is gone


def test_a_void_or_a_remedy_also_changes_the_key(var_dir):  # noqa: F811
    crew = Crew()
    task = crew.task()
    ents = crew.entities(4)
    insp = crew.inspectors(4)
    pool = pool_for(task, strata={"all": (2, ents)}, inspectors=insp)
    draw = services.draw_commit(task=task, actor=crew.operator, pool=pool)
    key = record_jobs.record_key(draw=draw)
    draw = services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    drawn = record_jobs.record_key(draw=draw)
    draw = services.draw_void(draw=draw, reason="比例设置有误", actor=crew.operator)
    assert len({key, drawn, record_jobs.record_key(draw=draw)}) == 3


def test_a_failed_render_is_reported_and_retried_on_request(client, var_dir, large, monkeypatch):  # noqa: F811
    crew, draw = _confirmed()
    client.force_login(crew.operator)

    def no_font(**kw):
        raise FontMissing("没有可嵌入的中文 TrueType 字体")

    monkeypatch.setattr(record, "record_pdf", no_font)
    failed = client.get(f"/draw/{draw.pk}/record.pdf")
    assert failed.status_code == 503 and "没有可嵌入的中文 TrueType 字体" in failed.content.decode()
    assert "retry=1" in failed.content.decode()
    monkeypatch.undo()
    monkeypatch.setattr(record_jobs, "INLINE_LIMIT", 0)
    assert client.get(f"/draw/{draw.pk}/record.pdf").status_code == 503  # reported until a retry
    retried = client.get(f"/draw/{draw.pk}/record.pdf?retry=1")
    assert retried.status_code == 200 and _body(retried).startswith(b"%PDF")


@pytest.mark.django_db(transaction=True)
def test_a_large_record_renders_in_the_background_while_a_page_polls(
    client,
    var_dir,  # noqa: F811
    monkeypatch,
    settings,
):
    monkeypatch.setattr(record_jobs, "INLINE_LIMIT", 0)
    settings.RECORD_JOBS_INLINE = False
    crew, draw = _confirmed()
    client.force_login(crew.operator)
    original = record.record_pdf

    def slow(**kw):
        time.sleep(0.5)  # long enough for the first answer to be the waiting page
        return original(**kw)

    monkeypatch.setattr(record, "record_pdf", slow)
    waiting = client.get(f"/draw/{draw.pk}/record.pdf")
    html = waiting.content.decode()
    assert waiting.status_code == 202 and "正在生成" in html
    assert f'hx-get="/draw/{draw.pk}/record/status/"' in html and 'hx-trigger="every 2s"' in html
    # The render waits on the task queue; a worker runs it (here in-process, on the test's
    # connection, so the slowed renderer above is the one it calls).
    assert client.get(f"/draw/{draw.pk}/record.pdf").status_code == 202
    assert DBTaskResult.objects.count() == 1  # the second request did not queue it again
    call_command("db_worker", "--batch", "--no-startup-delay")
    status = client.get(f"/draw/{draw.pk}/record/status/").content.decode()
    assert 'id="record-download"' in status and "hx-trigger" not in status
    done = client.get(f"/draw/{draw.pk}/record.pdf")
    assert done.status_code == 200 and _body(done) == original(draw=draw)
