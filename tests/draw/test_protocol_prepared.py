"""ssj-draw/1 from a prepared manifest (``manifest_prepare``): the same result as from the
bytes, and the same checks; the platform draws from it (issue 3 item 10)."""

import random

import pytest

from shuangsuiji.draw.protocol import (
    ManifestError,
    draw_compute,
    manifest_build,
    manifest_prepare,
    result_text,
    scoring,
)

from .conftest import VECTOR_NAMES, naive_result, random_pool, vector


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_a_prepared_manifest_reproduces_the_shared_vector(name):
    manifest, seed, expected = vector(name)
    assert result_text(draw_compute(manifest_prepare(manifest), seed)).encode("ascii") == expected


def test_a_prepared_manifest_gives_the_result_of_the_bytes_on_random_pools():
    rnd = random.Random(20240116)
    for _ in range(150):
        data = manifest_build(
            **random_pool(rnd, targets=rnd.choice([1, 5, 900, 5000]), k=rnd.choice([0, 1, 2, 3]))
        )
        seed = str(rnd.random())
        assert draw_compute(manifest_prepare(data), seed) == draw_compute(data, seed)


def test_strata_that_take_turns_in_id_order_are_drawn_the_same_way():
    # Ids numbered in turn per class (A, B, C, D, A, …): a sample taken with a fixed step
    # could see one class only. Only the speed may suffer, never the result.
    targets = [(f"T{n:07d}", "ABCD"[n % 4]) for n in range(40_000)]
    data = manifest_build(
        task="T",
        team=2,
        strata=[(c, 500) for c in "ABCD"],
        targets=targets,
        inspectors=[(f"I{n:04d}", 60) for n in range(2000)],
    )
    result = draw_compute(manifest_prepare(data), "seed")
    assert result == draw_compute(data, "seed")
    assert len(result.selections) == 2000


def test_preparing_a_broken_manifest_raises_the_same_error_as_drawing_it():
    data = manifest_build(
        task="T",
        team=2,
        strata=[("A", 1)],
        targets=[("a", "A"), ("b", "A")],
        inspectors=[("i", 1), ("j", 1)],
    )
    broken = data.replace(b"target b A\n", b"target b B\n")
    with pytest.raises(ManifestError) as prepared:
        manifest_prepare(broken)
    with pytest.raises(ManifestError) as direct:
        draw_compute(broken, "seed")
    assert prepared.value.message == direct.value.message


def test_a_prepared_manifest_falls_back_to_scoring_everything_when_a_stratum_is_short(
    monkeypatch, tmp_path
):
    data = manifest_build(**random_pool(random.Random(5), targets=3000, k=2))
    original = scoring.Score.start_counts

    def stingy(self, pool):
        original(self, pool)
        if self.sample:
            self.threshold = b"\x01"  # far too low: every stratum ends up short

    monkeypatch.setattr(scoring.Score, "start_counts", stingy)
    assert result_text(draw_compute(manifest_prepare(data), "x")).encode() == naive_result(
        data, "x", tmp_path
    )


def test_a_prepared_manifest_keeps_few_more_candidates_than_it_draws():
    # The reader counted each stratum exactly: the threshold leaves a margin of six
    # standard deviations, not the several percent a sample needs.
    targets = [(f"T{n:07d}", "ABCD"[n % 4]) for n in range(200_000)]
    prepared = manifest_prepare(
        manifest_build(task="T", team=0, strata=[(c, 2500) for c in "ABCD"], targets=targets)
    )
    scorer = scoring.Score(b"k" * 32, sample=True)
    scorer.start_counts(prepared.pool)
    scorer.score_groups(prepared.groups)
    kept = sum(map(len, scorer.found.values()))
    assert 10_000 < kept < 11_500
    assert len(scorer.choose(prepared.pool)) == 10_000
