"""Three daily snapshots: SCD type 2 movies, type 1 names, one fact slice per day, backfills."""

import csv
import io

import dagster as dg
import pytest

from imdb_pipeline.constants import ENV_SOURCE_URI
from imdb_pipeline.lib import facts, movie_versions
from imdb_pipeline_tests.conftest import SAMPLE, admin, query
from imdb_pipeline_tests.warehouse_state import (
    failure_messages,
    materialize_all,
    table_fingerprints,
)

DAY1, DAY2, DAY3 = "2024-03-01", "2024-03-02", "2024-03-03"
GODFATHER, TWELVE_ANGRY_MEN, SUNSET_BLVD, NEW_FILM = "tt0068646", "tt0050083", "tt0043014", "tt9999999"
DIMENSIONS = ("dim_movies", "dim_directors", "dim_genres", "dim_actors")
DAILY_CORE = ("bridge_movie_genre", "bridge_movie_actor", "fact_movie_performance")
NEW_FILM_ROW = [NEW_FILM, "A New Film", "2023", "PG", "101", "Comedy, Western", "7.4", "70",
                "A new film.", "Zelda Newcomer", "Ann Actor, Bob Actor, Cy Actor", "30000", "1.50"]  # fmt: skip


def _day_two_rows() -> list[list[str]]:
    """Day 1 with a title changed, a certificate changed, one movie gone, one new, votes up."""
    header, *rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))
    changed = []
    for row in rows:
        record = dict(zip(header, row))
        if record["movie_id"] == SUNSET_BLVD:
            continue
        if record["movie_id"] == GODFATHER:
            record["title"] = "The Godfather (Restored)"
        if record["movie_id"] == TWELVE_ANGRY_MEN:
            record["certificate"] = "Not Rated"
        if record["votes"].isdigit():
            record["votes"] = str(int(record["votes"]) + 1000)
        changed.append([record[name] for name in header])
    return [header, *changed, NEW_FILM_ROW]


@pytest.fixture
def daily_sources(tmp_path, monkeypatch):
    """One export per day, named by date, and IMDB_SOURCE_URI with the {date} placeholder."""
    (tmp_path / f"imdb_movies_{DAY1}.csv").write_bytes(SAMPLE.read_bytes())
    for day in (DAY2, DAY3):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(_day_two_rows())
        (tmp_path / f"imdb_movies_{day}.csv").write_text(buffer.getvalue(), encoding="utf-8")
    monkeypatch.setenv(ENV_SOURCE_URI, str(tmp_path / "imdb_movies_{date}.csv"))
    return tmp_path


def _versions(url: str, movie_id: str) -> list[tuple]:
    return query(
        url,
        "SELECT movie_key, title, certificate, valid_from::text, valid_to::text, is_current, "
        "last_seen_date::text, in_latest_snapshot FROM core.dim_movies WHERE movie_id = %s "
        "ORDER BY valid_from",
        (movie_id,),
    )


def _fact_rows_per_day(url: str) -> list[tuple]:
    return query(
        url,
        "SELECT snapshot_date::text, count(*) FROM core.fact_movie_performance GROUP BY 1 ORDER BY 1",
    )


