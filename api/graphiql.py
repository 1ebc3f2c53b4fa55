"""GraphiQL from the service itself: the page at /graphql and its scripts and styles.

Strawberry's own page loads React and GraphiQL from a public CDN, so in a closed network (a
district's intranet, this machine) a browser shows "Loading..." forever. The files are vendored
from the npm registry into api/static/graphiql/ (versions, checksums and licences in its
README.md) and served here: GET /graphiql/<name>, a fixed list of files, each with its media
type, an ETag, and a year of immutable caching when asked for with its current version (`?v=`,
the start of its SHA-256, as the page links it; a new file is a new URL).

The page allows scripts, styles and connections from this service only (its CSP below), so
the bootstrap is a file of its own (gridpoints-graphiql.js) rather than an inline script.
"""

from __future__ import annotations

import functools
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

STATIC = Path(__file__).parent / "static" / "graphiql"
ASSET_ROUTE = "/graphiql/{name}"
# GraphiQL's stylesheet embeds its fonts and icons as data: URLs; its editor sets styles through
# the DOM (allowed by any policy), never inline <style> or style="" markup.
GRAPHIQL_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
# In the order the page loads them: React, then GraphiQL (a UMD build that finds React on
# window), then the bootstrap that renders it.
_FILES = {
    "react.production.min.js": _JS,
    "react-dom.production.min.js": _JS,
    "graphiql.min.js": _JS,
    "graphiql.min.css": _CSS,
    "gridpoints-graphiql.css": _CSS,
    "gridpoints-graphiql.js": _JS,
}
_IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    """One file of the page, read once."""

    name: str
    media_type: str
    body: bytes
    version: str

    @property
    def url(self) -> str:
        # Relative: the page is /graphql, so this is /graphiql/... (under any path prefix).
        return f"graphiql/{self.name}?v={self.version}"


@functools.cache
def assets() -> dict[str, Asset]:
    """The files the page uses, by name."""
    found = {}
    for name, media_type in _FILES.items():
        body = (STATIC / name).read_bytes()
        found[name] = Asset(name, media_type, body, hashlib.sha256(body).hexdigest()[:16])
    return found


async def asset(request: Request) -> Response:
    """GET /graphiql/<name>: one of the page's files; 404 for any other name."""
    found = assets().get(request.path_params["name"])
    if found is None:
        return Response("Not found.", status_code=404, media_type="text/plain")
    etag = f'"{found.version}"'
    headers = {
        "ETag": etag,
        # The current version may be kept for good; any other URL is checked each time.
        "Cache-Control": _IMMUTABLE
        if request.query_params.get("v") == found.version
        else "no-cache",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


@functools.cache
def _page() -> str:
    files = assets()

    def link(name: str) -> str:
        return html.escape(files[name].url)

    styles = "".join(
        f'    <link rel="stylesheet" href="{link(name)}" />\n'
        for name in ("graphiql.min.css", "gridpoints-graphiql.css")
    )
    scripts = "".join(
        f'    <script src="{link(name)}"></script>\n'
        for name in (
            "react.production.min.js",
            "react-dom.production.min.js",
            "graphiql.min.js",
            "gridpoints-graphiql.js",
        )
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "  <head>\n"
        '    <meta charset="utf-8" />\n'
        '    <meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        "    <title>Gridpoints GraphiQL</title>\n"
        '    <link rel="icon" href="data:," />\n'
        f"{styles}"
        "  </head>\n"
        "  <body>\n"
        '    <div id="graphiql">Loading...</div>\n'
        f"{scripts}"
        "  </body>\n"
        "</html>\n"
    )


def page() -> Response:
    """The GraphiQL page, with the policy that lets it load from this service only."""
    return HTMLResponse(
        _page(),
        headers={"Content-Security-Policy": GRAPHIQL_CSP, "Cache-Control": "no-cache"},
    )
