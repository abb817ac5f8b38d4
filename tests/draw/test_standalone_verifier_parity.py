"""docs/verify_draw.py and ``ssj draw verify`` accept exactly the same manifests (issue 15).

Table-driven: the shared vectors, one or more broken manifests per rule of §2, and seeded
random mutations of valid manifests are fed to both verifiers; they must agree on every
file and print byte-identical result text on the accepted ones. The substitution replay of
the standalone script (third argument: the published result.txt) is checked against the
platform's :func:`teams_replay`, including forged substitutions that both must reject.
"""

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shuangsuiji.cli import main
from shuangsuiji.draw.protocol import (
    Substitution,
    SubstitutionError,
    draw_compute,
    manifest_build,
    manifest_parse,
    result_text,
    substitute,
    substitution_parse,
    teams_replay,
)

from .conftest import VECTOR_NAMES, VECTORS, VERIFIER, random_pool

SEED = "2024年第116期 双色球 03 07 12 19 25 31 + 09; 骰子 3 1 4 1"
V1 = (VECTORS / "v1-basic.manifest").read_bytes()
V2 = (VECTORS / "v2-match.manifest").read_bytes()


def _lines(data: bytes) -> list[str]:
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _join(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def _edit(data: bytes, index: int, new: str | None = None, *, insert: str | None = None) -> bytes:
    """Line ``index`` (0-based: 0 is the header) replaced by ``new`` (``None`` deletes it),
    or ``insert`` put before it."""
    lines = _lines(data)
    if insert is not None:
        lines.insert(index, insert)
    elif new is None:
        del lines[index]
    else:
        lines[index] = new
    return _join(lines)


def _swap(data: bytes, i: int, j: int) -> bytes:
    lines = _lines(data)
    lines[i], lines[j] = lines[j], lines[i]
    return _join(lines)


def _dup(data: bytes, i: int) -> bytes:
    return _edit(data, i, insert=_lines(data)[i])


# v1-basic: 0 header, 1 task, 2 team, 3-4 stratum A/D, 5-16 targets (8 in A, 4 in D),
# 17-22 inspectors, 23-24 conflicts.
T0, T1, I0, I1, C0, C1 = 5, 6, 17, 18, 23, 24
ID64 = "9" * 64
TARGET = _lines(V1)[T0]  # target 913101174QJGHRWHJX D

# (name, manifest bytes, accepted?) — at least one per rule of §2, plus edge cases allowed.
RULES: list[tuple[str, bytes, bool]] = [
    ("vector-v1", V1, True),
    ("vector-v2", V2, True),
    # header, newline, CR, BOM, encoding
    ("empty-file", b"", False),
    ("header-only", b"ssj-draw/1\n", False),
    ("header-wrong-version", V1.replace(b"ssj-draw/1", b"ssj-draw/2", 1), False),
    ("header-missing", V1.split(b"\n", 1)[1], False),
    ("header-trailing-space", V1.replace(b"ssj-draw/1", b"ssj-draw/1 ", 1), False),
    ("no-final-newline", V1[:-1], False),
    ("two-final-newlines", V1 + b"\n", False),
    ("blank-line-inside", _edit(V1, I0, insert=""), False),
    ("crlf-everywhere", V1.replace(b"\n", b"\r\n"), False),
    ("crlf-header-only", V1.replace(b"\n", b"\r\n", 1), False),
    ("cr-last-line", V1[:-1] + b"\r\n", False),
    ("cr-alone-inside", V1.replace(b"team 2\n", b"team 2\r", 1), False),
    ("bom", b"\xef\xbb\xbf" + V1, False),
    ("latin1-byte", V1.replace(b"task SJ-2024-03", b"task SJ-2024-0\xe9", 1), False),
    ("utf8-chinese-task", _edit(V1, 1, "task 抽查-03"), False),
    ("utf8-fullwidth-digit", _edit(V1, 2, "team ２"), False),
    ("nul-byte", V1.replace(b"team 2", b"team 2\x00", 1), False),
    # line kinds and field counts
    ("unknown-kind", _edit(V1, I0, insert="note hello"), False),
    ("kind-uppercase", _edit(V1, T0, TARGET.replace("target", "Target")), False),
    ("kind-plural", _edit(V1, T0, TARGET.replace("target", "targets")), False),
    ("task-no-field", _edit(V1, 1, "task"), False),
    ("task-two-fields", _edit(V1, 1, "task SJ 2024"), False),
    ("team-no-field", _edit(V1, 2, "team"), False),
    ("stratum-one-field", _edit(V1, 3, "stratum A"), False),
    ("target-one-field", _edit(V1, T0, "target 913101174QJGHRWHJX"), False),
    ("target-three-fields", _edit(V1, T0, TARGET + " x"), False),
    ("inspector-one-field", _edit(V1, I0, "inspector 13080716001"), False),
    ("conflict-one-field", _edit(V1, C0, "conflict 13080716001"), False),
    ("conflict-three-fields", _edit(V1, C1, _lines(V1)[C1] + " A"), False),
    # spaces
    ("double-space", _edit(V1, T0, TARGET.replace(" ", "  ", 1)), False),
    ("leading-space", _edit(V1, T0, " " + TARGET), False),
    ("trailing-space", _edit(V1, T0, TARGET + " "), False),
    ("tab-separator", _edit(V1, T0, TARGET.replace(" ", "\t")), False),
    # identifier syntax [A-Za-z0-9._-]{1,64}
    ("id-64-chars-ok", _edit(V1, 1, "task " + "T" * 64), True),
    ("id-65-chars", _edit(V1, 1, "task " + "T" * 65), False),
    ("id-slash", _edit(V1, 1, "task SJ/2024"), False),
    ("id-plus", _edit(V1, I0, "inspector +13080716001 3"), False),
    ("id-colon", _edit(V1, T1, "target 913101177BA3X08HP8: A"), False),
    ("id-all-punctuation-ok", _edit(V1, 1, "task ._-"), True),
    ("target-id-65-chars", _edit(V1, 16, "target " + "Z" * 65 + " A"), False),
    ("target-id-64-chars-ok", _edit(V1, 16, "target " + "Z" * 64 + " A"), True),
    ("stratum-name-bad", _edit(V1, 3, "stratum A* 2"), False),
    # number syntax 0|[1-9][0-9]{0,8}
    ("team-0-ok", _edit(V1, 2, "team 0"), True),
    ("team-leading-zero", _edit(V1, 2, "team 02"), False),
    ("team-double-zero", _edit(V1, 2, "team 00"), False),
    ("team-negative", _edit(V1, 2, "team -1"), False),
    ("team-plus", _edit(V1, 2, "team +2"), False),
    ("team-underscore", _edit(V1, 2, "team 1_0"), False),
    (
        "team-5-digits-ok",
        _edit(V1, 2, "team 99999"),
        True,
    ),  # 9 digits: see the test of the largest team below
    ("team-10-digits", _edit(V1, 2, "team 1000000000"), False),
    ("team-letter", _edit(V1, 2, "team two"), False),
    ("stratum-n-leading-zero", _edit(V1, 3, "stratum A 02"), False),
    ("capacity-leading-zero", _edit(V1, I0, "inspector 13080716001 03"), False),
    ("capacity-0-ok", _edit(V1, I0, "inspector 13080716001 0"), True),
    ("capacity-10-digits", _edit(V1, I0, "inspector 13080716001 3000000000"), False),
    ("capacity-9-digits-ok", _edit(V1, I0, "inspector 13080716001 300000000"), True),
    # order of the line kinds
    ("team-before-task", _swap(V1, 1, 2), False),
    ("stratum-before-team", _swap(V1, 2, 3), False),
    ("target-before-stratum", _swap(V1, 4, 5), False),
    ("inspector-before-target", _swap(V1, 16, 17), False),
    ("conflict-before-inspector", _swap(V1, 22, 23), False),
    ("stratum-after-targets", _edit(_edit(V1, 4, None), 15, insert="stratum D 2"), False),
    ("task-at-the-end", _join(_lines(V1)[:1] + _lines(V1)[2:] + _lines(V1)[1:2]), False),
    # exactly one task and one team
    ("no-task", _edit(V1, 1, None), False),
    ("no-team", _edit(V1, 2, None), False),
    ("no-team-at-end", b"ssj-draw/1\ntask X\n", False),
    ("two-tasks", _dup(V1, 1), False),
    ("two-teams", _dup(V1, 2), False),
    ("second-task-later", _edit(V1, I0, insert="task SJ-2024-04"), False),
    ("second-team-later", _edit(V1, C0, insert="team 3"), False),
    # canonical sort order within each kind
    ("strata-swapped", _swap(V1, 3, 4), False),
    ("targets-swapped", _swap(V1, T0, T1), False),
    ("targets-last-two-swapped", _swap(V1, 15, 16), False),
    ("inspectors-swapped", _swap(V1, I0, I1), False),
    ("conflicts-swapped", _swap(V1, C0, C1), False),
    (
        "conflicts-same-inspector-ok",
        _edit(V1, C0 + 1, insert="conflict 13080716001 91310117AEF49D2YL7"),
        True,
    ),
    (
        "conflicts-same-inspector-unsorted",
        _edit(V1, C0, insert="conflict 13080716001 91310117AEF49D2YL7"),
        False,
    ),
    ("ids-sorted-as-bytes-ok", _edit(V1, I0 + 6, insert="inspector a 1"), True),
    ("ids-sorted-case-insensitively", _edit(V1, I0, insert="inspector a 1"), False),
    # no duplicates
    ("duplicate-stratum", _dup(V1, 3), False),
    ("duplicate-target", _dup(V1, T0), False),  # issue 15: selected the same entity twice
    ("duplicate-target-other-stratum", _edit(V1, T1, insert="target 913101174QJGHRWHJX A"), False),
    ("duplicate-target-last", _dup(V1, 16), False),
    ("duplicate-inspector", _dup(V1, I0), False),
    ("duplicate-inspector-other-capacity", _edit(V1, I1, insert="inspector 13080716001 4"), False),
    ("duplicate-conflict", _dup(V1, C0), False),
    # every target's stratum is declared; n ≤ its targets
    ("target-stratum-undeclared", _edit(V1, T0, "target 913101174QJGHRWHJX B"), False),
    ("stratum-n-equals-count-ok", _edit(V1, 3, "stratum A 8"), True),
    ("stratum-n-above-count", _edit(V1, 3, "stratum A 9"), False),
    ("stratum-n-above-count-last", _edit(V1, 4, "stratum D 5"), False),
    ("stratum-without-targets-n-0-ok", _edit(V1, 4, insert="stratum C 0"), True),
    ("stratum-without-targets-n-1", _edit(V1, 4, insert="stratum C 1"), False),
    # conflicts name listed inspectors and targets
    ("conflict-unknown-inspector", _edit(V1, C1, "conflict 13080716009 91310117EPLC9PJY13"), False),
    ("conflict-unknown-target", _edit(V1, C1, "conflict 13080716003 91310117EPLC9PJY14"), False),
    ("conflict-target-is-a-stratum", _edit(V1, C1, "conflict 13080716003 A"), False),
    # small valid manifests
    ("no-targets-ok", b"ssj-draw/1\ntask X\nteam 0\n", True),
    ("no-inspectors-ok", b"ssj-draw/1\ntask X\nteam 1\nstratum all 1\ntarget a all\n", True),
    ("only-inspectors-ok", b"ssj-draw/1\ntask X\nteam 1\ninspector i 1\n", True),
]


def _mutate(rnd: random.Random, data: bytes) -> tuple[str, bytes]:
    """One random edit of the kinds a hand-edited or badly exported manifest shows."""
    lines = _lines(data)
    i = rnd.randrange(1, len(lines))
    kind = rnd.choice(
        [
            "swap",
            "dup",
            "delete",
            "digit",
            "zero",
            "crlf",
            "cr-one",
            "bom",
            "trailing-space",
            "no-final-newline",
            "double-space",
            "char",
        ]
    )
    if kind == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif kind == "dup":
        lines.insert(i, lines[i])
    elif kind == "delete":
        del lines[i]
    elif kind == "digit":
        spots = [m.start() for m in re.finditer("[0-9]", lines[i])]
        if spots:
            at = rnd.choice(spots)
            lines[i] = lines[i][:at] + rnd.choice("0123456789") + lines[i][at + 1 :]
    elif kind == "zero":
        lines[i] = re.sub(r" ([0-9]+)$", r" 0\1", lines[i])
    elif kind == "crlf":
        return kind, _join(lines).replace(b"\n", b"\r\n")
    elif kind == "cr-one":
        lines[i] += "\r"
    elif kind == "bom":
        return kind, b"\xef\xbb\xbf" + _join(lines)
    elif kind == "trailing-space":
        lines[i] += " "
    elif kind == "no-final-newline":
        return kind, _join(lines)[:-1]
    elif kind == "double-space":
        lines[i] = lines[i].replace(" ", "  ", 1)
    else:  # one character of the line replaced by an identifier character, or another one
        at = rnd.randrange(len(lines[i]))
        lines[i] = lines[i][:at] + rnd.choice("AZaz09._- /é") + lines[i][at + 1 :]
    return kind, _join(lines)


def _mutations(count: int, big: int) -> list[tuple[str, bytes, None]]:
    """``count`` mutations of small valid manifests, then ``big`` of one with 1,500 targets
    (about 40 KB: the platform's bulk reader checks its target lines in several chunks)."""
    rnd = random.Random(15)  # fixed: the test is deterministic
    bases = [V1, V2] + [
        manifest_build(**random_pool(random.Random(s), targets=12, inspectors=5)) for s in range(4)
    ]
    large = manifest_build(**random_pool(random.Random(5), targets=1500, inspectors=30))
    out, seen = [], set()
    while len(out) < count + big:
        data = rnd.choice(bases) if len(out) < count else large
        names = []
        for _ in range(rnd.choice([1, 1, 1, 2])):
            name, data = _mutate(rnd, data)
            names.append(name)
        if data not in seen:
            seen.add(data)
            out.append((f"mutation-{len(out)}-{'+'.join(names)}", data, None))
    return out


CASES = RULES + _mutations(160, 30)


def _standalone(tmp_path: Path, manifest: bytes, seed: str, *extra: Path):
    (tmp_path / "manifest").write_bytes(manifest)
    (tmp_path / "seed.txt").write_bytes(seed.encode("utf-8"))
    run = subprocess.run(
        [
            sys.executable,
            str(VERIFIER),
            str(tmp_path / "manifest"),
            str(tmp_path / "seed.txt"),
            *map(str, extra),
        ],
        capture_output=True,
    )
    return run.returncode, run.stdout, run.stderr.decode("utf-8")


def _platform(tmp_path: Path, capsysbinary) -> tuple[int, bytes, str]:
    code = main(
        ["draw", "verify", str(tmp_path / "manifest"), "--seed-file", str(tmp_path / "seed.txt")]
    )
    out, err = capsysbinary.readouterr()
    return code, out, err.decode("utf-8")


def _line_no(err: str) -> int:
    found = re.search(r"第 (\d+) 行", err)
    assert found, err
    return int(found[1])


@pytest.mark.parametrize(("name", "manifest", "accepted"), CASES, ids=[c[0] for c in CASES])
def test_both_verifiers_accept_exactly_the_same_manifests(
    name, manifest, accepted, tmp_path, capsysbinary
):
    mine = _standalone(tmp_path, manifest, SEED)
    theirs = _platform(tmp_path, capsysbinary)
    assert (mine[0] == 0) == (theirs[0] == 0), (name, mine, theirs)
    if accepted is not None:
        assert (mine[0] == 0) is accepted, (name, mine)
    if theirs[0] == 0:
        assert mine[1] == theirs[1] and mine[1].startswith(b"ssj-draw-result/1\n")
        assert mine[2] == theirs[2] == ""
    else:
        # Both refuse with exit status 2 and one Chinese line naming the same line of the file.
        assert mine[0] == theirs[0] == 2 and mine[1] == theirs[1] == b""
        assert mine[2].startswith("错误：清单第 ") and mine[2].count("\n") == 1
        assert _line_no(mine[2]) == _line_no(theirs[2]), (name, mine[2], theirs[2])


def test_the_largest_team_size_is_verified_by_both(tmp_path):
    data = _edit(V1, 2, "team 999999999")  # allowed by §2: every selected target is unstaffed
    mine = _standalone(tmp_path, data, SEED)
    assert mine[0] == 0 and mine[1].count(b"\nunstaffed ") == 4

    def limit():  # a child that would take all the machine's memory fails fast instead
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "shuangsuiji.cli",
            "draw",
            "verify",
            str(tmp_path / "manifest"),
            "--seed-file",
            str(tmp_path / "seed.txt"),
        ],
        capture_output=True,
        preexec_fn=limit,
        timeout=60,
    )
    assert (run.returncode, run.stdout) == (0, mine[1])


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_the_vectors_reproduce_byte_for_byte_in_both(name, tmp_path, capsysbinary):
    seed = (VECTORS / f"{name}.seed").read_bytes().decode("utf-8")
    expected = (VECTORS / f"{name}.result").read_bytes()
    mine = _standalone(tmp_path, (VECTORS / f"{name}.manifest").read_bytes(), seed)
    assert mine == (0, expected, "")
    assert _platform(tmp_path, capsysbinary) == (0, expected, "")


