"""The GraphQL endpoint: builds each request's context (actor, loaders, request id), publishes
the live-update events of each HTTP operation once it has succeeded, and serves subscriptions
over WebSocket (graphql-transport-ws only).

WebSocket connections: the access token travels in the `connection_init` payload, as
`{"authorization": "Bearer <token>"}` or `{"token": "<token>"}` (an `Authorization` header on the
handshake works too, for clients that can send one). A token that is invalid, expired or logged
out closes the connection with 4403; no token at all makes an anonymous connection, whose
subscriptions that need a person are refused when subscribing. The token is not renewed on a
connection: a client with a refreshed token reconnects. Each operation on a connection gets its
own context (the connection's actor, its own loaders), and `max_subscriptions_per_connection`
operations may run at once.

The connection outlives its token and the roles its person had: the connection keeps the
token's expiry, and the actor is re-read from the database (session, account, roles) before an
operation starts and before a subscription delivers an event, when it was last read more than
LIVE_ACTOR_RECHECK_SECONDS ago (see schema.context / schema.live). Once the token has expired
(checked before each delivery and by a timer while a subscription waits) or the session has
ended, each running subscription ends with an `error` message (UNAUTHENTICATED, "token expired:
reconnect with a fresh token"), as does every later operation; a subscriber whose roles no
longer allow what they follow gets FORBIDDEN. The socket itself stays open (its other
subscriptions end on their own, each with its error), so that the client sees a typed error
per subscription rather than a bare close code; it then reconnects with a fresh token.

The legacy `graphql-ws` protocol (subscriptions-transport-ws) is refused (close 4406): it is
unmaintained, and one protocol means one set of rules to check.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UnsetType
from strawberry.utils.aio import aclosing

from api import graphiql
from schema.context import Context
from schema.loaders import Loaders
from services import accounts, events
from services.errors import DomainError
from services.settings import Settings


def client_address(request: Request | WebSocket) -> str:
    """The caller's address (X-Forwarded-For counts from TRUSTED_PROXIES only: api.app)."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request | WebSocket) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def init_token(params: dict[str, Any] | None) -> str | None:
    """The token of a `connection_init` payload: `authorization: "Bearer <token>"` (the key in
    any case) or `token: "<token>"`; None when there is none; ValueError when malformed."""
    found: object = None
    for key, value in (params or {}).items():
        if key.lower() == "authorization":
            if not isinstance(value, str):
                raise ValueError("authorization must be a string")
            scheme, _, token = value.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ValueError("authorization must be `Bearer <token>`")
            found = token.strip()
        elif key == "token" and value is not None:
            if not isinstance(value, str) or not value.strip():
                raise ValueError("token must be a non-empty string")
            found = found or value.strip()
    return found if isinstance(found, str) else None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, with a context per operation, events of
    mutations published when they succeed, and a coded error for the subscription cap."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        cap = self.view.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and cap is not None
            and len(self.operations) >= cap
        ):
            error = GraphQLError(
                f"At most {cap} subscriptions (or other operations) may run at once on one "
                "connection; complete one before starting another.",
                extensions={"code": "LIMIT_EXCEEDED"},
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)

    # Strawberry's own run_operation (0.341), with three changes: the connection's actor is
    # revalidated first (token expiry, session, roles: an operation never runs for someone who
    # has gone); the operation runs with a copy of the connection's context (operations on one
    # connection share no loader cache); and inside `events.collecting()` (a mutation sent over
    # the socket announces its changes once it has succeeded; a subscription emits nothing, so
    # holding the outbox open costs nothing).
    async def run_operation(self, operation: Operation[Context, None]) -> None:
        try:
            try:
                await self.context.revalidate()
            except DomainError as refused:
                await operation.send_initial_errors([stream_error(refused)])
                return
            async with events.collecting():
                result_source = await self.schema.stream(
                    operation.query,
                    variable_values=operation.variables,
                    context_value=self.context.for_operation(),
                    root_value=self.root_value,
                    operation_name=operation.operation_name,
                )
                async with aclosing(result_source):
                    await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    # Strawberry sends an error that ends a subscription's stream (raised by its source, not
    # by a field: no data, no path) as a `next` message followed by `complete`; the protocol's
    # message for it is `error`, which also ends the operation. Clients' error callbacks (urql,
    # Apollo, graphql-ws) fire on `error`: that is where a client learns that its token expired
    # or that it may no longer follow an area, and reconnects or stops.
    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: Any
    ) -> None:
        first = True
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            if ends_stream(result):
                await operation.send_initial_errors(list(result.errors or ()))
                return
            await operation.send_next(result)
            first = False


