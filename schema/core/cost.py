"""What an operation costs, whether the caller may spend it, and what is reported back.

The cost is estimated from the document before anything runs: every field costs 1, and what is
below a list costs as many times as the list can be long. A connection can be as long as its
`first` or `last` (20 when neither is given), `nodes` as its `ids`, and every other list as its
bound in schema/core/list_bounds.py, so nested lists multiply; a few scalar fields that do a
list's work cost more (FIELD_COSTS there). The estimate is checked against a
budget per operation (MAX_QUERY_COST signed in, MAX_QUERY_COST_ANONYMOUS otherwise:
QUERY_TOO_COMPLEX), then taken from the caller's budget over time (schema/core/throttle.py:
THROTTLED, with the seconds to wait). Every answer that got this far carries `extensions.cost`,
as Shopify's API does:

    "cost": {"requestedQueryCost": 120, "maximumQueryCost": 50000,
             "throttleStatus": {"maximumAvailable": 100000, "currentlyAvailable": 99880,
                                "restoreRate": 5000.0}}

(`throttleStatus` is null when THROTTLE_ENABLED is off or the operation has no client).
A subscription is costed, and paid for, once: when it is subscribed; its events carry no
`extensions.cost` (they would repeat what was true then), and a refusal's error carries the
cost in its own extensions.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from schema.core.list_bounds import FIELD_COSTS, LIST_BOUNDS, SIZED_BY_ARGUMENT
from schema.core.throttle import Throttle
from services.kit.settings import Settings, get_settings

# (type name, field name) -> how many times its selection counts, for the list fields that are
# not sized by an argument; None: a list without a declared bound (costs a full page).
_Sizes = dict[tuple[str, str], int | None]
_SIZES: weakref.WeakKeyDictionary[GraphQLSchema, _Sizes] = weakref.WeakKeyDictionary()


def _is_list(type_: GraphQLType) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _is_connection(type_: GraphQLObjectType | GraphQLInterfaceType) -> bool:
    return "edges" in type_.fields and "pageInfo" in type_.fields


def list_sizes(schema: GraphQLSchema) -> _Sizes:
    """The size of every list field of the schema's output types that no argument sizes: a
    connection's `edges` count once (the connection's `first` already multiplied them), the
    others by their bound in LIST_BOUNDS (None where there is none)."""
    known = _SIZES.get(schema)
    if known is not None:
        return known
    sizes: _Sizes = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        if type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if not _is_list(field.type) or any(a in field.args for a in SIZED_BY_ARGUMENT):
                continue
            if name == "edges" and _is_connection(type_):
                sizes[(type_.name, name)] = 1
                continue
            bound = LIST_BOUNDS.get(f"{type_.name}.{name}")
            sizes[(type_.name, name)] = bound.size if bound else None
    _SIZES[schema] = sizes
    return sizes


class Budget:
    """Walks an operation, multiplying costs by the sizes of the lists above them."""

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
        self.sizes = list_sizes(schema)
        self._fragments: dict[str, int] = {}

    def _argument(self, node: FieldNode, name: str) -> Any:
        for arg in node.arguments or ():
            if arg.name.value == name:
                if isinstance(arg.value, IntValueNode):
                    return int(arg.value.value)
                if isinstance(arg.value, VariableNode):
                    return self.variables.get(arg.value.name.value)
                return None  # null, or a value of the wrong type (validation reports it)
        return None

    def _page_size(self, node: FieldNode) -> int:
        # A connection is as long as its `first` or its `last` (the default when neither).
        sizes = {name: self._argument(node, name) for name in ("first", "last")}
        given = {name: value for name, value in sizes.items() if value is not None}
        if len(given) > 1:
            raise GraphQLError(
                "Give `first` or `last`, not both.",
                nodes=[node],
                extensions={"code": "INVALID_INPUT", "field": "last"},
            )
        for name, value in given.items():
            if not isinstance(value, int) or value < 0 or value > self.max_size:
                raise GraphQLError(
                    f"`{name}` must be between 0 and {self.max_size}.",
                    nodes=[node],
                    extensions={"code": "INVALID_INPUT", "field": name},
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

    def _size(self, parent: Any, name: str, node: FieldNode, args: Any) -> int:
        if "ids" in args:
            return self._ids(node)
        if "first" in args:
            return self._page_size(node)
        key = (parent.name, name)
        if key not in self.sizes:
            return 1  # not a list
        size = self.sizes[key]
        return self.max_size if size is None else size

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
                size = self._size(parent, name, selection, definition.args)
                child = get_named_type(definition.type)
                total += 1 + FIELD_COSTS.get((parent.name, name), 0)
                total += size * self.cost(selection.selection_set, child, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                total += self.cost(selection.selection_set, target, seen)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, parent, seen)
        return total

    def _fragment(self, name: str, parent: Any, seen: frozenset[str]) -> int:
        # A fragment costs the same wherever it is spread: costed once. Walking it again at
        # every spread would take exponential time on a document whose fragments each spread
        # the next one twice (1 KB of text, 2^n walks).
        known = self._fragments.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in seen:  # unknown, or a cycle (invalid documents only)
            return 0
        target = self.schema.get_type(fragment.type_condition.name.value) or parent
        cost = self.cost(fragment.selection_set, target, seen | {name})
        self._fragments[name] = cost
        return cost


def operation_cost(
    schema: GraphQLSchema,
    document: Any,
    variables: dict[str, Any],
    name: str | None,
    settings: Settings,
) -> int | None:
    """The estimated cost of the document's operation (the named one, else the first); None
    when there is none. GraphQLError (INVALID_INPUT) for a page or an `ids` list too large."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [op for op in operations if op.name and op.name.value == name]
    if not operations:
        return None
    operation = operations[0]
    # A variable left out takes its default: `query($n: Int = 100)` pages by 100.
    defaults = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    budget = Budget(
        schema,
        fragments,
        {**defaults, **variables},
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )
    root: GraphQLObjectType | None = schema.get_root_type(operation.operation)
    return budget.cost(operation.selection_set, root, frozenset())


