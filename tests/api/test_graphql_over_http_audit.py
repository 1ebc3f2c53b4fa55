"""The GraphQL-over-HTTP spec's own audit suite against the real server.

graphql-http (the spec's reference implementation, by its editors) ships `auditServer`: some
60 requests, each checking one MUST, SHOULD or MAY of the spec. tests/audit/ pins it (and
graphql) in a small node project; tests/audit/audit.mjs runs it against a URL and prints the
results as JSON. Here `python -m api serve` starts on a copy of the demo district, the audit
runs against it, and every MUST and SHOULD must pass (0 errors, 0 warnings).

Needs node (18 or later) and `npm ci --prefix tests/audit` (`make test` and `.ci/run` run it
when npm is there). Without them the test is skipped, unless TEST_HTTP_AUDIT is set (`.ci/run`
sets it): then it fails, as the PostgreSQL tests fail without PostgreSQL in CI.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.api.servers import ROOT, Served, demo_server

pytestmark = pytest.mark.slow

AUDIT = ROOT / "tests" / "audit"
# A guard against a hung audit (it sends some 60 small requests), not a timing claim.
AUDIT_GUARD_SECONDS = 120.0


@pytest.fixture
def node() -> str:
    """The node binary, with graphql-http installed next to the audit script; else a skip (a
    failure when TEST_HTTP_AUDIT is set). Asked for before the server, so none starts then."""
    node = shutil.which("node")
    version = (
        subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
        if node
        else ""
    )
    major = int(version.strip().lstrip("v").split(".")[0] or 0) if version else 0
    missing = (
        "node is not installed"
        if node is None
        else f"node 18 or later is needed (fetch), not {version.strip() or 'unknown'}"
        if major < 18
        else "graphql-http is not installed: run `npm ci --prefix tests/audit`"
        if not (AUDIT / "node_modules" / "graphql-http" / "package.json").exists()
        else None
    )
    if missing is not None:
        if os.environ.get("TEST_HTTP_AUDIT"):
            pytest.fail(f"TEST_HTTP_AUDIT is set but {missing}")
        pytest.skip(missing)
    assert node is not None
    return node


@pytest.fixture
async def server(templates: dict[tuple[str, bool], str], tmp_path: Path) -> AsyncIterator[Served]:
    """The real server (one worker) on a copy of the demo district. SQLite only: the audit
    reads `__typename` and `__type`, no data."""
    async with demo_server("sqlite", templates, tmp_path) as handle:
        yield handle


async def test_the_real_server_passes_the_graphql_over_http_audit(
    node: str, server: Served
) -> None:
    # given the audit suite, ready to run (`node`), and the server
    # when it audits the real server's /graphql
    proc = await asyncio.create_subprocess_exec(
        node,
        str(AUDIT / "audit.mjs"),
        f"{server.base}/graphql",
        cwd=AUDIT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), AUDIT_GUARD_SECONDS)
    assert proc.returncode == 0, err.decode(errors="replace")
    results = json.loads(out)
    # then it ran the whole suite, and every MUST and SHOULD holds: no error, no warning
    totals = Counter(result["status"] for result in results)
    assert len(results) >= 60, totals
    failed = [result for result in results if result["status"] in ("error", "warn")]
    assert not failed, json.dumps(failed, ensure_ascii=False, indent=1)
    assert totals["ok"] + totals["notice"] == len(results), totals
    # and the server logged no traceback on the way
    assert "Traceback" not in server.log_text(), server.log_tail()


async def test_the_real_server_cuts_off_a_chunked_body_over_the_limit(server: Served) -> None:
    # given a body of 2 MiB streamed without a Content-Length (chunked), over the 1 MiB default
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(32):
            yield b"x" * 65536
        yield b'"}}'

    # when it is POSTed to the real server
    async with httpx.AsyncClient(base_url=server.base, timeout=60.0) as http:
        response = await http.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        # then it is refused with 413 and its code, and the server still answers
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        ok = await http.post("/graphql", json={"query": "{ __typename }"})
        assert ok.json()["data"] == {"__typename": "Query"}
    assert "Traceback" not in server.log_text(), server.log_tail()
