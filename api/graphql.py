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
LIVE_ACTOR_RECHECK_SECONDS ago (see schema.core.context / schema.core.live). Once the token has
expired (checked before each delivery and by a timer while a subscription waits) or the session has
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
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from starlette.datastructures import FormData, Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import ParserCache
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws import handlers as transport_ws
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message as WSMessage
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UnsetType
from strawberry.utils.aio import aclosing

from api import graphiql
from api.graphql_http import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    JSONRefused,
    RequestRefused,
    content_type,
    is_json_content_type,
    json_depth_exceeds,
    longer_than,
    payload_too_large,
    response_media_type,
)
from api.graphql_multipart import (
    PREFLIGHT_HEADERS,
    UploadLimits,
    has_preflight_header,
    is_multipart_content_type,
    place_files,
    read_form,
    text_part,
)
from api.persisted_queries import PersistedQueries, PersistedQueryError, read_manifest
from schema.core.context import Context
from schema.core.loaders import Loaders
from services import accounts
from services.errors import DomainError
from services.kit import events
from services.kit.settings import Settings


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


class _NeverRaised(Exception):
    """Stands in for a private exception a Strawberry release no longer has."""


# Private to Strawberry (schema/core/fastpath.py): only the fast path's WebSocket handler
# catches it, and the fast path refuses to start on releases other than the checked ones; read
# this way, the app still starts with FAST_EXECUTION=false after an upgrade that removed it.
_OperationStreamClosed: type[Exception] = getattr(
    transport_ws, "_OperationStreamClosed", _NeverRaised
)


class _CappedHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler with a coded error for the operations cap."""

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
        # Persisted queries hold over the socket as over HTTP: with PERSISTED_QUERIES=only,
        # nothing but the manifest's operations runs, and a document named by hash is found.
        payload = message["payload"]
        try:
            view = cast("GraphQLApp", self.view)
            query = view.persisted.document(payload.get("query"), payload.get("extensions"))
        except PersistedQueryError as refused:
            error = GraphQLError(refused.message, extensions={"code": refused.code})
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        if query is not payload.get("query"):
            message = {**message, "payload": {**payload, "query": query or ""}}
        await super().handle_subscribe(message)


class TransportWSHandler(_CappedHandler):
    """The handler on the fast path (FAST_EXECUTION, see schema.core.fastpath): a context per
    operation, events of mutations published when they succeed, the actor revalidated before
    each operation, an error that ends a stream sent as `error`; by overriding Strawberry's
    operation loop and its private steps."""

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


class _OperationSchema:
    """The schema as PlainTransportWSHandler hands it to Strawberry's operation loop: each
    operation's stream revalidates the connection's actor first, runs with a copy of the
    connection's context and inside `events.collecting()`, as TransportWSHandler's loop does."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema

    async def stream(
        self, query: str, *, context_value: Context, **options: Any
    ) -> AsyncGenerator[ExecutionResult, None]:
        return self._operation(query, context_value, options)

    async def _operation(
        self, query: str, context: Context, options: dict[str, Any]
    ) -> AsyncGenerator[ExecutionResult, None]:
        try:
            await context.revalidate()
        except DomainError as refused:
            # The first result, a PreExecutionError: Strawberry sends it as `error`.
            yield PreExecutionError(data=None, errors=[stream_error(refused)])
            return
        async with events.collecting():
            source = await self.schema.stream(
                query, context_value=context.for_operation(), **options
            )
            async with aclosing(source):
                async for result in source:
                    yield result


