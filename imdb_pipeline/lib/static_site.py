"""Serves a folder of static pages over HTTP (the Data Docs), from the standard library.

Browsers refuse `file://` links clicked in an http page such as the Dagster UI, so the pages
are served. Read-only: GET and HEAD of files under the folder, nothing else.
"""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr, and never from a cache: pages
    change after each validation."""

    def log_message(self, format: str, *args) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def address(url: str) -> tuple[str, int]:
    """Host and port of an `http://host:port` address (port 80 when absent)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url!r} is not an http://host:port address to serve on")
    return parts.hostname, parts.port or 80


def serve(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """Start serving `folder` at http://host:port on a daemon thread; `.shutdown()` stops it."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="static-site", daemon=True).start()
    return server