# --- substitution replay (§4 "Substitution"): third argument = the published result.txt ---


def _published(result, history) -> str:
    """result.txt as the platform publishes it (selectors.draw_published_result): the
    result text, then one ``substitute`` line per approved substitution, in order."""
    return result_text(result) + "".join(s.line() + "\n" for s in history)


def _platform_replay(data: bytes, seed: str, published: str) -> bytes | None:
    """The team lines after the substitutions, by the platform's protocol functions."""
    result = draw_compute(data, seed)
    text = result_text(result)
    tail = published[len(text) :].split("\n")
    if not published.startswith(text) or tail.pop() != "":
        return None
    try:
        teams = teams_replay(
            manifest_parse(data), result, [substitution_parse(line) for line in tail]
        )
    except SubstitutionError:
        return None
    return "".join(
        f"team {s.target} {' '.join(teams[s.target])}\n"
        for s in result.selections
        if teams[s.target]
    ).encode("ascii")


@pytest.fixture(scope="module")
def substituted():
    """A draw with six substitutions made as the platform makes them (two on one target,
    its leader first)."""
    rnd = random.Random(3)
    pool = random_pool(rnd, targets=40, inspectors=9, k=2)
    pool["inspectors"] = [(i, 5) for i, _ in pool["inspectors"]]
    data = manifest_build(**pool)
    manifest, result = manifest_parse(data), draw_compute(data, SEED)
    staffed = [s.target for s in result.selections if s.team]
    history: list[Substitution] = []
    for step in range(12):
        target = staffed[0] if step < 2 else rnd.choice(staffed)
        team = teams_replay(manifest, result, history)[target]
        out = team[0] if step < 2 else rnd.choice(team)
        inn = substitute(manifest, result, history, target=target, out=out)
        if inn is not None:
            history.append(Substitution(target, out, inn))
        if len(history) == 6:
            break
    assert len(history) == 6 and history[0].target == history[1].target
    return data, result, history