def throttle_for(settings: Settings) -> Throttle | None:
    """The per-client budget over time the settings ask for (None when switched off)."""
    if not settings.throttle_enabled:
        return None
    return Throttle(
        capacity=settings.throttle_bucket_size,
        restore_rate=settings.throttle_restore_rate,
        max_clients=settings.throttle_max_clients,
    )


def client_key(context: Any) -> str | None:
    """Whose budget an operation spends: the signed-in account's, else the client address's
    (None without a client: tooling and tests that run the schema directly)."""
    actor = getattr(context, "actor", None)
    if actor is not None:
        return f"account:{actor.account_id}"
    client = getattr(context, "client", None)
    return f"address:{client}" if client else None


def _status(throttle: Throttle, available: float) -> dict[str, Any]:
    return {
        "maximumAvailable": throttle.capacity,
        "currentlyAvailable": math.floor(available),
        "restoreRate": throttle.restore_rate,
    }


def check_cost(ctx: ExecutionContext) -> GraphQLError | None:
    """Cost the context's (valid) operation, check it against the caller's budgets and take it
    from their budget over time; the error to refuse it with, if any. Puts `cost` in the
    result's extensions whenever the cost was estimated."""
    context = ctx.context
    # Run without a context (tooling, tests), the process settings set the budget.
    settings: Settings = getattr(context, "settings", None) or get_settings()
    try:
        cost = operation_cost(
            ctx.schema._schema,
            ctx.graphql_document,
            ctx.variables or {},
            ctx.operation_name,
            settings,
        )
    except GraphQLError as error:
        return error
    if cost is None:
        return None
    signed_in = getattr(context, "actor", None) is not None
    limit = settings.max_query_cost if signed_in else settings.max_query_cost_anonymous
    throttle: Throttle | None = getattr(ctx.schema, "cost_throttle", None)
    client = client_key(context)
    report: dict[str, Any] = {
        "requestedQueryCost": cost,
        "maximumQueryCost": limit,
        "throttleStatus": None,
    }
    if ctx.operation_type is not OperationType.SUBSCRIPTION:
        # A subscription's events would each repeat what was true when it was subscribed.
        ctx.extensions_results["cost"] = report
    if cost > limit:
        if throttle is not None and client is not None:
            report["throttleStatus"] = _status(throttle, throttle.available(client))
        who = "" if signed_in else " for anonymous callers (sign in for more)"
        return GraphQLError(
            f"Query too expensive: estimated cost {cost}, allowed {limit}{who}. "
            "Ask for smaller pages or fewer nested lists.",
            extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": limit},
        )
    if throttle is None or client is None:
        return None
    taken = throttle.take(client, cost)
    report["throttleStatus"] = _status(throttle, taken.available)
    if taken.allowed:
        return None
    wait = taken.retry_after_seconds
    response = getattr(context, "response", None)
    if not getattr(context, "websocket", False) and response is not None:
        # The HTTP answer's sub-response: Strawberry copies its headers into the reply.
        response.headers["Retry-After"] = str(wait)
    return GraphQLError(
        f"Throttled: this operation costs {cost} and {math.floor(taken.available)} of your "
        f"budget is left (it refills at {throttle.restore_rate:g} a second); "
        f"retry in {wait} s.",
        extensions={"code": "THROTTLED", "cost": cost, "retryAfterSeconds": wait},
    )
