"""证据材料: formats, size limits, magic bytes, SHA-256, who may download, frozen once signed."""

import hashlib

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.inspection import services
from shuangsuiji.inspection.models import Evidence
from tests import factories
from tests.factories.inspection import (
    JPEG,
    MP4,
    PDF,
    PNG,
    TODAY,
    all_findings,
    dispatched_scene,
    formed,
    started,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return dispatched_scene()


def _files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type"),
    [
        ("现场.JPG", JPEG, "photo", "image/jpeg"),
        ("现场.png", PNG, "photo", "image/png"),
        ("询问笔录.pdf", PDF, "document", "application/pdf"),
        ("执法记录仪.mp4", MP4, "video", "video/mp4"),
    ],
)
def test_an_upload_is_stored_by_hash_with_its_metadata(
    scene, media_root, name, data, kind, content_type
):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    ev = services.evidence_upload(
        visit=visit, upload=upload(name, data), kind="", actor=leader, description="现场取证"
    )
    digest = hashlib.sha256(data).hexdigest()
    assert (ev.kind, ev.content_type, ev.size, ev.sha256, ev.original_name) == (
        kind,
        content_type,
        len(data),
        digest,
        name,
    )
    assert ev.file.name == f"evidence/{digest[:2]}/{digest}"
    assert (media_root / ev.file.name).read_bytes() == data
    assert Event.objects.get(action="evidence.upload").after["sha256"] == digest


def test_the_same_bytes_twice_share_one_file(scene, media_root):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    a = services.evidence_upload(
        visit=visit, upload=upload("a.jpg", JPEG), kind="photo", actor=leader
    )
    b = services.evidence_upload(
        visit=visit, upload=upload("b.jpg", JPEG), kind="photo", actor=leader
    )
    assert a.file.name == b.file.name and len(_files(media_root)) == 1


@pytest.mark.parametrize(
    ("name", "data", "kind", "field", "words"),
    [
        ("照片.exe", JPEG, "photo", "file", "只接受"),
        ("照片.pdf", PDF, "photo", "file", "只接受"),
        ("伪装.jpg", PDF, "photo", "file", "不是JPG格式"),
        ("伪装.png", JPEG, "photo", "file", "不是PNG格式"),
        ("伪装.pdf", b"<html>not a pdf</html>" * 10, "document", "file", "不是PDF格式"),
        ("伪装.mp4", JPEG, "video", "file", "不是MP4格式"),
        ("空.jpg", b"", "photo", "file", "空文件"),
        ("未知.txt", b"hello", "", "kind", "请选择证据类型"),
    ],
)
def test_a_wrong_type_or_content_is_refused_and_writes_nothing(
    scene, media_root, name, data, kind, field, words
):
    visit = started(scene)
    with pytest.raises(ValidationFailed) as exc:
        services.evidence_upload(
            visit=visit, upload=upload(name, data), kind=kind, actor=scene.members_users(visit)[0]
        )
    assert words in exc.value.message and field in exc.value.errors
    assert not Evidence.objects.exists() and _files(media_root) == []
    assert not Event.objects.filter(action="evidence.upload").exists()


def test_a_file_over_the_kinds_limit_is_refused_and_writes_nothing(scene, media_root, settings):
    settings.EVIDENCE_MAX_MB = {**settings.EVIDENCE_MAX_MB, "photo": 1}
    visit = started(scene)
    big = JPEG + b"\x00" * (1024 * 1024)
    with pytest.raises(ValidationFailed, match="不能超过1 MB"):
        services.evidence_upload(
            visit=visit,
            upload=upload("大.jpg", big),
            kind="photo",
            actor=scene.members_users(visit)[0],
        )
    assert not Evidence.objects.exists() and _files(media_root) == []


def test_the_size_is_counted_while_hashing_not_taken_from_the_client(scene, media_root, settings):
    settings.EVIDENCE_MAX_MB = {**settings.EVIDENCE_MAX_MB, "photo": 1}
    visit = started(scene)
    f = upload("谎报.jpg", JPEG + b"\x00" * (1024 * 1024))
    f.size = 10  # a client that lies about the size
    with pytest.raises(ValidationFailed, match="不能超过1 MB"):
        services.evidence_upload(
            visit=visit, upload=f, kind="photo", actor=scene.members_users(visit)[0]
        )
    assert not Evidence.objects.exists() and _files(media_root) == []


