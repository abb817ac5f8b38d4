"""A large import on SQLite leaves the write lock to logins and saves (issue 11 第 6 项;
imports/staging.py): validate first with no lock, write in short transactions, undo on
failure and after a crash."""

import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection, connections

from shuangsuiji.audit.services import chain_verify
from shuangsuiji.common.errors import Conflict
from shuangsuiji.common.ids import make_uscc
from shuangsuiji.draw import services as draw_services
from shuangsuiji.imports import staging
from shuangsuiji.imports.framework import CLI_ACTOR, import_file
from shuangsuiji.registry.models import Entity, Tag
from tests import factories
from tests.conftest import ssj_env
from tests.factories.ceremony import Crew, pool_for
from tests.factories.files import write_csv

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = ["统一社会信用代码", "名称", "所属区域", "标签"]


def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL 的导入是一个事务，不挡其他写入（MVCC），不走分批写入")


def _file(tmp_path, count, seed=11):
    rng = random.Random(seed)
    codes = set()
    while len(codes) < count:
        codes.add(make_uscc(rng))
    rows = [
        [code, f"分批导入测试有限公司{i}", "松江区", "分批测试标签" if i % 3 == 0 else ""]
        for i, code in enumerate(sorted(codes))
    ]
    return write_csv(tmp_path / "entities.csv", [HEADERS, *rows], encoding="utf-8-sig"), rows


def _other_write(done: list, *, timeout: float):
    """One save from another connection (another web request), as a login would write."""
    conn = connections.create_connection("default")
    conn.settings_dict["OPTIONS"] = {**conn.settings_dict["OPTIONS"], "timeout": timeout}
    try:
        with conn.cursor() as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("SELECT COUNT(*) FROM registry_entity")
            seen = cursor.fetchone()[0]
            cursor.execute("UPDATE accounts_department SET name = name WHERE id = -1")
            cursor.execute("COMMIT")
        done.append(seen)
    finally:
        conn.close()


def test_the_validation_pass_holds_no_write_lock(tmp_path, settings):
    _sqlite_only()
    dept = factories.department("SJJW")
    path, rows = _file(tmp_path, 5000)
    done: list = []

    def progress(count, total):
        # Called while the file is being read and checked: another writer gets in at once.
        if count and not done:
            _other_write(done, timeout=0.5)

    result = import_file("entities", path=path, department=dept, actor=CLI_ACTOR, progress=progress)
    assert result.committed, result.summary()
    # The other write went through before the first imported row was written.
    assert done == [0]
    assert Entity.objects.filter(department=dept).count() == len(rows)


def test_other_writes_get_in_between_the_write_batches(tmp_path, settings):
    _sqlite_only()
    settings.IMPORT_SQLITE_COMMIT_SECONDS = 0  # every batch of 2,000 rows its own transaction
    settings.IMPORT_SQLITE_PAUSE_MS = 300
    dept = factories.department("SJJW")
    path, rows = _file(tmp_path, 12_000)
    done: list = []
    result_box: list = []

    def run():
        try:
            result_box.append(import_file("entities", path=path, department=dept, actor=CLI_ACTOR))
        finally:
            connections.close_all()

    importer = threading.Thread(target=run)
    importer.start()
    probe = connections.create_connection("default")
    try:
        # Wait for the first committed batch, then write from another connection.
        while importer.is_alive():
            with probe.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM registry_entity")
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.02)
    finally:
        probe.close()
    _other_write(done, timeout=5)
    importer.join()
    assert result_box and result_box[0].committed, result_box
    # The write saw part of the import: it ran between two batches, not after the import.
    assert done and 0 < done[0] < len(rows), done
    assert Entity.objects.filter(department=dept).count() == len(rows)
    tagged = Entity.objects.filter(department=dept, tags__name="分批测试标签").count()
    assert tagged == len([r for r in rows if r[3]])
    assert staging.applying(dept.pk) is False


def test_a_conflict_while_writing_undoes_the_whole_import(tmp_path, settings):
    _sqlite_only()
    settings.IMPORT_SQLITE_COMMIT_SECONDS = 0
    dept = factories.department("SJJW")
    path, rows = _file(tmp_path, 6000)
    before = Entity.objects.count()

    def progress(count, total):
        # Between the check and the write, someone enters the file's last record by hand.
        if count and not Entity.objects.filter(key=rows[-1][0]).exists():
            factories.entity(department=dept, uscc=rows[-1][0], key=rows[-1][0], name="手工录入")

    result = import_file("entities", path=path, department=dept, actor=CLI_ACTOR, progress=progress)
    assert not result.committed
    assert "已全部撤销" in result.file_error.message
    # Nothing of the file stays; the hand-entered record does.
    assert Entity.objects.count() == before + 1
    assert Entity.objects.get(key=rows[-1][0]).name == "手工录入"
    # The tag name the file brought is gone with its links.
    assert not Tag.objects.filter(name="分批测试标签").exists()
    assert not Entity.tags.through.objects.exists()
    assert chain_verify().ok
    assert staging.applying(dept.pk) is False


def test_a_killed_import_is_undone_and_a_draw_waits_for_a_live_one(tmp_path, var_dir):
    _sqlite_only()
    crew = Crew()
    dept = crew.dept
    path, rows = _file(tmp_path, 6000)
    env = ssj_env(var_dir)
    # One batch per transaction and a long pause: the test finds the run half written.
    env.update(SSJ_IMPORT_SQLITE_COMMIT_MS="0", SSJ_IMPORT_SQLITE_PAUSE_MS="60000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shuangsuiji.cli", "import", "entities", str(path)]
        + ["--department", dept.code, "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not Entity.objects.filter(department=dept).exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the import never wrote its first batch"
            time.sleep(0.05)
        assert 0 < Entity.objects.filter(department=dept).count() < len(rows)
        # A live, half-written import: the draw refuses to freeze the library.
        assert staging.applying(dept.pk) is True
        task = crew.task()
        with pytest.raises(Conflict, match="正在导入"):
            draw_services.draw_commit(
                task=task,
                actor=crew.operator,
                pool=pool_for(task, strata={"all": (1, crew.entities(1))}, inspectors=[]),
            )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    # The run died half way: the next look undoes it, as the rollback of one transaction would.
    assert staging.applying(dept.pk) is False
    assert not Entity.objects.filter(department=dept, name__startswith="分批导入测试").exists()
    assert not Entity.tags.through.objects.exists()
    assert chain_verify().ok
    # And the same file imports cleanly afterwards.
    result = import_file("entities", path=path, department=dept, actor=CLI_ACTOR)
    assert result.committed and result.created == len(rows), result.summary()
