"""The draw of §4: a pure function of (manifest bytes, seed text) → :class:`DrawResult`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter

from .matching import Staffing
from .reading import Collect, Pool, no_cyclic_gc, read
from .result import DrawResult, Selection
from .scoring import Score, seed_bytes


@dataclass(frozen=True, eq=False)
class PreparedManifest:
    """A manifest read and checked once by :func:`manifest_prepare`, ready for draws.

    :func:`draw_compute` takes it in place of the bytes and then neither reads nor checks
    them again: the platform prepares the frozen manifest of a draw once (after comparing
    its SHA-256 with the published ``C``); verifiers pass the bytes. The lists are the
    reader's own (targets in manifest order): treat them as read-only.
    """

    digest: bytes  # C
    pool: Pool
    # Target ids by stratum, each list in manifest order: the scoring loop then runs over
    # one stratum at a time with nothing to look up per target.
    groups: dict[bytes, list[bytes]]


def manifest_prepare(data: bytes) -> PreparedManifest:
    """Reads and checks canonical manifest bytes (every rule, as :func:`manifest_parse`)."""
    with no_cyclic_gc():
        targets = Collect()
        pool = read(data, targets)
        groups: dict[bytes, list[bytes]] = {name: [] for name, _n in pool.strata}
        for tid, stratum in zip(targets.ids, targets.strata, strict=True):
            groups[stratum].append(tid)
        return PreparedManifest(digest=hashlib.sha256(data).digest(), pool=pool, groups=groups)


def draw_compute(manifest: bytes | PreparedManifest, seed_text: str) -> DrawResult:
    """The result of §4: a pure function of the manifest bytes and the seed text.

    Raises :class:`ManifestError` if the manifest breaks a rule of §2. ``manifest`` may
    also be a :class:`PreparedManifest` (already checked): the same result, without
    reading the bytes again.
    """
    with no_cyclic_gc():
        if isinstance(manifest, PreparedManifest):
            return _draw_prepared(manifest, seed_text)
        return _draw(manifest, seed_text)


def _draw(manifest: bytes, seed_text: str) -> DrawResult:
    # The targets are scored while the reader checks them, chunk by chunk (cache-friendly).
    digest = hashlib.sha256(manifest).digest()
    key = hashlib.sha256(digest + seed_bytes(seed_text)).digest()
    scorer = Score(key, sample=True)
    pool = read(manifest, scorer)
    chosen = scorer.choose(pool)
    if chosen is None:
        scorer = Score(key, sample=False)
        read(manifest, scorer)
        chosen = scorer.choose(pool)
        assert chosen is not None  # every score kept: each stratum has its n (checked)
    return _result(pool, digest, key, chosen)


def _draw_prepared(manifest: PreparedManifest, seed_text: str) -> DrawResult:
    digest, pool = manifest.digest, manifest.pool
    key = hashlib.sha256(digest + seed_bytes(seed_text)).digest()
    scorer = Score(key, sample=True)
    scorer.start_counts(pool)
    scorer.score_groups(manifest.groups)
    chosen = scorer.choose(pool)
    if chosen is None:
        scorer = Score(key, sample=False)
        scorer.start_counts(pool)
        scorer.score_groups(manifest.groups)
        chosen = scorer.choose(pool)
        assert chosen is not None  # every score kept: each stratum has its n (checked)
    return _result(pool, digest, key, chosen)


# Builds a Selection from a 4-tuple without the Python-level ``__new__`` of a NamedTuple
# (50,000 per large draw).
_selection = tuple.__new__


def _result(pool: Pool, digest: bytes, key: bytes, chosen: list[bytes]) -> DrawResult:
    """Teams for the chosen targets (``score || id || " " || stratum``, selection order),
    and the result of §4."""
    selections: tuple[Selection, ...] = ()
    if chosen:
        scores = list(map(itemgetter(slice(32)), chosen))
        # Ids and stratum names are ASCII without spaces or LFs (§2): all of them are cut
        # apart and decoded at once, not one by one.
        rest = b"\n".join(map(itemgetter(slice(32, None)), chosen))
        fields = rest.decode("ascii").replace(" ", "\n").split("\n")
        if pool.k > 0:
            staffing = Staffing(pool, key)
            tids = rest.replace(b" ", b"\n").split(b"\n")[::2]
            teams: Iterable[tuple[str, ...]] = staffing.teams(
                tids, [i.decode() for i in staffing.ids]
            )
        else:
            teams = repeat(())
        selections = tuple(
            map(
                _selection,
                repeat(Selection),
                zip(fields[::2], fields[1::2], scores, teams, strict=False),
            )
        )
    return DrawResult(manifest_digest=digest, key=key, team_size=pool.k, selections=selections)
