"""Every data-quality rule: the clean sample passes it, a copy broken in exactly that way fails
it, with the rule's severity and metadata a steward can act on. Real PostgreSQL, real GX."""

import re

import dagster as dg
import psycopg2
import pytest

from imdb_pipeline_tests.checks.conftest import run_checks
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.warehouse_state import DAY

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


DIRTY = {
    ("staging/stg_movies", "movie_id_is_valid"): (
        "UPDATE staging.stg_movies SET movie_id = 'xx0111161' WHERE movie_id = 'tt0111161'",
        ERROR, "movie_id matches ^tt\\d+$", {"movie_id": "xx0111161"}),
    ("staging/stg_movies", "values_within_ranges"): (
        "UPDATE staging.stg_movies SET rating = 11.5 WHERE movie_id = 'tt0111161'",
        ERROR, "rating within 0..10", {"movie_id": "tt0111161", "rating": 11.5}),
    ("staging/stg_movies", "certificates_are_known"): (
        "UPDATE staging.stg_movies SET certificate = 'PG-15' WHERE movie_id = 'tt0111161'",
        WARN, "every certificate is known",
        {"certificate": "PG-15", "movies": 1, "sample_movie_ids": "tt0111161"}),
    ("staging/stg_movies", "columns_complete_enough"): (
        "UPDATE staging.stg_movies SET metascore = NULL WHERE movie_id > 'tt01'",
        WARN, "metascore complete enough", None),
    ("staging/stg_movies", "reject_rate_below_ceiling"): (
        (f"INSERT INTO staging.stg_movies_rejects SELECT DATE '{DAY}', 1000 + g, 'tt1', 'bad', "
         "'x' FROM generate_series(1, 5) g"),
        ERROR, "reject rate under the ceiling",
        {"source_line": 1001, "movie_id": "tt1", "reason": "bad"}),
    ("core/dim_movies", "keys_are_unique"): (
        ("ALTER TABLE core.dim_movies DROP CONSTRAINT dim_movies_pkey; "
         "UPDATE core.dim_movies SET movie_key = 1 WHERE movie_key = 2"),
        ERROR, "movie_key unique", {"movie_key": 1, "copies": 2}),
    ("core/dim_movies", "versions_are_consistent"): (
        "UPDATE core.dim_movies SET is_current = false WHERE movie_id = 'tt0111161'",
        ERROR, "one current version per movie", None),
    ("core/dim_actors", "keys_are_unique"): (
        ("ALTER TABLE core.dim_actors DROP CONSTRAINT dim_actors_pkey; "
         "UPDATE core.dim_actors SET actor_key = 1 WHERE actor_key = 2"),
        ERROR, "actor_key unique", {"actor_key": 1, "copies": 2}),
    ("core/fact_movie_performance", "keys_are_unique"): (
        ("ALTER TABLE core.fact_movie_performance DROP CONSTRAINT fact_movie_performance_pkey; "
         "INSERT INTO core.fact_movie_performance SELECT * FROM core.fact_movie_performance "
         "WHERE movie_key = 1"),
        ERROR, "movie_key unique", {"movie_key": 1, "copies": 2}),
    ("core/fact_movie_performance", "keys_resolve_to_dimensions"): (
        "UPDATE core.fact_movie_performance SET director_key = 9999 WHERE movie_key = 1",
        ERROR, "director exists", None),
    ("core/fact_movie_performance", "movies_have_a_genre"): (
        "DELETE FROM core.bridge_movie_genre WHERE movie_key = 1",
        WARN, "at least one genre", None),
    ("core/bridge_movie_actor", "keys_resolve_to_dimensions"): (
        ("UPDATE core.bridge_movie_actor SET actor_key = 99999 WHERE movie_key = 1 "
         "AND billing_order = 1"),
        ERROR, "dim_actors exists", None),
    ("analytics/agg_yearly_revenue", "reconciles_with_fact"): (
        ("UPDATE analytics.agg_yearly_revenue SET total_gross_millions = total_gross_millions + 1 "
         "WHERE year = 1994"),
        ERROR, "per-year totals equal the fact", None),
    ("analytics/agg_director_stats", "reconciles_with_fact"): (
        ("UPDATE analytics.agg_director_stats SET total_votes = total_votes + 5 "
         "WHERE director_name = 'Christopher Nolan'"),
        ERROR, "per-director totals equal the fact", None),
    ("analytics/agg_genre_trends", "reconciles_with_fact"): (
        ("UPDATE analytics.agg_genre_trends SET total_movies = total_movies + 1 "
         "WHERE genre_name = 'Drama' AND year = 1994"),
        ERROR, "per genre and year counts equal the bridge", None),
    ("analytics/agg_top_movies", "ranked_without_gaps"): (
        "UPDATE analytics.agg_top_movies SET rank = rank + 100 WHERE rank = 10",
        ERROR, "ranks 1..N", None),
}


