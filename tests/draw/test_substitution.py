"""Substitution (更换) of an inspector, replayed in the order made (protocol §4)."""

import hashlib
import random
from collections import Counter

import pytest

from shuangsuiji.draw.protocol import (
    Substitution,
    SubstitutionError,
    draw_compute,
    manifest_build,
    manifest_parse,
    substitute,
    substitution_parse,
    teams_replay,
)

from .conftest import random_pool


def naive_substitute(manifest, result, history, target, out):
    """§4 Substitution read literally, as a witness would check it."""
    teams = {s.target: list(s.team) for s in result.selections}
    load = Counter(m for team in teams.values() for m in team)
    used = {t: result.team_size for t in teams}
    replaced: dict[str, set] = {t: set() for t in teams}
    conflicts = set(manifest.conflicts)

    def one(t):
        e = [
            i.id
            for i in manifest.inspectors
            if i.id not in teams[t]
            and i.id not in replaced[t]
            and (i.id, t) not in conflicts
            and load[i.id] < i.capacity
        ]
        if not e:
            return None
        label = f"assign:{t}:{used[t]}".encode()
        return e[int.from_bytes(hashlib.sha256(result.key + label).digest(), "big") % len(e)]

    for t, o, n in history:
        assert one(t) == n
        teams[t].remove(o)
        teams[t].append(n)
        load[o] -= 1
        load[n] += 1
        replaced[t].add(o)
        used[t] += 1
    return one(target)


def _draw(seed=1, **kwargs):
    data = manifest_build(**random_pool(random.Random(seed), **kwargs))
    return manifest_parse(data), draw_compute(data, f"seed {seed}")


def test_it_finds_the_substitute_the_protocol_gives():
    manifest, result = _draw(targets=60, inspectors=10, k=2)
    staffed = [s for s in result.selections if s.team]
    assert staffed
    for s in staffed:
        for out in s.team:
            assert substitute(manifest, result, [], target=s.target, out=out) == naive_substitute(
                manifest, result, [], s.target, out
            )


def test_the_leaving_leader_hands_over_to_the_next_member():
    pool = random_pool(random.Random(1), targets=60, inspectors=10, k=2)
    pool["inspectors"] = [(i, 8) for i, _ in pool["inspectors"]]
    data = manifest_build(**pool)
    manifest, result = manifest_parse(data), draw_compute(data, "leader")
    s = next(s for s in result.selections if s.team)
    leader, second = s.team
    inn = substitute(manifest, result, [], target=s.target, out=leader)
    assert inn is not None
    teams = teams_replay(manifest, result, [Substitution(s.target, leader, inn)])
    assert teams[s.target] == (second, inn)  # the substitute joins at the end


def test_substitutions_replay_in_the_order_made():
    rnd = random.Random(4)
    pool = random_pool(rnd, targets=80, inspectors=14, k=3)
    pool["inspectors"] = [(i, 25) for i, _ in pool["inspectors"]]  # room left for substitutes
    data = manifest_build(**pool)
    manifest, result = manifest_parse(data), draw_compute(data, "seed")
    history: list[Substitution] = []
    for _ in range(12):
        teams = teams_replay(manifest, result, history)
        target = rnd.choice([t for t, team in teams.items() if team])
        out = rnd.choice(teams[target])
        inn = substitute(manifest, result, history, target=target, out=out)
        assert inn == naive_substitute(manifest, result, history, target, out)
        if inn is None:
            continue
        assert inn not in teams[target]
        history.append(Substitution(target, out, inn))
    assert len(history) >= 5


def test_a_second_substitution_on_a_target_uses_the_next_draw():
    data = manifest_build(
        task="T",
        team=2,
        strata=[("all", 1)],
        targets=[("t", "all")],
        inspectors=[(f"i{x:02d}", 1) for x in range(30)],
    )
    manifest, result = manifest_parse(data), draw_compute(data, "x")
    leader, member = result.selections[0].team
    first = Substitution("t", leader, substitute(manifest, result, [], target="t", out=leader))
    second = Substitution(
        "t", member, substitute(manifest, result, [first], target="t", out=member)
    )
    assert second.inn == naive_substitute(manifest, result, [first], "t", member)
    assert teams_replay(manifest, result, [first, second])["t"] == (first.inn, second.inn)
    with pytest.raises(SubstitutionError):  # in the other order, the draws differ
        teams_replay(manifest, result, [second, first])


def test_there_is_no_substitute_when_nobody_is_available():
    data = manifest_build(
        task="T",
        team=2,
        strata=[("all", 1)],
        targets=[("t", "all")],
        inspectors=[("a", 1), ("b", 1), ("c", 1)],
        conflicts=[("c", "t")],
    )
    manifest, result = manifest_parse(data), draw_compute(data, "x")
    out = result.selections[0].team[0]
    assert substitute(manifest, result, [], target="t", out=out) is None


def test_a_replaced_inspector_never_comes_back_to_the_same_target():
    data = manifest_build(
        task="T",
        team=1,
        strata=[("all", 1)],
        targets=[("t", "all")],
        inspectors=[("a", 5), ("b", 5)],
    )
    manifest, result = manifest_parse(data), draw_compute(data, "x")
    first = result.selections[0].team[0]
    other = ({"a", "b"} - {first}).pop()
    assert substitute(manifest, result, [], target="t", out=first) == other
    history = [Substitution("t", first, other)]
    assert substitute(manifest, result, history, target="t", out=other) is None


def test_a_wrong_record_does_not_replay():
    manifest, result = _draw(targets=60, inspectors=10, k=2)
    s = next(s for s in result.selections if s.team)
    inn = substitute(manifest, result, [], target=s.target, out=s.team[0])
    wrong = next(i.id for i in manifest.inspectors if i.id not in (*s.team, inn))
    with pytest.raises(SubstitutionError, match="第 1 条更换记录与协议不符"):
        teams_replay(manifest, result, [Substitution(s.target, s.team[0], wrong)])
    with pytest.raises(SubstitutionError):
        substitute(manifest, result, [], target=s.target, out="nobody")
    with pytest.raises(SubstitutionError):
        substitute(manifest, result, [], target="not-drawn", out=s.team[0])


def test_the_substitute_line_reads_back():
    sub = Substitution("91310117M49W4QLEKK", "13080716005", "13080716002")
    assert sub.line() == "substitute 91310117M49W4QLEKK 13080716005 13080716002"
    assert substitution_parse(sub.line() + "\n") == sub
    for bad in ("substitute a b", "replace a b c", "substitute a b c d", "substitute a b c/d"):
        with pytest.raises(SubstitutionError):
            substitution_parse(bad)
