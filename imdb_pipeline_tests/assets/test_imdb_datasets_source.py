"""IMDb's official dataset files as the source: a folder of the five files goes through the
whole graph, into exactly the rows a plain reading of the files gives; a broken file fails the
raw step naming it, and the warehouse keeps its tables."""

import gzip
import hashlib
import shutil
from pathlib import Path

import dagster as dg
import pytest

from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.assets.staging import STG_MOVIES_KEY
from imdb_pipeline.constants import ENV_SOURCE_URI
from imdb_pipeline.lib.imdb_datasets import (
    FILES,
    TITLE_CREW,
    TITLE_PRINCIPALS,
    TITLE_RATINGS,
)
from imdb_pipeline_tests import imdb_datasets_fixture as fixture
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.warehouse_state import (
    DAY,
    failure_messages,
    materialize_all,
    run_checks_alone,
    table_fingerprints,
)

NEXT_DAY = "2024-06-02"
RENAMED = "tt0000002"


@pytest.fixture
def datasets(tmp_path, monkeypatch):
    folder = fixture.write(tmp_path / "imdb")
    monkeypatch.setenv(ENV_SOURCE_URI, str(folder))
    return folder


def staged_rows(url: str) -> dict[str, dict]:
    columns = ["title", "year", "runtime_minutes", "genre", "rating", "votes", "director", "stars"]
    rows = query(url, f"SELECT movie_id, {', '.join(columns)} FROM staging.stg_movies")
    return {row[0]: {name: "" if value is None else (f"{value:.1f}" if name == "rating"
                                                    else str(value))
                     for name, value in zip(columns, row[1:])} for row in rows}  # fmt: skip


