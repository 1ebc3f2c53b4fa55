"""Query limits checked before execution, and masking of unexpected errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, cast

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    StringValueNode,
    Visitor,
    visit,
)
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from schema.core.cost import check_cost
from schema.core.errors import bounded
from schema.core.ids import check_ids
from schema.core.validation import parse_cached, validate_cached
from services.errors import DomainError

logger = logging.getLogger("gridpoints.graphql")


def _refuse(ctx: Any, error: GraphQLError) -> None:
    # Checked with validation, after the validation cache has run (it comes first in the schema's
    # extensions) and only when the document is valid: an error here is a pre-execution error, so
    # a subscription is refused (a result set in on_execute would be ignored for one).
    ctx.pre_execution_errors = [error]


def _valid_so_far(ctx: Any) -> bool:
    return not ctx.pre_execution_errors


class SubscriptionsOverWebSocket(SchemaExtension):
    """Refuses a subscription sent over plain HTTP (it would have nothing to stream into): they
    run over WebSocket only, with graphql-transport-ws."""

    def on_validate(self) -> Iterator[None]:
        _check_transport(self.execution_context)
        yield


def _check_transport(ctx: ExecutionContext) -> None:
    if (
        _valid_so_far(ctx)
        and ctx.graphql_document is not None
        and ctx.operation_type is OperationType.SUBSCRIPTION
        and not getattr(ctx.context, "websocket", False)
    ):
        _refuse(
            ctx,
            GraphQLError(
                "Subscriptions run over WebSocket: connect to /graphql with the "
                "graphql-transport-ws protocol.",
                extensions={"code": "INVALID_INPUT"},
            ),
        )


class QueryCostLimiter(SchemaExtension):
    """Rejects over-sized pages and operations whose estimated cost exceeds the caller's
    budgets (per operation and over time), and reports the cost (schema/core/cost.py)."""

    def on_validate(self) -> Iterator[None]:
        _check_cost(self.execution_context)
        yield


def _check_cost(ctx: ExecutionContext) -> None:
    # The estimate, the budgets and `extensions.cost`: schema/core/cost.py.
    if ctx.graphql_document is not None and _valid_so_far(ctx):
        error = check_cost(ctx)
        if error is not None:
            _refuse(ctx, error)


# Text the service cannot store: NUL (PostgreSQL refuses it) and UTF-16 surrogates, which are
# not Unicode scalar values (JSON's "\ud800" escape makes one; UTF-8 cannot encode it, so no
# database or response can hold it).
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_NUL_MESSAGE = "Text must not contain NUL characters."
_SURROGATE_MESSAGE = "Text must be valid Unicode (no lone surrogates such as \\ud800)."


def _text_problem(text: str) -> str | None:
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    return _NUL_MESSAGE if found.group(0) == "\x00" else _SURROGATE_MESSAGE


def _value_problem(value: Any) -> str | None:
    """The first problem of any text in a variable's value, keys included."""
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _value_problem(key) or _value_problem(item)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = _value_problem(item)
            if problem:
                return problem
    return None


class _TextFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: str | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found = self.found or _text_problem(node.value)


# ParserCache hands out the same DocumentNode for the same query text, so the answer is kept per
# document (by id, with the document itself so that a reused id is never mistaken for it).
_LITERAL_TEXT: dict[int, tuple[DocumentNode, str | None]] = {}
_LITERAL_TEXT_SIZE = 1000


def _literal_problem(document: DocumentNode) -> str | None:
    known = _LITERAL_TEXT.get(id(document))
    if known is not None and known[0] is document:
        return known[1]
    finder = _TextFinder()
    visit(document, finder)
    if len(_LITERAL_TEXT) >= _LITERAL_TEXT_SIZE:
        _LITERAL_TEXT.clear()
    _LITERAL_TEXT[id(document)] = (document, finder.found)
    return finder.found


class RejectNulCharacters(SchemaExtension):
    """Refuses text containing NUL or a lone surrogate before execution: PostgreSQL cannot
    store NUL, so it would otherwise surface as an internal error on one database and be
    accepted on the other, and neither database can store a surrogate."""

    def on_validate(self) -> Iterator[None]:
        _check_text(self.execution_context)
        yield


def _check_text(ctx: ExecutionContext) -> None:
    """Every text the request carries, in its variables (keys too) and literals, is checked
    here, once, for every argument and input field."""
    if not _valid_so_far(ctx):
        return
    document = ctx.graphql_document
    problem = _value_problem(ctx.variables or {})
    if problem is None and document is not None:
        problem = _literal_problem(document)
    if problem is not None:
        _refuse(ctx, GraphQLError(problem, extensions={"code": "INVALID_INPUT"}))


