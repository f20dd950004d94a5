"""The PostgreSQL versions the pipeline runs on, and the SQL that differs among them."""

import dagster as dg
import pytest

from imdb_pipeline.lib import server_version
from imdb_pipeline.lib.server_version import name, split_sql, unsupported
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import query


def test_versions_are_named_as_postgresql_names_them():
    assert [name(v) for v in (130023, 150018, 180001, 120000)] == ["13.23", "15.18", "18.1", "12.0"]


def test_servers_from_13_on_are_supported_and_older_ones_told_why_not():
    assert [unsupported(v) for v in (130000, 130023, 140000, 180001)] == [None] * 4
    assert unsupported(120022) == (
        "The warehouse runs PostgreSQL 12.22; the pipeline needs PostgreSQL 13 or newer. "
        "Upgrade the server, or point IMDB_WAREHOUSE_URL at a newer one."
    )


def test_lists_split_with_string_to_table_from_14_and_an_array_before():
    assert split_sql("s.genre", ", ", 140000) == "string_to_table(s.genre, ', ')"
    assert split_sql("s.genre", ", ", 180001) == "string_to_table(s.genre, ', ')"
    assert split_sql("s.genre", ", ", 130023) == "unnest(string_to_array(s.genre, ', '))"


def test_every_form_of_split_gives_the_same_items_in_order_on_this_server(warehouse_url):
    version = server_version.require_supported(warehouse_url)
    forms = [v for v in (130000, 140000) if v <= version]  # what this server can run
    lists = "VALUES (1, 'Drama, Crime'), (2, 'Crime'), (3, ''), (4, NULL), (5, 'A,B, , C')"
    results = [
        query(warehouse_url, f"SELECT l.id, item.name, item.position FROM ({lists}) AS l (id, items) "
              f"CROSS JOIN LATERAL {split_sql('l.items', ', ', form)} WITH ORDINALITY AS "
              "item (name, position) ORDER BY 1, 3")
        for form in forms
    ]  # fmt: skip
    assert results[0] == [(1, "Drama", 1), (1, "Crime", 2), (2, "Crime", 1),
                          (5, "A,B", 1), (5, "", 2), (5, "C", 3)]  # fmt: skip
    assert all(result == results[0] for result in results)


def test_the_warehouse_refuses_a_server_older_than_the_minimum_naming_both(
    warehouse_url, monkeypatch
):
    version = server_version.of(warehouse_url)
    assert WarehouseResource().url() == warehouse_url
    assert WarehouseResource().server_version() == version

    monkeypatch.setattr(server_version, "MINIMUM", version + 10000)
    with pytest.raises(dg.Failure) as refused:
        WarehouseResource().url()
    assert f"runs PostgreSQL {name(version)}" in refused.value.description
    assert f"needs PostgreSQL {version // 10000 + 1} or newer" in refused.value.description
    assert refused.value.allow_retries is False
