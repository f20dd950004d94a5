"""Makes a Great Expectations Data Docs page work without the internet.

GX's page templates load jQuery, Bootstrap, bootstrap-table (which fills the index's tables
from data in the page: without it the index is empty) and a few more from CDNs. The package
ships the same versions (checks/data_docs_static/, with their licences); this rewrites a page's
`<link>` and `<script>` tags to those copies, drops what the pages do not need (Vega, which only
profiling pages use; Font Awesome, whose five icons our stylesheet draws; a dark theme), points
GX's logo at the site's own copy instead of GX's web assets, and adds the project's stylesheet. Pure text in, text out: no GX import.
"""

import re
from pathlib import PurePosixPath

# Where the shipped files are copied, relative to the site's root.
STATIC_FOLDER = "static/imdb"
STYLESHEET = "imdb-data-docs.css"
# Each CDN file GX 1.24's templates reference, and the shipped copy of the same version.
VENDORED = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "popper-1.12.9.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap-4.3.1.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap-4.3.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control-1.19.1.min.js",
    # The templates name 1.19.0 for the extension's stylesheet; 1.19.1's is the same rules.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": "bootstrap-table-filter-control-1.19.1.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker-1.9.0.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker-1.9.0.min.css",
}
SHIPPED = (*sorted(set(VENDORED.values())), STYLESHEET)

_EXTERNAL_TAG = re.compile(
    r"""<script\b[^>]*\bsrc=["'](?P<script>https?://[^"']+)["'][^>]*>\s*</script>"""
    r"""|<link\b[^>]*\bhref=["'](?P<link>https?://[^"']+)["'][^>]*>""",
    re.IGNORECASE,
)
_STYLESHEET_LINK = re.compile(r"""<link\b[^>]*\brel=["']?stylesheet""", re.IGNORECASE)
# A background image fetched from the web (GX's logo in its inline styles).
_EXTERNAL_CSS_URL = re.compile(r"""url\(\s*['"]?https?://[^)]*\)""", re.IGNORECASE)
# GX's own images, fetched from its web assets although the site holds copies (static/images).
_GX_WEB_ASSET = re.compile(
    r"""src=["']https://great-expectations-web-assets\.[^/"']+/(?P<name>[\w.-]+)(\?[^"']*)?["']"""
)


def static_prefix(page: PurePosixPath) -> str:
    """The relative path from a page (relative to the site's root) to the shipped files."""
    return "../" * (len(page.parts) - 1) + STATIC_FOLDER + "/"


def offline_page(html: str, page: PurePosixPath) -> str:
    """The page with every external script and stylesheet replaced by a shipped copy or removed,
    and the project's stylesheet added last (so its rules win). Running it twice changes nothing."""
    prefix = static_prefix(page)

    def local(match: re.Match) -> str:
        url = match.group("script") or match.group("link")
        shipped = VENDORED.get(url)
        if match.group("script"):
            return f'<script src="{prefix}{shipped}"></script>' if shipped else ""
        if not _STYLESHEET_LINK.match(match.group(0)):
            return match.group(0)  # an icon or a preconnect hint, not a style
        return f'<link rel="stylesheet" href="{prefix}{shipped}">' if shipped else ""

    html = _EXTERNAL_CSS_URL.sub("none", _EXTERNAL_TAG.sub(local, html))
    images = prefix.removesuffix(STATIC_FOLDER + "/") + "static/images/"
    html = _GX_WEB_ASSET.sub(lambda match: f'src="{images}{match.group("name")}"', html)
    own = f'<link rel="stylesheet" href="{prefix}{STYLESHEET}">'
    if own not in html:
        html = html.replace("</head>", f"  {own}\n  </head>", 1)
    return html


def external_references(html: str) -> list[str]:
    """The http(s) scripts and stylesheets a page still loads (none, once made offline)."""
    found = []
    for match in _EXTERNAL_TAG.finditer(html):
        if match.group("script") or _STYLESHEET_LINK.match(match.group(0)):
            found.append(match.group("script") or match.group("link"))
    return found