def _run_replay(tmp_path, data, published: str, seed: str = SEED):
    (tmp_path / "result.txt").write_bytes(published.encode("utf-8"))
    return _standalone(tmp_path, data, seed, tmp_path / "result.txt")


def test_the_standalone_replays_the_substitutions_as_the_platform_does(substituted, tmp_path):
    data, result, history = substituted
    published = _published(result, history)
    code, out, err = _run_replay(tmp_path, data, published)
    assert (code, err) == (0, "")
    assert out == _platform_replay(data, SEED, published)
    assert out != _platform_replay(data, SEED, result_text(result))  # the teams did change
    assert out.decode().count("\n") == sum(1 for s in result.selections if s.team)


def test_without_substitutions_it_prints_the_drawn_teams(tmp_path):
    seed = (VECTORS / "v1-basic.seed").read_bytes().decode("utf-8")
    expected = (VECTORS / "v1-basic.result").read_bytes()
    code, out, err = _standalone(tmp_path, V1, seed, VECTORS / "v1-basic.result")
    assert (code, err) == (0, "")
    assert out == b"".join(
        line + b"\n" for line in expected.split(b"\n") if line.startswith(b"team ")
    )
    assert out == _platform_replay(V1, seed, expected.decode())


def _forgeries(result, history) -> list[tuple[str, str]]:
    good = _published(result, history)
    text = result_text(result)
    last = history[-1]
    staffed = {s.target: s.team for s in result.selections if s.team}
    others = [i for i in sorted({m for team in staffed.values() for m in team}) if i != last.inn]
    unselected = "ZZ-not-selected"
    return [
        ("other-substitute", _published(result, history[:-1] + [last._replace(inn=others[0])])),
        ("order-swapped", _published(result, [history[1], history[0], *history[2:]])),
        ("out-not-in-team", _published(result, [*history[:-1], last._replace(out=last.inn)])),
        (
            "target-not-selected",
            _published(result, [*history, Substitution(unselected, last.out, last.inn)]),
        ),
        ("substitution-dropped", _published(result, history[1:])),
        ("crlf", text + good[len(text) :].replace("\n", "\r\n")),
        ("no-final-newline", good[:-1]),
        ("blank-line", good + "\n"),
        ("extra-field", good[:-1] + " reason\n"),
        ("other-line-kind", good + "note x\n"),
        ("result-tampered", good.replace("key ", "key 0", 1)),
        ("result-line-dropped", good.replace(text.split("\n")[3] + "\n", "", 1)),
    ]