def test_only_recorders_upload(scene, media_root):
    visit = started(scene)
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    with pytest.raises(NotAllowed):
        services.evidence_upload(
            visit=visit, upload=upload("a.jpg", JPEG), kind="photo", actor=outsider
        )
    assert _files(media_root) == []


def test_evidence_before_start_is_refused(scene, media_root):
    visit = scene.visits[0]
    with pytest.raises(Conflict, match="尚未开始"):
        services.evidence_upload(
            visit=visit,
            upload=upload("a.jpg", JPEG),
            kind="photo",
            actor=scene.members_users(visit)[0],
        )
    assert _files(media_root) == []


def test_draft_evidence_may_be_deleted_but_submitted_evidence_is_frozen(
    scene, media_root, django_capture_on_commit_callbacks
):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    gone = services.evidence_upload(
        visit=visit, upload=upload("错拍.png", PNG), kind="photo", actor=leader
    )
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the file goes once the row is gone for good
        services.evidence_delete(evidence=gone, actor=leader)
    assert not Evidence.objects.filter(pk=gone.pk).exists() and _files(media_root) == []
    kept = services.evidence_upload(
        visit=visit, upload=upload("现场.jpg", JPEG), kind="photo", actor=leader
    )
    all_findings(visit, actor=leader)
    services.result_draft_save(
        visit=visit,
        actor=leader,
        today=TODAY,
        data=services.DraftInput(inspected_on=TODAY, conclusion="no_problem", summary="检查"),
    )
    version = services.result_submit(version=visit.result.versions.get(), actor=leader, today=TODAY)
    draft = services.result_withdraw(version=version, actor=leader)
    assert draft.status == "draft"
    with pytest.raises(Conflict, match="已随检查结果提交签字确认"):
        services.evidence_delete(evidence=kept, actor=leader)
    assert Evidence.objects.filter(pk=kept.pk).exists() and len(_files(media_root)) == 1


def test_download_is_for_readers_only_and_audited(scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    ev = services.evidence_upload(
        visit=visit, upload=upload("a.pdf", PDF), kind="document", actor=leader
    )
    with services.evidence_open(evidence=ev, actor=scene.crew.reviewer) as fh:
        assert fh.read() == PDF
    other_team = next(u for u in scene.inspector_users if u not in scene.members_users(visit))
    outsider = factories.user(department=factories.department(), role=Role.DEPT_ADMIN)
    for user in (other_team, outsider, scene.crew.witness):
        with pytest.raises(NotAllowed):
            services.evidence_open(evidence=ev, actor=user)
    assert Event.objects.filter(action="evidence.download").count() == 1


def test_after_the_result_is_formed_material_is_added_with_its_purpose_and_never_deleted(
    scene, media_root
):
    visit, version = formed(scene)
    visit.refresh_from_db()
    leader = scene.members_users(visit)[0]
    with pytest.raises(ValidationFailed, match="须在“说明”中写明用途") as exc:
        services.evidence_upload(
            visit=visit, upload=upload("复查.jpg", JPEG), kind="photo", actor=leader
        )
    assert (
        exc.value.field == "description"
        and not Evidence.objects.exists()
        and _files(media_root) == []
    )
    ev = services.evidence_upload(
        visit=visit,
        upload=upload("复查.jpg", JPEG),
        kind="photo",
        actor=leader,
        description="复查现场照片：已整改",
    )
    assert Event.objects.get(action="evidence.upload").after["supplement"] is True
    assert ev.uploaded_at > visit.result.formed_at
    with pytest.raises(Conflict):
        services.evidence_delete(evidence=ev, actor=leader)
    version.refresh_from_db()
    assert version.status == "formed"  # the signed record is untouched
    with pytest.raises(NotAllowed):  # still only the team and the lead operator
        services.evidence_upload(
            visit=visit,
            upload=upload("b.jpg", JPEG),
            kind="photo",
            actor=scene.crew.witness,
            description="x",
        )
