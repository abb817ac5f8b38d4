"""ssj-draw/1: the shared vectors, every manifest rule, and the draw's properties."""

import hashlib
import random
import unicodedata
from collections import Counter

import pytest

from shuangsuiji.draw.protocol import (
    RULE_ASCII,
    RULE_BLANK,
    RULE_BOM,
    RULE_FIELDS,
    RULE_FINAL_NEWLINE,
    RULE_HEADER,
    RULE_ID,
    RULE_KIND,
    RULE_LF,
    RULE_N,
    RULE_NUMBER,
    RULE_ONE,
    RULE_ORDER,
    RULE_REFERENCE,
    RULE_SORTED,
    RULE_SPACES,
    RULE_STRATUM,
    RULE_UNIQUE,
    ManifestError,
    Stratum,
    draw_compute,
    manifest_build,
    manifest_parse,
    reading,
    result_text,
    scoring,
)

from .conftest import SHARED_VECTORS, VECTOR_NAMES, VECTORS, naive_result, random_pool, vector

# --------------------------------------------------------------------------- vectors


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_it_reproduces_the_shared_vector_byte_for_byte(name):
    manifest, seed, expected = vector(name)
    assert result_text(draw_compute(manifest, seed)).encode("ascii") == expected


@pytest.mark.parametrize("name", VECTOR_NAMES)
@pytest.mark.parametrize("suffix", ["manifest", "seed", "result"])
def test_the_copied_vectors_equal_the_shared_originals(name, suffix):
    original = SHARED_VECTORS / f"{name}.{suffix}"
    if not original.exists():
        pytest.skip("the shared design folder is not next to the repository")
    assert (VECTORS / f"{name}.{suffix}").read_bytes() == original.read_bytes()


def test_the_seed_files_have_no_trailing_newline():
    for name in VECTOR_NAMES:
        assert not (VECTORS / f"{name}.seed").read_bytes().endswith(b"\n")


def test_the_seed_text_is_normalised_to_nfc():
    manifest, _, _ = vector("v1-basic")
    composed, decomposed = "见证人 Zoé 3 1 4", "见证人 Zoe\u0301 3 1 4"
    assert composed != decomposed and unicodedata.normalize("NFC", decomposed) == composed
    result = draw_compute(manifest, decomposed)
    assert result == draw_compute(manifest, composed)
    c = hashlib.sha256(manifest).digest()
    assert result.key == hashlib.sha256(c + composed.encode("utf-8")).digest()


def test_c_and_k_follow_the_formulas():
    manifest, seed, _ = vector("v1-basic")
    result = draw_compute(manifest, seed)
    c = hashlib.sha256(manifest).digest()
    assert result.manifest_digest == c
    assert result.key == hashlib.sha256(c + seed.encode("utf-8")).digest()


def test_a_match_only_draw_leaves_targets_unstaffed_when_capacity_runs_out():
    manifest, seed, _ = vector("v2-match")
    result = draw_compute(manifest, seed)
    assert result.unstaffed == ("9131011736PEXYBK9X", "91310117BMW0YBNP31", "913101178C9TTE17YC")
    assert [s.team for s in result.selections][:2] == [("INSP-4", "INSP-1"), ("INSP-3", "INSP-5")]


# --------------------------------------------------------------------------- manifest rules

BASE = (
    b"ssj-draw/1\n"  # 1
    b"task T-1\n"  # 2
    b"team 2\n"  # 3
    b"stratum A 1\n"  # 4
    b"stratum B 1\n"  # 5
    b"target t1 A\n"  # 6
    b"target t2 B\n"  # 7
    b"target t3 A\n"  # 8
    b"inspector i1 2\n"  # 9
    b"inspector i2 2\n"  # 10
    b"inspector i3 2\n"  # 11
    b"conflict i1 t1\n"  # 12
    b"conflict i2 t3\n"  # 13
)


def _lines() -> list[bytes]:
    return BASE.split(b"\n")[:-1]


def _with(line: int, text: bytes | None = None, *, insert: bytes | None = None) -> bytes:
    """BASE with line ``line`` replaced by ``text`` (None: removed), or ``insert`` put before it."""
    lines = _lines()
    if insert is not None:
        lines.insert(line - 1, insert)
    elif text is None:
        del lines[line - 1]
    else:
        lines[line - 1] = text
    return b"\n".join(lines) + b"\n"