def test_the_clean_copy_passes_every_check(warehouse_copy):
    evaluations = run_checks(warehouse_copy)
    known = evaluations[("staging/stg_movies", "certificates_are_known")].metadata
    assert (known["unexpected_count"].value, known["unknown_certificates"].value) == (0, "none")
    assert set(DIRTY) <= set(evaluations)
    assert [key for key, evaluation in evaluations.items() if not evaluation.passed] == []
    assert ("raw/raw_imdb_movies", "header_matches_contract") in evaluations
    assert ("core/fact_movie_performance", "measures_are_usual") in evaluations
    assert ("core/dim_movies", "column_schema_change") in evaluations
    staging = evaluations[("staging/stg_movies", "movie_id_is_valid")].metadata
    assert staging["slice"].value == f"snapshot_date = {DAY}"
    assert staging["data_docs"].value.startswith("http://127.0.0.1:3001/validations/staging/")


@pytest.mark.parametrize("check", list(DIRTY), ids=["/".join(key) for key in DIRTY])
def test_breaking_a_rule_fails_that_check_with_its_severity_and_samples(warehouse_copy, check):
    statements, severity, failed_expectation, sample = DIRTY[check]

    evaluations = run_checks(warehouse_copy, statements)

    evaluation = evaluations[check]
    assert not evaluation.passed
    assert evaluation.severity == severity
    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    assert failed_expectation in metadata["failed_expectations"]
    assert metadata["unexpected_count"] >= 1
    samples = metadata["samples"][failed_expectation]
    assert 1 <= len(samples) <= 20
    if sample is not None:
        assert sample in samples
    # The other rules of the same table still pass: the dirty copy breaks exactly this one.
    others = [key for key in evaluations if key[0] == check[0] and key != check]
    assert [key for key in others if not evaluations[key].passed] == []


def test_the_reject_rate_check_reports_the_real_rate_passed_or_failed(warehouse_copy):
    # The sample: 53 movies staged, 2 rows rejected, so 2 / 55 = 3.64 %.
    passed = run_checks(warehouse_copy)[("staging/stg_movies", "reject_rate_below_ceiling")]
    assert passed.passed
    assert _figures(passed) == (2, 3.64, 3.64, 2, 53, 5.0)

    failed = run_checks(warehouse_copy, (
        f"INSERT INTO staging.stg_movies_rejects SELECT DATE '{DAY}', 1000 + g, 'tt1', 'bad', "
        "'x' FROM generate_series(1, 6) g"))[("staging/stg_movies", "reject_rate_below_ceiling")]  # fmt: skip

    assert not failed.passed
    assert _figures(failed) == (8, 13.11, 13.11, 8, 53, 5.0)  # 8 / 61


def test_a_day_whose_every_row_was_rejected_fails_at_100_percent(warehouse_copy):
    # Nothing staged: the rejects are still the day's, counted by the day, not by staged rows.
    evaluations = run_checks(warehouse_copy, "DELETE FROM staging.stg_movies")

    evaluation = evaluations[("staging/stg_movies", "reject_rate_below_ceiling")]
    assert not evaluation.passed
    assert _figures(evaluation) == (2, 100.0, 100.0, 2, 0, 5.0)


def _figures(evaluation) -> tuple:
    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    return tuple(metadata[name] for name in (
        "unexpected_count", "unexpected_percent", "reject_rate_percent", "rejected_rows",
        "staged_rows", "ceiling_percent"))  # fmt: skip