def ends_stream(result: ExecutionResult) -> bool:
    """Is this result the error that ended a subscription's source stream (errors of fields
    have a path; refusals at subscribe time are PreExecutionErrors, handled before)?"""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def stream_error(error: DomainError) -> GraphQLError:
    """A domain error as a GraphQL error with its code (as MaskUnexpectedErrors formats them)."""
    return GraphQLError(error.message, extensions={"code": error.code, "field": error.field})


# Whether a (Content-Type, Accept) pair asks for a plain JSON answer to a JSON body, by pair:
# Strawberry parses the content type with the email package on every request (~15 µs).
_PLAIN_HEADERS: dict[tuple[str, str], bool] = {}
_PLAIN_HEADERS_SIZE = 256


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with Gridpoints' context, and a short way through its view for
    the commonest request: one operation POSTed as JSON."""

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.websocket_origins,
        )
        self.settings = settings
        # Incremental delivery (@defer/@stream) answers in parts: Strawberry's view only.
        self._short_posts = not schema.config.enable_experimental_incremental_execution

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not self._short_posts:
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._post(request)
        except HTTPException as e:
            response = PlainTextResponse(e.reason, status_code=e.status_code)
        await response(scope, receive, send)

    async def _post(self, request: Request) -> Response:
        """Strawberry's `run` for a POST, minus what a single JSON operation does not need.

        The same hooks run in the same order (root value, sub-response, context,
        execute_operation, result processing, response) with the same arguments, so the same
        HTTP errors come out of them; any other POST (another content type, a streaming
        Accept, a batch, a malformed body) is handed to `run` untouched, which then answers
        exactly as before.
        """
        request_data = await self._plain_operation(request)
        if request_data is None:
            return await self.run(request)
        root_value = await self.get_root_value(request)  # type: ignore[func-returns-value]
        request_adapter = self.request_adapter_class(request)
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        result = await self.execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )
        response_data = await self.process_result(request=request, result=result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data=response_data, sub_response=sub_response)

    async def _plain_operation(self, request: Request) -> GraphQLRequestData | None:
        """A single operation sent as a JSON object, read as Strawberry's parse_http_body
        reads it; None for anything else."""
        headers = request.headers
        key = (headers.get("content-type", ""), headers.get("accept", ""))
        plain = _PLAIN_HEADERS.get(key)
        if plain is None:
            content_type, _ = parse_content_type(key[0])
            plain = (
                "application/json" in content_type
                and self._get_stream_transport_from_headers(headers) is None
            )
            if len(_PLAIN_HEADERS) >= _PLAIN_HEADERS_SIZE:
                _PLAIN_HEADERS.clear()
            _PLAIN_HEADERS[key] = plain
        if not plain:
            return None
        try:
            data = self.decode_json(await request.body())
        except Exception:  # `run` reads the body again and answers as it does
            return None
        if not isinstance(data, dict):
            return None
        query = data.get("query")
        variables = data.get("variables")
        extensions = data.get("extensions")
        if (
            not isinstance(query, (str, type(None)))
            or not isinstance(variables, (dict, type(None)))
            or not isinstance(extensions, (dict, type(None)))
        ):
            return None
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
            protocol="http",
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        # Events emitted while an HTTP operation runs go out when it has finished (its
        # transactions committed), so a subscriber reading back sees the change.
        async with events.collecting():
            return await super().execute_operation(
                request=request,
                request_adapter=request_adapter,
                request_data=request_data,
                context=context,
                root_value=root_value,
                sub_response=sub_response,
            )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Gridpoints' own page: React and GraphiQL come from this service, not a public CDN.
        return graphiql.page()

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        try:
            token = init_token(context.connection_params)
        except ValueError as exc:
            raise ConnectionRejectionError() from exc
        if token is not None:
            actor = await accounts.actor_from_token(token)
            claims = accounts.access_claims(token)
            if actor is None or claims is None:
                raise ConnectionRejectionError()
            context.actor = actor
            context.loaders = Loaders(actor)
            context.actor_read_at = time.monotonic()
            context.token_expires_at = claims.expires_at
        return await super().on_ws_connect(context)

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
        websocket = isinstance(request, WebSocket)
        # A connection outlives its token: keep when the token expires (see the module's doc).
        claims = accounts.access_claims(token) if token and actor and websocket else None
        return Context(
            settings=self.settings,
            actor=actor,
            request_id=request_id,
            client=client_address(request),
            loaders=Loaders(actor),
            request=request,
            response=response,
            websocket=websocket,
            token_expires_at=claims.expires_at if claims else None,
        )
