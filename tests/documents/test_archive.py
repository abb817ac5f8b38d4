"""The task case file (issue 13 第 5 项): ``ssj archive task`` packs the draws, visits,
documents, evidence and audit events with an index of SHA-256s; ``ssj archive verify``
passes it, and names a changed byte, a missing file, an added file and a draw whose result
no longer follows from its manifest and seed."""

import hashlib
import io
import json
import zipfile
from contextlib import redirect_stdout

import pytest
from django.core.files.base import ContentFile

from shuangsuiji.cli import main as ssj
from shuangsuiji.documents.visit_docs import doc_for, issue
from shuangsuiji.inspection import services as inspection
from tests.factories.inspection import dispatched_scene, formed

pytestmark = pytest.mark.django_db

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def _run(*argv) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = ssj(list(argv))
    return code, out.getvalue()


def _rewrite(src, dst, *, drop=(), change=None, add=None):
    """A copy of the zip with members dropped, one member's bytes changed, or one added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info.filename)
            if change and info.filename == change[0]:
                data = change[1](data)
            zout.writestr(info.filename, data)
        if add:
            zout.writestr(*add)


@pytest.fixture
def case_file(tmp_path, var_dir, media_root):
    scene = dispatched_scene(targets=2)
    visit = scene.visits[0]
    issue(doc=doc_for("notice"), visit=visit, actor=scene.crew.operator, today=visit.window_start)
    formed(scene, visit)
    inspection.evidence_upload(
        visit=visit,
        upload=ContentFile(PHOTO, name="现场照片.png"),
        kind="",
        actor=scene.crew.operator,
        description="经营场所门口",
    )
    out = tmp_path / "case.zip"
    code, text = _run("archive", "task", scene.task.code, "--out", str(out))
    assert code == 0 and "抽查档案" in text
    return scene, visit, out


def test_the_case_file_holds_everything_and_verifies(case_file):
    scene, visit, out = case_file
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        index = json.loads(zf.read("index.json"))
        assert index["format"] == "ssj-archive/1" and index["task"] == scene.task.code
        assert {f["path"] for f in index["files"]} == names - {"index.json"}
        base = f"visits/{visit.target_id}/"
        for expected in [
            "task.json",
            "draws/1/manifest",
            "draws/1/seed.txt",
            "draws/1/result.txt",
            "draws/1/record.json",
            "draws/1/record.pdf",
            base + "result.json",
            base + "notice.pdf",
            base + f"evidence/{hashlib.sha256(PHOTO).hexdigest()[:8]}-现场照片.png",
            "audit/events.jsonl",
            "documents-not-issued.json",
        ]:
            assert expected in names, expected
        assert (
            zf.read(base + f"evidence/{hashlib.sha256(PHOTO).hexdigest()[:8]}-现场照片.png")
            == PHOTO
        )
        result = json.loads(zf.read(base + "result.json"))
        assert result["versions"][0]["signatures"] and result["team"]
        actions = {
            json.loads(line)["action"] for line in zf.read("audit/events.jsonl").splitlines()
        }
        assert {"draw.commit", "draw.confirm", "evidence.upload", "document.number"} <= actions
        task_json = json.loads(zf.read("task.json"))
        assert task_json["retention_years"] == 30
        assert task_json["keep_until_year"] == scene.task.window_end.year + 30
        # Not issued (the other visit's notice, this visit's record and letter): listed.
        missing = json.loads(zf.read("documents-not-issued.json"))
        assert {"target": visit.target_id, "document": "现场检查记录"} in missing
        assert not any(
            m["target"] == visit.target_id and m["document"] == "检查通知书" for m in missing
        )
    code, text = _run("archive", "verify", str(out))
    assert code == 0 and "档案完整" in text and "1 次摇号重新计算一致" in text


def test_verify_names_every_change(case_file, tmp_path):
    _scene, visit, out = case_file
    photo = (
        f"visits/{visit.target_id}/evidence/{hashlib.sha256(PHOTO).hexdigest()[:8]}-现场照片.png"
    )
    changed, missing, added = tmp_path / "c.zip", tmp_path / "m.zip", tmp_path / "a.zip"
    _rewrite(out, changed, change=(photo, lambda b: b[:-1] + bytes([b[-1] ^ 1])))
    _rewrite(out, missing, drop={"draws/1/seed.txt"})
    _rewrite(out, added, add=("visits/extra.txt", "后加的文件"))
    for path, words in [
        (changed, f"文件已被改动（大小或 SHA-256 与索引不符）：{photo}"),
        (missing, "缺少文件：draws/1/seed.txt"),
        (added, "多出的文件（不在索引中）：visits/extra.txt"),
    ]:
        code, text = _run("archive", "verify", str(path))
        assert code == 1 and words in text, text

    # The result changed and the index made to match: only the draw re-computation sees it.
    def forge(data: bytes) -> bytes:
        lines = data.decode().splitlines(keepends=True)
        return "".join(reversed(lines)).encode()

    forged = tmp_path / "f.zip"
    with zipfile.ZipFile(out) as zf:
        index = json.loads(zf.read("index.json"))
        new = forge(zf.read("draws/1/result.txt"))
    for f in index["files"]:
        if f["path"] == "draws/1/result.txt":
            f["size"], f["sha256"] = len(new), hashlib.sha256(new).hexdigest()
    tmp = tmp_path / "t.zip"
    _rewrite(out, tmp, change=("draws/1/result.txt", lambda b: new))
    _rewrite(tmp, forged, change=("index.json", lambda b: json.dumps(index).encode()))
    code, text = _run("archive", "verify", str(forged))
    assert code == 1 and "第1次摇号的结果与名单和种子重新计算的结果不一致" in text

    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"PK\x03\x04 not really")
    code, text = _run("archive", "verify", str(not_zip))
    assert code == 2 and "不是有效的档案文件" in text
    code, text = _run("archive", "task", "NO-SUCH", "--out", str(tmp_path / "n.zip"))
    assert code == 2 and "任务编号不存在" in text


def test_the_task_page_downloads_the_case_file_for_the_office_only(case_file, client, tmp_path):
    from shuangsuiji.accounts.choices import Role
    from tests import factories

    scene, _visit, _out = case_file
    client.force_login(scene.crew.operator)
    page = client.get(f"/planning/tasks/{scene.task.pk}/").content.decode()
    assert f"/documents/tasks/{scene.task.pk}/archive.zip" in page
    response = client.get(f"/documents/tasks/{scene.task.pk}/archive.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    path = tmp_path / "web.zip"
    path.write_bytes(b"".join(response.streaming_content))
    code, text = _run("archive", "verify", str(path))
    assert code == 0, text
    member = scene.members_users(scene.visits[0])[0]  # an inspector of the team
    client.force_login(member)
    assert client.get(f"/documents/tasks/{scene.task.pk}/archive.zip").status_code in (403, 404)
    stranger = factories.user(department=factories.department(), role=Role.OPERATOR)
    client.force_login(stranger)
    assert client.get(f"/documents/tasks/{scene.task.pk}/archive.zip").status_code == 404


def test_a_crafted_archive_is_refused_before_it_is_decompressed(tmp_path, monkeypatch):
    """An index that would decompress beyond the limit is refused, named, without reading
    it."""
    from shuangsuiji.documents import archive

    monkeypatch.setattr(archive, "READ_LIMIT", 1000)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.json", b" " * 100_000)  # compresses to almost nothing
    code, text = _run("archive", "verify", str(bomb))
    assert code == 2 and "超过校验时读入的上限" in text


def test_an_unwritable_output_is_said_in_chinese(tmp_path, var_dir):
    scene = dispatched_scene(targets=1)
    out = str(tmp_path / "no" / "such" / "dir" / "case.zip")
    code, text = _run("archive", "task", scene.task.code, "--out", out)
    assert code == 2 and "无法写出" in text
    code, text = _run("documents", "batch", scene.task.code, "--issue", "--out", out)
    assert code == 2 and "无法写出" in text
    from shuangsuiji.documents.models import IssuedDocument

    assert not IssuedDocument.objects.exists()  # no number spent on a file never written