def test_the_five_files_go_through_the_whole_graph_into_exactly_the_rows_they_define(
    warehouse_url, datasets
):
    result = materialize_all(with_checks=True)

    assert result.success
    failed = {(e.asset_key.to_user_string(), e.check_name) for e in
              result.get_asset_check_evaluations() if not e.passed and
              e.severity == dg.AssetCheckSeverity.ERROR}  # fmt: skip
    assert failed == set()
    # A movie nobody has classified (tt0000006, genres \N) is kept, and a WARN says so.
    unclassified = [e for e in result.get_asset_check_evaluations()
                    if e.check_name == "movies_have_a_genre"]  # fmt: skip
    assert [e.passed for e in unclassified] == [False]
    expected = fixture.expected_movies(datasets)
    rejected = dict(query(warehouse_url, "SELECT movie_id, reason FROM staging.stg_movies_rejects"))
    assert rejected == fixture.SPECIAL_REJECTS
    assert staged_rows(warehouse_url) == {
        movie_id: values for movie_id, values in expected.items() if movie_id not in rejected
    }
    # Other types, adult titles and unrated movies are out of scope, not rejects.
    assert {"tt0000003", "tt0000004", "tt0000005", "tt0000011"}.isdisjoint(
        {row[0] for row in query(warehouse_url, "SELECT movie_id FROM core.dim_movies")} | set(rejected))
    staged = {movie_id: values for movie_id, values in expected.items() if movie_id not in rejected}
    # Dimensions hold every name the staged movies use, and nothing else.
    directors = {row[0] for row in query(warehouse_url, "SELECT director_name FROM core.dim_directors")}
    assert directors == {values["director"] for values in staged.values()}
    actors = {name for values in staged.values() for name in values["stars"].split(", ") if name}
    assert {row[0] for row in query(warehouse_url, "SELECT actor_name FROM core.dim_actors")} == actors
    # Bridges and fact: a row per (movie, star in billing order), per (movie, genre), per movie.
    assert sorted(query(warehouse_url, """
        SELECT m.movie_id, a.actor_name, b.billing_order FROM core.bridge_movie_actor b
        JOIN core.dim_movies m USING (movie_key) JOIN core.dim_actors a USING (actor_key)""")) == sorted(
        (movie_id, name, position) for movie_id, values in staged.items()
        for position, name in enumerate(values["stars"].split(", "), 1) if values["stars"])
    assert sorted(query(warehouse_url, """
        SELECT m.movie_id, g.genre_name FROM core.bridge_movie_genre b
        JOIN core.dim_movies m USING (movie_key) JOIN core.dim_genres g USING (genre_key)""")) == sorted(
        (movie_id, genre) for movie_id, values in staged.items() if values["genre"]
        for genre in values["genre"].split(", "))
    assert sorted(query(warehouse_url, """
        SELECT m.movie_id, d.director_name, f.rating, f.votes, f.metascore, f.gross_millions
        FROM core.fact_movie_performance f JOIN core.dim_movies m USING (movie_key)
        JOIN core.dim_directors d USING (director_key)""")) == sorted(
        (movie_id, values["director"], float(values["rating"]), int(values["votes"]), None, None)
        for movie_id, values in staged.items())  # fmt: skip
    # What the data does not hold is unknown downstream, never 0.
    assert query(warehouse_url, "SELECT count(*) FILTER (WHERE total_gross_millions IS NOT NULL) "
                 "FROM analytics.agg_yearly_revenue") == [(0,)]  # fmt: skip
    assert query(warehouse_url, "SELECT count(*) FILTER (WHERE avg_metascore IS NOT NULL) "
                 "FROM analytics.agg_director_stats") == [(0,)]  # fmt: skip
    raw = metadata_of(result, raw_imdb_movies.key)
    assert set(raw["raw_files"].value) == {file.name for file in FILES}
    assert raw["dagster/row_count"].value == len(fixture.titles())
    staging = metadata_of(result, STG_MOVIES_KEY)
    assert staging["unrated_titles"].value == sum(
        1 for row in fixture.titles().values() if row[0] == "movie" and row[2] == "0" and row[6] is None)
    assert staging["rows_read"].value == len(expected)
    # The audit trail names the five files by one SHA-256: that of their `sha256sum` lines.
    lines = "".join(f"{hashlib.sha256((datasets / name).read_bytes()).hexdigest()}  {name}\n"
                    for name in sorted(file.name for file in FILES))  # fmt: skip
    assert query(warehouse_url, "SELECT DISTINCT source_sha256 FROM audit.load_log") == [
        (hashlib.sha256(lines.encode()).hexdigest(),)]  # fmt: skip


