"""The static site server the Data Docs are served with."""

import urllib.error
import urllib.request

import pytest

from imdb_pipeline.lib import static_site
from imdb_pipeline_tests.conftest import free_port


def test_a_folder_is_served_over_http_and_nothing_outside_it(tmp_path):
    site = tmp_path / "site"
    (site / "validations").mkdir(parents=True)
    (site / "validations" / "page one.html").write_text("<p>rating 11.5</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not served", encoding="utf-8")
    port = free_port()

    server = static_site.serve(site, "127.0.0.1", port)
    try:
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/validations/page%20one.html", timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            assert response.headers["Cache-Control"] == "no-cache"
            assert response.read() == b"<p>rating 11.5</p>"
        for missing in ("/nothing.html", "/../secret.txt"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + missing, timeout=10)
            assert refused.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_only_an_http_address_with_a_host_is_served():
    assert static_site.address("http://127.0.0.1:3001") == ("127.0.0.1", 3001)
    assert static_site.address("http://docs.internal") == ("docs.internal", 80)
    for address in ("https://docs.example.com", "127.0.0.1:3001", "http://:3001"):
        with pytest.raises(ValueError):
            static_site.address(address)
