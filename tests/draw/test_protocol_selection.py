"""ssj-draw/1 inside: the selection of candidates and the matching of inspectors take
shortcuts (one sort of ``score || id``, a fast path for teams of two); they must give
exactly what §4 says."""

import hashlib
import random

from shuangsuiji.draw.protocol import draw_compute, manifest_build, manifest_prepare, result_text
from shuangsuiji.draw.protocol.matching import Staffing
from shuangsuiji.draw.protocol.reading import Pool
from shuangsuiji.draw.protocol.scoring import Score

from .conftest import naive_result


def _pool(strata: list[tuple[bytes, int]]) -> Pool:
    pool = Pool()
    pool.k = 0
    pool.strata = strata
    pool.counts = {name: 0 for name, _ in strata}
    return pool


def test_each_stratum_gives_its_smallest_scores_in_selection_order():
    scorer = Score(b"k" * 32, sample=False)
    scores = [bytes([x]) * 32 for x in (9, 1, 7, 3, 5, 2)]
    scorer(ids=[b"a", b"b", b"c", b"d", b"e", b"f"], strata=[b"A", b"A", b"B", b"B", b"A", b"B"])
    # replace the real scores by known ones, one list per stratum as the scorer keeps them
    scorer.found = {
        b"A": [scores[0] + b"a", scores[1] + b"b", scores[4] + b"e"],
        b"B": [scores[2] + b"c", scores[3] + b"d", scores[5] + b"f"],
    }
    chosen = scorer.choose(_pool([(b"A", 2), (b"B", 1)]))
    assert chosen == [scores[1] + b"b A", scores[5] + b"f B", scores[4] + b"e A"]


def test_a_stratum_short_of_candidates_asks_to_score_again():
    scorer = Score(b"k" * 32, sample=False)
    scorer.found = {b"A": [b"\x00" * 32 + b"a"]}
    assert scorer.choose(_pool([(b"A", 2)])) is None
    assert scorer.choose(_pool([(b"A", 1), (b"B", 1)])) is None
    assert scorer.choose(_pool([(b"A", 1), (b"B", 0)])) == [b"\x00" * 32 + b"a A"]


def test_equal_scores_fall_in_id_order_as_in_the_naive_verifier():
    # Two labels with the same SHA-256 never happen; if they did, (score, id) decides,
    # as ``sorted((score, t, s) …)`` does in docs/verify_draw.py.
    same = b"\x10" * 32
    scorer = Score(b"k" * 32, sample=False)
    scorer.found = {b"A": [same + b"zz", same + b"b"], b"B": [same + b"m"]}
    chosen = scorer.choose(_pool([(b"A", 2), (b"B", 1)]))
    assert chosen == [same + b"b A", same + b"m B", same + b"zz A"]


def _staffing(k: int, inspectors: list[tuple[bytes, int]], conflicts=()) -> Staffing:
    pool = Pool()
    pool.k = k
    pool.inspectors = inspectors
    pool.inspector_index = {iid: x for x, (iid, _) in enumerate(inspectors)}
    pool.conflicts = list(conflicts)
    return Staffing(pool, hashlib.sha256(b"K").digest())


def test_teams_of_two_take_the_same_inspectors_on_the_fast_path_as_on_the_general_one():
    rnd = random.Random(8)
    for _ in range(40):
        inspectors = [(b"I%03d" % x, rnd.randint(0, 5)) for x in range(rnd.randint(1, 40))]
        targets = [b"T%05d" % x for x in rnd.sample(range(99999), rnd.randint(1, 150))]
        names = [i.decode() for i, _ in inspectors]
        fast = _staffing(2, inspectors).teams(targets, names)
        general = _staffing(2, inspectors)
        general.conflicts = {
            t: [] for t in targets
        }  # a conflict entry sends every target the long way
        assert fast == general.teams(targets, names)
        assert () in fast or all(len(team) == 2 and team[0] != team[1] for team in fast)


def test_teams_of_two_run_out_of_inspectors_as_the_naive_verifier_does(tmp_path):
    # 7 inspectors with little capacity for 40 targets, few conflicts: most targets take
    # the fast path, the last ones are unstaffed once fewer than two are free.
    rnd = random.Random(12)
    targets = [(f"91310117{n:010d}", "all") for n in range(40)]
    inspectors = [(f"130807{x:05d}", rnd.randint(1, 4)) for x in range(7)]
    conflicts = [(inspectors[0][0], targets[3][0]), (inspectors[5][0], targets[17][0])]
    data = manifest_build(
        task="T",
        team=2,
        strata=[("all", 30)],
        targets=targets,
        inspectors=inspectors,
        conflicts=conflicts,
    )
    result = draw_compute(manifest_prepare(data), "骰子 3 1 4 1 5 9 2 6")
    assert result.unstaffed and len(result.unstaffed) < 30
    assert result_text(result).encode() == naive_result(data, "骰子 3 1 4 1 5 9 2 6", tmp_path)