def _swap(a: int, b: int) -> bytes:
    lines = _lines()
    lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
    return b"\n".join(lines) + b"\n"


BROKEN = {
    "empty file": (b"", 1, RULE_HEADER),
    "BOM": (b"\xef\xbb\xbf" + BASE, 1, RULE_BOM),
    "wrong header": (BASE.replace(b"ssj-draw/1", b"ssj-draw/2"), 1, RULE_HEADER),
    "header only, no newline": (b"ssj-draw/1", 1, RULE_FINAL_NEWLINE),
    "header only": (b"ssj-draw/1\n", 2, RULE_ONE),
    "CRLF everywhere": (BASE.replace(b"\n", b"\r\n"), 1, RULE_LF),
    "CRLF on one line": (_with(7, b"target t2 B\r"), 7, RULE_LF),
    "no final newline": (BASE[:-1], 13, RULE_FINAL_NEWLINE),
    "extra blank line at the end": (BASE + b"\n", 14, RULE_BLANK),
    "blank line among targets": (_with(8, insert=b""), 8, RULE_BLANK),
    "double space": (_with(6, b"target  t1 A"), 6, RULE_SPACES),
    "trailing space": (_with(9, b"inspector i1 2 "), 9, RULE_SPACES),
    "leading space": (_with(2, b" task T-1"), 2, RULE_SPACES),
    "tab instead of space": (_with(6, b"target t1\tA"), 6, RULE_FIELDS),
    "non-ASCII id": (_with(6, "target t1é A".encode()), 6, RULE_ASCII),
    "bad identifier": (_with(6, b"target t/1 A"), 6, RULE_ID),
    "identifier of 65 characters": (_with(8, b"target t" + b"3" * 64 + b" A"), 8, RULE_ID),
    "bad task code": (_with(2, b"task T:1"), 2, RULE_ID),
    "leading zero": (_with(3, b"team 02"), 3, RULE_NUMBER),
    "negative number": (_with(9, b"inspector i1 -1"), 9, RULE_NUMBER),
    "ten digits": (_with(4, b"stratum A 1234567890"), 4, RULE_NUMBER),
    "unknown kind": (_with(6, b"targets t1 A"), 6, RULE_KIND),
    "missing field": (_with(6, b"target t1"), 6, RULE_FIELDS),
    "extra field": (_with(9, b"inspector i1 2 3"), 9, RULE_FIELDS),
    "missing task": (_with(2), 2, RULE_ONE),
    "missing team": (_with(3), 3, RULE_ONE),
    "second task": (_with(3, insert=b"task T-2"), 3, RULE_ONE),
    "second team": (_with(4, insert=b"team 3"), 4, RULE_ONE),
    "inspector before targets": (_with(6, insert=b"inspector i0 1"), 7, RULE_ORDER),
    "stratum after targets": (_with(9, insert=b"stratum C 0"), 9, RULE_ORDER),
    "team before task": (_swap(2, 3), 2, RULE_ONE),
    "strata out of order": (_swap(4, 5), 5, RULE_SORTED),
    "targets out of order": (_swap(6, 7), 7, RULE_SORTED),
    "inspectors out of order": (_swap(10, 11), 11, RULE_SORTED),
    "conflicts out of order": (_swap(12, 13), 13, RULE_SORTED),
    "duplicate stratum": (_with(5, b"stratum A 1"), 5, RULE_UNIQUE),
    "duplicate target": (_with(7, b"target t1 A"), 7, RULE_UNIQUE),
    "duplicate inspector": (_with(10, b"inspector i1 3"), 10, RULE_UNIQUE),
    "duplicate conflict": (_with(13, b"conflict i1 t1"), 13, RULE_UNIQUE),
    "unknown stratum": (_with(7, b"target t2 C"), 7, RULE_STRATUM),
    "n greater than the stratum's targets": (_with(5, b"stratum B 2"), 5, RULE_N),
    "conflict names an unlisted inspector": (_with(13, b"conflict i9 t3"), 13, RULE_REFERENCE),
    "conflict names an unlisted target": (_with(13, b"conflict i2 t9"), 13, RULE_REFERENCE),
}


def test_the_base_manifest_is_valid():
    manifest = manifest_parse(BASE)
    assert manifest.strata == (Stratum("A", 1), Stratum("B", 1))
    assert manifest.targets == (("t1", "A"), ("t2", "B"), ("t3", "A"))
    assert manifest.conflicts == (("i1", "t1"), ("i2", "t3"))


