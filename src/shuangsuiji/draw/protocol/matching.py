"""Matching inspectors to the selected targets (§4 *Inspectors*, *Substitution*).

§4 rebuilds ``E`` for every target: the inspectors in manifest order, without the
target's conflicts, below capacity. Here ``available`` holds the indices (= manifest
order) of the inspectors below capacity, kept up to date as loads change; ``E`` is that
list minus a few skipped positions (the target's conflicts, the members already picked),
and ``E[x mod len(E)]`` is found by counting past the skipped positions — the same
inspector, without building ``E``.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Collection, Iterable, Sequence

from .reading import Pool
from .scoring import score_base


class Staffing:
    """Loads, availability and teams while inspectors are matched (§4 Inspectors)."""

    def __init__(self, pool: Pool, key: bytes):
        self.k = pool.k
        self.ids = [i for i, _ in pool.inspectors]
        self.capacity = [c for _, c in pool.inspectors]
        self.load = [0] * len(self.ids)
        # Inspector indices (= manifest order) with load below capacity: ``E`` is this
        # list without the target's conflicts (and, while a team grows, its members).
        self.available = [x for x, c in enumerate(self.capacity) if c > 0]
        self.conflicts: dict[bytes, list[int]] = {}
        for iid, tid in pool.conflicts:
            self.conflicts.setdefault(tid, []).append(pool.inspector_index[iid])
        self.copy = score_base(key, b"assign:").copy
        # A team larger than the pool is never staffed (E < k): no suffix past the pool is used,
        # and a valid `team 999999999` must not allocate a billion of them.
        self.suffixes = [b":%d" % j for j in range(min(self.k, len(self.ids)))]

    def skipped(self, target: bytes, members: Iterable[int] = ()) -> list[int]:
        """Sorted positions in ``available`` of the inspectors left out of ``E``."""
        available, positions = self.available, []
        excluded: Collection[int] = self.conflicts.get(target, ())
        if members:
            excluded = {*excluded, *members}
        for x in excluded:
            at = bisect_left(available, x)
            if at < len(available) and available[at] == x:
                positions.append(at)
        positions.sort()
        return positions

    def pick(self, target: bytes, j: int, skip: list[int]) -> int:
        """Position in ``available`` of ``E[x mod len(E)]``, x = score("assign:t:j")."""
        h = self.copy()
        h.update(b"%s:%d" % (target, j))
        at = int.from_bytes(h.digest(), "big") % (len(self.available) - len(skip))
        for p in skip:  # the at-th position not skipped
            if p > at:
                break
            at += 1
        return at

    def take(self, member: int) -> None:
        self.load[member] += 1
        if self.load[member] == self.capacity[member]:
            del self.available[bisect_left(self.available, member)]

    def release(self, member: int) -> None:
        if self.load[member] == self.capacity[member]:
            insort(self.available, member)
        self.load[member] -= 1

    def teams(self, targets: Iterable[bytes], names: Sequence[str]) -> list[tuple[str, ...]]:
        """The team of each target in selection order (its members' ``names``, leader
        first), or ``()``: unstaffed.

        The same steps as :meth:`skipped`, :meth:`pick` and :meth:`take`, inlined in one
        loop with the lookups hoisted: this runs once per selected target (50,000 in a
        large draw). A target without conflicts skips nothing but the members already
        picked, and with ``k = 2`` (the usual team, 每个检查对象不少于2名执法检查人员)
        the second pick steps past the first with one comparison.
        """
        available, copy, conflicts, suffixes, k = (
            self.available,
            self.copy,
            self.conflicts,
            self.suffixes,
            self.k,
        )
        load, capacity, skipped, from_bytes = self.load, self.capacity, self.skipped, int.from_bytes
        out: list[tuple[str, ...]] = []
        add = out.append
        pair = k == 2
        for target in targets:
            if pair and target not in conflicts:
                size = len(available)
                if size < 2:
                    add(())  # nobody is assigned and no load changes
                    continue
                # score("assign:t:0") and score("assign:t:1") from one state hashed up
                # to t (the same digests as hashing each label whole).
                h = copy()
                h.update(target)
                g = h.copy()
                h.update(b":0")
                g.update(b":1")
                first = from_bytes(h.digest(), "big") % size
                second = from_bytes(g.digest(), "big") % (size - 1)
                if second >= first:
                    second += 1
                leader, member = available[first], available[second]
                add((names[leader], names[member]))
                load[leader] += 1
                load[member] += 1
                if load[leader] == capacity[leader]:
                    del available[bisect_left(available, leader)]
                if load[member] == capacity[member]:
                    del available[bisect_left(available, member)]
                continue
            skip = skipped(target) if target in conflicts else []
            size = len(available) - len(skip)
            if size < k:
                add(())  # nobody is assigned and no load changes
                continue
            members = []
            for suffix in suffixes:
                h = copy()
                h.update(target + suffix)
                at = from_bytes(h.digest(), "big") % size
                for p in skip:
                    if p > at:
                        break
                    at += 1
                insort(skip, at)
                members.append(available[at])
                size -= 1
            for member in members:
                load[member] += 1
                if load[member] == capacity[member]:
                    del available[bisect_left(available, member)]
            add(tuple([names[x] for x in members]))
        return out
