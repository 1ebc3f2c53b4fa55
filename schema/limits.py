"""Query limits checked before execution, and masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    value_from_ast_untyped,
    visit,
)
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from schema.ids import check_ids
from schema.validation import parse_cached, validate_cached
from services.errors import DomainError
from services.settings import get_settings

logger = logging.getLogger("gridpoints.graphql")


class _Budget:
    """Walks an operation, multiplying costs by connection page sizes."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        *,
        default_size: int,
        max_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_size = default_size
        self.max_size = max_size

    def _first(self, node: FieldNode, accepts_first: bool) -> int:
        if not accepts_first:
            return 1
        for arg in node.arguments or ():
            if arg.name.value != "first":
                continue
            value: Any = None
            if isinstance(arg.value, IntValueNode):
                value = int(arg.value.value)
            elif isinstance(arg.value, VariableNode):
                value = self.variables.get(arg.value.name.value)
            if value is None:
                return self.default_size
            if not isinstance(value, int) or value < 0 or value > self.max_size:
                raise GraphQLError(
                    f"`first` must be between 0 and {self.max_size}.",
                    nodes=[node],
                    extensions={"code": "INVALID_INPUT", "field": "first"},
                )
            return max(value, 1)
        return self.default_size

    def _ids(self, node: FieldNode) -> int:
        # `nodes(ids:)` fans out like a page: as many objects as ids, and capped like a page
        # (ids sent as a variable cost no tokens, so nothing else would bound them).
        for arg in node.arguments or ():
            if arg.name.value != "ids":
                continue
            value: Any = None
            if isinstance(arg.value, ListValueNode):
                value = arg.value.values
            elif isinstance(arg.value, VariableNode):
                value = self.variables.get(arg.value.name.value)
            count = len(value) if isinstance(value, (list, tuple)) else 1
            if count > self.max_size:
                raise GraphQLError(
                    f"`ids` takes at most {self.max_size} ids.",
                    nodes=[node],
                    extensions={"code": "INVALID_INPUT", "field": "ids"},
                )
            return max(count, 1)
        return 1

    def cost(
        self, selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str]
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                fields = getattr(parent, "fields", {})
                definition = fields.get(name) if fields else None
                if definition is None:  # __typename and introspection fields cost 1
                    total += 1
                    continue
                size = self._first(selection, "first" in definition.args)
                if "ids" in definition.args:
                    size = self._ids(selection)
                child = get_named_type(definition.type)
                total += 1 + size * self.cost(selection.selection_set, child, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                total += self.cost(selection.selection_set, target, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                total += self.cost(fragment.selection_set, target, seen | {name})
        return total


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
    """Rejects over-sized pages and operations whose estimated cost exceeds the budget."""

    def on_validate(self) -> Iterator[None]:
        _check_cost(self.execution_context)
        yield


def _check_cost(ctx: ExecutionContext) -> None:
    document = ctx.graphql_document
    if document is not None and _valid_so_far(ctx):
        # Run without a context (tooling, tests), the process settings set the budget.
        settings = getattr(ctx.context, "settings", None) or get_settings()
        error = _cost_error(
            ctx.schema._schema, document, ctx.variables or {}, ctx.operation_name, settings
        )
        if error is not None:
            _refuse(ctx, error)


def _cost_error(
    schema: GraphQLSchema,
    document: Any,
    variables: dict[str, Any],
    name: str | None,
    settings: Any,
) -> GraphQLError | None:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [op for op in operations if op.name and op.name.value == name]
    budget = _Budget(
        schema,
        fragments,
        variables,
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )
    for operation in operations[:1]:
        # A variable left out takes its default: `query($n: Int = 100)` pages by 100.
        defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        budget.variables = {**defaults, **variables}
        root: GraphQLObjectType | GraphQLInterfaceType | None = schema.get_root_type(
            operation.operation
        )
        try:
            cost = budget.cost(operation.selection_set, root, frozenset())
        except GraphQLError as error:
            return error
        if cost > settings.max_query_cost:
            return GraphQLError(
                f"Query too expensive: estimated cost {cost}, "
                f"allowed {settings.max_query_cost}. "
                "Ask for smaller pages or fewer nested lists.",
                extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost},
            )
    return None


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
      while it is valid, a subscription over HTTP, NUL text, malformed or mistyped global ids
      (schema.ids) and the cost are refused, the first that applies giving the error
      (SubscriptionsOverWebSocket, RejectNulCharacters, check_ids, QueryCostLimiter).

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
        check_ids(ctx)
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
