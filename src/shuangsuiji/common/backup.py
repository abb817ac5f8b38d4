"""``ssj backup`` and ``ssj restore`` (issue 11 item 8): one file with everything the platform
cannot recreate — the database, the draw files (manifests, seeds, results: what a citizen
verifies) and the evidence files — and a manifest of their SHA-256.

The archive is a tar (``ssj-backup/1``)::

    manifest.json              format, time, database kind, every file with size and SHA-256
    database/ssj.sqlite3       SQLite: an online backup (consistent while the site runs)
    database/ssj.pgdump        PostgreSQL: pg_dump --format=custom (one consistent snapshot)
    files/draws/…              VAR_DIR/draws
    files/media/…              MEDIA_ROOT (evidence, stored by content hash)

The database is copied first, the files after: evidence and draw files are written once and
never changed, so every file the snapshot points to is in the archive (a file newer than the
snapshot may be there too, unreferenced, which does no harm).

A restore goes into an *empty* database and empty file folders only, and checks every file
against the manifest before anything is put in place: a damaged or altered archive restores
nothing. Afterwards ``ssj audit verify`` re-checks the audit chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

FORMAT = "ssj-backup/1"
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in Chinese."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    database: str
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_roots() -> dict[str, Path]:
    return {"draws": Path(settings.VAR_DIR) / "draws", "media": Path(settings.MEDIA_ROOT)}


def _vendor() -> str:
    return connection.vendor  # "sqlite" or "postgresql"


def _pg_args() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["-d", db["NAME"]]
    if db.get("HOST"):
        args += ["-h", db["HOST"]]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _snapshot_database(target_dir: Path) -> Path:
    if _vendor() == "sqlite":
        target = target_dir / "ssj.sqlite3"
        connection.ensure_connection()
        source = connection.connection
        with sqlite3.connect(target) as copy:
            source.backup(copy)  # SQLite's online backup: a consistent copy while in use
        return target
    if _vendor() == "postgresql":
        target = target_dir / "ssj.pgdump"
        args, env = _pg_args()
        done = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "-f",
                str(target),
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
        return target
    raise BackupError(f"不支持备份 {_vendor()} 数据库")


def backup_create(*, out: Path) -> BackupSummary:
    """Writes the archive to ``out`` (through a temporary file, renamed at the end)."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"文件已存在：{out}（不会覆盖）")
    out.parent.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    total = 0
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(partial, "w") as tar:
        db_file = _snapshot_database(Path(tmp))
        sources = [(f"database/{db_file.name}", db_file)]
        for name, root in _file_roots().items():
            if root.exists():
                sources += [
                    (f"files/{name}/{p.relative_to(root).as_posix()}", p)
                    for p in sorted(root.rglob("*"))
                    if p.is_file() and not p.is_symlink()
                ]
        for arcname, path in sources:
            size = path.stat().st_size
            entries.append({"path": arcname, "size": size, "sha256": _sha256(path)})
            tar.add(path, arcname=arcname, recursive=False)
            total += size
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": _vendor(),
            "files": entries,
        }
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    partial.replace(out)
    return BackupSummary(path=out, database=_vendor(), files=len(entries), bytes=total)


# ---------------------------------------------------------------------------------------
# Restore
# ---------------------------------------------------------------------------------------


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def _safe_member(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def backup_restore(*, archive: Path) -> BackupSummary:
    """Restores ``archive`` into the configured, empty database and empty file folders."""
    archive = Path(archive)
    if not archive.exists():
        raise BackupError(f"备份文件不存在：{archive}")
    if not _database_is_empty():
        raise BackupError(
            "目标数据库不是空的：恢复只能在新建的空数据库中进行（请新建数据库后再恢复）"
        )
    roots = _file_roots()
    busy = [str(r) for r in roots.values() if r.exists() and any(r.iterdir())]
    if busy:
        raise BackupError(f"文件目录不是空的：{'、'.join(busy)}（恢复不会覆盖已有文件）")
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        try:
            with tarfile.open(archive, "r") as tar:
                members = tar.getmembers()
                bad = [m.name for m in members if not _safe_member(m.name) or not m.isfile()]
                if bad:
                    raise BackupError(f"备份文件含有不允许的条目：{bad[0]}")
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"备份文件无法读取：{exc}") from None
        manifest_path = staging / "manifest.json"
        if not manifest_path.exists():
            raise BackupError("备份文件中没有 manifest.json，不是本平台的备份")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
        if manifest.get("database") != _vendor():
            raise BackupError(
                f"备份来自 {manifest.get('database')} 数据库，当前配置的是 {_vendor()}：请用同一种数据库恢复"
            )
        listed = {e["path"] for e in manifest["files"]}
        present = {m.name for m in members} - {"manifest.json"}
        if present - listed:
            raise BackupError(f"备份中有清单以外的文件：{sorted(present - listed)[0]}")
        for entry in manifest["files"]:
            path = staging / entry["path"]
            if not path.exists():
                raise BackupError(f"备份缺少文件：{entry['path']}")
            if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
                raise BackupError(f"文件已被改动（SHA-256 不符）：{entry['path']}")
        db_entry = next(e for e in manifest["files"] if e["path"].startswith("database/"))
        _restore_database(staging / db_entry["path"])
        total = 0
        for entry in manifest["files"]:
            if not entry["path"].startswith("files/"):
                continue
            _, root_name, rel = entry["path"].split("/", 2)
            target = roots[root_name] / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(staging / entry["path"], target)
            total += entry["size"]
    return BackupSummary(
        path=archive, database=_vendor(), files=len(manifest["files"]), bytes=total
    )


def _restore_database(dump: Path) -> None:
    if _vendor() == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(dump) as source:
            source.backup(connection.connection)
        return
    args, env = _pg_args()
    connection.close()  # pg_restore brings its own connection
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args, str(dump)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")
