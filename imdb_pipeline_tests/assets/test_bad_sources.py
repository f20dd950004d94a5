"""A bad source fails the run with a message naming the file, and the warehouse keeps its tables."""

import pytest

from imdb_pipeline.constants import ENV_SOURCE_URI
from imdb_pipeline_tests.conftest import SAMPLE
from imdb_pipeline_tests.warehouse_state import (
    failure_messages,
    materialize_all,
    table_fingerprints,
)

HEADER = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
FIRST_ROW = SAMPLE.read_text(encoding="utf-8").splitlines()[1]

BAD_SOURCES = {
    "missing file": (None, ["file not found"]),
    "empty file": (b"", ["the file is empty"]),
    "header only": ((HEADER + "\n").encode(), ["header but no data rows"]),
    "missing column": (
        (HEADER.replace(",votes", "") + "\n" + FIRST_ROW + "\n").encode(),
        ["missing column(s) votes"],
    ),
    "wrong delimiter": (
        (HEADER.replace(",", ";") + "\n" + FIRST_ROW.replace(",", ";") + "\n").encode(),
        ["missing column(s) movie_id, title", "semicolon-delimited"],
    ),
    "not UTF-8": (
        (HEADER + "\n" + FIRST_ROW + "\n" + FIRST_ROW.replace("tt", "tt9", 1) + "\n")
        .encode("utf-8")
        .replace(b"The", "Thé".encode("latin-1")),
        ["line 2 is not valid UTF-8"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_SOURCES))
def test_bad_source_fails_clearly_and_leaves_the_warehouse_untouched(
    case, warehouse_url, sample_source, tmp_path, monkeypatch
):
    materialize_all()
    before = table_fingerprints(warehouse_url)
    content, expected_phrases = BAD_SOURCES[case]
    bad_file = tmp_path / "imdb_movies.csv"
    if content is not None:
        bad_file.write_bytes(content)
    monkeypatch.setenv(ENV_SOURCE_URI, str(bad_file))

    result = materialize_all(raise_on_error=False)

    assert not result.success
    message = failure_messages(result)
    assert str(bad_file) in message
    for phrase in expected_phrases:
        assert phrase in message
    assert table_fingerprints(warehouse_url) == before


def test_extra_columns_are_ignored_and_reported(warehouse_url, tmp_path, monkeypatch):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    source = tmp_path / "with_extra.csv"
    source.write_text(
        "\n".join([lines[0] + ",poster_url"] + [line + ",http://x" for line in lines[1:5]]) + "\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_SOURCE_URI, str(source))

    result = materialize_all()

    [raw] = result.asset_materializations_for_node("raw__raw_imdb_movies")
    assert raw.metadata["extra_columns"].value == ["poster_url"]
    assert result.asset_materializations_for_node("stage_movies")[0].metadata[
        "dagster/row_count"
    ].value == 4