def test_forged_substitutions_are_rejected_by_both(substituted, tmp_path):
    data, result, history = substituted
    for name, published in _forgeries(result, history):
        code, out, err = _run_replay(tmp_path, data, published)
        assert code == 1 and out == b"", (name, err)
        assert err.startswith("错误：") and err.count("\n") == 1 and "第 " in err, (name, err)
        assert _platform_replay(data, SEED, published) is None, name


def test_an_unstaffed_target_or_an_empty_pool_has_no_substitute(tmp_path):
    seed = (VECTORS / "v2-match.seed").read_bytes().decode("utf-8")
    text = (VECTORS / "v2-match.result").read_text(encoding="ascii")
    first = "substitute 91310117BUE5ER6B3M INSP-4 INSP-2\n"  # the only one available
    cases = [
        (text + first, True),
        (text + "substitute 91310117BUE5ER6B3M INSP-4 INSP-3\n", False),  # INSP-3 is full
        (text + "substitute 9131011736PEXYBK9X INSP-1 INSP-2\n", False),  # unstaffed target
        (text + first + "substitute 91310117BUE5ER6B3M INSP-1 INSP-4\n", False),  # E is empty
    ]
    for published, ok in cases:
        code, out, err = _run_replay(tmp_path, V2, published, seed)
        assert (code == 0) is ok, (published, err)
        assert (out if ok else None) == _platform_replay(V2, seed, published)
    assert _run_replay(tmp_path, V2, text + first, seed)[1] == (
        b"team 91310117BUE5ER6B3M INSP-1 INSP-2\nteam 91310117CBYY41EK6P INSP-3 INSP-5\n"
    )


def test_the_protocol_doc_shows_the_script_in_full():
    doc = (VERIFIER.parent / "draw-protocol.md").read_text(encoding="utf-8")
    shown = doc.split("\n```python\n", 1)[1].split("\n```\n", 1)[0] + "\n"
    assert shown == VERIFIER.read_text(encoding="utf-8")


def test_a_seed_file_that_is_not_utf8_is_refused_by_both_without_a_traceback(
    tmp_path, capsysbinary
):
    (tmp_path / "manifest").write_bytes(V1)
    (tmp_path / "seed.txt").write_bytes("骰子 3 1 4".encode("gb18030"))
    run = subprocess.run(
        [sys.executable, str(VERIFIER), str(tmp_path / "manifest"), str(tmp_path / "seed.txt")],
        capture_output=True,
    )
    assert (run.returncode, run.stdout) == (2, b"") and "UTF-8" in run.stderr.decode()
    assert "Traceback" not in run.stderr.decode()
    code, out, err = _platform(tmp_path, capsysbinary)
    assert (code, out) == (2, b"") and "UTF-8" in err
