"""The task case file (电子档案, issue 13 第 5 项; 002 第三十条: 抽查检查过程中形成的文字和音像记录
应归档保管): one zip with everything the task produced, and a check that nothing in it was
changed, removed or added.

Layout of the zip::

    task.json                      the task, its department, items, window, retention
    draws/<n>/manifest             each draw's files as published (void ones too), and
    draws/<n>/seed.txt, result.txt its 抽查工作记录表 (record.pdf)
    draws/<n>/record.json, record.pdf
    visits/<target>/result.json    the visit: team, findings, every result version with
                                   its signatures, follow-ups and objections
    visits/<target>/<document>.pdf the numbered documents (检查通知书, 现场检查记录, …)
    visits/<target>/evidence/<sha8>-<name>   the evidence files as uploaded
    audit/events.jsonl             the audit events of the task and of everything in it
    documents-not-issued.json      the documents that could be issued but were not (packing
                                   never numbers one)
    index.json                     every file above: path, size, SHA-256; and a summary

Written member by member (evidence copied in 1 MiB chunks while hashed): memory stays flat
whatever the size. ``archive_verify`` re-hashes every member against the index, names
any missing, altered or added file, and re-runs each draw's verification (ssj-draw/1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.draw.exporting import draw_export
from shuangsuiji.draw.models import Draw
from shuangsuiji.inspection.models import Evidence, Finding, FollowUp, ResultVersion, Visit
from shuangsuiji.planning.models import Task

FORMAT = "ssj-archive/1"
# A member read whole when verifying (the index, a draw's files) larger than this is refused
# before it is decompressed: a crafted zip cannot fill the memory (a 1,000,000-line
# manifest is about 60 MB).
READ_LIMIT = 512 * 1024 * 1024
CHUNK = 1 << 20
INDEX = "index.json"


def _safe(name: str) -> str:
    """A file name safe inside a zip on any system (no separators, no control characters)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", name).strip(" .") or "file"
    return name[:120]