class PlainTransportWSHandler(_CappedHandler):
    """The handler off the fast path (FAST_EXECUTION=false): Strawberry's own operation loop,
    through public hooks only, with the same behaviour as TransportWSHandler: the schema it
    streams from wraps each operation (_OperationSchema), and `send_message` turns the `next`
    carrying an error that ended a stream into the protocol's `error`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _OperationSchema(self.schema)  # type: ignore[assignment]

    async def send_message(self, message: WSMessage) -> None:
        if message["type"] == "next" and ends_stream_payload(message["payload"]):
            operation = self.operations.get(message["id"])
            if operation is not None:
                # Ended: the `complete` Strawberry sends next is then not sent.
                operation.completed = True
                self.forget_id(operation.id)
            message = {
                "id": message["id"],
                "type": "error",
                "payload": message["payload"]["errors"],
            }
        await super().send_message(message)


def ends_stream_payload(payload: Any) -> bool:
    """ends_stream, for a `next` message's payload (a formatted error has a path only when it
    is a field's)."""
    errors = payload.get("errors") or ()
    return payload.get("data") is None and bool(errors) and all("path" not in e for e in errors)


@dataclass
class _Exchange:
    """What one HTTP request has settled about its answer: the media type it accepts (None:
    neither of ours), and the sub-response whose status a request error sets."""

    media_type: str | None
    sub_response: Response | None = None
    form: FormData | None = None  # a multipart request's parts (its files closed at the end)


_EXCHANGE = "graphql_exchange"  # its key in the request's scope state


def _exchange(request: Request) -> _Exchange:
    exchange = request.scope.get("state", {}).get(_EXCHANGE)
    return exchange if isinstance(exchange, _Exchange) else _Exchange(JSON)


