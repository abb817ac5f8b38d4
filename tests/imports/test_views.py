"""The import page: upload → preview (background dry run) → 确认导入 (a second job)."""

import json
import os
import random
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuangsuiji.common.ids import make_uscc
from shuangsuiji.imports import jobs as import_jobs
from shuangsuiji.imports.choices import ImportJobStatus
from shuangsuiji.imports.models import ImportJob
from shuangsuiji.registry.models import Entity, Inspector
from tests import factories
from tests.factories.files import (
    ROSTER_HEADERS,
    ROSTER_ROWS,
    ROSTER_TITLE,
    read_sheet,
    write_csv,
    write_xlsx,
)

rng = random.Random(3)
HEADERS = ["序号", "统一社会信用代码", "名称", "信用风险分类"]


@pytest.fixture(autouse=True)
def inline_jobs(settings, tmp_path):
    """Jobs run in the request thread through the same ``import_job_run``; uploads go to tmp."""
    settings.IMPORT_JOBS_INLINE = True
    settings.UPLOAD_DIR = tmp_path / "uploads"


def upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def entities_file(tmp_path, rows, name="对象.csv"):
    # 信用风险分类 always comes with its date and source (001 三(六)): the helper adds them.
    dated = [
        [*r, "2026-06-30" if r[3] else "", "市场监管部门信用风险分类结果" if r[3] else ""]
        for r in rows
    ]
    return write_csv(
        tmp_path / name, [[*HEADERS, "风险分类日期", "风险分类来源"], *dated], encoding="utf-8-sig"
    )


def post_file(client, dept, path, kind="entities", skip_invalid=False, name=None):
    data = {"kind": kind, "department": dept.pk, "file": upload(path, name)}
    if skip_invalid:
        data["skip_invalid"] = "on"
    return client.post(reverse("imports:start"), data)


def test_the_page_offers_only_departments_the_user_may_write(client, trio):
    client.force_login(trio["owner"])
    page = client.get(reverse("imports:start")).content.decode()
    assert trio["dept"].name in page and trio["other"].name not in page
    assert "上传并预检" in page and "我的导入" in page


def test_a_colleague_is_told_only_admins_import(client, trio, tmp_path):
    client.force_login(trio["colleague"])
    assert "只有部门管理员可以批量导入" in client.get(reverse("imports:start")).content.decode()
    resp = post_file(
        client, trio["dept"], entities_file(tmp_path, [[1, make_uscc(rng), "甲公司", "A"]])
    )
    assert resp.status_code == 400 and not ImportJob.objects.exists()


def test_an_outsider_cannot_import_into_another_department(client, trio, tmp_path):
    client.force_login(trio["outsider"])
    resp = post_file(
        client, trio["dept"], entities_file(tmp_path, [[1, make_uscc(rng), "甲公司", "A"]])
    )
    assert resp.status_code == 400
    assert "选择一个有效的选项" in resp.content.decode() or "有效" in resp.content.decode()
    assert not ImportJob.objects.exists() and not Entity.objects.exists()


def test_upload_preview_then_commit(client, trio, tmp_path):
    client.force_login(trio["owner"])
    good = [[i, make_uscc(rng), f"甲{i}有限公司", "A类"] for i in range(1, 4)]
    resp = post_file(client, trio["dept"], entities_file(tmp_path, good))
    assert resp.status_code == 302
    preview = ImportJob.objects.get()
    assert (preview.dry_run, preview.status, preview.created_by) == (
        True,
        ImportJobStatus.SUCCEEDED,
        trio["owner"],
    )
    assert len(preview.file_sha256) == 64
    page = client.get(resp["Location"]).content.decode()
    assert "将新增" in page and "甲1有限公司" in page and "确认导入" in page
    assert (
        f">{preview.file_sha256[:8]}</span>" in page
    )  # the file's fingerprint; full under 技术细节
    assert page.index("<summary>技术细节</summary>") < page.index(preview.file_sha256)
    assert not Entity.objects.exists()  # the preview wrote nothing

    resp = client.post(reverse("imports:job_confirm", args=[preview.pk]))
    commit = ImportJob.objects.exclude(pk=preview.pk).get()
    assert resp["Location"] == reverse("imports:job", args=[commit.pk])
    assert (commit.dry_run, commit.status, commit.parent) == (
        False,
        ImportJobStatus.SUCCEEDED,
        preview,
    )
    assert Entity.objects.filter(department=trio["dept"]).count() == 3
    page = client.get(resp["Location"]).content.decode()
    assert "导入完成" in page and "新增 3 条" in page
    # The same file confirmed twice is refused.
    client.post(reverse("imports:job_confirm", args=[preview.pk]))
    assert ImportJob.objects.count() == 2