@pytest.mark.parametrize("case", list(BROKEN))
def test_it_rejects_a_broken_manifest_naming_line_and_rule(case):
    data, line, rule = BROKEN[case]
    with pytest.raises(ManifestError) as caught:
        manifest_parse(data)
    assert (caught.value.line, caught.value.rule) == (line, rule), caught.value.message
    assert caught.value.message.startswith(f"清单第 {line} 行：")
    with pytest.raises(ManifestError):
        draw_compute(data, "seed")


@pytest.mark.parametrize("case", list(BROKEN))
def test_both_readers_agree_on_every_broken_manifest(case):
    data = BROKEN[case][0]
    with pytest.raises(ManifestError) as by_lines:
        reading.read_lines(data, reading.Collect())
    try:
        assert reading.read_bulk(data, reading.Collect()) is None
    except ManifestError as exc:
        assert (exc.line, exc.rule) == (by_lines.value.line, by_lines.value.rule)


def test_it_accepts_the_limits_of_ids_and_numbers():
    data = _with(8, b"target t" + b"3" * 63 + b" A").replace(
        b"inspector i3 2", b"inspector i3 999999999"
    )
    data = data.replace(b"conflict i2 t3\n", b"")
    manifest = manifest_parse(data)
    assert manifest.targets[-1][0] == "t" + "3" * 63
    assert manifest.inspectors[-1].capacity == 999_999_999


def test_an_error_deep_in_a_large_manifest_names_its_line():
    pool = random_pool(random.Random(3), targets=3000, k=2)
    lines = manifest_build(**pool).split(b"\n")
    first_target = next(i for i, line in enumerate(lines) if line.startswith(b"target "))
    at = first_target + 2345
    lines[at - 1], lines[at] = lines[at], lines[at - 1]
    with pytest.raises(ManifestError) as caught:
        draw_compute(b"\n".join(lines), "seed")
    assert (caught.value.line, caught.value.rule) == (at + 1, RULE_SORTED)


MUTATIONS = [
    b" ",
    b"\n",
    b"\r",
    b"x",
    b"\t",
    b"\xc3\xa9",
    b"  ",
    b"\ntarget ",
    b" \n ",
    b"target",
    b"0",
]


def test_the_bulk_reader_never_accepts_what_the_line_reader_rejects():
    """Random damage to large manifests: both readers reach the same verdict and data."""
    rnd = random.Random(2024)
    for round_ in range(60):
        data = manifest_build(**random_pool(rnd, targets=rnd.choice([5, 900, 2500]), k=2))
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(data))
            kind = rnd.randrange(4)
            if kind == 0:
                data = data[:at] + data[at + 1 :]
            elif kind == 1:
                data = data[:at] + rnd.choice(MUTATIONS) + data[at:]
            elif kind == 2:
                lines = data.split(b"\n")
                i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
                data = b"\n".join(lines)
            else:
                lines = data.split(b"\n")
                i = rnd.randrange(len(lines))
                lines.insert(i, lines[i])
                data = b"\n".join(lines)
        by_lines, bulk = reading.Collect(), reading.Collect()
        try:
            expected = reading.read_lines(data, by_lines)
        except ManifestError as exc:
            try:
                assert reading.read_bulk(data, bulk) is None, round_
            except ManifestError as bulk_exc:
                assert (bulk_exc.line, bulk_exc.rule) == (exc.line, exc.rule)
            continue
        got = reading.read_bulk(data, bulk)
        assert got is not None, round_  # a valid manifest must take the fast path
        assert (bulk.ids, bulk.strata) == (by_lines.ids, by_lines.strata)
        assert got.counts == expected.counts and got.conflicts == expected.conflicts


# --------------------------------------------------------------------------- build and parse


def test_build_sorts_every_section_and_parse_gives_it_back():
    pool = random_pool(random.Random(11), targets=200, k=2)
    rnd = random.Random(1)
    for key in ("strata", "targets", "inspectors", "conflicts"):
        rnd.shuffle(pool[key])
    data = manifest_build(**pool)
    manifest = manifest_parse(data)
    assert list(manifest.targets) == sorted(pool["targets"])
    assert [tuple(s) for s in manifest.strata] == sorted(pool["strata"])
    assert list(manifest.conflicts) == sorted(pool["conflicts"])
    again = manifest_build(
        task=manifest.task,
        team=manifest.team,
        strata=manifest.strata,
        targets=manifest.targets,
        inspectors=manifest.inspectors,
        conflicts=manifest.conflicts,
    )
    assert again == data