class _RequestAdapter(StarletteRequestAdapter):
    """Strawberry's adapter of a Starlette request, which also hands the request back (a
    multipart body is read with the request's own stream: api.graphql_multipart)."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


# Codes of the refusals Strawberry's view raises itself (the others are RequestRefused).
_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def is_request_error(result: ExecutionResult) -> bool:
    """Did the operation fail before executing (the spec's "request error": parse, validation,
    the limits, the operation not found, variable coercion), rather than in a field?

    Strawberry returns a PreExecutionError up to validation; graphql-core's variable
    coercion answers with no data and errors that have no path, while a field error always has
    the path of its field.
    """
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or ()
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def request_error_status(errors: list[GraphQLError] | None) -> int:
    """The status of a request error in application/graphql-response+json: 500 when it is our
    fault (an unexpected error, masked or not), 429 when the client is throttled, else 400."""
    for error in errors or ():
        code = (error.extensions or {}).get("code")
        original = error.original_error
        if code == "INTERNAL" or (
            original is not None and not isinstance(original, (GraphQLError, DomainError))
        ):
            return 500
    if any((error.extensions or {}).get("code") == "THROTTLED" for error in errors or ()):
        return 429
    return 400


# Strawberry's module-wide parse cache, as ParserCache (schema.core.validation) uses it: a document
# read here to count its operations is read from the cache again when it executes.
_parse = ParserCache().cached_parse_document


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with Gridpoints' context, GraphQL over HTTP as its spec writes it
    (see api.graphql_http and the README), and a short way through its view for the commonest
    request: one operation POSTed as JSON.

    Every HTTP request is first admitted: GET or POST (else 405), a body within
    MAX_REQUEST_BYTES (413, from Content-Length and again while the body streams in), a POST
    as `application/json` (415), or as `multipart/form-data` for file uploads (the GraphQL
    multipart request spec: api.graphql_multipart; mutations only, with a preflight header,
    the body within MAX_MULTIPART_BYTES), an Accept that allows application/json or
    application/graphql-response+json (406; GraphiQL's page aside). Refusals are JSON,
    `{"errors": [{"message", "extensions": {"code"}}]}`, in the accepted media type.
    Answers in application/graphql-response+json give a request error (parse, validation,
    limits, no such operation, variables that do not coerce) status 400 (500 if it is ours)
    and no `data`; application/json answers keep status 200 with `data: null`, as before.
    """

    graphql_transport_ws_handler_class: type[_CappedHandler] = TransportWSHandler
    request_adapter_class = _RequestAdapter

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.websocket_origins,
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.upload_limits = UploadLimits(
            file_bytes=settings.max_upload_bytes,
            files=settings.max_upload_files,
            field_bytes=settings.max_request_bytes,
        )
        # Incremental delivery (@defer/@stream) answers in parts: Strawberry's view only.
        self._short_posts = (
            settings.fast_execution and not schema.config.enable_experimental_incremental_execution
        )
        if not settings.fast_execution:
            self.graphql_transport_ws_handler_class = PlainTransportWSHandler
        # A manifest that does not check out stops the app here (ValueError), not at a request.
        manifest = (
            read_manifest(settings.persisted_queries_manifest)
            if settings.persisted_queries_manifest
            else None
        )
        self.persisted = PersistedQueries(
            settings.persisted_queries, settings.persisted_query_cache, manifest
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = scope["method"] == "POST" and is_multipart_content_type(
            headers.get("content-type", "")
        )
        request = Request(scope=scope, receive=self._bounded(receive, multipart))
        exchange = _Exchange(response_media_type(headers.get("accept", "")))
        scope.setdefault("state", {})[_EXCHANGE] = exchange
        try:
            try:
                self._admit(request, exchange, multipart)
                if request.method == "POST" and self._short_posts and not multipart:
                    response = await self._post(request)
                else:
                    response = await self.run(request)
            except HTTPException as error:
                response = self._refusal(error, exchange.media_type)
            await response(scope, receive, send)
        finally:
            if exchange.form is not None:
                await exchange.form.close()

    def _body_limit(self, multipart: bool) -> tuple[int, str]:
        """The largest body and the setting that says so: MAX_MULTIPART_BYTES for uploads,
        MAX_REQUEST_BYTES for everything else (a JSON operation is small)."""
        if multipart:
            return self.settings.max_multipart_bytes, "MAX_MULTIPART_BYTES"
        return self.settings.max_request_bytes, "MAX_REQUEST_BYTES"

    def _bounded(self, receive: Receive, multipart: bool) -> Receive:
        """`receive`, refusing the body (413) once more than its limit (_body_limit) has come
        in, whatever Content-Length said (or if it said nothing: a chunked body)."""
        limit, setting = self._body_limit(multipart)
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise payload_too_large(limit, setting)
            return message

        return bounded

    def _admit(self, request: Request, exchange: _Exchange, multipart: bool) -> None:
        """Refuse what is not a GraphQL-over-HTTP request we serve, before any work."""
        method = request.method
        if method not in ("GET", "POST"):
            raise RequestRefused(
                405,
                "GraphQL is served over GET (queries) and POST.",
                code="METHOD_NOT_ALLOWED",
                headers={"Allow": "GET, POST"},
            )
        headers = request.headers
        if method == "POST":
            limit, setting = self._body_limit(multipart)
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                raise payload_too_large(limit, setting)
            if multipart and not has_preflight_header(headers):
                # A form posted by another site's page must not run a mutation as the user.
                raise RequestRefused(
                    400,
                    "A multipart request must carry one of the headers "
                    f"{', '.join(PREFLIGHT_HEADERS)} (non-empty), which a cross-site form "
                    "cannot send (CSRF prevention).",
                    code="CSRF_PREVENTED",
                )
            if not multipart and not is_json_content_type(headers.get("content-type", "")):
                raise RequestRefused(
                    415,
                    "POST the operation as JSON, with Content-Type: application/json (or, "
                    "to upload files, as multipart/form-data: the GraphQL multipart request "
                    "spec).",
                    code="UNSUPPORTED_MEDIA_TYPE",
                )
        if exchange.media_type is None and not (
            method == "GET" and self.should_render_graphql_ide(self.request_adapter_class(request))
        ):
            raise RequestRefused(
                406,
                f"Answers are {GRAPHQL_RESPONSE_JSON} or {JSON}, and the Accept header allows "
                "neither (subscriptions run over WebSocket: graphql-transport-ws at /graphql).",
                code="NOT_ACCEPTABLE",
            )

    def _refusal(self, error: HTTPException, media_type: str | None) -> Response:
        """A refused request as JSON with a code, in the media type the client accepts."""
        if isinstance(error, RequestRefused):
            code, headers = error.code, error.headers
        else:
            code = _CODES.get(error.status_code, "BAD_REQUEST")
            headers = {"Allow": "GET, POST"} if error.status_code == 405 else {}
        body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
        return Response(
            self.encode_json(body),
            status_code=error.status_code,
            headers=headers,
            media_type=content_type(media_type or JSON),
        )

    async def _post(self, request: Request) -> Response:
        """Strawberry's `run` for a POST, minus what a single JSON operation does not need.

        The same hooks run in the same order (root value, sub-response, context,
        execute_operation, result processing, response) with the same arguments, so the same
        HTTP errors come out of them; any other POST (a streaming Accept, a batch, a malformed
        body) is handed to `run` untouched, which then answers exactly as before.
        """
        request_data = await self._plain_operation(request)
        if request_data is None:
            return await self.run(request)
        # The hook runs as in `run`; this app's root value type is None (GraphQL[Context, None]).
        await self.get_root_value(request)
        root_value = None
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
        """A single operation sent as a JSON object (admitted: its Content-Type is JSON), read
        as parse_http_body reads it; None for anything else."""
        if self._stream_transport_map and self._get_stream_transport_from_headers(request.headers):
            return None
        body = await request.body()  # over MAX_REQUEST_BYTES: refused (413) while read
        try:
            data = self.decode_json(body)
        except Exception:  # `run` decodes the body again and answers as it does
            return None
        if not isinstance(data, dict):
            return None
        query = data.get("query")
        variables = data.get("variables")
        extensions = data.get("extensions")
        operation_name = data.get("operationName")
        if (
            not isinstance(query, (str, type(None)))
            or not isinstance(variables, (dict, type(None)))
            or not isinstance(extensions, (dict, type(None)))
            or not isinstance(operation_name, (str, type(None)))
        ):
            return None
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=operation_name,
            extensions=extensions,
            protocol="http",
        )

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's, for what this app serves (a GET's parameters, a JSON body admitted
        by `_admit`, a multipart upload: `_parse_upload`; no batches), with every malformed
        request refused with 400 and a code: a body that is not an object (Strawberry's own
        fails on it with a 500), an `operationName` that is not text (Strawberry's passes it
        on)."""
        transport = self._get_stream_transport_from_headers(request.headers)
        protocol: GraphQLRequestProtocol = transport.protocol if transport else "http"
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif is_multipart_content_type(request.content_type or ""):
            return await self._parse_upload(request, protocol)
        else:
            data = self.parse_json(await request.get_body())
        return self._request_data(data, protocol)

    def _request_data(self, data: object, protocol: GraphQLRequestProtocol) -> GraphQLRequestData:
        """The operation of a request's JSON object (or a GET's parameters), checked."""
        if isinstance(data, list):
            raise RequestRefused(
                400, "Send one operation per request: batches are not accepted.", code="BAD_REQUEST"
            )
        if not isinstance(data, dict):
            raise RequestRefused(
                400,
                "The request must be a JSON object with `query` and, if needed, `variables`, "
                "`operationName` and `extensions`.",
                code="BAD_REQUEST",
            )
        for name, kind, shape in (
            ("query", str, "a string"),
            ("variables", dict, "an object"),
            ("operationName", str, "a string"),
            ("extensions", dict, "an object"),
        ):
            if not isinstance(data.get(name), (kind, type(None))):
                raise RequestRefused(
                    400,
                    f"The GraphQL operation's `{name}` must be {shape} or null, if provided.",
                    code="BAD_REQUEST",
                )
        return GraphQLRequestData(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
            protocol=protocol,
        )

    async def _parse_upload(
        self, adapter: AsyncHTTPRequestAdapter, protocol: GraphQLRequestProtocol
    ) -> GraphQLRequestData:
        """A multipart upload (the GraphQL multipart request spec): `operations` with the files
        of `map` in its variables; a mutation, and nothing else (a query has nothing to
        upload, and a multipart POST is the one kind a cross-site form can send)."""
        if not isinstance(adapter, _RequestAdapter):  # pragma: no cover (our adapter class)
            raise RequestRefused(415, "Uploads are not served here.", code="UNSUPPORTED_MEDIA_TYPE")
        request = adapter.request
        exchange = _exchange(request)
        form = exchange.form = await read_form(request, self.upload_limits)
        operations = self.parse_json(text_part(form, "operations"))
        files_map = self.parse_json(text_part(form, "map"))
        if isinstance(operations, list):
            raise RequestRefused(
                400, "Send one operation per request: batches are not accepted.", code="BAD_REQUEST"
            )
        if not isinstance(operations, dict):
            raise RequestRefused(
                400,
                "`operations` must be a JSON object with `query`, `variables` and, if needed, "
                "`operationName` and `extensions`.",
                code="BAD_REQUEST",
            )
        request_data = self._request_data(place_files(operations, files_map, form), protocol)
        try:
            # A document named by hash is judged as the document it names.
            query = self.persisted.document(request_data.query, request_data.extensions)
        except PersistedQueryError:
            query = None  # refused with its code when it runs
        kind = self._operation_type(query, request_data.operation_name)
        if kind is not None and kind != OperationType.MUTATION:
            raise RequestRefused(
                400,
                "Only mutations may be sent as multipart/form-data (file uploads); send "
                "queries as JSON or GET, and subscriptions over WebSocket.",
                code="MULTIPART_MUTATION_ONLY",
            )
        return request_data

    def _operation_type(self, query: str | None, name: str | None) -> OperationType | None:
        """The type of the operation a request runs; None when the document does not parse or
        the operation cannot be chosen (execution then says why, running nothing)."""
        if not query:
            return None
        try:
            document = _parse(query, max_tokens=self.settings.max_tokens)
        except GraphQLError:
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if name is not None:
            operations = [d for d in operations if d.name is not None and d.name.value == name]
        return operations[0].operation if len(operations) == 1 else None

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        # `?query=...&variables=` (an empty parameter) is no parameter, as for most servers.
        return super().parse_query_params({k: v for k, v in params.items() if v != ""})

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except JSONRefused as refused:
            raise RequestRefused(refused.status_code, refused.reason, code=refused.code) from None
        except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError
            raise RequestRefused(
                400,
                "The request is not valid JSON (a POST body, or a GET's `variables` or "
                "`extensions`).",
                code="BAD_REQUEST",
            ) from error

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Strawberry raises a bare 400 when the operation cannot be chosen and when a GET
        # asks for a mutation, and runs the first of several operations when none is named.
        # The first and the last are a GraphQL request error (GetOperation) like a validation
        # error (200 in application/json, 400 in application/graphql-response+json, with a
        # code); the second is the wrong method for it: 405, Allow: POST, as the spec says.
        if request_data.operation_name is None and self._operations(request_data.query) > 1:
            return PreExecutionError(
                data=None,
                errors=[
                    GraphQLError(
                        "The document has several operations: name the one to run in "
                        "`operationName`.",
                        extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
                    )
                ],
            )
        try:
            return await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as error:
            cause = error.__cause__
            if isinstance(cause, CannotGetOperationTypeError):
                return PreExecutionError(
                    data=None,
                    errors=[
                        GraphQLError(
                            cause.as_http_error_reason(),
                            extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
                        )
                    ],
                )
            if isinstance(cause, InvalidOperationTypeError):
                raise RequestRefused(
                    405,
                    "GET runs queries only: send mutations with POST.",
                    code="METHOD_NOT_ALLOWED",
                    headers={"Allow": "POST"},
                ) from cause
            raise

    def _operations(self, query: str | None) -> int:
        """How many operations the document defines (0 if it does not parse: the schema then
        says why). Parsed with the schema's own options, so the cache hits both times."""
        if not query:
            return 0
        try:
            document = _parse(query, max_tokens=self.settings.max_tokens)
        except GraphQLError:
            return 0
        return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        if isinstance(request, Request):
            exchange = _exchange(request)
            exchange.sub_response = sub_response
            sub_response.media_type = exchange.media_type
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response_data = await super().process_result(request, result)
        exchange = _exchange(request)
        if exchange.media_type == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            # A request error has no `data` entry (GraphQL spec, "Response"), and a status
            # that says it was not executed.
            response_data.pop("data", None)
            sub_response = exchange.sub_response
            if sub_response is not None and sub_response.status_code is None:
                sub_response.status_code = request_error_status(result.errors)
        return response_data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type and sub_response.media_type != JSON:
            response.headers["content-type"] = content_type(sub_response.media_type)
        return response

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        persisted = False
        if isinstance(request_data, GraphQLRequestData):
            # A document named by hash (api.persisted_queries) runs as if sent in full: the
            # same parse cache, limits, and GET-for-queries-only rule.
            persisted = bool(
                request_data.extensions and "persistedQuery" in request_data.extensions
            )
            try:
                query = self.persisted.document(request_data.query, request_data.extensions)
            except PersistedQueryError as error:
                if persisted and request.method == "GET":
                    self._persisted_cache_headers(request, sub_response, cacheable=False)
                return PreExecutionError(
                    data=None,
                    errors=[GraphQLError(error.message, extensions={"code": error.code})],
                )
            if query is not request_data.query:
                request_data = dataclasses.replace(request_data, query=query)
        result = await self._execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        if persisted and request.method == "GET":
            cacheable = isinstance(result, ExecutionResult) and not result.errors
            self._persisted_cache_headers(request, sub_response, cacheable=cacheable)
        return result

    def _persisted_cache_headers(
        self, request: Request, sub_response: Response, *, cacheable: bool
    ) -> None:
        """Cache-Control for a persisted query asked by GET: a shared cache may keep a
        successful answer to a request without credentials (no Authorization, no Cookie) for
        PERSISTED_QUERY_MAX_AGE seconds; anything else, or with the setting at 0, no-store (what
        every other answer carries: api.app). Answers differ by credentials and media type."""
        headers = request.headers
        anonymous = "authorization" not in headers and "cookie" not in headers
        max_age = self.settings.persisted_query_max_age
        if cacheable and anonymous and max_age > 0:
            sub_response.headers["Cache-Control"] = f"public, max-age={max_age}"
        else:
            sub_response.headers["Cache-Control"] = "private, no-store"
        sub_response.headers["Vary"] = "Accept, Authorization, Cookie"

    async def _execute_operation(
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

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with `extensions` and no `query` is a persisted query, not a browser asking
        # for the page: Apollo Client sends `Accept: */*`, which Strawberry takes for one.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
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
    #
    # Every JSON the app reads comes through here (a POST body, a GET's `variables` and
    # `extensions`, each WebSocket message), so its size and depth are bounded here, before
    # any parsing: a refused WebSocket message is invalid JSON to the protocol (close 4400).
    def decode_json(self, data: str | bytes) -> object:
        limit = self.settings.max_request_bytes
        if longer_than(data, limit):
            raise JSONRefused(
                413,
                f"JSON larger than {limit} bytes (MAX_REQUEST_BYTES).",
                code="PAYLOAD_TOO_LARGE",
            )
        bound = self.settings.max_json_depth
        if json_depth_exceeds(data, bound):
            raise JSONRefused(
                400,
                f"JSON nested deeper than {bound} arrays and objects (MAX_JSON_DEPTH).",
                code="JSON_TOO_DEEP",
            )
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
