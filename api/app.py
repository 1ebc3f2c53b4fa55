"""create_app(settings): routes, middleware and the database lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import logs
from api.graphql import GraphQLApp
from schema import build_schema
from services import db, health
from services.events import Topic, broker
from services.jobs import run_forever
from services.relay import RedisRelay
from services.settings import Settings, get_settings

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
        jobs = (
            asyncio.create_task(run_forever(settings.jobs_interval_seconds))
            if settings.jobs_interval_seconds
            else None
        )
        try:
            yield
        finally:
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
        # The database figures are read at scrape time (one statement); a database that does
        # not answer leaves them as they were and the rest is still served.
        try:
            figures = await health.figures()
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
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            # Route, not Mount: a Mount answers POST /graphql with a redirect to /graphql/.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[Middleware(RequestIdMiddleware)],
        lifespan=lifespan,
    )
