"""create_app(settings): routes, middleware and the database lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import ipaddress
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import graphiql, logs, media, templates
from api.figures import read_figures
from api.graphql import GraphQLApp
from api.jobs import JOBS
from schema.build import build_schema
from services import imports
from services.kit import db, health
from services.kit.events import Topic, broker
from services.kit.jobs import run_forever
from services.kit.media import MEDIA_ROUTE
from services.kit.relay import RedisRelay
from services.kit.settings import Settings, get_settings

logger = logging.getLogger("gridpoints.http")
access = logging.getLogger("gridpoints.access")

REQUESTS = Counter("gridpoints_http_requests_total", "HTTP requests", ["method", "path", "status"])
LATENCY = Histogram("gridpoints_http_request_seconds", "HTTP request latency", ["path"])
SUBSCRIPTIONS = Gauge(
    "gridpoints_live_subscriptions", "Open live-update subscriptions in this process", ["topic"]
)
for _topic in Topic:
    SUBSCRIPTIONS.labels(_topic.value).set_function(
        functools.partial(broker.subscriber_count, _topic)
    )
LEDGER_TRANSACTIONS = Gauge("gridpoints_ledger_transactions", "Transactions in the points ledger")
HELD_POINTS = Gauge("gridpoints_held_points", "Points held by redemptions awaiting pickup")
OPEN_WORK_ORDERS = Gauge("gridpoints_open_work_orders", "Work orders not yet confirmed or closed")
OVERDUE_WORK_ORDERS = Gauge(
    "gridpoints_overdue_work_orders", "Open work orders past their time to accept or to resolve"
)
DB_POOL = Gauge(
    "gridpoints_db_pool_connections", "PostgreSQL pool connections of this process", ["state"]
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestIdMiddleware:
    """Gives every request an id (or keeps the client's X-Request-ID), makes it the id of every
    log record written while serving it, times it, counts it and logs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = given if given.replace("-", "").isalnum() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = logs.REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                # Labels are the matched route and a known method, never the raw request:
                # made-up paths or methods would add label sets (memory) without bound.
                path = getattr(scope.get("route"), "path", None) or "unmatched"
                method = scope.get("method", "")
                method = method if method in _METHODS else "other"
                elapsed = time.perf_counter() - started
                REQUESTS.labels(method, path, str(status)).inc()
                LATENCY.labels(path).observe(elapsed)
                if path != "/metrics":
                    client = scope.get("client") or ("-", 0)
                    access.info(
                        "%s %s %s",
                        method,
                        scope.get("path", ""),
                        status,
                        extra={
                            "request_id": request_id,
                            "method": method,
                            "path": scope.get("path", ""),
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 2),
                            "client": client[0],
                        },
                    )
            logs.REQUEST_ID.reset(token)


# Every response: no MIME sniffing, never framed, no Referer sent on, and a Content-Security-
# Policy that lets nothing load (JSON and text need nothing; the GraphiQL page sends its own).
# Cache-Control: no-store unless the response says otherwise: /graphql answers carry tokens
# (login, refresh) and per-user data, which no browser or shared cache may keep.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", STRICT_CSP.encode()),
    (b"cache-control", b"no-store"),
)


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a peer or an X-Forwarded-For entry (`1.2.3.4`, `1.2.3.4:5`, `::1`,
    `[::1]:5`); None when it is not one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, networks: Sequence[Network]
) -> bool:
    return address is not None and any(address in network for network in networks)


class ProxyHeadersMiddleware:
    """The client's address and scheme from X-Forwarded-For and X-Forwarded-Proto, believed only
    when the peer is one of the TRUSTED_PROXIES (uvicorn's own proxy handling is off: see
    api.__main__). Anyone can send the headers; only a trusted proxy's word counts.

    The chain is read from the right: each proxy appends the address it saw, so the entry left
    of the last trusted hop is the client (a client's own entries are further left and never
    reached). When every entry is a trusted proxy, the left-most is the client.
    """

    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = scope.get("client")
            if peer and _trusted(_address(str(peer[0])), self.trusted):
                self._apply(scope)
        await self.app(scope, receive, send)

    def _apply(self, scope: Scope) -> None:
        chain: list[str] = []
        proto = None
        for name, value in scope.get("headers") or []:
            if name == b"x-forwarded-for":
                chain += value.decode("latin-1").split(",")
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").strip().lower()
        if proto in ("http", "https"):
            scope["scheme"] = proto.replace("http", "ws") if scope["type"] == "websocket" else proto
        if not chain:
            return
        client = None
        for entry in reversed(chain):
            client = _address(entry)
            if not _trusted(client, self.trusted):
                break
        # An entry that is no address (a misconfigured proxy) leaves the peer as the client.
        if client is not None:
            scope["client"] = (str(client), 0)


