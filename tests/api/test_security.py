"""The HTTP edge: security headers on every response, /metrics for this host or a token only,
and X-Forwarded-For believed from the trusted proxies only."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import app as app_module
from api.app import STRICT_CSP, create_app
from api.graphiql import GRAPHIQL_CSP
from services.kit import health
from services.kit.settings import Settings
from services.models import LoginFailure
from tests.api.servers import Served, demo_server, opened
from tests.conftest import BACKENDS, LOGIN, Database, gql

TOKEN = "metrics-token-" + "t" * 30


@pytest.fixture
async def http_for() -> AsyncIterator[Any]:
    """Clients on apps built from given settings, calling from a given address."""
    clients: list[httpx.AsyncClient] = []

    def make(
        settings: Settings | None = None, *, peer: str = "10.0.0.1", **transport: Any
    ) -> httpx.AsyncClient:
        app = create_app(settings or Settings(environment="test"), manage_database=False)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(peer, 5555), **transport),
            base_url="http://test",
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


# ----------------------------------------------------------------------------- headers


def _assert_protected(response: httpx.Response, *, csp: str = STRICT_CSP) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == csp
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert len(headers.get_list("content-security-policy")) == 1


async def test_every_response_carries_the_security_headers(db: Database, http_for: Any) -> None:
    http = http_for(Settings(environment="test", metrics_token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    responses = {
        "graphql post": await http.post("/graphql", json={"query": "{ viewer { id } }"}),
        "graphql get": await http.get("/graphql", params={"query": "{ viewer { id } }"}),
        "graphql error": await http.post(
            "/graphql", content=b"{", headers={"content-type": "application/json"}
        ),
        "healthz": await http.get("/healthz"),
        "readyz": await http.get("/readyz"),
        "metrics": await http.get("/metrics", headers=auth),
        "metrics refused": await http.get("/metrics"),
        "not found": await http.get("/no-such-page"),
        "wrong method": await http.delete("/healthz"),
    }
    for name, response in responses.items():
        _assert_protected(response)
        # nothing the service answers may be cached: tokens and per-user data travel here
        assert response.headers["cache-control"] == "no-store", name
    assert responses["metrics"].status_code == 200
    assert responses["not found"].status_code == 404


async def test_tokens_are_never_cached(db: Database, http_for: Any) -> None:
    # given a sign-in and a refresh, the two answers that carry tokens
    http = http_for()
    response = await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": "resident", "p": "gridpoints-demo"}}
    )
    body = response.json()["data"]["login"]
    assert body["__typename"] == "LoginSuccess"
    refreshed = await http.post(
        "/graphql",
        json={
            "query": "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) "
            "{ __typename ... on LoginSuccess { accessToken } } }",
            "variables": {"t": body["refreshToken"]},
        },
    )
    assert refreshed.json()["data"]["refreshToken"]["__typename"] == "LoginSuccess"
    # then neither may be stored by a browser or a proxy
    for answer in (response, refreshed):
        assert answer.headers["cache-control"] == "no-store"
        _assert_protected(answer)


async def test_graphiql_gets_its_own_policy(http_for: Any) -> None:
    http = http_for()
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    _assert_protected(page, csp=GRAPHIQL_CSP)
    # scripts, styles and connections from the service itself only: no CDN, no inline code
    policy = dict(
        [*part.split(" ", 1), ""][:2]
        for part in page.headers["content-security-policy"].split("; ")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert "unsafe" not in page.headers["content-security-policy"]
    assert "http" not in page.headers["content-security-policy"]


async def test_an_unhandled_error_still_gets_the_headers(
    db: Database, http_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a route that fails unexpectedly (Starlette's last-resort handler answers it)
    async def broken() -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "database_reachable", broken)
    http = http_for(raise_app_exceptions=False)
    # when it is asked
    response = await http.get("/healthz")
    # then the 500 is protected like any answer
    assert response.status_code == 500
    _assert_protected(response)
    assert response.headers["cache-control"] == "no-store"


# ----------------------------------------------------------------------------- /metrics


async def test_metrics_without_a_token_are_for_this_host_only(db: Database, http_for: Any) -> None:
    settings = Settings(environment="test", metrics_token="")
    # a caller on loopback gets them (IPv4 and IPv6)
    for peer in ("127.0.0.1", "::1"):
        response = await http_for(settings, peer=peer).get("/metrics")
        assert response.status_code == 200, peer
        assert "gridpoints_http_requests_total" in response.text
    # anyone else does not, token or no token
    remote = http_for(settings, peer="203.0.113.7")
    assert (await remote.get("/metrics")).status_code == 403
    refused = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 403
    assert "gridpoints_" not in refused.text
    # nor a request relayed to loopback by a proxy on this host (it came from elsewhere)
    local = http_for(settings, peer="127.0.0.1")
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        relayed = await local.get("/metrics", headers={header: "203.0.113.7"})
        assert relayed.status_code == 403, header


async def test_metrics_with_a_token_need_it_from_elsewhere(db: Database, http_for: Any) -> None:
    settings = Settings(environment="test", metrics_token=TOKEN)
    remote = http_for(settings, peer="203.0.113.7")
    # without the token, or with another, it is 401 with a challenge
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ):
        response = await remote.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "gridpoints_" not in response.text
    # with it, the metrics
    response = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "gridpoints_http_requests_total" in response.text
    # and this host still needs none
    assert (await http_for(settings, peer="127.0.0.1").get("/metrics")).status_code == 200


async def test_metrics_token_is_compared_in_constant_time(
    db: Database, http_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = app_module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(app_module.hmac, "compare_digest", spy)
    remote = http_for(Settings(environment="test", metrics_token=TOKEN), peer="203.0.113.7")
    await remote.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert compared == [(b"guess", TOKEN.encode())]


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValueError, match="METRICS_TOKEN"):
        Settings(environment="test", metrics_token="short")


# ----------------------------------------------------------------------------- proxies


async def _client_key(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """The client address a failed sign-in was throttled under (its LoginFailure key)."""
    await LoginFailure.all().delete()
    body = await gql(http, LOGIN, {"u": "nobody", "p": "wrong-password"}, headers=headers)
    assert body["data"]["login"]["__typename"] == "InvalidCredentials", body
    keys = await LoginFailure.filter(key__startswith="client:").values_list("key", flat=True)
    assert len(keys) == 1, keys
    return str(keys[0]).removeprefix("client:")


async def test_forwarded_for_from_an_untrusted_client_changes_nothing(
    db: Database, http_for: Any
) -> None:
    # given the default: no trusted proxy
    assert Settings(environment="test").trusted_proxies == ""
    http = http_for(peer="127.0.0.1")
    # when a caller, even on this host, claims to be someone else
    for claimed in ("203.0.113.9", "203.0.113.9, 198.51.100.1", "unknown"):
        # then its own address is the one throttled
        assert await _client_key(http, {"X-Forwarded-For": claimed}) == "127.0.0.1"
    # and one trusting another proxy does not believe this peer either
    other = http_for(Settings(environment="test", trusted_proxies="10.9.9.9"), peer="10.0.0.1")
    assert await _client_key(other, {"X-Forwarded-For": "203.0.113.9"}) == "10.0.0.1"


@pytest.mark.parametrize(
    ("trusted", "chain", "client"),
    [
        # a proxy that overwrites the header (docker/nginx.conf)
        ("10.0.0.1", "203.0.113.9", "203.0.113.9"),
        # a proxy that appends: the client's own entry on the left is not believed
        ("10.0.0.1", "198.51.100.66, 203.0.113.9", "203.0.113.9"),
        # two trusted hops: the entry left of the last trusted one
        ("10.0.0.0/24", "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # ports and IPv6
        ("10.0.0.1", "203.0.113.9:4711", "203.0.113.9"),
        ("10.0.0.1", "[2001:db8::5]:4711", "2001:db8::5"),
        # only proxies in the chain: the left-most
        ("10.0.0.0/24", "10.0.0.5, 10.0.0.7", "10.0.0.5"),
        # not an address (a misconfigured proxy): the peer stays the client
        ("10.0.0.1", "unknown", "10.0.0.1"),
    ],
)
async def test_a_trusted_proxy_sets_the_client_address(
    db: Database, http_for: Any, trusted: str, chain: str, client: str
) -> None:
    http = http_for(Settings(environment="test", trusted_proxies=trusted), peer="10.0.0.1")
    assert await _client_key(http, {"X-Forwarded-For": chain}) == client


async def test_a_trusted_proxy_sets_the_scheme(db: Database, http_for: Any) -> None:
    # Starlette builds absolute URLs (here a slash redirect) from the request's scheme
    trusted = http_for(Settings(environment="test", trusted_proxies="10.0.0.1"), peer="10.0.0.1")
    response = await trusted.get("/healthz/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["location"].startswith("https://")
    untrusted = http_for(peer="10.0.0.1")
    response = await untrusted.get("/healthz/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["location"].startswith("http://")


async def test_metrics_through_a_trusted_proxy_are_not_local(db: Database, http_for: Any) -> None:
    # given nginx on this host, trusted, relaying a remote caller
    settings = Settings(environment="test", trusted_proxies="127.0.0.1", metrics_token="")
    http = http_for(settings, peer="127.0.0.1")
    # then the caller is who nginx says, and not local
    response = await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 403


@pytest.mark.parametrize("entry", ["nginx", "10.0.0.300", "10.0.0.0/33", "*"])
def test_a_malformed_proxy_list_is_refused_at_start_up(entry: str) -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings(environment="test", trusted_proxies=f"127.0.0.1,{entry}")


def test_proxy_list_is_read_as_networks() -> None:
    settings = Settings(environment="test", trusted_proxies=" 172.31.240.10 , 10.0.0.0/8,::1,")
    assert settings.trusted_proxy_networks == (
        ipaddress.ip_network("172.31.240.10/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.fixture(params=BACKENDS)
async def server(
    request: pytest.FixtureRequest, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> AsyncIterator[Served]:
    """The demo district behind a real one-worker server (`python -m api serve`)."""
    settings = {"JOBS_INTERVAL_SECONDS": "0", "TRUSTED_PROXIES": ""}
    async with demo_server(request.param, templates, tmp_path, settings=settings) as handle:
        yield handle


@pytest.mark.slow
async def test_the_real_server_does_not_believe_a_local_callers_forwarded_for(
    server: Served,
) -> None:
    # given `python -m api serve` with no trusted proxy (uvicorn alone would believe
    # X-Forwarded-For from 127.0.0.1)
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
        # when a caller on this host fails a sign-in claiming another address
        body = await gql(
            http,
            LOGIN,
            {"u": "nobody", "p": "wrong-password"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert body["data"]["login"]["__typename"] == "InvalidCredentials", body
        # (and the server does not name itself)
        response = await http.get("/healthz")
        assert "server" not in response.headers
    # then the failure is counted against its real address
    async with opened(server.url):
        keys = await LoginFailure.filter(key__startswith="client:").values_list("key", flat=True)
    assert keys == ["client:127.0.0.1"], keys
