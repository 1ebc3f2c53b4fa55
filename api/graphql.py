"""The GraphQL endpoint: builds each request's context (actor, loaders, request id)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from schema.context import Context
from schema.loaders import Loaders
from services import accounts
from services.settings import Settings


def client_address(request: Request | WebSocket) -> str:
    """The caller's address (uvicorn applies X-Forwarded-For from FORWARDED_ALLOW_IPS only)."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request | WebSocket) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with Gridpoints' context."""

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.settings = settings

    # orjson reads a request and writes a page of areas in a fraction of the stdlib's time.
    # Anything it refuses (integers beyond 64 bits, lone surrogates, non-string keys) gets the
    # stdlib's answer, so what is accepted and what is written stays as it was.
    def decode_json(self, data: str | bytes) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return json.loads(data)

    def encode_json(self, data: object) -> str:
        try:
            # Text, not bytes: WebSocket messages must go out as text frames.
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:
            return json.dumps(data, separators=(",", ":"))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        token = bearer_token(request)
        actor = await accounts.actor_from_token(token) if token else None
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        return Context(
            settings=self.settings,
            actor=actor,
            request_id=request_id,
            client=client_address(request),
            loaders=Loaders(actor),
            request=request,
            response=response,
        )
