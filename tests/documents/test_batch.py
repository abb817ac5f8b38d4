"""Batch printing (issue 13 第 4 项): all 检查通知书 of a task in one PDF, in the order the draw
selected the targets, with consecutive numbers given in that order and page numbers that
restart with each notice; the shell does the same for a large task."""

import io
import re
from contextlib import redirect_stdout

import pytest

from shuangsuiji.cli import main as ssj
from shuangsuiji.documents import views as document_views
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.draw.models import Selection
from tests.factories.files import pdf_text_flat as _flat
from tests.factories.inspection import dispatched_scene

pytestmark = pytest.mark.django_db


def test_all_notices_of_a_task_in_selection_order(client, var_dir, tmp_path):
    scene = dispatched_scene(targets=3)
    url = f"/documents/tasks/{scene.task.pk}/notice.pdf"
    client.force_login(scene.crew.operator)
    page = client.get(url).content.decode()
    assert "共有检查通知书 3 份" in page and "3 份尚未签发" in page
    assert client.post(url).status_code == 302
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _flat(pdf.content, tmp_path)
    ranked = [s.target_id for s in Selection.objects.filter(draw__task=scene.task).order_by("rank")]
    numbers = {d.object_id: d for d in IssuedDocument.objects.all()}
    names, seqs = [], []
    for target in ranked:
        visit = next(v for v in scene.visits if v.target_id == target)
        names.append(text.index(visit.entity.name))
        seqs.append(numbers[str(visit.pk)].seq)
    assert names == sorted(names)  # printed in selection order
    assert seqs == [1, 2, 3]  # numbered in selection order
    # Each notice numbers its own pages: every notice starts again at 第1页.
    firsts = re.findall(r"第1页共(\d+)页", text)
    assert len(firsts) == 3
    # Printed again: the same numbers, nothing new issued.
    client.get(url)
    assert IssuedDocument.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_large_batch_is_made_in_the_background_with_progress(
    client, var_dir, tmp_path, monkeypatch, settings
):
    """Above the inline limit the page queues a job on the task queue (numbers, then the
    PDF), shows its progress and then the download; the worker does the work."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from shuangsuiji.documents import batch_jobs

    settings.RECORD_JOBS_INLINE = False
    scene = dispatched_scene(targets=2)
    monkeypatch.setattr(document_views, "BATCH_INLINE_LIMIT", 1)
    url = f"/documents/tasks/{scene.task.pk}/notice.pdf"
    client.force_login(scene.crew.operator)
    page = client.get(url).content.decode()
    assert "在后台" in page and "2 份尚未签发" in page
    assert client.post(url).status_code == 302
    assert DBTaskResult.objects.count() == 1 and not IssuedDocument.objects.exists()
    page = client.get(url).content.decode()
    assert "排队中" in page and "hx-get" in page
    # A second click while queued is refused, said on the page: one job per batch.
    again = client.post(url, HTTP_REFERER=url, follow=True).content.decode()
    assert "已在排队生成" in again and DBTaskResult.objects.count() == 1
    # The worker runs it; the progress is written as it goes.
    seen: list[int] = []
    real = batch_jobs._write
    monkeypatch.setattr(
        batch_jobs, "_write", lambda f, st: (seen.append(st.get("done", 0)), real(f, st))[1]
    )
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert IssuedDocument.objects.count() == 2 and seen[-1] == 2
    status = client.get(f"/documents/tasks/{scene.task.pk}/notice/status/").content.decode()
    assert "已生成 2 份" in status and "hx-get" not in status
    pdf = client.get(url + "?download=1")
    assert pdf["Content-Type"] == "application/pdf"
    text = _flat(b"".join(pdf.streaming_content), tmp_path)
    assert all(d.number in text for d in IssuedDocument.objects.all())
    # A worker that died mid-job is said, and the batch can be started again.
    (batch_jobs._folder(scene.task, "notice") / "job.json").write_text(
        '{"status": "running", "pid": 999999999, "total": 2}', encoding="utf-8"
    )
    assert "后台生成中断" in client.get(url).content.decode()
    assert client.post(url).status_code == 302 and DBTaskResult.objects.count() == 2
    # Someone who may not issue cannot start it.
    client.force_login(scene.inspector_users[0])
    assert client.post(url).status_code == 403


def test_a_large_batch_is_made_in_the_shell(client, var_dir, tmp_path):
    scene = dispatched_scene(targets=2)
    out = tmp_path / "batch.pdf"
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = ssj(["documents", "batch", scene.task.code, "--issue", "--out", str(out)])
    assert code == 0 and "已签发" in buf.getvalue()
    assert IssuedDocument.objects.count() == 2
    text = _flat(out.read_bytes(), tmp_path)
    assert all(d.number in text for d in IssuedDocument.objects.all())
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = ssj(
            ["documents", "batch", scene.task.code, "--kind", "result-letter", "--out", str(out)]
        )
    assert code == 2 and "还没有已签发" in buf.getvalue()  # no published result yet: said
