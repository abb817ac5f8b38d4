"""The result of a draw (§4) and its canonical text (§5), what ``ssj draw verify`` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

RESULT_VERSION = "ssj-draw-result/1"


class Selection(NamedTuple):
    """One selected target in selection order, with its score and its team.

    ``team`` is empty when the draw selects targets only (``team 0``) or when the target
    is unstaffed; its first member is the group leader (组长).
    """

    target: str
    stratum: str
    score: bytes
    team: tuple[str, ...]


@dataclass(frozen=True)
class DrawResult:
    """The result of §4: ``C``, ``K`` and the selections in selection order."""

    manifest_digest: bytes
    key: bytes
    team_size: int
    selections: tuple[Selection, ...]

    @property
    def unstaffed(self) -> tuple[str, ...]:
        """Targets left without a team (the platform then asks for a remedy)."""
        if self.team_size == 0:
            return ()
        return tuple(s.target for s in self.selections if not s.team)


def result_text(result: DrawResult) -> str:
    """The canonical result text of §5 (ends with one ``\\n``)."""
    out = [RESULT_VERSION, "manifest " + result.manifest_digest.hex(), "key " + result.key.hex()]
    out += [f"selected {s.target} {s.stratum} {s.score.hex()}" for s in result.selections]
    if result.team_size > 0:
        out += [
            f"team {s.target} {' '.join(s.team)}" if s.team else f"unstaffed {s.target}"
            for s in result.selections
        ]
    return "\n".join(out) + "\n"
