"""ssj backup / ssj restore (common/backup.py; issue 11 item 8): the demo, backed up and
restored into an empty database and empty folders, keeps its audit chain intact and every
evidence file and draw manifest byte for byte; a damaged archive or a database that is not
empty restores nothing. Runs `ssj` as an operator would, in processes of its own, on the
database the suite runs on (SQLite or PostgreSQL)."""

import hashlib
import io
import subprocess
import sys
import tarfile
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import ssj_env


def _database_url(tmp_path, name: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / name}.sqlite3"
    # A new, empty database on the suite's PostgreSQL server.
    db = settings.DATABASES["default"]
    dbname = f"ssj_backup_{name}_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{dbname}"')
    auth = f"{db['USER']}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{db['USER']}@"
    return f"postgres://{auth}{db['HOST']}:{db['PORT']}/{dbname}"


def _ssj(url, var, *args):
    return subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", *args],
        env=ssj_env(var, url),
        capture_output=True,
        text=True,
    )


def _files(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and p.parts[len(root.parts)] in ("draws", "media")
    }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_with_its_chain_and_files(tmp_path):
    source_url, source_var = _database_url(tmp_path, "source"), tmp_path / "source"
    done = _ssj(source_url, source_var, "demo", "--no-serve", "--entities", "100")
    assert done.returncode == 0, done.stderr
    archive = tmp_path / "ssj.tar"
    done = _ssj(source_url, source_var, "backup", "--out", str(archive))
    assert done.returncode == 0, done.stderr
    assert "已备份到" in done.stdout
    assert (
        _ssj(source_url, source_var, "backup", "--out", str(archive)).returncode == 1
    )  # no overwrite

    target_url, target_var = _database_url(tmp_path, "target"), tmp_path / "target"
    done = _ssj(target_url, target_var, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    verify = _ssj(target_url, target_var, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    before, after = _files(source_var), _files(target_var)
    assert after == before and any(k.startswith("media/") for k in after)
    assert any(k.endswith("/manifest") for k in after)
    # the restored platform serves what the original did: the same rows
    count = "from shuangsuiji.inspection.models import Evidence as E; print(E.objects.count())"
    counts = [
        _ssj(url, var, "manage", "shell", "-c", count).stdout.split()[-1]
        for url, var in ((source_url, source_var), (target_url, target_var))
    ]
    assert counts[0] == counts[1] and int(counts[0]) > 0

    # a second restore into the now filled database is refused, and so is an altered archive
    again = _ssj(target_url, target_var, "restore", str(archive))
    assert again.returncode == 1 and "目标数据库不是空的" in again.stderr
    altered = tmp_path / "altered.tar"
    flipped = False
    with tarfile.open(archive) as src, tarfile.open(altered, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/media/") and not flipped:
                data, flipped = data[:-1] + bytes([data[-1] ^ 1]), True  # one bit of evidence
            dst.addfile(member, io.BytesIO(data))
    assert flipped
    empty_url, empty_var = _database_url(tmp_path, "empty"), tmp_path / "empty"
    refused = _ssj(empty_url, empty_var, "restore", str(altered))
    assert refused.returncode == 1 and "SHA-256 不符" in refused.stderr
    assert not (empty_var / "media").exists() or not any((empty_var / "media").rglob("*"))