def test_build_refuses_data_that_break_a_rule():
    with pytest.raises(ManifestError) as caught:
        manifest_build(task="T", team=2, strata=[("A", 3)], targets=[("a", "A"), ("b", "A")])
    assert caught.value.rule == RULE_N
    with pytest.raises(ManifestError) as caught:
        manifest_build(task="T", team=2, strata=[("A", 1)], targets=[("a", "A"), ("a", "A")])
    assert caught.value.rule == RULE_UNIQUE
    with pytest.raises(ManifestError) as caught:
        manifest_build(task="T", team=2, strata=[("A", 1)], targets=[("统一社会信用代码", "A")])
    assert caught.value.rule == RULE_ASCII


def test_a_manifest_without_targets_draws_nothing():
    data = manifest_build(task="T", team=2, strata=[], targets=[], inspectors=[("i", 1)])
    assert result_text(draw_compute(data, "s")).count("\n") == 3


# --------------------------------------------------------------------------- the draw


@pytest.mark.parametrize("seed", range(25))
def test_it_agrees_with_the_naive_verifier_on_random_pools(seed, tmp_path):
    rnd = random.Random(seed)
    data = manifest_build(
        **random_pool(rnd, targets=rnd.choice([3, 40, 700]), inspectors=rnd.choice([2, 5, 12]))
    )
    text = "种子 " + str(seed)
    assert result_text(draw_compute(data, text)).encode() == naive_result(data, text, tmp_path)


def test_a_stratum_short_of_candidates_falls_back_to_scoring_everything(monkeypatch, tmp_path):
    data = manifest_build(**random_pool(random.Random(5), targets=3000, k=2))
    original = scoring.Score.start

    def stingy(self, *args):
        original(self, *args)
        if self.sample:
            self.threshold = b"\x01"  # far too low: every stratum ends up short

    monkeypatch.setattr(scoring.Score, "start", stingy)
    assert result_text(draw_compute(data, "x")).encode() == naive_result(data, "x", tmp_path)


def test_the_threshold_path_is_taken_on_a_large_pool():
    data = manifest_build(
        task="T",
        team=0,
        strata=[("A", 50), ("B", 20)],
        targets=[(f"t{i:05d}", "AB"[i % 3 == 0]) for i in range(20000)],
    )
    manifest = manifest_parse(data)
    scorer = scoring.Score(b"k" * 32, sample=True)
    pool = reading.read(data, scorer)
    assert scorer.threshold < b"\x40"  # well below every score: only candidates kept
    assert 70 <= sum(map(len, scorer.found.values())) < 2000
    assert scorer.choose(pool) is not None
    assert len(manifest.targets) == 20000


def test_the_draw_keeps_every_rule_of_the_protocol():
    pool = random_pool(random.Random(99), targets=2000, inspectors=30, k=2)
    data = manifest_build(**pool)
    manifest = manifest_parse(data)
    result = draw_compute(data, "3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4")
    assert result == draw_compute(data, "3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4")  # deterministic
    per_stratum = Counter(s.stratum for s in result.selections)
    assert {name: per_stratum.get(name, 0) for name, _ in manifest.strata} == dict(manifest.strata)
    assert [s.score for s in result.selections] == sorted(s.score for s in result.selections)
    conflicts = set(manifest.conflicts)
    capacity = dict(manifest.inspectors)
    load = Counter(m for s in result.selections for m in s.team)
    assert all(load[i] <= capacity[i] for i in load)
    for s in result.selections:
        assert len(s.team) in (0, 2) and len(set(s.team)) == len(s.team)
        assert not any((m, s.target) in conflicts for m in s.team)
    assert result != draw_compute(data, "another seed")


def test_team_zero_selects_targets_only():
    manifest, seed, expected = vector("v1-basic")
    text = result_text(draw_compute(manifest.replace(b"team 2", b"team 0"), seed))
    assert "team " not in text and "unstaffed" not in text
    assert text.count("selected ") == 4


def test_manifest_must_be_bytes():
    with pytest.raises(TypeError):
        draw_compute(BASE.decode(), "seed")