def test_every_staging_check_names_the_days_rejects_and_the_query_that_lists_them(
    warehouse_copy,
):
    url, _ = warehouse_copy
    evaluations = run_checks(warehouse_copy, "UPDATE staging.stg_movies SET rating = 11.5 "
                                             "WHERE movie_id = 'tt0111161'")  # fmt: skip

    staging = {check: e for (asset, check), e in evaluations.items()
               if asset == "staging/stg_movies" and "expectations_checked" in e.metadata}  # fmt: skip
    assert set(staging) >= {"movie_id_is_valid", "values_within_ranges", "certificates_are_known",
                            "columns_complete_enough", "reject_rate_below_ceiling"}  # fmt: skip
    for evaluation in staging.values():
        assert evaluation.metadata["rejected_rows"].value == 2
        assert isinstance(evaluation.metadata["rejects_query"], dg.MarkdownMetadataValue)
    markdown = staging["values_within_ranges"].metadata["rejects_query"].value
    [statement] = re.findall(r"```sql\n(.*?)\n```", markdown, re.DOTALL)
    assert f"DATE '{DAY}'" in statement
    rejects = query(url, statement)
    assert len(rejects) == 2
    assert all(reason for _, _, reason, _ in rejects)
    assert query(url, "SELECT count(*) FROM staging.stg_movies_rejects") == [(2,)]


def test_row_level_samples_name_the_movie_and_its_value(warehouse_copy):
    evaluations = run_checks(warehouse_copy, (
        "UPDATE staging.stg_movies SET metascore = NULL WHERE movie_id > 'tt01'; "
        "UPDATE staging.stg_movies SET votes = -5 WHERE movie_id = 'tt0068646'"))  # fmt: skip

    complete = evaluations[("staging/stg_movies", "columns_complete_enough")]
    samples = complete.metadata["samples"].value["metascore complete enough"]
    assert samples and all(set(sample) == {"movie_id", "metascore"} for sample in samples)
    assert all(sample["movie_id"].startswith("tt") and sample["metascore"] is None
               for sample in samples)  # fmt: skip
    # The real share of movies without a metascore, not 0.
    assert complete.metadata["unexpected_percent"].value > 50
    ranges = evaluations[("staging/stg_movies", "values_within_ranges")]
    assert ranges.metadata["samples"].value["votes within 0..10000000000"] == [
        {"movie_id": "tt0068646", "votes": -5}
    ]
    assert ranges.metadata["unexpected_count"].value == 1


def test_unknown_certificates_are_a_warning_counting_movies_with_samples(warehouse_copy):
    evaluations = run_checks(warehouse_copy, (
        "UPDATE staging.stg_movies SET certificate = 'K-16' WHERE movie_id IN "
        "('tt0111161', 'tt0068646', 'tt0468569'); UPDATE staging.stg_movies SET certificate = "
        "'Tous publics' WHERE movie_id = 'tt0050083'; UPDATE staging.stg_movies SET "
        "certificate = 'UA' WHERE movie_id = 'tt0071562'"))  # fmt: skip

    evaluation = evaluations[("staging/stg_movies", "certificates_are_known")]
    assert not evaluation.passed
    assert evaluation.severity == WARN
    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    assert metadata["unexpected_count"] == 4
    assert metadata["unknown_certificates"] == (
        "K-16: 3 (tt0068646, tt0111161, tt0468569); Tous publics: 1 (tt0050083)"
    )
    assert metadata["unexpected_percent"] == 7.84  # of the 51 movies with a certificate
    assert metadata["samples"]["every certificate is known"] == [
        {"certificate": "K-16", "movies": 3, "sample_movie_ids": "tt0068646, tt0111161, tt0468569"},
        {"certificate": "Tous publics", "movies": 1, "sample_movie_ids": "tt0050083"},
    ]
    # An unknown certificate is kept: no ERROR check minds it.
    assert [key for key, e in evaluations.items() if not e.passed] == [
        ("staging/stg_movies", "certificates_are_known")
    ]