def test_three_days_build_the_expected_versions_facts_and_keys(warehouse_url, daily_sources):
    for day in (DAY1, DAY2, DAY3):
        materialize_all(day=day)

    [(godfather_key, *_)] = query(
        warehouse_url, "SELECT movie_key FROM core.dim_movies WHERE movie_id = %s "
        "ORDER BY valid_from", (GODFATHER,)
    )[:1]
    assert _versions(warehouse_url, GODFATHER) == [
        (godfather_key, "The Godfather", "R", DAY1, DAY2, False, DAY1, False),
        (55, "The Godfather (Restored)", "R", DAY2, "9999-12-31", True, DAY3, True),
    ]
    assert _versions(warehouse_url, TWELVE_ANGRY_MEN)[1][0:3] == (54, "12 Angry Men", "Not Rated")
    assert _versions(warehouse_url, NEW_FILM) == [
        (56, "A New Film", "PG", DAY2, "9999-12-31", True, DAY3, True)
    ]
    # Gone since day 2: still the current version, but a steward sees it is not in the export.
    [sunset] = _versions(warehouse_url, SUNSET_BLVD)
    assert sunset[3:] == (DAY1, "9999-12-31", True, DAY1, False)
    assert query(warehouse_url, "SELECT count(*), max(movie_key) FROM core.dim_movies") == [(56, 56)]
    assert _fact_rows_per_day(warehouse_url) == [(DAY1, 53), (DAY2, 53), (DAY3, 53)]
    # Each day's fact row points at the version valid that day.
    assert query(
        warehouse_url,
        "SELECT f.snapshot_date::text, f.movie_key, f.votes FROM core.fact_movie_performance f "
        "JOIN core.dim_movies m USING (movie_key) WHERE m.movie_id = %s ORDER BY 1",
        (GODFATHER,),
    ) == [(DAY1, godfather_key, 1987402), (DAY2, 55, 1988402), (DAY3, 55, 1988402)]
    # Type 1 names: the new director got the next key; nobody was renumbered or removed.
    assert query(
        warehouse_url,
        "SELECT count(*), max(director_key), count(*) FILTER (WHERE director_name = 'Billy "
        "Wilder') FROM core.dim_directors",
    ) == [(37, 37, 1)]
    # Aggregates describe the latest snapshot: 53 movies of day 3.
    assert query(warehouse_url, "SELECT sum(total_movies) FROM analytics.agg_yearly_revenue") == [
        (53,)
    ]


def test_rerunning_an_old_day_changes_nothing_else(warehouse_url, daily_sources):
    for day in (DAY1, DAY2, DAY3):
        materialize_all(day=day)
    before = table_fingerprints(warehouse_url)

    materialize_all(day=DAY1)

    assert table_fingerprints(warehouse_url) == before
    assert query(
        warehouse_url,
        "SELECT count(*) FROM (SELECT movie_id, valid_from FROM core.dim_movies "
        "GROUP BY 1, 2 HAVING count(*) > 1) duplicated",
    ) == [(0,)]


