"""The Data Docs site of the GX project: where each validation's page is, and building the pages
so that they work offline, over HTTP.

Each check links to its validation's own page under the Data Docs address (`deployment.
data_docs_url`), known before the page is written: the link is right from the first run on.
Rendering takes most of a second per step, so it runs on a thread while the next step loads
tables; the process waits for it before it exits. After GX renders, the pages' CDN scripts and
stylesheets are swapped for the copies the package ships (`lib/data_docs_offline.py`).
"""

import logging
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from imdb_pipeline.checks.gx_project import project_lock
from imdb_pipeline.constants import DATA_DOCS_SITE
from imdb_pipeline.lib.data_docs_offline import SHIPPED, STATIC_FOLDER, offline_page

SHIPPED_FOLDER = Path(__file__).parent / "data_docs_static"
INDEX = PurePosixPath("index.html")
_SITE_MARKER = "/" + "/".join(DATA_DOCS_SITE) + "/"

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_builder: ThreadPoolExecutor | None = None
_pending: list[Future] = []


def site_folder(project_root: Path) -> Path:
    return project_root.joinpath(*DATA_DOCS_SITE)


def page_of(context, identifier) -> PurePosixPath:
    """Where GX writes (or will write) the page of a validation result or suite, relative to
    the site's root: known before the page exists."""
    [site] = context.get_docs_sites_urls(resource_identifier=identifier, only_if_exists=False)
    path = unquote(urlsplit(site["site_url"]).path)  # file:///<project>/gx/.../local_site/<page>
    return PurePosixPath(path.split(_SITE_MARKER, 1)[1])


def page_url(base_url: str, page: PurePosixPath) -> str:
    """The page's address under the Data Docs address."""
    return f"{base_url.rstrip('/')}/{quote(page.as_posix())}"


def build_in_background(
    project_root: Path, context, identifiers: list, pages: list[PurePosixPath]
) -> None:
    """Render the pages of these results and suites (at `pages`, from `page_of`), and the
    index, on a background thread."""
    global _builder

    def build() -> None:
        try:
            with project_lock(project_root):
                context.build_data_docs(resource_identifiers=identifiers)
                make_offline(site_folder(project_root), [*pages, INDEX])
        except Exception:  # the checks' results stand; only their pages are missing
            logger.exception("Could not update the Data Docs under %s", project_root)

    with _lock:
        if _builder is None:
            # One worker: pages are rendered in the order the validations ran. Its thread is
            # joined when the interpreter exits, so a run's pages are complete by then.
            _builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-docs")
        _pending[:] = [future for future in _pending if not future.done()]
        _pending.append(_builder.submit(build))


def wait_for_pages(timeout: float | None = None) -> None:
    """Wait until every page this process asked for is written (for callers about to read them)."""
    with _lock:
        pending = list(_pending)
    wait(pending, timeout=timeout)


def make_offline(site: Path, pages: list[PurePosixPath]) -> None:
    """Copy the shipped scripts and stylesheets into the site, and point these pages at them."""
    static = site / STATIC_FOLDER
    static.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED:
        source, target = SHIPPED_FOLDER / name, static / name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target)
    licenses = static / "licenses"
    if not licenses.is_dir():
        shutil.copytree(SHIPPED_FOLDER / "licenses", licenses)
    for page in pages:
        path = site / page
        if path.is_file():
            html = path.read_text(encoding="utf-8")
            offline = offline_page(html, page)
            if offline != html:
                path.write_text(offline, encoding="utf-8")