def test_too_many_raw_rows_fail_the_raw_bounds_check(warehouse_copy):
    evaluations = run_checks(
        warehouse_copy, run_config={"resources": {"quality": {"config": {"raw_max_rows": 10}}}}
    )

    evaluation = evaluations[("raw/raw_imdb_movies", "row_count_within_bounds")]
    assert not evaluation.passed
    assert evaluation.severity == ERROR
    assert evaluation.metadata["rows"].value == 56
    assert evaluations[("raw/raw_imdb_movies", "header_matches_contract")].passed


def test_a_check_that_cannot_run_fails_instead_of_passing(warehouse_copy):
    evaluations = run_checks(warehouse_copy, "DROP TABLE analytics.agg_top_movies")

    evaluation = evaluations[("analytics/agg_top_movies", "ranked_without_gaps")]
    assert not evaluation.passed
    assert evaluation.severity == ERROR


@pytest.mark.every_server
def test_every_rule_broken_at_once_fails_with_samples_instead_of_erring(warehouse_copy):
    # One run through every failure path (GX's detailed validation, the samples, the
    # measures), on each server: a query that does not parse there would say `error`.
    # The movie_id is broken last: other statements find their movie by it.
    renaming = ("staging/stg_movies", "movie_id_is_valid")
    breakages = [statements for check, (statements, *_) in DIRTY.items() if check != renaming]
    evaluations = run_checks(warehouse_copy, "; ".join([*breakages, DIRTY[renaming][0]]))

    for check, (_, severity, failed_expectation, _) in DIRTY.items():
        evaluation = evaluations[check]
        metadata = {name: value.value for name, value in evaluation.metadata.items()}
        assert (evaluation.passed, evaluation.severity) == (False, severity), check
        assert "error" not in metadata and "errors" not in metadata, (check, metadata)
        assert failed_expectation in metadata["failed_expectations"], check
        assert metadata["samples"][failed_expectation] or failed_expectation.endswith("enough")


def _daily_checks() -> tuple[set[dg.AssetCheckKey], set[dg.AssetCheckKey]]:
    """The checks of daily tables and of the others (Dagster's schema checks aside: they compare
    a table's last two materializations, whatever their days, and take no partitions)."""
    from imdb_pipeline.definitions import defs
    from imdb_pipeline.partitions import daily_snapshots

    graph = defs.resolve_asset_graph()
    daily, whole = set(), set()
    for key in graph.asset_check_keys:
        if key.name == "column_schema_change":
            continue
        is_daily = graph.get(key.asset_key).partitions_def == daily_snapshots
        (daily if is_daily else whole).add(key)
        assert graph.get_check_spec(key).partitions_def == (daily_snapshots if is_daily else None)
    return daily, whole


def test_the_checks_of_daily_tables_are_partitioned_by_day():
    daily, whole = _daily_checks()

    assert {key.asset_key.to_user_string() for key in daily} == {
         "raw/raw_imdb_movies", "staging/stg_movies", "core/bridge_movie_genre",
         "core/bridge_movie_actor", "core/fact_movie_performance",
    }  # fmt: skip
    assert {key.asset_key.to_user_string() for key in whole} >= {
         "core/dim_movies", "analytics/agg_top_movies"}  # fmt: skip


def test_a_days_check_results_belong_to_that_day(warehouse_copy):
    _, instance = warehouse_copy
    daily, whole = _daily_checks()

    evaluations = run_checks(warehouse_copy, partition=DAY)

    assert [key for key, evaluation in evaluations.items() if not evaluation.passed] == []
    for key in daily:
        assert evaluations[(key.asset_key.to_user_string(), key.name)].partition == DAY, key
        [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        assert record.partition == DAY, key
    for key in whole:
        assert evaluations[(key.asset_key.to_user_string(), key.name)].partition is None, key


def test_validate_checks_the_newest_staged_day_by_default(warehouse_copy):
    from imdb_pipeline import cli

    url, _ = warehouse_copy
    assert cli._newest_staged_day(url) == DAY
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE staging.stg_movies")
    connection.close()
    assert cli._newest_staged_day(url) is None