def test_the_preview_shows_each_error_with_row_column_and_reason(client, trio, tmp_path):
    client.force_login(trio["owner"])
    rows = [[1, make_uscc(rng), "甲有限公司", "A"], [2, "91310117MA1J0000X1", "乙有限公司", "E"]]
    resp = post_file(client, trio["dept"], entities_file(tmp_path, rows))
    page = client.get(resp["Location"]).content.decode()
    assert 'id="error-table"' in page
    assert "第 3 行" in page and "统一社会信用代码" in page and "校验位错误" in page
    assert "信用风险分类" in page and "无法识别「E」" in page
    assert "下载错误报告" in page
    preview = ImportJob.objects.get()
    # Confirming a file with errors without skipping them is refused.
    client.post(reverse("imports:job_confirm", args=[preview.pk]))
    assert ImportJob.objects.count() == 1 and not Entity.objects.exists()
    # The error report lists the bad row.
    report = client.get(reverse("imports:job_error_report", args=[preview.pk]))
    assert report.status_code == 200
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"".join(report.streaming_content))
    assert [r[0] for r in read_sheet(out)[1:]] == [3]


def test_skip_invalid_on_confirm_imports_the_good_rows(client, trio, tmp_path):
    client.force_login(trio["owner"])
    rows = [[1, make_uscc(rng), "甲有限公司", "A"], [2, "bad", "乙有限公司", "A"]]
    resp = post_file(client, trio["dept"], entities_file(tmp_path, rows))
    preview = ImportJob.objects.get()
    client.post(reverse("imports:job_confirm", args=[preview.pk]), {"skip_invalid": "on"})
    commit = ImportJob.objects.exclude(pk=preview.pk).get()
    assert commit.skip_invalid and commit.result["skipped"] == 1
    assert list(Entity.objects.values_list("name", flat=True)) == ["甲有限公司"]
    assert resp.status_code == 302


def test_the_roster_xlsx_through_the_page(client, trio, tmp_path):
    client.force_login(trio["owner"])
    path = write_xlsx(tmp_path / "名录.xlsx", [ROSTER_HEADERS, *ROSTER_ROWS], title=ROSTER_TITLE)
    post_file(client, trio["dept"], path, kind="inspectors")
    preview = ImportJob.objects.get()
    page = client.get(reverse("imports:job", args=[preview.pk])).content.decode()
    assert "表头在第 2 行" in page and "王朕" in page
    client.post(reverse("imports:job_confirm", args=[preview.pk]))
    assert Inspector.objects.filter(department=trio["dept"]).count() == 3


def test_reimporting_says_nothing_will_change(client, trio, tmp_path):
    client.force_login(trio["owner"])
    path = entities_file(tmp_path, [[1, make_uscc(rng), "甲有限公司", "A"]])
    post_file(client, trio["dept"], path)
    client.post(reverse("imports:job_confirm", args=[ImportJob.objects.get().pk]))
    resp = post_file(client, trio["dept"], path)
    page = client.get(resp["Location"]).content.decode()
    assert "不会发生任何变更" in page


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("对象.pdf", b"%PDF-1.4", "不支持的文件类型"),
        ("对象.csv", b"", "文件是空的"),
    ],
)
def test_bad_uploads_get_a_chinese_error(client, trio, name, content, message):
    client.force_login(trio["owner"])
    resp = client.post(
        reverse("imports:start"),
        {
            "kind": "entities",
            "department": trio["dept"].pk,
            "file": SimpleUploadedFile(name, content),
        },
    )
    assert resp.status_code == 400 and message in resp.content.decode()
    assert not ImportJob.objects.exists()


