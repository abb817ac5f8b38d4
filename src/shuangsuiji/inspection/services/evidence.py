"""证据材料: photos, video, audio and documents of the visit (检查过程中形成的文字和音像
记录应归档保管 [002 第三十条]), each kept with its SHA-256.

The file name and the browser's content type are not trusted: the extension must be one
the kind allows, the first bytes must look like that format, the size is checked against
the kind's limit (settings.EVIDENCE_MAX_MB) while the bytes are hashed. A refused file
leaves nothing behind. Never public: only users who may read the visit get it.
"""

import hashlib
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.db import transaction

from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.inspection import selectors
from shuangsuiji.inspection.choices import EvidenceKind, VisitStatus
from shuangsuiji.inspection.models import Evidence, Visit
from shuangsuiji.inspection.services._common import (
    locked_visit,
    locked_working_version,
    require_editable,
    require_login,
    require_recorder,
)

MB = 1024 * 1024


def _storage():
    return Evidence._meta.get_field("file").storage


HEAD_BYTES = 64
DESCRIPTION_MAX = 255


@dataclass(frozen=True)
class Format:
    content_type: str
    magic: tuple[tuple[int, bytes], ...]  # (offset, bytes): any one must match; () = not checked


_FTYP = ((4, b"ftyp"),)
FORMATS: dict[str, Format] = {
    "jpg": Format("image/jpeg", ((0, b"\xff\xd8\xff"),)),
    "jpeg": Format("image/jpeg", ((0, b"\xff\xd8\xff"),)),
    "png": Format("image/png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    "heic": Format("image/heic", _FTYP),
    "mp4": Format("video/mp4", _FTYP),
    # QuickTime files written by older cameras start with a moov/mdat/wide atom, not ftyp.
    "mov": Format(
        "video/quicktime", (*_FTYP, (4, b"moov"), (4, b"mdat"), (4, b"wide"), (4, b"free"))
    ),
    "mp3": Format(
        "audio/mpeg",
        ((0, b"ID3"), (0, b"\xff\xfb"), (0, b"\xff\xf3"), (0, b"\xff\xf2"), (0, b"\xff\xfa")),
    ),
    "m4a": Format("audio/mp4", _FTYP),
    "wav": Format("audio/wav", ((8, b"WAVE"),)),
    "pdf": Format("application/pdf", ((0, b"%PDF-"),)),
    "doc": Format("application/msword", ((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),)),
    "xls": Format("application/vnd.ms-excel", ((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),)),
    "docx": Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ((0, b"PK\x03\x04"),),
    ),
    "xlsx": Format(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ((0, b"PK\x03\x04"),)
    ),
    # OFD (GB/T 33190) is a zip package.
    "ofd": Format("application/ofd", ((0, b"PK\x03\x04"),)),
}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    EvidenceKind.PHOTO: ("jpg", "jpeg", "png", "heic"),
    EvidenceKind.VIDEO: ("mp4", "mov"),
    EvidenceKind.AUDIO: ("mp3", "m4a", "wav"),
    EvidenceKind.DOCUMENT: ("pdf", "doc", "docx", "xls", "xlsx", "ofd"),
}


def evidence_limit_bytes(kind: str) -> int:
    return int(settings.EVIDENCE_MAX_MB[kind]) * MB


def evidence_kind_for(filename: str) -> str:
    """The kind an extension belongs to ('' when none)."""
    ext = _extension(filename)
    return next((k for k, exts in EXTENSIONS.items() if ext in exts), "")


def _extension(filename: str) -> str:
    return os.path.splitext(filename)[1].lower().lstrip(".")


def _magic_ok(ext: str, head: bytes) -> bool:
    magic = FORMATS[ext].magic
    return not magic or any(head[off : off + len(sig)] == sig for off, sig in magic)


def _hash(upload: File, *, limit: int, label: str) -> tuple[str, int]:
    """SHA-256 and size, read in chunks (a 500 MB video never sits in memory); stops as
    soon as the limit is passed."""
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise ValidationFailed(f"{label}文件不能超过{limit // MB} MB", field="file")
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed ``evidence_check``: its name, kind, format, size and hash."""

    upload: File
    name: str
    ext: str
    kind: str
    sha256: str
    size: int


def evidence_check(
    *,
    upload: File,
    kind: str = "",
    allowed: dict[str, tuple[str, ...]] | None = None,
    what: str = "",
    field: str = "file",
) -> CheckedUpload:
    """The rules every stored evidence file passes: an extension its kind allows (``allowed``
    narrows them, e.g. the scan of a paper signature), first bytes of that format, the
    kind's size limit; hashed in chunks. ``what`` names the file in the messages."""
    allowed = allowed or EXTENSIONS
    name = os.path.basename((upload.name or "").replace("\\", "/")).strip()[:255]
    ext = _extension(name)
    kind = kind or next((k for k, exts in allowed.items() if ext in exts), "")
    if what and kind not in allowed:
        formats = "、".join(e.upper() for exts in allowed.values() for e in exts)
        raise ValidationFailed(f"{what}只接受以下格式：{formats}（文件“{name}”）", field=field)
    if kind not in EvidenceKind.values:
        raise ValidationFailed("请选择证据类型（照片、视频、录音或文书材料）", field="kind")
    label = what or str(EvidenceKind(kind).label)
    if ext not in allowed.get(kind, ()):
        raise ValidationFailed(
            f"{label}只接受以下格式：{'、'.join(allowed.get(kind, ()))}（文件“{name}”）",
            field=field,
        )
    limit = evidence_limit_bytes(kind)
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(
            f"{label}文件不能超过{limit // MB} MB（文件“{name}”有{upload.size / MB:.1f} MB）",
            field=field,
        )
    if not upload.size:
        raise ValidationFailed(f"文件“{name}”是空文件", field=field)
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    if not _magic_ok(ext, head):
        raise ValidationFailed(
            f"文件“{name}”的内容不是{ext.upper()}格式（扩展名与文件内容不符）", field=field
        )
    try:
        sha256, size = _hash(upload, limit=limit, label=label)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=field) from None
    return CheckedUpload(upload=upload, name=name, ext=ext, kind=kind, sha256=sha256, size=size)


