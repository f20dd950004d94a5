"""Data Docs a steward opens from a check in the UI: served over HTTP, one page per validation
linked from the first run on, readable without the internet, and an index that lists them."""

import re
import urllib.request
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from imdb_pipeline import cli
from imdb_pipeline.checks import gx_data_docs
from imdb_pipeline.constants import ENV_DATA_DOCS_URL
from imdb_pipeline.lib.data_docs_offline import external_references
from imdb_pipeline_tests.browser import browser_page, screenshot
from imdb_pipeline_tests.checks.conftest import run_checks
from imdb_pipeline_tests.conftest import free_port


@pytest.fixture
def served_docs(warehouse_copy, monkeypatch):
    """The checks run once on the sample, in a pipeline home of their own (so this is the first
    validation there), with the Data Docs served as `imdb-pipeline ui` serves them."""
    base = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv(ENV_DATA_DOCS_URL, base)
    evaluations = run_checks(warehouse_copy, "UPDATE staging.stg_movies SET rating = 11.5 "
                                             "WHERE movie_id = 'tt0111161'")  # fmt: skip
    gx_data_docs.wait_for_pages(timeout=120)
    server = cli.serve_data_docs()
    assert server is not None
    pages = {}
    for (asset, check), evaluation in evaluations.items():
        if "expectations_checked" in evaluation.metadata:  # the Great Expectations checks
            pages.setdefault(asset, set()).add(evaluation.metadata["data_docs"].value)
    yield base, pages
    server.shutdown()
    server.server_close()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, url
        return response.read().decode("utf-8")


def test_each_check_links_the_page_of_its_own_validation_over_http(served_docs):
    base, pages = served_docs

    assert set(pages) >= {"staging/stg_movies", "core/dim_movies", "core/fact_movie_performance",
                          "analytics/agg_top_movies"}  # fmt: skip
    for asset, urls in pages.items():
        [url] = urls  # every rule of a table links to the table's validation
        schema, table = asset.split("/")
        assert url.startswith(f"{base}/validations/{schema}/{table}/"), url
        html = _get(url)
        assert f"{schema}.{table}" in html  # the page of this suite's validation
        assert external_references(html) == []
        for local in re.findall(r'(?:src|href)="(\.\./[^"]+\.(?:js|css))"', html):
            assert _get(urljoin(url, local)), local  # the shipped copies are served too
    failed = _get(next(iter(pages["staging/stg_movies"])))
    assert "Unsuccessful Expectations" in failed
    assert re.search(r">\s*11\.5\s*<", failed)  # the detailed result, with the offending value


def test_the_index_lists_every_validation_offline(served_docs):
    base, pages = served_docs

    index = _get(f"{base}/index.html")

    assert external_references(index) == []
    for urls in pages.values():
        [url] = urls
        assert unquote(urlsplit(url).path).lstrip("/") in index


def test_a_validation_page_and_the_index_render_styled_with_no_internet(served_docs):
    base, pages = served_docs
    [url] = pages["staging/stg_movies"]
    with browser_page() as page:
        outside = []

        def offline(route):  # anything not from the docs server fails, as it would offline
            if route.request.url.startswith(base):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", offline)
        page.goto(url, wait_until="load")
        style = page.evaluate("""() => ({
            font: getComputedStyle(document.body).fontFamily,
            tableBorder: getComputedStyle(document.querySelector('table.table')).borderTopWidth,
            padding: getComputedStyle(document.querySelector('.container-fluid')).paddingLeft,
            jquery: typeof window.jQuery,
        })""")
        screenshot(page, "data_docs_validation_page")
        assert style["font"].startswith('"DejaVu Sans"')  # the project's stylesheet
        assert style["tableBorder"] == "1px"
        assert style["padding"] == "48px"  # Bootstrap's pl-5: the shipped Bootstrap is applied
        assert style["jquery"] == "function"

        page.goto(f"{base}/index.html", wait_until="load")
        page.wait_for_selector("table tbody tr[data-index]", timeout=15_000)
        rows = page.locator("table tbody tr[data-index]").count()
        screenshot(page, "data_docs_index")
        assert rows >= len(pages)  # bootstrap-table filled the index from the page's data
        assert outside == []


def test_an_https_address_or_a_taken_port_is_not_served_from_here(monkeypatch, capsys):
    monkeypatch.setenv(ENV_DATA_DOCS_URL, "https://docs.example.com/imdb")
    assert cli.serve_data_docs() is None
    assert "checks link to https://docs.example.com/imdb" in capsys.readouterr().err

    monkeypatch.setenv(ENV_DATA_DOCS_URL, f"http://127.0.0.1:{free_port()}")
    first = cli.serve_data_docs()
    try:
        assert first is not None
        assert cli.serve_data_docs() is None  # the port is taken: the UI starts all the same
    finally:
        first.shutdown()
        first.server_close()
