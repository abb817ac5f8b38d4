"""benchmarks/results.py (issue 4 item 9) at tiny scale: its generator writes valid rows
and its measurement functions run against the real selectors and the real page."""

import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from shuangsuiji.common.ids import uscc_error
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.inspection.choices import Conclusion, VersionStatus
from shuangsuiji.inspection.models import Result, Visit
from shuangsuiji.registry.models import Entity
from tests import factories

_BENCH = str(Path(__file__).resolve().parents[2] / "benchmarks")
if _BENCH not in sys.path:
    sys.path.append(_BENCH)  # appended: nothing in benchmarks/ may shadow a real module

import results  # noqa: E402
import results_data  # noqa: E402
import results_load  # noqa: E402


@pytest.fixture
def generated(db):
    return results_data.results_generate(results=200, seed=5)


def _codes_of_entities() -> list[str]:
    return list(
        Entity.objects.filter(department__code__startswith="BENCH-").values_list("uscc", flat=True)
    )


def test_it_writes_the_asked_number_of_published_rows_with_consistent_keys(generated):
    assert generated.results == 200 == PublishedResult.objects.count()
    assert (
        generated.corrections == 1 and generated.distinct_results == 199 == Result.objects.count()
    )
    assert Visit.objects.count() == 199
    connection.check_constraints()  # a dangling foreign key raises IntegrityError

    rows = PublishedResult.objects.select_related(
        "version", "result__visit__entity", "result__visit__lead_task"
    )
    for row in rows:
        visit = row.result.visit
        assert row.version.result_id == row.result_id
        assert row.credit_code == visit.entity.uscc == visit.target_id
        assert row.entity_name == visit.entity.name
        assert row.department_id == visit.entity.department_id == visit.lead_task.department_id
        assert row.year == visit.lead_task.window_start.year
        assert row.task_codes == visit.lead_task.code
        assert visit.window_start <= row.inspected_on <= visit.window_end
        assert (row.version_number, row.conclusion) == (row.version.number, row.version.conclusion)
        assert row.conclusion in Conclusion.values
        assert all(
            [
                row.entity_name,
                row.department_names,
                row.task_titles,
                row.item_codes,
                row.item_names,
                row.summary,
                row.inspectors,
                row.published_at,
            ]
        )
        assert "执法证号" in row.inspectors


def test_each_result_points_to_its_latest_version_as_current(generated):
    for result in Result.objects.select_related("current"):
        assert result.current == result.versions.order_by("-number").first()
        assert result.current.status == VersionStatus.PUBLISHED
        assert result.first_published_at is not None and result.formed_at is not None


def test_a_corrected_result_keeps_its_first_version_marked_superseded(generated):
    old = PublishedResult.objects.select_related("version", "superseded_by__version").get(
        superseded_by__isnull=False
    )
    new = old.superseded_by
    assert new.result_id == old.result_id and new.is_correction and new.correction_reason
    assert (old.version_number, new.version_number) == (1, 2)
    assert old.version.status == VersionStatus.SUPERSEDED and old.superseded_at == new.published_at
    assert new.version.principal_signed_by_id is not None and new.superseded_by_id is None


def test_each_entity_has_its_own_valid_credit_code_and_some_have_several_results(generated):
    codes = _codes_of_entities()
    assert len(codes) == len(set(codes)) == generated.entities
    assert all(uscc_error(code) is None for code in codes)
    per_code = Counter(PublishedResult.objects.values_list("credit_code", flat=True))
    assert set(per_code) == set(codes)
    assert min(per_code.values()) == 1 and max(per_code.values()) >= 3


def test_it_runs_again_on_a_database_that_already_holds_rows(generated):
    more = results_data.results_generate(results=50, seed=6)
    assert more.results == 50 and PublishedResult.objects.count() == 250
    connection.check_constraints()
    codes = _codes_of_entities()
    assert len(codes) == len(set(codes)) == generated.entities + more.entities
    # The id sequences were moved past the copied rows: a normal insert still works.
    dept = factories.department("OTHER")
    assert factories.entity(department=dept).pk > max(
        Entity.objects.exclude(department=dept).values_list("pk", flat=True)
    )