def _staged_days_read(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """Per dimension, how many staged days its build read."""
    return {
        event.asset_key.path[-1]: event.materialization.metadata["staged_days_read"].value
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[-1] in DIMENSIONS
    }


def test_each_day_reads_only_its_own_staged_day_unless_an_older_day_is_staged_again(
    warehouse_url, daily_sources
):
    reads = [_staged_days_read(materialize_all(day=day)) for day in (DAY1, DAY2, DAY3)]
    assert reads == [dict.fromkeys(DIMENSIONS, 1)] * 3  # day 1 from empty, days 2 and 3 folded in
    unchanged = table_fingerprints(warehouse_url)

    # The latest day staged again (today re-run): the movie versions are folded into their
    # state before that day, kept aside by the day's first run; that day alone is read.
    assert _staged_days_read(materialize_all(day=DAY3)) == dict.fromkeys(DIMENSIONS, 1)
    assert table_fingerprints(warehouse_url) == unchanged

    # Day 1 staged again: the names read that day alone; the movie versions, which a past
    # day can split, are derived again from the whole history.
    again = _staged_days_read(materialize_all(day=DAY1))
    assert again == {**dict.fromkeys(DIMENSIONS, 1), "dim_movies": 3}
    assert table_fingerprints(warehouse_url) == unchanged

    # Nothing staged since: nothing read, nothing changed.
    rest = dg.AssetSelection.groups("core") | dg.AssetSelection.groups("analytics")
    assert _staged_days_read(materialize_all(day=DAY1, selection=rest)) == dict.fromkeys(DIMENSIONS, 0)
    assert table_fingerprints(warehouse_url) == unchanged


def test_the_latest_day_staged_again_with_other_rows_gives_what_the_whole_history_gives(
    warehouse_url, daily_sources
):
    # Day 3 first opens a version of its own: the Godfather's title changes again.
    day_three = daily_sources / f"imdb_movies_{DAY3}.csv"
    day_three.write_text(day_three.read_text(encoding="utf-8").replace(
        "The Godfather (Restored)", "The Godfather (4K)"), encoding="utf-8")  # fmt: skip
    for day in (DAY1, DAY2, DAY3):
        materialize_all(day=day)
    identities = "SELECT movie_key, movie_id, valid_from FROM core.dim_movies"
    before = {key: rest for key, *rest in query(warehouse_url, identities)}
    # Day 3's export replaced by day 1's: the Godfather's first title comes back.
    day_three.write_bytes(SAMPLE.read_bytes())

    result = materialize_all(day=DAY3)

    assert _staged_days_read(result)["dim_movies"] == 1
    whole_history = movie_versions.dim_movies_select("staging.stg_movies", "core.dim_movies")
    assert query(warehouse_url, f"SELECT * FROM ({whole_history}) q ORDER BY movie_key") == query(
        warehouse_url, "SELECT * FROM core.dim_movies ORDER BY movie_key"
    )
    assert [row[1:5] for row in _versions(warehouse_url, GODFATHER)] == [
        ("The Godfather", "R", DAY1, DAY2),
        ("The Godfather (Restored)", "R", DAY2, DAY3),
        ("The Godfather", "R", DAY3, "9999-12-31"),
    ]
    # A version keeps its key (the Godfather's from day 3 on, though its title changed); a key
    # never passes to another version; new versions get keys never given before.
    after = {key: rest for key, *rest in query(warehouse_url, identities)}
    assert {key: after[key] for key in after.keys() & before.keys()} == {
        key: before[key] for key in after.keys() & before.keys()
    }
    assert min(after.keys() - before.keys()) > max(before)


def test_a_backfill_from_empty_equals_the_day_by_day_result(
    postgres_server, warehouse_url, daily_sources, monkeypatch
):
    for day in (DAY1, DAY2, DAY3):
        materialize_all(day=day)
    day_by_day = table_fingerprints(warehouse_url)

    admin(postgres_server, 'CREATE DATABASE "backfill_target"')
    backfill_url = postgres_server.url("backfill_target")
    monkeypatch.setenv("IMDB_WAREHOUSE_URL", backfill_url)
    try:
        # The order of an asset backfill: every day's raw and staging, then the dimensions
        # once, then each day's bridges and fact, then the aggregates.
        for day in (DAY1, DAY2, DAY3):
            materialize_all(day=day, selection=dg.AssetSelection.groups("raw", "staging"))
        dims = dg.AssetSelection.assets(*[["core", name] for name in DIMENSIONS])
        daily_core = dg.AssetSelection.assets(*[["core", name] for name in DAILY_CORE])
        materialize_all(day=DAY1, selection=dims | daily_core)
        materialize_all(day=DAY2, selection=daily_core)
        materialize_all(day=DAY3, selection=daily_core | dg.AssetSelection.groups("analytics"))

        assert table_fingerprints(backfill_url) == day_by_day
    finally:
        admin(postgres_server, 'DROP DATABASE "backfill_target" WITH (FORCE)')


def test_a_failure_in_the_middle_of_a_days_fact_write_keeps_that_days_rows(
    warehouse_url, daily_sources, monkeypatch
):
    materialize_all(day=DAY1)
    before = table_fingerprints(warehouse_url)["core.fact_movie_performance"]
    real_select = facts.fact_movie_performance_select

    def select_then_fail(*arguments, **options):
        # The first rows are really written into the day's new table, then one row fails.
        return f"SELECT * FROM ({real_select(*arguments, **options)}) AS f WHERE 1 / (f.movie_key % 40) > 0"

    monkeypatch.setattr(facts, "fact_movie_performance_select", select_then_fail)

    result = materialize_all(day=DAY1, raise_on_error=False)

    assert not result.success
    assert "division by zero" in failure_messages(result)
    assert table_fingerprints(warehouse_url)["core.fact_movie_performance"] == before


def test_a_day_without_an_export_fails_clearly(warehouse_url, daily_sources):
    result = materialize_all(day="2024-03-04", raise_on_error=False)

    assert not result.success
    message = failure_messages(result)
    assert "No usable source for 2024-03-04" in message
    assert str(daily_sources / "imdb_movies_2024-03-04.csv") in message


def test_staging_a_day_whose_raw_snapshot_is_missing_fails_clearly(warehouse_url, daily_sources):
    result = materialize_all(
        day=DAY2, selection=dg.AssetSelection.groups("staging"), raise_on_error=False
    )

    assert not result.success
    assert "No raw snapshot of raw/raw_imdb_movies for 2024-03-02 is recorded" in failure_messages(
        result
    )
