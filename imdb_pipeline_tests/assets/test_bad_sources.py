"""A bad source fails the raw step with a message naming the file, at once and without retries;
nothing is stored, and the warehouse keeps its tables."""

import gzip

import dagster as dg
import pytest

from imdb_pipeline.constants import ENV_RAW_STORE_URI, ENV_SOURCE_URI
from imdb_pipeline.lib.source_file import RECORD_BLOCK_BYTES
from imdb_pipeline_tests.conftest import SAMPLE
from imdb_pipeline_tests.warehouse_state import (
    failure_messages,
    materialize_all,
    table_fingerprints,
)

HEADER = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
FIRST_ROW = SAMPLE.read_text(encoding="utf-8").splitlines()[1]
NOT_UTF8 = (
    (HEADER + "\n" + FIRST_ROW + "\n" + FIRST_ROW.replace("tt", "tt9", 1) + "\n")
    .encode("utf-8")
    .replace(b"The", "Thé".encode("latin-1"))
)

# name: (file suffix, content or None for no file, phrases the failure must hold)
BAD_SOURCES = {
    "missing file": (".csv", None, ["file not found"]),
    "empty file": (".csv", b"", ["the file is empty"]),
    "header only": (".csv", (HEADER + "\n").encode(), ["header but no data rows"]),
    "missing column": (
        ".csv",
        (HEADER.replace(",votes", "") + "\n" + FIRST_ROW + "\n").encode(),
        ["missing column(s) votes"],
    ),
    "wrong delimiter": (
        ".csv",
        (HEADER.replace(",", ";") + "\n" + FIRST_ROW.replace(",", ";") + "\n").encode(),
        ["missing column(s) movie_id, title", "semicolon-delimited"],
    ),
    "not UTF-8": (".csv", NOT_UTF8, ["line 2 is not valid UTF-8"]),
    "not UTF-8, gzip": (".csv.gz", gzip.compress(NOT_UTF8), ["line 2 is not valid UTF-8"]),
    "truncated gzip": (
        ".csv.gz",
        gzip.compress(SAMPLE.read_bytes())[:-100],
        ["not a readable gzip file"],
    ),
    "named .gz, not gzip": (".csv.gz", SAMPLE.read_bytes(), ["content is not gzip-compressed"]),
    "quote left open": (
        ".csv",
        (HEADER + "\n" + FIRST_ROW + '\ntt1,"' + "x" * (3 * RECORD_BLOCK_BYTES) + "\n").encode(),
        ["not a readable CSV file", "is a quote left open?"],
    ),
}


def _write_source(tmp_path, monkeypatch, case: str):
    suffix, content, _ = BAD_SOURCES[case]
    bad_file = tmp_path / f"imdb_movies{suffix}"
    if content is not None:
        bad_file.write_bytes(content)
    monkeypatch.setenv(ENV_SOURCE_URI, str(bad_file))
    return bad_file


@pytest.mark.parametrize("case", list(BAD_SOURCES))
def test_a_bad_source_fails_the_raw_step_clearly_at_once(case, tmp_path, monkeypatch):
    store = tmp_path / "raw_store"
    monkeypatch.setenv(ENV_RAW_STORE_URI, str(store))
    bad_file = _write_source(tmp_path, monkeypatch, case)

    result = materialize_all(raise_on_error=False, selection=dg.AssetSelection.groups("raw"))

    assert not result.success
    message = failure_messages(result)
    assert str(bad_file) in message
    for phrase in BAD_SOURCES[case][2]:
        assert phrase in message
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert not store.exists()


def test_a_bad_source_leaves_the_warehouse_untouched(
    warehouse_url, sample_source, tmp_path, monkeypatch
):
    materialize_all()
    before = table_fingerprints(warehouse_url)
    _write_source(tmp_path, monkeypatch, "missing column")

    result = materialize_all(raise_on_error=False)

    assert not result.success
    assert table_fingerprints(warehouse_url) == before


def test_extra_columns_are_reported_by_the_raw_step(tmp_path, monkeypatch):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    source = tmp_path / "with_extra.csv"
    source.write_text(
        "\n".join([lines[0] + ",poster_url"] + [line + ",http://x" for line in lines[1:5]]) + "\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_SOURCE_URI, str(source))

    result = materialize_all(selection=dg.AssetSelection.groups("raw"))

    [raw] = result.asset_materializations_for_node("raw__raw_imdb_movies")
    assert raw.metadata["extra_columns"].value == ["poster_url"]
    assert raw.metadata["dagster/row_count"].value == 4


def test_extra_columns_are_ignored_by_staging(warehouse_url, tmp_path, monkeypatch):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    source = tmp_path / "with_extra.csv"
    source.write_text(
        "\n".join([lines[0] + ",poster_url"] + [line + ",http://x" for line in lines[1:5]]) + "\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_SOURCE_URI, str(source))

    result = materialize_all()

    assert result.asset_materializations_for_node("stage_movies")[0].metadata[
        "dagster/row_count"
    ].value == 4