def test_the_upload_size_limit(client, trio, tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    client.force_login(trio["owner"])
    path = entities_file(tmp_path, [[i, make_uscc(rng), f"甲{i}有限公司", "A"] for i in range(10)])
    resp = post_file(client, trio["dept"], path)
    assert resp.status_code == 400 and "超过上限" in resp.content.decode()


def test_an_unreadable_file_fails_the_preview_clearly(client, trio, tmp_path):
    client.force_login(trio["owner"])
    path = tmp_path / "乱码.csv"
    path.write_bytes("名称,统一社会信用代码\n".encode() + b"\x80\x80\xff\n")
    resp = post_file(client, trio["dept"], path)
    page = client.get(resp["Location"]).content.decode()
    assert "无法识别文件编码" in page and "确认导入" not in page


def test_jobs_are_private_to_their_uploader(client, trio, tmp_path):
    client.force_login(trio["owner"])
    post_file(
        client, trio["dept"], entities_file(tmp_path, [[1, make_uscc(rng), "甲有限公司", "A"]])
    )
    job = ImportJob.objects.get()
    client.force_login(trio["outsider"])
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.post(reverse("imports:job_confirm", args=[job.pk])).status_code == 404
    assert job.file_name not in client.get(reverse("imports:jobs")).content.decode()


def test_the_progress_display_polls_until_the_job_ends(client, trio, tmp_path):
    client.force_login(trio["owner"])
    job = ImportJob.objects.create(
        kind="entities",
        department=trio["dept"],
        created_by=trio["owner"],
        file_name="大文件.csv",
        file_sha256="0" * 64,
        status=ImportJobStatus.RUNNING,
        runner_pid=os.getpid(),
        progress_total=1000,
    )
    progress = import_jobs._progress_path(job)
    progress.write_text(json.dumps({"done": 250, "total": 1000}))
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "hx-get" in page and "25%" in page and "我的导入" in page
    partial = client.get(reverse("imports:job_progress", args=[job.pk]))
    assert "250" in partial.content.decode() and "hx-trigger" in partial.content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.SUCCEEDED)
    done = client.get(reverse("imports:job_progress", args=[job.pk]))
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_a_job_left_running_by_a_restart_is_marked_failed(client, trio):
    client.force_login(trio["owner"])
    job = ImportJob.objects.create(
        kind="entities",
        department=trio["dept"],
        created_by=trio["owner"],
        file_name="大文件.csv",
        file_sha256="0" * 64,
        status=ImportJobStatus.RUNNING,
        runner_pid=2**22 + 12345,
    )  # no such process
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "数据库保持导入前的状态" in job.message and "数据库保持导入前的状态" in page


def test_the_blank_template_has_the_import_headers(client, trio, tmp_path):
    client.force_login(trio["owner"])
    resp = client.get(reverse("imports:template", args=["inspectors"]))
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"".join(resp.streaming_content))
    header = read_sheet(out)[0]
    assert header[:10] == [
        "序号",
        "姓名*",
        "性别",
        "单位",
        "执法区域",
        "发证机关",
        "执法证号*",
        "执法类别",
        "手机号码",
        "备注",
    ]


def _wait_finished(job, seconds=60):
    deadline = time.monotonic() + seconds
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    return job


@pytest.mark.django_db(transaction=True)
def test_the_task_queue_runs_the_job_in_ssj_worker(client, settings, tmp_path, task_worker):
    """The real path: the web request queues the job, `ssj worker` (another process) runs it."""
    from shuangsuiji.accounts.choices import Role

    settings.IMPORT_JOBS_INLINE = False
    dept = factories.department("BG", name="后台部门")
    owner = factories.user(department=dept, role=Role.DEPT_ADMIN, username="bg-owner")
    client.force_login(owner)
    resp = post_file(
        client, dept, entities_file(tmp_path, [[1, make_uscc(rng), "甲有限公司", "A"]])
    )
    job = _wait_finished(ImportJob.objects.get())
    assert job.status == ImportJobStatus.SUCCEEDED, job.message
    assert job.result["created"] == 1 and resp.status_code == 302
    assert job.runner_pid == task_worker.pid  # run by the worker, not the web process


