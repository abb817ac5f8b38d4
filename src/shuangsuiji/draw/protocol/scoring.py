"""Scores and the selection of targets (§3, §4 *Targets*).

``score(label) = SHA-256(K || UTF-8(label))``; each stratum gives its ``n`` targets with
the smallest ``score("target:" + id)``, and all of them together, ordered by that score,
are the selection order. Every target must be scored (a million SHA-256 in a large
draw): that loop is the cost of a draw, and everything else here is kept small beside it.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable
from itertools import islice, repeat

from .reading import Pool, Visitor

EVERY = b"\xff" * 33  # above every 32-byte score


def seed_bytes(seed_text: str) -> bytes:
    """``B`` of §3: the seed text normalised to NFC, as UTF-8."""
    return unicodedata.normalize("NFC", seed_text).encode("utf-8")


def score_base(key: bytes, prefix: bytes) -> hashlib._Hash:
    # SHA-256(K || label) for many labels sharing a prefix: hash the prefix once and copy
    # that state per label. Same digest as hashing the whole label.
    base = hashlib.sha256(key)
    base.update(prefix)
    return base


class Score(Visitor):
    """Scores the targets and keeps those below a threshold ``T``.

    If a stratum has at least ``n`` targets scoring below ``T``, its ``n`` smallest are
    among them: the result is exactly that of sorting every score. ``T`` leaves a margin
    of six standard deviations over the expected count of each stratum — from the exact
    stratum sizes for a prepared manifest, from a sample of the target lines while the
    bytes stream past; when a stratum still ends up short, :func:`draw_compute` scores
    again keeping everything. Only the speed depends on ``T``, never the result.
    """

    def __init__(self, key: bytes, *, sample: bool):
        self.copy = score_base(key, b"target:").copy
        self.sample = sample
        self.threshold = EVERY
        # The candidates of each stratum, each as the bytes ``score || id``: one object per
        # candidate, and sorting them sorts by (score, id) with no key function.
        self.found: dict[bytes, list[bytes]] = {}
        self.keep: dict[bytes, Callable[[bytes], None]] = {}  # stratum → its list's append

    def start(self, data: bytes, begin: int, end: int, pool: Pool) -> None:
        """``T`` for the target lines ``data[begin:end]`` (bytes path): the stratum sizes
        are not known yet, so about 4,096 lines spread over the block are sampled."""
        if not self.sample:
            self._threshold(pool, lambda name: 0.0)
            return
        seen: dict[bytes, int] = {}
        taken = length = 0
        for at in range(begin, end, max(1, (end - begin) // 4096)):
            line = data.find(b"\ntarget ", at, end) + 1
            stop = data.find(b"\n", line, end + 1)
            if line <= 0 or stop < 0:
                break
            name = data[data.rfind(b" ", line, stop) + 1 : stop]
            seen[name] = seen.get(name, 0) + 1
            taken += 1
            length += stop - line + 1
        if not taken:
            self._threshold(pool, lambda name: 0.0)
            return
        lines = (end - begin + 1) / (length / taken) * 0.95

        def low(name: bytes) -> float:  # the stratum's size, cautiously
            c = seen.get(name, 0)
            return (c - 4 * math.sqrt(c) - 1) / taken * lines

        self._threshold(pool, low)

    def start_counts(self, pool: Pool) -> None:
        """``T`` for a prepared manifest: the reader counted every stratum exactly."""
        self._threshold(
            pool, (lambda name: float(pool.counts[name])) if self.sample else (lambda name: 0.0)
        )

    def _threshold(self, pool: Pool, size: object) -> None:
        """``T`` from each drawn stratum's (cautious) ``size``; a size ≤ 0 (unknown) keeps
        every score, and nothing drawn keeps none."""
        wanted = [(name, n) for name, n in pool.strata if n > 0]
        if not wanted:
            self.threshold = b""
            return
        share = 0.0
        for name, n in wanted:
            low = size(name)  # type: ignore[operator]
            if low <= 0:
                return
            share = max(share, (n + 6 * math.sqrt(n) + 16) / low)
        if share < 0.5:
            self.threshold = int(share * 2**256).to_bytes(32, "big")

    def reset(self) -> None:
        self.found.clear()
        self.keep.clear()
        self.threshold = EVERY

    def __call__(self, ids: list[bytes], strata: list[bytes]) -> None:
        """Scores targets (manifest order) and keeps the candidates below ``T``: a run of
        target lines from the bytes reader (scored while the chunk is in the CPU cache),
        or all targets of a prepared manifest at once. The hot loop of a draw."""
        copy, threshold, keep = self.copy, self.threshold, self.keep
        for tid, stratum in zip(ids, strata, strict=True):
            h = copy()
            h.update(tid)
            score = h.digest()
            if score < threshold:
                try:
                    keep[stratum](score + tid)
                except KeyError:  # the stratum's first candidate
                    keep[stratum] = self.found.setdefault(stratum, []).append
                    keep[stratum](score + tid)

    def score_groups(self, groups: dict[bytes, list[bytes]]) -> None:
        """Scores the targets of a prepared manifest, one stratum at a time (the same
        candidates as :meth:`__call__`): the hot loop of a draw on the platform, kept to
        the hashing itself, one comparison and an append."""
        copy, threshold = self.copy, self.threshold
        for stratum, ids in groups.items():
            if not ids:
                continue
            kept = self.found.setdefault(stratum, [])
            keep = kept.append
            for tid in ids:
                h = copy()
                h.update(tid)
                score = h.digest()
                if score < threshold:
                    keep(score + tid)

    def choose(self, pool: Pool) -> list[bytes] | None:
        """The selected targets in selection order, each as ``score || id || " " ||
        stratum``; ``None``: a stratum is short of candidates, score all again.

        Each stratum's candidates sorted, its first ``n`` kept; then all of them sorted
        once more (merging a few sorted runs). Comparing ``score || id`` compares scores
        first; equal scores (two labels with the same SHA-256, never seen) would fall in
        id order, as in ``docs/verify_draw.py``.
        """
        chosen: list[bytes] = []
        for name, n in pool.strata:
            if n == 0:
                continue
            group = self.found.get(name, [])
            if len(group) < n:
                return None
            group.sort()
            chosen += map(bytes.__add__, islice(group, n), repeat(b" " + name))
        chosen.sort()
        return chosen
