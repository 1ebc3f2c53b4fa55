"""GraphiQL works without internet: the page and every file it loads come from the service,
byte for byte the vendored npm files, and a real headless Chromium renders the editor, runs
a query and a subscription (WebSocket) with the page's strict Content-Security-Policy in force."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from api.app import create_app
from api.graphiql import GRAPHIQL_CSP, STATIC, assets
from services.kit.settings import Settings
from tests.api.servers import Served, demo_server
from tests.conftest import BACKENDS, login

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = "/usr/bin/chromium"
# Flags that work on this kind of machine (as root, no GPU, no network). Playwright adds
# --headless itself, and --user-data-dir from its own argument (a fresh directory here).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(environment="test"), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def _linked(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


async def test_the_page_loads_nothing_from_elsewhere(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == GRAPHIQL_CSP
    page = response.text
    assert "://" not in page, "an absolute URL: the page must work without internet"
    assert "<script>" not in page and "<style>" not in page, "inline code is refused by the CSP"
    links = _linked(page)
    # the favicon (data:), two style sheets, React, ReactDOM, GraphiQL and the bootstrap
    assert links[0] == "data:,"
    names = [re.fullmatch(r"graphiql/([\w.-]+)\?v=[0-9a-f]{16}", link)[1] for link in links[1:]]  # type: ignore[index]
    assert names == [
        "graphiql.min.css",
        "gridpoints-graphiql.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "gridpoints-graphiql.js",
    ]


async def test_each_file_is_served_with_its_type_and_caching(http: httpx.AsyncClient) -> None:
    page = (await http.get("/graphql", headers={"Accept": "text/html"})).text
    for link in _linked(page)[1:]:
        # when the file is fetched as the page links it (relative to /graphql)
        response = await http.get("/" + link)
        name = link.split("/")[1].split("?")[0]
        # then it is the file on disk, with its media type, kept for a year (the URL changes
        # with the content)
        assert response.status_code == 200, link
        assert response.content == (STATIC / name).read_bytes()
        expected = "text/css" if name.endswith(".css") else "text/javascript"
        assert response.headers["content-type"] == f"{expected}; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
        etag = response.headers["etag"]
        # asked without its version, it must be checked again each time
        plain = await http.get(f"/graphiql/{name}")
        assert plain.headers["cache-control"] == "no-cache"
        assert plain.content == response.content
        # and a browser holding it is told it has not changed
        again = await http.get(f"/graphiql/{name}", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""


@pytest.mark.parametrize(
    "name",
    ["README.md", "LICENSE.graphiql", "..%2Fgraphiql.py", "graphiql.min.js.map", "x", ".."],
)
async def test_nothing_else_is_served(http: httpx.AsyncClient, name: str) -> None:
    response = await http.get(f"/graphiql/{name}")
    assert response.status_code == 404
    assert b"import" not in response.content


def test_the_vendored_files_are_the_published_ones() -> None:
    # the checksums recorded in api/static/graphiql/README.md, taken from the npm packages
    readme = (STATIC / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| ([\w.-]+) \| ([\w@/-]+) \| ([\d.]+) \| [^|]+ \| ([0-9a-f]{64}) \|$", readme, re.M
    )
    assert {row[0] for row in rows} == {
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    }
    for name, package, version, digest in rows:
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name
        assert (STATIC / f"LICENSE.{package}").exists(), package
        assert version
    # every file the page uses is there
    assert set(assets()) >= {row[0] for row in rows}


# ----------------------------------------------------------------------------- the browser


@pytest.fixture(params=BACKENDS)
async def server(
    request: pytest.FixtureRequest, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> AsyncIterator[Served]:
    """The demo district behind a real one-worker server, GraphiQL on."""
    settings = {"GRAPHIQL": "true", "JOBS_INTERVAL_SECONDS": "0"}
    async with demo_server(request.param, templates, tmp_path, settings=settings) as handle:
        yield handle


QUERY = "{ areas(first: 1) { edges { node { name } } } }"
SUBSCRIPTION = "subscription MyPoints { myPointsChanged { balance } }"
# Records every Content-Security-Policy violation the page meets, from its first script on.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


async def _type(page: Page, selector: str, text: str) -> None:
    """Replace the text of a CodeMirror editor as a person would: click, select all, type."""
    await page.locator(selector).click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    # insert_text: the text as typed, without CodeMirror closing each bracket a second time
    await page.keyboard.insert_text(text)


async def _until(page: Page, expression: str, expected: str) -> None:
    """Poll the page until `expression` is `expected` (readiness, not timing: GraphiQL reads a
    changed query after a short debounce, and runs what it last read)."""
    for _ in range(600):
        if await page.evaluate(expression) == expected:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"{expression} never became {expected!r}")


async def _token(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        return await login(http, "resident")


@pytest.mark.slow
async def test_graphiql_runs_a_query_and_a_subscription_in_chromium(
    server: Served, tmp_path: Path
) -> None:
    # Chromium comes from the OS packages (.ci/run installs it): missing, this fails.
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)")
    from playwright.async_api import async_playwright

    problems: list[str] = []
    requests: list[str] = []
    async with async_playwright() as playwright:
        # a fresh profile: nothing cached, nothing stored from an earlier run
        browser = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
        )
        try:
            page = await browser.new_page()
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "console",
                lambda message: (
                    problems.append(f"console {message.type}: {message.text}")
                    if message.type == "error"
                    else None
                ),
            )
            page.on("request", lambda request: requests.append(request.url))
            page.on("websocket", lambda socket: requests.append(socket.url))
            await page.add_init_script(RECORD_VIOLATIONS)
            # when a browser opens /graphql
            await page.goto(f"{server.base}/graphql", wait_until="load")
            # then the editor renders (no "Loading..." left)
            editor = page.locator(".graphiql-query-editor .CodeMirror")
            await editor.wait_for(state="visible", timeout=30_000)
            assert "Loading..." not in await page.inner_text("body")
            # and a query typed into it runs and shows its result
            await _type(page, ".graphiql-query-editor .CodeMirror", QUERY)
            await _until(page, "localStorage.getItem('graphiql:query')", QUERY)
            await page.locator(".graphiql-execute-button").click()
            # (a locator, not wait_for_function: that evaluates a string, which the page's
            # policy rightly refuses)
            result = page.locator(".graphiql-response", has_text="博山区")
            await result.wait_for(state="visible", timeout=30_000)
            response = await page.inner_text(".graphiql-response")
            assert '"name": "博山区"' in response, response
            # and, with a token in the Headers tab, a subscription runs over the WebSocket at
            # the same path (which the page's policy allows as 'self')
            await page.locator('.graphiql-editor-tools button[data-name="headers"]').click()
            headers = json.dumps({"Authorization": f"Bearer {await _token(server.base)}"})
            await _type(page, ".graphiql-editor-tool .CodeMirror >> visible=true", headers)
            await _type(page, ".graphiql-query-editor .CodeMirror", SUBSCRIPTION)
            await _until(page, "localStorage.getItem('graphiql:query')", SUBSCRIPTION)
            await page.locator(".graphiql-execute-button").click()
            balance = page.locator(".graphiql-response", has_text='"balance"')
            await balance.wait_for(state="visible", timeout=30_000)
            violations: list[str] = await page.evaluate("window.__violations")
        finally:
            await browser.close()
    # nothing was refused by the page's policy, nothing failed, nothing came from elsewhere
    assert violations == [], violations
    assert problems == [], problems
    socket_base = server.base.replace("http", "ws", 1)
    outside = [url for url in requests if not url.startswith((server.base, socket_base, "data:"))]
    assert outside == [], outside
    assert any("/graphiql/graphiql.min.js" in url for url in requests)
    assert f"{socket_base}/graphql" in requests, requests