@pytest.mark.django_db(transaction=True)
def test_a_job_queued_before_a_restart_runs_when_a_worker_comes(
    client, settings, tmp_path, var_dir
):
    import subprocess
    import sys

    from shuangsuiji.accounts.choices import Role
    from tests.conftest import ssj_env

    settings.IMPORT_JOBS_INLINE = False
    dept = factories.department("RS", name="重启部门")
    owner = factories.user(department=dept, role=Role.DEPT_ADMIN, username="rs-owner")
    client.force_login(owner)
    post_file(client, dept, entities_file(tmp_path, [[1, make_uscc(rng), "乙有限公司", "A"]]))
    job = ImportJob.objects.get()
    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert job.status == ImportJobStatus.PENDING and "等待后台任务进程处理" in page
    # No worker ran: the web side may restart at will, the job waits in the queue table.
    done = subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", "worker", "--batch"],
        env=ssj_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED, job.message


def test_a_failed_job_can_be_retried_once_from_its_stored_file(client, trio, tmp_path):
    client.force_login(trio["owner"])
    post_file(client, trio["dept"], entities_file(tmp_path, [[1, make_uscc(rng), "丙公司", "A"]]))
    job = ImportJob.objects.get()
    # as import_jobs_recover leaves a job whose worker was killed
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.FAILED, message="中断")
    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert "重试" in page
    resp = client.post(f"/import/jobs/{job.pk}/retry/")
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED and job.result["total"] == 1
    again = client.post(f"/import/jobs/{job.pk}/retry/", follow=True)
    assert "只有失败的导入任务可以重试" in again.content.decode()
    client.force_login(trio["outsider"])
    assert client.post(f"/import/jobs/{job.pk}/retry/").status_code == 404


# --- housekeeping on the application's clock ---------------------------------------------------


def test_uploads_of_jobs_older_than_seven_days_are_removed_when_a_new_one_arrives(
    client, trio, tmp_path, time_machine
):
    client.force_login(trio["owner"])
    time_machine.move_to("2026-03-02T09:00+08:00")
    post_file(client, trio["dept"], entities_file(tmp_path, [[1, make_uscc(rng), "甲公司", "A"]]))
    old = ImportJob.objects.get()
    assert os.path.exists(old.file_path)
    time_machine.move_to("2026-03-08T09:00+08:00")  # six days: kept
    post_file(client, trio["dept"], entities_file(tmp_path, [[1, make_uscc(rng), "乙公司", "A"]]))
    assert os.path.exists(old.file_path)
    time_machine.move_to("2026-03-10T09:00+08:00")  # eight days: removed, the new one kept
    post_file(client, trio["dept"], entities_file(tmp_path, [[1, make_uscc(rng), "丙公司", "A"]]))
    newest = ImportJob.objects.order_by("-pk").first()
    assert not os.path.exists(old.file_path) and os.path.exists(newest.file_path)
    assert ImportJob.objects.get(pk=old.pk).file_sha256 == old.file_sha256  # the record stays


def test_a_running_job_whose_heartbeat_stopped_five_minutes_ago_is_marked_failed(
    trio, time_machine
):
    time_machine.move_to("2026-03-02T09:00+08:00", tick=False)
    job = ImportJob.objects.create(
        kind="entities",
        department=trio["dept"],
        created_by=trio["owner"],
        status=ImportJobStatus.RUNNING,
        runner_pid=os.getpid(),
        file_name="a.csv",
    )
    import_jobs._Progress(job)(10, 100)  # a heartbeat now
    time_machine.move_to("2026-03-02T09:04:59+08:00", tick=False)
    assert import_jobs.import_jobs_recover(jobs=[job]) == 0
    time_machine.move_to("2026-03-02T09:05:01+08:00", tick=False)
    assert import_jobs.import_jobs_recover(jobs=[job]) == 1
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and "导入进程已中断" in job.message
