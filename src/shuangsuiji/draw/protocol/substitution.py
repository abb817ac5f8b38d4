"""Substitution (更换) of an inspector after the draw (§4 *Substitution*), replayed in the
order the substitutions were made: each is published as ``substitute <target-id> <out-id>
<in-id>`` with its reason, so it stays verifiable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .manifest import Manifest
from .matching import Staffing
from .reading import Pool
from .result import DrawResult
from .rules import ID


class SubstitutionError(ValueError):
    """A substitution (更换) that the protocol does not allow or that does not replay."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class Substitution(NamedTuple):
    """A published ``substitute <target-id> <out-id> <in-id>`` line (更换)."""

    target: str
    out: str
    inn: str

    def line(self) -> str:
        return f"substitute {self.target} {self.out} {self.inn}"


def substitution_parse(line: str) -> Substitution:
    """Reads a published ``substitute <target-id> <out-id> <in-id>`` line."""
    fields = line.rstrip("\n").split(" ")
    if (
        len(fields) != 4
        or fields[0] != "substitute"
        or not all(ID.fullmatch(f.encode("utf-8")) for f in fields[1:])
    ):
        raise SubstitutionError(
            f"更换记录的格式是 “substitute <检查对象编号> <换下人员> <换上人员>”：{line!r}"
        )
    return Substitution(*fields[1:])


class _Replay:
    """The teams after the draw, then after each substitution in the order made."""

    def __init__(self, manifest: Manifest, result: DrawResult):
        if manifest.team != result.team_size:
            raise SubstitutionError("摇号结果与清单不对应（team 不同）")
        pool = Pool()
        pool.k = manifest.team
        pool.inspectors = [(i.id.encode(), i.capacity) for i in manifest.inspectors]
        pool.inspector_index = {iid: x for x, (iid, _) in enumerate(pool.inspectors)}
        pool.conflicts = [(i.encode(), t.encode()) for i, t in manifest.conflicts]
        self.staffing = Staffing(pool, result.key)
        self.index = pool.inspector_index
        self.teams: dict[str, list[int]] = {}
        for s in result.selections:
            members = [self.index[m.encode()] for m in s.team]
            self.teams[s.target] = members
            for member in members:
                self.staffing.take(member)
        self.draws_used = {t: self.staffing.k for t in self.teams}
        self.replaced: dict[str, set[int]] = {t: set() for t in self.teams}

    def candidate(self, target: str, out: str) -> int | None:
        team = self.teams.get(target)
        if team is None:
            raise SubstitutionError(f"检查对象 {target} 不在本次摇号结果中")
        if not team:
            raise SubstitutionError(f"检查对象 {target} 未配齐执法人员，不能更换（应另行补救）")
        leaving = self.index.get(out.encode())
        if leaving not in team:
            raise SubstitutionError(f"执法人员 {out} 不在检查对象 {target} 的检查组中")
        staffing, tid = self.staffing, target.encode()
        # E: in manifest order, not in the current team, never replaced on this target,
        # no conflict with it, below capacity.
        skip = staffing.skipped(tid, {*team, *self.replaced[target]})
        if len(staffing.available) == len(skip):
            return None
        at = staffing.pick(tid, self.draws_used[target], skip)
        return staffing.available[at]

    def apply(self, target: str, out: str, member: int) -> None:
        leaving = self.index[out.encode()]
        team = self.teams[target]
        team.remove(leaving)
        self.staffing.release(leaving)
        team.append(member)
        self.staffing.take(member)
        self.replaced[target].add(leaving)
        self.draws_used[target] += 1

    def replay(self, history: Sequence[Substitution]) -> None:
        for number, (target, out, inn) in enumerate(history, start=1):
            member = self.candidate(target, out)
            expected = None if member is None else self.staffing.ids[member].decode()
            # inn is always an id, so a missing candidate (expected None) never matches it.
            if member is None or expected != inn:
                raise SubstitutionError(
                    f"第 {number} 条更换记录与协议不符：{target} 换下 {out} 后应换上 {expected or '（无人可换）'}，记录为 {inn}"
                )
            self.apply(target, out, member)


def substitute(
    manifest: Manifest,
    result: DrawResult,
    history: Sequence[Substitution],
    *,
    target: str,
    out: str,
) -> str | None:
    """The substitute for ``out`` on ``target`` after replaying ``history``, or ``None``.

    ``history`` are the earlier substitutions of this draw in the order they were made;
    each is checked against the protocol (:class:`SubstitutionError` if one does not
    replay). ``None`` means nobody is available: the remedy is outside the draw.
    """
    replay = _Replay(manifest, result)
    replay.replay(history)
    member = replay.candidate(target, out)
    return None if member is None else replay.staffing.ids[member].decode()


def teams_replay(
    manifest: Manifest, result: DrawResult, history: Sequence[Substitution]
) -> dict[str, tuple[str, ...]]:
    """Every selected target's team after the substitutions (leader first; empty = none)."""
    replay = _Replay(manifest, result)
    replay.replay(history)
    ids = replay.staffing.ids
    return {t: tuple(ids[x].decode() for x in team) for t, team in replay.teams.items()}