def metadata_of(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    return next(event.materialization.metadata for event in
                result.get_asset_materialization_events() if event.asset_key == key)  # fmt: skip


def test_a_title_renamed_the_next_day_gets_a_new_version(warehouse_url, datasets):
    instance = dg.DagsterInstance.ephemeral()
    materialize_all(instance=instance)
    fixture.write(datasets, fixture.titles(renamed=(RENAMED,)))

    materialize_all(instance=instance, day=NEXT_DAY)

    versions = query(warehouse_url, "SELECT title, valid_from::text, is_current FROM "
                     "core.dim_movies WHERE movie_id = %s ORDER BY valid_from", (RENAMED,))  # fmt: skip
    title = fixture.SPECIAL[RENAMED][1]
    assert versions == [(title, "2024-06-01", False), (title + " (Restored)", NEXT_DAY, True)]
    unchanged = query(warehouse_url, "SELECT count(*) FROM core.dim_movies WHERE movie_id = "
                      "'tt0000001'")  # fmt: skip
    assert unchanged == [(1,)]


def _truncated(folder):
    path = folder / TITLE_PRINCIPALS.name
    path.write_bytes(path.read_bytes()[:-20])


def _wrong_header(folder):
    path = folder / TITLE_RATINGS.name
    text = gzip.decompress(path.read_bytes()).decode().replace("numVotes", "votes", 1)
    path.write_bytes(gzip.compress(text.encode()))


BROKEN = {
    "missing file": (lambda folder: (folder / TITLE_CREW.name).unlink(),
                     [TITLE_CREW.name, "file not found"]),
    "wrong header": (_wrong_header, [TITLE_RATINGS.name, "missing column(s) numVotes"]),
    "truncated gzip": (_truncated, [TITLE_PRINCIPALS.name, "not a readable gzip file"]),
}  # fmt: skip


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_fails_clearly_naming_it_and_the_warehouse_is_unchanged(
    case, warehouse_url, datasets, tmp_path
):
    instance = dg.DagsterInstance.ephemeral()
    materialize_all(instance=instance)
    before = table_fingerprints(warehouse_url)
    broken = tmp_path / "broken"
    shutil.copytree(datasets, broken)
    damage, phrases = BROKEN[case]
    damage(broken)
    shutil.rmtree(datasets)
    broken.rename(datasets)

    result = materialize_all(raise_on_error=False, instance=instance, day=NEXT_DAY)

    assert not result.success
    message = failure_messages(result)
    for phrase in phrases:
        assert phrase in message
    assert table_fingerprints(warehouse_url) == before


def test_a_dataset_prefix_on_s3_is_stored_file_by_file_and_staged(
    warehouse_url, tmp_path, s3_client, bucket, monkeypatch
):
    folder = fixture.write(tmp_path / "imdb")
    for file in FILES:
        s3_client.upload_file(str(folder / file.name), bucket, f"imdb/{DAY}/{file.name}")
    monkeypatch.setenv(ENV_SOURCE_URI, f"s3://{bucket}/imdb/{{date}}/")
    monkeypatch.setenv("IMDB_RAW_STORE_URI", f"s3://{bucket}/raw")

    result = materialize_all(with_checks=True, selection=dg.AssetSelection.groups("raw", "staging"))

    assert result.success
    raw_files = metadata_of(result, raw_imdb_movies.key)["raw_files"].value
    stored = s3_client.list_objects_v2(Bucket=bucket, Prefix="raw/")["Contents"]
    assert sorted(f"s3://{bucket}/{item['Key']}" for item in stored) == sorted(
        facts["raw_uri"] for facts in raw_files.values())
    for file in FILES:
        assert raw_files[file.name]["raw_uri"].startswith(
            f"s3://{bucket}/raw/imdb_movies/ingest_date={DAY}/{file.name.removesuffix('.tsv.gz')}/")
    assert not [e for e in result.get_asset_check_evaluations() if not e.passed and
                e.severity == dg.AssetCheckSeverity.ERROR]  # fmt: skip
    assert query(warehouse_url, "SELECT count(*) FROM staging.stg_movies") == [
        (len(fixture.expected_movies(folder)) - len(fixture.SPECIAL_REJECTS),)]


def test_the_raw_checks_run_per_file_and_name_the_one_that_changed(warehouse_url, datasets):
    instance = dg.DagsterInstance.ephemeral()
    first = materialize_all(instance=instance, selection=dg.AssetSelection.groups("raw"))
    stored = metadata_of(first, raw_imdb_movies.key)["raw_files"].value
    changed = Path(stored[TITLE_CREW.name]["raw_uri"])
    changed.chmod(0o644)
    changed.write_bytes(gzip.compress(b"tconst\tdirectors\twriters\ntt0000001\tnm0000001\t\\N\n"))

    from imdb_pipeline.definitions import defs

    raw_checks = {key for key in defs.resolve_asset_graph().asset_check_keys
                  if key.asset_key == raw_imdb_movies.key}  # fmt: skip
    checks = run_checks_alone(instance, raw_checks)

    [rows] = [e for e in checks.get_asset_check_evaluations()
              if e.check_name == "row_count_within_bounds"]  # fmt: skip
    assert not rows.passed
    assert rows.metadata["reason"].value.startswith(
        f"{TITLE_CREW.name}: the stored snapshot is not the file the raw step profiled")
    assert set(rows.metadata["files"].value) == {file.name for file in FILES}
    header = [e for e in checks.get_asset_check_evaluations()
              if e.check_name == "header_matches_contract"]  # fmt: skip
    assert [e.passed for e in header] == [True]
