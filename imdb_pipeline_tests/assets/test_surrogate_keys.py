"""Surrogate keys never change once given, whatever the next source holds."""

from imdb_pipeline.constants import ENV_SOURCE_URI
from imdb_pipeline_tests.conftest import SAMPLE, query
from imdb_pipeline_tests.warehouse_state import materialize_all

NEW_MOVIE = (
    'tt9999999,A New Film,2024,PG,101,"Comedy, Western",7.4,70,A new film.,'
    'Zelda Newcomer,"Ann Actor, Bob Actor, Cy Actor",30000,1.50'
)


def _keys(url: str) -> dict[str, set[tuple]]:
    return {
        "movies": set(query(url, "SELECT movie_key, movie_id FROM core.dim_movies")),
        "directors": set(query(url, "SELECT director_key, director_name FROM core.dim_directors")),
        "genres": set(query(url, "SELECT genre_key, genre_name FROM core.dim_genres")),
        "actors": set(query(url, "SELECT actor_key, actor_name FROM core.dim_actors")),
    }


def test_keys_survive_a_source_that_drops_and_adds_rows(
    warehouse_url, sample_source, tmp_path, monkeypatch
):
    materialize_all()
    before = _keys(warehouse_url)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    # The first data rows go, a new movie with a new director, genre and actors arrives.
    smaller = tmp_path / "next_day.csv"
    smaller.write_text("".join([lines[0], *lines[4:]]) + NEW_MOVIE + "\n", encoding="utf-8")
    monkeypatch.setenv(ENV_SOURCE_URI, str(smaller))

    materialize_all()

    after = _keys(warehouse_url)
    for dimension, rows in before.items():
        assert rows <= after[dimension], f"{dimension} keys changed or vanished"
    max_movie_key = max(key for key, _ in before["movies"])
    assert (max_movie_key + 1, "tt9999999") in after["movies"]
    assert {name for _, name in after["genres"] - before["genres"]} == {"Western"} - {
        name for _, name in before["genres"]
    }
    # The fact describes the current source only; the dimension remembers every movie.
    assert query(warehouse_url, "SELECT count(*) FROM core.fact_movie_performance") == [
        (len(before["movies"]) - 3 + 1,)
    ]