# A request relayed by a proxy is never a local caller, even when the proxy runs on the host.
_FORWARDING_HEADERS = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})


def local_caller(scope: Scope) -> bool:
    """Does the request come from this host itself (loopback), directly, not through a proxy?"""
    client = scope.get("client")
    address = _address(str(client[0])) if client else None
    if address is None or not address.is_loopback:
        return False
    return not any(name in _FORWARDING_HEADERS for name, _ in scope.get("headers") or [])


def metrics_refusal(request: Request, token: str) -> Response | None:
    """Why /metrics is not for this caller, or None when it is: callers on this host, and
    anyone else with METRICS_TOKEN as a bearer token (compared in constant time)."""
    if local_caller(request.scope):
        return None
    if not token:
        return PlainTextResponse(
            "Metrics are served to callers on this host only (set METRICS_TOKEN to scrape "
            "them from elsewhere).",
            status_code=403,
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    return PlainTextResponse(
        "A bearer token is needed for /metrics.",
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )


class GridpointsApp(Starlette):
    """Starlette, with the edge middleware outside its last-resort error handler as well: the
    500 it answers an unhandled error with gets the security headers like any response, and
    sees the client address the rest of the app sees."""

    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trusted_proxies = settings.trusted_proxy_networks

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = SecurityHeadersMiddleware(super().build_middleware_stack())
        if self.trusted_proxies:
            app = ProxyHeadersMiddleware(app, self.trusted_proxies)
        return app


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """The ASGI app. `manage_database=False` leaves connections to the caller (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        # Global fallback: request tasks must see the context opened here (Tortoise 1.x).
        await db.init(settings.database_url, run_migrations=False, global_fallback=True)
        relay = (
            RedisRelay(settings.events_redis_url, settings.events_channel)
            if settings.events_redis_url
            else None
        )
        if relay is not None:
            await relay.start()
        # Imports a process that has gone left unfinished (all or nothing: none wrote a row),
        # after the relay is up: their followers in other workers are told. The periodic jobs
        # sweep again (api.jobs), for a process that dies while this one runs.
        interrupted = await imports.fail_interrupted_jobs()
        if interrupted:
            logger.warning("%s interrupted import jobs marked FAILED", interrupted)
        jobs = (
            asyncio.create_task(run_forever(JOBS, settings.jobs_interval_seconds))
            if settings.jobs_interval_seconds
            else None
        )
        try:
            yield
        finally:
            await imports.stop_imports()  # before the database closes: they mark themselves
            if jobs is not None:
                jobs.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await jobs
            if relay is not None:
                await relay.stop()
            await db.close()

    async def healthz(request: Request) -> Response:
        ok = await health.database_reachable()
        return JSONResponse({"status": "ok" if ok else "down"}, status_code=200 if ok else 503)

    async def readyz(request: Request) -> Response:
        ready, detail = await health.ready()
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "detail": detail},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        refusal = metrics_refusal(request, settings.metrics_token)
        if refusal is not None:
            return refusal
        # The database figures are read at scrape time (one statement); a database that does
        # not answer leaves them as they were and the rest is still served.
        try:
            figures = await read_figures()
        except Exception:
            logger.exception("could not read the figures for /metrics")
        else:
            LEDGER_TRANSACTIONS.set(figures.ledger_transactions)
            HELD_POINTS.set(figures.held_points)
            OPEN_WORK_ORDERS.set(figures.open_work_orders)
            OVERDUE_WORK_ORDERS.set(figures.overdue_work_orders)
            if figures.pool_size is not None and figures.pool_in_use is not None:
                DB_POOL.labels("in_use").set(figures.pool_in_use)
                DB_POOL.labels("idle").set(figures.pool_size - figures.pool_in_use)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    graphql = GraphQLApp(build_schema(settings), settings)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        # Route, not Mount: a Mount answers POST /graphql with a redirect to /graphql/.
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        Route(f"{MEDIA_ROUTE}/{{path:path}}", media.serve),
        Route(templates.TEMPLATES_ROUTE, templates.serve),
    ]
    if settings.graphiql:
        routes.append(Route(graphiql.ASSET_ROUTE, graphiql.asset))
    return GridpointsApp(
        routes=routes,
        middleware=[Middleware(RequestIdMiddleware)],
        lifespan=lifespan,
        settings=settings,
    )
