"""Shared helpers of the draw tests: the vectors, random pools, the naive verifier."""

import contextlib
import io
import random
import runpy
import sys
from pathlib import Path

import pytest

from shuangsuiji.draw.protocol import manifest_build

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).resolve().parent / "vectors"
SHARED_VECTORS = ROOT.parent / "shared" / "design" / "draw-vectors"
VECTOR_NAMES = ["v1-basic", "v2-match"]
VERIFIER = ROOT / "docs" / "verify_draw.py"
ID_CHARS = "ABCDEFGHJKLMNPQRTUWXY0123456789abcxyz._-"


def vector(name: str) -> tuple[bytes, str, bytes]:
    """(manifest bytes, seed text, result bytes) of a shared vector (the copy in tests/)."""
    seed = (VECTORS / f"{name}.seed").read_bytes().decode("utf-8")
    return (
        (VECTORS / f"{name}.manifest").read_bytes(),
        seed,
        (VECTORS / f"{name}.result").read_bytes(),
    )


def naive_result(manifest: bytes, seed: str, tmp_path: Path) -> bytes:
    """The result text from docs/verify_draw.py, run in this process (fast)."""
    (tmp_path / "m").write_bytes(manifest)
    (tmp_path / "s").write_bytes(seed.encode("utf-8"))
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    argv = sys.argv
    sys.argv = ["verify_draw.py", str(tmp_path / "m"), str(tmp_path / "s")]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(VERIFIER), run_name="__main__")
    finally:
        sys.argv = argv
    out.flush()
    return out.buffer.getvalue()


def random_pool(
    rnd: random.Random, *, targets: int = 40, inspectors: int = 8, k: int | None = None
) -> dict:
    """Keyword arguments of manifest_build for a random valid pool (awkward names included)."""
    names = rnd.sample(["A", "B", "AA", "all", "target", "x.y", "D-1", "z_"], rnd.randint(1, 4))
    ids: set[str] = set()
    while len(ids) < targets:
        size = rnd.choice([1, 2, 5, 18, 18, 18, 64])
        ids.add("".join(rnd.choices(ID_CHARS, k=size)))
    pool = [(tid, rnd.choice(names)) for tid in sorted(ids)]  # sorted: independent of hash seeds
    counts = {name: sum(1 for _, s in pool if s == name) for name in names}
    staff = [
        ("".join(rnd.choices(ID_CHARS, k=rnd.randint(1, 12))), rnd.randint(0, 4))
        for _ in range(inspectors)
    ]
    staff = list(dict(staff).items())
    conflicts = {
        (rnd.choice(staff)[0], rnd.choice(pool)[0]) for _ in range(rnd.randint(0, targets))
    }
    return {
        "task": "T-" + str(rnd.randint(1, 99)),
        "team": rnd.choice([0, 1, 2, 2, 3]) if k is None else k,
        "strata": [(name, rnd.randint(0, counts[name])) for name in names],
        "targets": pool,
        "inspectors": staff,
        "conflicts": sorted(conflicts),
    }


@pytest.fixture
def small_manifest() -> bytes:
    return manifest_build(**random_pool(random.Random(7), targets=30, inspectors=6, k=2))