class QueryLimits(SchemaExtension):
    """The request's checks before execution as one extension, in the order the separate ones
    ran (the schema used to list them one by one; they are kept for other schemas):

    - operation: the depth and alias rules join the validation rules, the token limit the
      parse options (AddValidationRules, MaxTokensLimiter);
    - parse: each query text parsed once (DocumentParserCache);
    - validation: each document validated once per rule set (DocumentValidationCache), then,
      while it is valid, a subscription over HTTP, text with NUL or a lone surrogate,
      malformed or mistyped global ids (schema.core.ids) and the cost are refused, the first that
      applies giving the error (SubscriptionsOverWebSocket, RejectNulCharacters, check_ids,
      QueryCostLimiter).

    Strawberry sets up every extension's hook for every phase of every request; one extension
    instead of seven saves most of that.
    """

    def __init__(self, *, rules: Sequence[type[ASTValidationRule]], max_tokens: int) -> None:
        self.rules = tuple(rules)
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.validation_rules = ctx.validation_rules + self.rules
        ctx.parse_options["max_tokens"] = self.max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        parse_cached(self.execution_context)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        validate_cached(ctx)
        _check_transport(ctx)
        _check_text(ctx)
        check_ids(ctx)
        _check_cost(ctx)
        yield


class _WithErrors(Protocol):
    """An execution result (graphql-core's or Strawberry's): both carry their errors."""

    errors: list[GraphQLError] | None


class MaskUnexpectedErrors(MaskErrors):
    """Every error leaves with a code, and no message echoes more than ~100 characters of a
    value (schema.core.errors.bounded): domain errors keep their message and code; errors about the
    request's input (its variables, an argument Strawberry could not convert) are
    INVALID_INPUT; parse and validation errors GRAPHQL_VALIDATION_FAILED; anything else
    becomes 'internal error' + request id (logged in full by the schema's process_errors)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=unexpected, error_message="Internal error.")

    def on_execute(self) -> Iterator[None]:
        yield
        # Errors execution made without a path are about the request itself: its variables
        # (a wrong type, Int overflow, NaN, a bad enum value or DateTime) or its operation name.
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            if error.path is None and not _code_of(error):
                error.extensions = {**(error.extensions or {}), "code": "INVALID_INPUT"}

    def _process_result(self, result: object) -> None:
        # MaskErrors' own check is an isinstance against a runtime-checkable Protocol, which
        # walks the protocol's members on every request (~10 µs on Python 3.11); this is the
        # same test (an `errors` attribute, not empty).
        errors = getattr(result, "errors", None)
        if errors:
            cast("_WithErrors", result).errors = self._process_errors(errors)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        request_id = getattr(self.execution_context.context, "request_id", "-")
        processed = []
        for error in errors:
            original = error.original_error
            message = bounded(error.message)
            extensions: dict[str, Any] | None = None
            if isinstance(original, DomainError):
                message = bounded(original.message)
                extensions = {"code": original.code, "field": original.field}
            elif unexpected(error):
                message = f"Internal error. Quote request id {request_id} when reporting it."
                extensions = {"code": "INTERNAL", "requestId": request_id}
            elif not _code_of(error):
                # Parse and validation errors (syntax, depth, aliases, tokens) have no path;
                # an argument Strawberry could not convert is the client's input.
                code = "GRAPHQL_VALIDATION_FAILED"
                if isinstance(original, StrawberryInputCoercionError):
                    code = "INVALID_INPUT"
                extensions = {**(error.extensions or {}), "code": code}
            elif message == error.message:
                processed.append(error)
                continue
            processed.append(
                GraphQLError(
                    message,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    extensions=extensions if extensions is not None else error.extensions,
                )
            )
        return processed


def _code_of(error: GraphQLError) -> Any:
    return (error.extensions or {}).get("code")


def unexpected(error: GraphQLError) -> bool:
    """An error the client did not cause: an exception that is not a domain error, or a
    GraphQL error without a code met while executing (e.g. a value a field could not return)."""
    original = error.original_error
    if original is None or isinstance(original, DomainError):
        return False
    if isinstance(original, GraphQLError):
        return (
            error.path is not None
            and not _code_of(error)
            and not isinstance(original, StrawberryInputCoercionError)
        )
    return True
