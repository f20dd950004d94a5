"""Data Docs pages made to work offline: every CDN script and stylesheet of GX's templates is
replaced by a shipped copy, or dropped on purpose."""

import importlib.util
import re
from pathlib import Path, PurePosixPath

from imdb_pipeline.checks.gx_data_docs import SHIPPED_FOLDER
from imdb_pipeline.lib.data_docs_offline import (
    SHIPPED,
    STYLESHEET,
    VENDORED,
    external_references,
    offline_page,
    static_prefix,
)

VALIDATION_PAGE = PurePosixPath("validations/staging/stg_movies/run/20240601T000000Z/batch.html")
PAGE = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">
<style>.logo { background: url('https://example.com/logo.png') 0 0 no-repeat; }</style>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-x" crossorigin="anonymous"></script>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<link rel="shortcut icon" href="../static/images/favicon.ico" type="image/x-icon"/>
</head><body><a href="https://greatexpectations.io">GX</a>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&x=2">
</body></html>"""


def _gx_templates() -> Path:
    spec = importlib.util.find_spec("great_expectations")
    return Path(next(iter(spec.submodule_search_locations))) / "render" / "view" / "templates"


def test_cdn_tags_point_at_the_shipped_copies_relative_to_the_page():
    html = offline_page(PAGE, VALIDATION_PAGE)

    prefix = "../../../../../static/imdb/"
    assert f'<link rel="stylesheet" href="{prefix}bootstrap-4.3.1.min.css">' in html
    assert f'<script src="{prefix}jquery-3.7.1.min.js"></script>' in html
    assert f'<script src="{prefix}bootstrap-4.3.1.min.js"></script>' in html
    assert f'<link rel="stylesheet" href="{prefix}{STYLESHEET}">' in html
    assert "vega" not in html and "font-awesome" not in html and "example.com" not in html
    assert '<img src="../../../../../static/images/logo-long.png">' in html
    # Links that are not scripts or styles stay as they are.
    assert 'href="https://greatexpectations.io"' in html
    assert 'href="../static/images/favicon.ico"' in html
    assert external_references(PAGE) and external_references(html) == []


def test_the_projects_stylesheet_comes_last_and_a_second_pass_changes_nothing():
    html = offline_page(PAGE, PurePosixPath("index.html"))

    assert static_prefix(PurePosixPath("index.html")) == "static/imdb/"
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
    assert stylesheets[-1] == f"static/imdb/{STYLESHEET}"
    assert offline_page(html, PurePosixPath("index.html")) == html


def test_every_shipped_file_is_in_the_package_with_its_licence():
    for name in SHIPPED:
        assert (SHIPPED_FOLDER / name).stat().st_size > 0, name
    for library in ("jquery", "popper", "bootstrap", "bootstrap-table", "bootstrap-datepicker"):
        assert (SHIPPED_FOLDER / "licenses" / f"{library}.txt").stat().st_size > 0, library
    # The minified files keep their licence headers.
    assert "jQuery v3.7.1" in (SHIPPED_FOLDER / "jquery-3.7.1.min.js").read_text()[:200]
    assert "Licensed under MIT" in (SHIPPED_FOLDER / "bootstrap-4.3.1.min.css").read_text()[:300]


def test_every_cdn_script_and_stylesheet_of_the_installed_gx_templates_is_handled():
    # A new GX version that references another file fails here, not silently in a browser.
    referenced = set()
    for template in _gx_templates().glob("*.j2"):
        referenced |= set(external_references(template.read_text(encoding="utf-8")))
    dropped = {url for url in referenced if url not in VENDORED}
    assert referenced >= {"https://code.jquery.com/jquery-3.7.1.min.js"}
    assert all(re.search(r"vega|font-awesome|bootstrap-dark", url) for url in dropped), dropped
    for template in _gx_templates().glob("*.j2"):
        page = offline_page(template.read_text(encoding="utf-8") + "</head>", VALIDATION_PAGE)
        assert external_references(page) == [], template.name