def evidence_store(
    *,
    visit: Visit,
    checked: CheckedUpload,
    description: str,
    actor: User,
    stored: list[str],
    after: dict | None = None,
) -> Evidence:
    """Stores the file (by content hash; the same bytes share one file) and its row, with
    the audit event. Inside the caller's transaction, with the visit locked; a file this
    call wrote is appended to ``stored`` for the caller to remove if the transaction fails
    (``evidence_files_undo``)."""
    ev = Evidence(
        visit=visit,
        kind=checked.kind,
        original_name=checked.name,
        content_type=FORMATS[checked.ext].content_type,
        size=checked.size,
        sha256=checked.sha256,
        description=description,
        uploaded_by=actor,
    )
    path = ev.file.field.generate_filename(ev, checked.name)
    if _storage().exists(path):  # the same bytes again: share the stored file
        ev.file.name = path
    else:
        ev.file.name = _storage().save(path, checked.upload)
        stored.append(ev.file.name)
    ev.save()
    event_record(
        actor=actor,
        action="evidence.upload",
        obj=ev,
        department=visit.lead_task.department,
        after={
            "kind": checked.kind,
            "name": checked.name,
            "size": checked.size,
            "sha256": checked.sha256,
            **(after or {}),
        },
    )
    return ev


def evidence_files_undo(stored: list[str]) -> None:
    """After a failed transaction: removes the files it wrote that no row refers to."""
    for path in stored:
        if not Evidence.objects.filter(file=path).exists():
            _storage().delete(path)


def evidence_upload(
    *, visit: Visit, upload: File, kind: str, actor: User, description: str = ""
) -> Evidence:
    """Stores one evidence file of the visit (by content hash, under MEDIA_ROOT through the
    model's ``upload_to``). ``kind`` empty: taken from the extension.

    While the result is drafted the file joins what the team will sign. Once the result is
    formed, a file may still be added as 补充材料 (复查 photos, a decision on a 立案): it
    needs a description saying what it is, it is dated after the signatures and can never
    be deleted — the signed record itself does not change."""
    require_recorder(actor, visit, "上传证据材料")
    description = (description or "").strip()
    checked = evidence_check(upload=upload, kind=kind)
    if visit.status == VisitStatus.FORMED and not description:
        raise ValidationFailed(
            "检查结果已形成，补充的证据材料须在“说明”中写明用途，如“复查现场照片”",
            field="description",
        )
    if len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(f"说明不超过{DESCRIPTION_MAX}字", field="description")
    stored: list[str] = []
    try:
        with transaction.atomic():
            # Race with result_submit: evidence added while the team is asked to sign
            # would slip into a signed record unseen. The visit lock orders them.
            visit = locked_visit(visit)
            supplement = visit.status == VisitStatus.FORMED
            if supplement and not description:  # formed meanwhile
                raise ValidationFailed(
                    "检查结果已形成，补充的证据材料须在“说明”中写明用途", field="description"
                )
            if not supplement:
                require_editable(visit, locked_working_version(visit))
            return evidence_store(
                visit=visit,
                checked=checked,
                description=description,
                actor=actor,
                stored=stored,
                after={"supplement": True} if supplement else None,
            )
    except BaseException:
        evidence_files_undo(stored)
        raise


def evidence_delete(*, evidence: Evidence, actor: User) -> None:
    """Removes an evidence file added to the current draft. Once a version was submitted
    for signing, what it carried is frozen (签字确认 covered it)."""
    visit = evidence.visit
    require_recorder(actor, visit, "删除证据材料")
    with transaction.atomic():
        visit = locked_visit(visit)
        require_editable(visit, locked_working_version(visit))
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if evidence.paper_signatures.exists():
            raise Conflict("该证据材料是纸质签字页的扫描件，是代录签字的依据，不能删除")
        if selectors.evidence_is_frozen(
            evidence=evidence, submitted_at=selectors.last_submitted_at(visit=visit)
        ):
            raise Conflict("该证据材料已随检查结果提交签字确认，不能删除")
        name, sha256, path = evidence.original_name, evidence.sha256, evidence.file.name
        evidence.delete()
        event_record(
            actor=actor,
            action="evidence.delete",
            obj=visit,
            department=visit.lead_task.department,
            before={"name": name, "sha256": sha256, "kind": evidence.kind},
        )
        if not Evidence.objects.filter(file=path).exists():
            transaction.on_commit(lambda: _storage().delete(path))


def evidence_open(*, evidence: Evidence, actor: User) -> File:
    """The stored file, for a download by someone who may read the visit; the download
    is an audit event (全程留痕 [002 第六条])."""
    require_login(actor, "下载证据材料")
    visit = evidence.visit
    if not selectors.visit_can_read(user=actor, visit=visit):
        raise NotAllowed("您无权查看该检查的证据材料")
    with transaction.atomic():
        event_record(
            actor=actor,
            action="evidence.download",
            obj=evidence,
            department=visit.lead_task.department,
            after={"sha256": evidence.sha256},
        )
    return _storage().open(evidence.file.name, "rb")