def test_the_bulk_load_leaves_no_dangling_key(db):
    # On PostgreSQL as a superuser (the test server) the foreign-key triggers are off while
    # copying; the anti-join check stands in for them. Elsewhere bulk falls back to normal.
    generated = results_data.results_generate(results=120, seed=8, bulk=True)
    assert generated.results == PublishedResult.objects.count() == 120
    checked = results_data.foreign_keys_check()
    assert "PublishedResult.superseded_by" in checked and "Result.current" in checked
    assert set(checked.values()) == {0}
    connection.check_constraints()


def test_the_key_check_finds_a_dangling_key(generated):
    # Django's foreign keys are deferred: the broken key is accepted until the end of the
    # transaction; it is put back before the test's own constraint check at teardown.
    visit = Visit.objects.order_by("pk").first()
    Visit.objects.filter(pk=visit.pk).update(lead_task_id=10**9)
    checked = results_data.foreign_keys_check()
    Visit.objects.filter(pk=visit.pk).update(lead_task_id=visit.lead_task_id)
    assert checked["Visit.lead_task"] == 1 and sum(checked.values()) == 1


def test_the_code_sample_mixes_single_and_multi_result_entities(generated):
    codes, multi = results_data.codes_sample(count=30, multi_share=0.3, seed=1)
    per_code = Counter(PublishedResult.objects.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes)) == 30
    assert len(multi) == 9 and multi <= set(codes)
    assert all(per_code[c] > 1 for c in multi) and all(per_code[c] == 1 for c in set(codes) - multi)


def test_the_lookup_measurement_times_the_real_selectors(generated):
    codes, _multi = results_data.codes_sample(count=30, multi_share=0.3, seed=1)
    per_code = Counter(PublishedResult.objects.values_list("credit_code", flat=True))
    calls = results.lookup_calls()
    assert "published_results_for_code" in calls
    for call in calls.values():
        measured = results.lookup_measure(codes=codes, call=call, warmup=codes[:3])
        assert [rows for _t, rows in measured] == [per_code[c] for c in codes]
        assert all(t > 0 for t, _rows in measured)


def test_the_percentile_is_nearest_rank():
    samples = [float(n) for n in range(100, 0, -1)]
    assert [results.percentile(samples, q) for q in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]


def test_the_page_profile_serves_every_sampled_result_page(generated):
    ids = results_data.published_ids_sample(count=10, seed=2)
    profile = results.page_profile(ids=ids)
    assert profile["requests"] == 10 and profile["non_200"] == 0
    assert profile["queries_per_request"] >= 1 and profile["sql_ms_per_request"] > 0
    # Template time and wall time come from two separate passes, so they are not compared:
    # on a busy machine (both databases' suites run at once) one pass can be far slower.
    assert profile["template_ms_per_request"] > 0 and profile["wall_ms_per_request"] > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("client", ["python", "wrk"])
def test_a_bounded_load_run_counts_requests_and_non_2xx_responses(live_server, client, tmp_path):
    if client == "wrk" and not results_load.wrk_available(install=False):
        pytest.skip("未安装 wrk（apt-get install wrk）")
    results_data.results_generate(results=30, seed=3)
    paths = [results.result_path(pk) for pk in results_data.published_ids_sample(count=30, seed=4)]
    paths.append("/public/no-such-page/")  # a 404 among the pages: it must be counted
    port = int(live_server.url.rsplit(":", 1)[1])
    run = results_load.load_run(
        client=client, port=port, paths=paths, seconds=1, connections=2, workdir=tmp_path
    )
    assert run["requests"] > 0 and run["rps"] > 0 and run["errors"] == 0
    assert 0 < run["non2xx"] < run["requests"]
    assert 0 < run["p50_ms"] <= run["p99_ms"]