def _when(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _member(path: str) -> zipfile.ZipInfo:
    """A member stamped with the time of writing (local), compressed."""
    info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@dataclass
class _Writer:
    zf: zipfile.ZipFile
    files: list[dict] = field(default_factory=list)

    def add_bytes(self, path: str, data: bytes) -> None:
        self.zf.writestr(_member(path), data)
        self.files.append(
            {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )

    def add_json(self, path: str, value: Any) -> None:
        self.add_bytes(path, (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode())

    def add_file(self, path: str, source: Path) -> None:
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as src, self.zf.open(_member(path), "w", force_zip64=True) as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        self.files.append({"path": path, "size": size, "sha256": digest.hexdigest()})


def _visit_json(visit: Visit) -> dict:
    result = getattr(visit, "result", None)
    versions = ResultVersion.objects.filter(result=result).order_by("number") if result else []
    return {
        "target": visit.target_id,
        "entity": {"name": visit.entity.name, "uscc": visit.entity.uscc},
        "window": [visit.window_start.isoformat(), visit.window_end.isoformat()],
        "status": visit.status,
        "started_at": _when(visit.started_at),
        "team": [
            {"name": m.inspector.name, "cert_no": m.inspector.cert_no, "leader": m.is_leader}
            for m in visit.members.select_related("inspector").order_by("-is_leader", "id")
        ],
        "findings": [
            {
                "item": f.item.code,
                "point": f.point,
                "text": f.point_text,
                "outcome": f.outcome,
                "note": f.note,
            }
            for f in Finding.objects.filter(visit=visit)
            .select_related("item")
            .order_by("item_id", "point")
        ],
        "formed_at": _when(result.formed_at) if result else None,
        "first_published_at": _when(result.first_published_at) if result else None,
        "versions": [
            {
                "number": v.number,
                "kind": v.kind,
                "status": v.status,
                "inspected_on": _when(v.inspected_on),
                "conclusion": v.conclusion,
                "summary": v.summary,
                "problems": v.problems,
                "reason": v.reason,
                "signatures": [
                    {
                        "member": s.member.inspector.name,
                        "cert_no": s.member.inspector.cert_no,
                        "signed_by": s.signed_by.username if s.signed_by else None,
                        "on_paper": s.on_paper,
                        "signed_at": _when(s.signed_at),
                    }
                    for s in v.signatures.select_related("member__inspector", "signed_by").order_by(
                        "id"
                    )
                ],
                "followups": [
                    {
                        "kind": f.kind,
                        "status": f.status,
                        "detail": f.detail,
                        "rectify_deadline": _when(f.rectify_deadline),
                        "recheck_on": _when(f.recheck_on),
                        "recheck_note": f.recheck_note,
                        "recipient": f.recipient,
                        "case_no": f.case_no,
                        "penalty_decided_on": _when(f.penalty_decided_on),
                        "penalty_published_on": _when(f.penalty_published_on),
                    }
                    for f in FollowUp.objects.filter(version=v).order_by("id")
                ],
            }
            for v in versions
        ],
    }


def _objects(task: Task, draws: list[Draw], visits: list[Visit]) -> set[tuple[str, str]]:
    """(object_type, object_id) of everything in the task, for its audit events."""
    keys = {(Task._meta.label_lower, str(task.pk))}
    keys |= {(Draw._meta.label_lower, str(d.pk)) for d in draws}
    keys |= {(Visit._meta.label_lower, str(v.pk)) for v in visits}
    versions = ResultVersion.objects.filter(result__visit__in=visits)
    keys |= {
        (ResultVersion._meta.label_lower, str(pk)) for pk in versions.values_list("pk", flat=True)
    }
    keys |= {
        ("inspection.result", str(pk))
        for pk in versions.values_list("result_id", flat=True).distinct()
    }
    keys |= {
        (FollowUp._meta.label_lower, str(pk))
        for pk in FollowUp.objects.filter(version__in=versions).values_list("pk", flat=True)
    }
    keys |= {
        (Evidence._meta.label_lower, str(pk))
        for pk in Evidence.objects.filter(visit__in=visits).values_list("pk", flat=True)
    }
    # The numbers given to the documents of all these (检查通知书 …).
    keys |= {
        (IssuedDocument._meta.label_lower, str(pk))
        for pk, t, o in IssuedDocument.objects.filter(
            object_type__in={t for t, _ in keys}
        ).values_list("pk", "object_type", "object_id")
        if (t, o) in keys
    }
    return keys


def _events(keys: set[tuple[str, str]]) -> Iterable[bytes]:
    types = {t for t, _ in keys}
    qs = Event.objects.filter(object_type__in=types).order_by("seq")
    for e in qs.iterator(chunk_size=2000):
        if (e.object_type, e.object_id) in keys:
            yield (
                json.dumps(
                    {
                        "seq": e.seq,
                        "at": _when(e.created_at),
                        "actor": e.actor_name,
                        "action": e.action,
                        "object": f"{e.object_type}:{e.object_id}",
                        "repr": e.object_repr,
                        "before": e.before,
                        "after": e.after,
                        "hash": e.hash,
                        "prev_hash": e.prev_hash,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            ).encode()


@dataclass
class ArchiveSummary:
    task: str
    files: int
    bytes: int
    draws: int
    visits: int
    evidence: int
    events: int
    not_issued: int = 0
    retention_years: int = 0
    keep_until_year: int = 0


def archive_task(*, task: Task, out: str | Path | IO[bytes]) -> ArchiveSummary:
    """Writes the task's case file to ``out`` (a path or a binary file)."""
    from shuangsuiji.documents import visit_docs
    from shuangsuiji.documents.layout import document_pdf
    from shuangsuiji.documents.selectors import retention_for
    from shuangsuiji.draw.record import record_pdf

    draws = list(Draw.objects.filter(task=task).order_by("number"))
    visits = list(
        Visit.objects.filter(lead_task=task)
        .select_related("entity", "lead_task__department")
        .order_by("target_id", "pk")
    )
    counts = {"evidence": 0, "events": 0}
    not_issued: list[dict] = []
    retention = retention_for(task=task)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        w = _Writer(zf)
        w.add_json(
            "task.json",
            {
                "code": task.code,
                "title": task.title,
                "department": task.department.name,
                "window": [task.window_start.isoformat(), task.window_end.isoformat()],
                "status": task.status,
                "items": [i.code for i in task.items.order_by("code")],
                "retention_years": retention.years,
                "keep_until_year": retention.until_year,
            },
        )
        with tempfile.TemporaryDirectory() as tmp:
            for d in draws:
                exported = draw_export(draw=d, out_dir=Path(tmp) / str(d.number))
                for f in exported.files:
                    w.add_file(f"draws/{d.number}/{f.name}", f)
                if d.result_text:
                    w.add_bytes(f"draws/{d.number}/record.pdf", record_pdf(draw=d))
        for v in visits:
            base = f"visits/{_safe(v.target_id)}"
            w.add_json(f"{base}/result.json", _visit_json(v))
            for doc in visit_docs.REGISTRY.values():
                try:
                    obj = doc.target(v)
                except Exception:  # noqa: BLE001 - no such document for this visit
                    continue
                if visit_docs.issued(doc=doc, obj=obj) is not None:
                    w.add_bytes(
                        f"{base}/{doc.slug}.pdf",
                        document_pdf(visit_docs.document(doc=doc, visit=v)),
                    )
                else:
                    # Packing never issues a number: what was not issued is listed instead.
                    not_issued.append({"target": v.target_id, "document": doc.title})
            for e in Evidence.objects.filter(visit=v).order_by("uploaded_at", "id"):
                path = Path(settings.MEDIA_ROOT) / e.file.name
                w.add_file(f"{base}/evidence/{e.sha256[:8]}-{_safe(e.original_name)}", path)
                counts["evidence"] += 1
        with zf.open(_member("audit/events.jsonl"), "w", force_zip64=True) as dst:
            digest, size = hashlib.sha256(), 0
            for line in _events(_objects(task, draws, visits)):
                dst.write(line)
                digest.update(line)
                size += len(line)
                counts["events"] += 1
        w.files.append({"path": "audit/events.jsonl", "size": size, "sha256": digest.hexdigest()})
        w.add_json("documents-not-issued.json", not_issued)
        summary = ArchiveSummary(
            task=task.code,
            files=len(w.files),
            bytes=sum(f["size"] for f in w.files),
            draws=len(draws),
            visits=len(visits),
            evidence=counts["evidence"],
            events=counts["events"],
            not_issued=len(not_issued),
            retention_years=retention.years,
            keep_until_year=retention.until_year,
        )
        zf.writestr(
            _member(INDEX),
            json.dumps(
                {
                    "format": FORMAT,
                    "task": task.code,
                    "created_at": _when(timezone.now()),
                    "summary": summary.__dict__,
                    "files": w.files,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
        )
    return summary


@dataclass
class VerifyReport:
    problems: list[str]
    files: int = 0
    draws: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def archive_verify(*, path: str | Path) -> VerifyReport:
    """Checks a case file: every member listed in the index with its size and SHA-256, no
    member missing or added, and every drawn draw re-computed from its manifest and seed."""
    from shuangsuiji.draw import protocol

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationFailed(f"不是有效的档案文件（zip）：{exc}") from None
    problems: list[str] = []
    with zf:
        names = {i.filename for i in zf.infolist() if not i.is_dir()}
        if INDEX not in names:
            raise ValidationFailed("档案中没有 index.json，无法校验")
        sizes = {i.filename: i.file_size for i in zf.infolist()}

        def read(name: str) -> bytes:
            if sizes[name] > READ_LIMIT:
                raise ValidationFailed(
                    f"档案中的 {name} 解压后 {sizes[name]:,} 字节，超过校验时读入的上限，拒绝处理"
                )
            return zf.read(name)

        try:
            index = json.loads(read(INDEX))
            listed = {f["path"]: f for f in index["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationFailed(f"index.json 无法读取：{exc}") from None
        for name in sorted(names - set(listed) - {INDEX}):
            problems.append(f"多出的文件（不在索引中）：{name}")
        for name, entry in sorted(listed.items()):
            if name not in names:
                problems.append(f"缺少文件：{name}")
                continue
            digest, size = hashlib.sha256(), 0
            with zf.open(name) as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
            if size != entry.get("size") or digest.hexdigest() != entry.get("sha256"):
                problems.append(f"文件已被改动（大小或 SHA-256 与索引不符）：{name}")
        draws = sorted(
            {n.split("/")[1] for n in names if n.startswith("draws/") and n.count("/") == 2}
        )
        checked = 0
        for n in draws:
            base = f"draws/{n}/"
            if not {base + "manifest", base + "seed.txt", base + "result.txt"} <= names:
                continue
            try:
                manifest = read(base + "manifest")
                seed = read(base + "seed.txt").decode("utf-8")
                published = read(base + "result.txt").decode("utf-8")
                computed = protocol.result_text(protocol.draw_compute(manifest, seed))
            except ValidationFailed as exc:
                problems.append(f"第{n}次摇号：{exc.message}")
                continue
            except Exception as exc:  # noqa: BLE001 - a broken manifest is a finding, not a crash
                problems.append(f"第{n}次摇号无法重新计算：{exc}")
                continue
            if not published.startswith(computed):
                problems.append(f"第{n}次摇号的结果与名单和种子重新计算的结果不一致")
            checked += 1
    return VerifyReport(problems=problems, files=len(listed), draws=checked)
