"""Query limits checked before execution, and masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    StringValueNode,
    Visitor,
    visit,
)
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from schema.cost import check_cost
from schema.validation import parse_cached, validate_cached
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
    budgets (per operation and over time), and reports the cost (schema/cost.py)."""

    def on_validate(self) -> Iterator[None]:
        _check_cost(self.execution_context)
        yield


def _check_cost(ctx: ExecutionContext) -> None:
    # The estimate, the budgets and `extensions.cost`: schema/cost.py.
    if ctx.graphql_document is not None and _valid_so_far(ctx):
        error = check_cost(ctx)
        if error is not None:
            _refuse(ctx, error)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _NulFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found = self.found or "\x00" in node.value


# ParserCache hands out the same DocumentNode for the same query text, so the answer is kept per
# document (by id, with the document itself so that a reused id is never mistaken for it).
_LITERAL_NUL: dict[int, tuple[DocumentNode, bool]] = {}
_LITERAL_NUL_SIZE = 1000


def _literal_has_nul(document: DocumentNode) -> bool:
    known = _LITERAL_NUL.get(id(document))
    if known is not None and known[0] is document:
        return known[1]
    finder = _NulFinder()
    visit(document, finder)
    if len(_LITERAL_NUL) >= _LITERAL_NUL_SIZE:
        _LITERAL_NUL.clear()
    _LITERAL_NUL[id(document)] = (document, finder.found)
    return finder.found


class RejectNulCharacters(SchemaExtension):
    """Refuses text containing NUL before execution: PostgreSQL cannot store it, so it would
    otherwise surface as an internal error on one database and be accepted on the other."""

    def on_validate(self) -> Iterator[None]:
        _check_nul(self.execution_context)
        yield


def _check_nul(ctx: ExecutionContext) -> None:
    document = ctx.graphql_document
    if _valid_so_far(ctx) and (
        _has_nul(ctx.variables or {}) or (document is not None and _literal_has_nul(document))
    ):
        _refuse(
            ctx,
            GraphQLError(
                "Text must not contain NUL characters.", extensions={"code": "INVALID_INPUT"}
            ),
        )


class QueryLimits(SchemaExtension):
    """The request's checks before execution as one extension, in the order the separate ones
    ran (the schema used to list them one by one; they are kept for other schemas):

    - operation: the depth and alias rules join the validation rules, the token limit the
      parse options (AddValidationRules, MaxTokensLimiter);
    - parse: each query text parsed once (DocumentParserCache);
    - validation: each document validated once per rule set (DocumentValidationCache), then,
      while it is valid, a subscription over HTTP, NUL text and the cost are refused, the
      first that applies giving the error (SubscriptionsOverWebSocket, RejectNulCharacters,
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
        _check_nul(ctx)
        _check_cost(ctx)
        yield


class MaskUnexpectedErrors(MaskErrors):
    """Domain errors keep their message and code; anything else becomes 'internal error' + id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._unexpected, error_message="Internal error.")

    def _process_result(self, result: object) -> None:
        # MaskErrors' own check is an isinstance against a runtime-checkable Protocol, which
        # walks the protocol's members on every request (~10 µs on Python 3.11); this is the
        # same test (an `errors` attribute, not empty).
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    @staticmethod
    def _unexpected(error: GraphQLError) -> bool:
        original = error.original_error
        return original is not None and not isinstance(original, (DomainError, GraphQLError))

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        request_id = getattr(self.execution_context.context, "request_id", "-")
        processed = []
        for error in errors:
            original = error.original_error
            if isinstance(original, DomainError):
                extensions = {"code": original.code, "field": original.field}
                processed.append(
                    GraphQLError(
                        original.message,
                        nodes=error.nodes,
                        source=error.source,
                        positions=error.positions,
                        path=error.path,
                        extensions=extensions,
                    )
                )
            elif self._unexpected(error):
                processed.append(
                    GraphQLError(
                        f"Internal error. Quote request id {request_id} when reporting it.",
                        nodes=error.nodes,
                        source=error.source,
                        positions=error.positions,
                        path=error.path,
                        extensions={"code": "INTERNAL", "requestId": request_id},
                    )
                )
            elif original is None and not error.extensions:
                # Parse and validation errors (syntax, depth, aliases, tokens): give them a
                # code too, so clients can switch on every error the same way.
                processed.append(
                    GraphQLError(
                        error.message,
                        nodes=error.nodes,
                        source=error.source,
                        positions=error.positions,
                        path=error.path,
                        extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                    )
                )
            else:
                processed.append(error)
        return processed
