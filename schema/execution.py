"""Execution: graphql-core's, with short paths for plain leaf fields and simple resolvers."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

# GraphQLField defines __eq__ and so cannot be a dict key: keyed by id, the field kept alongside
# so that an id reused by another schema's field is never mistaken for it.
_LEAVES: dict[int, tuple[GraphQLField, GraphQLLeafType | None]] = {}


def _plain_leaf(field: GraphQLField) -> GraphQLLeafType | None:
    """The scalar or enum type of a field Strawberry reads straight off its object (no resolver,
    no arguments, no extensions), else None."""
    entry = _LEAVES.get(id(field))
    if entry is None or entry[0] is not field:
        named = get_nullable_type(field.type)
        plain = getattr(field.resolve, "_is_default", False) and not field.args
        entry = (field, named if plain and is_leaf_type(named) else None)
        _LEAVES[id(field)] = entry
    return entry[1]


class FastLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Answers a plain leaf field (a name, a count, an enum) by reading and serializing it.

    graphql-core builds a resolve-info object and walks its completion steps for every field;
    on a page of 20 areas with their coverage and role holders most fields are plain leaves,
    and those steps were a third of the request. Anything unusual (a null, an error, an
    awaitable, arguments, middleware) takes graphql-core's own path, which then redoes the read,
    so results and errors are exactly graphql-core's.
    """

    def execute_field(
        self,
        parent_type: Any,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field = self.schema.get_field(parent_type, node.name.value)
        resolve = field.resolve if field is not None else None
        leaf = _plain_leaf(field) if field is not None and not node.arguments else None
        if (
            leaf is not None
            and resolve is not None
            and (
                self.middleware_manager is None
                or self.middleware_manager.get_field_resolver(resolve) is resolve
            )
        ):
            try:
                value = resolve(source, None)  # a plain field's resolver ignores its info
                if (
                    value is not None
                    and not isinstance(value, Exception)
                    and not self.is_awaitable(value)
                ):
                    coerced = leaf.coerce_output_value(value)
                    if coerced is not None and coerced is not Undefined:
                        return coerced
            except Exception:  # graphql-core's path below reports it properly
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


def _lean(function: Callable[..., Any], field: Any, info_class: Any, wants_info: bool) -> Any:
    if wants_info:

        def resolve(source: Any, info: Any) -> Any:
            return function(source, info=info_class(_raw_info=info, _field=field))
    else:

        def resolve(source: Any, info: Any) -> Any:
            return function(source)

    return resolve


def streamline_resolvers(schema: strawberry.Schema) -> int:
    """Call simple method resolvers directly; returns how many were streamlined.

    Strawberry wraps every resolver to convert arguments, run field extensions (permissions)
    and map exceptions onto result unions. A synchronous method taking only `self` (and maybe
    `info`), with no arguments, no field extensions and no union result, needs none of that,
    yet paid ~5 µs a call: on a page of areas that is every coverage, roleHolders and person
    field. Such resolvers are called as Strawberry calls them, without the wrapping.
    """
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolver = getattr(field, "base_resolver", None)
            if field is None or resolver is None or field.extensions or graphql_field.args:
                continue
            if isinstance(get_named_type(graphql_field.type), GraphQLUnionType):
                continue  # exception handlers may map errors onto its members
            named = {p.name for p in resolver.signature.parameters.values()}
            info = resolver.info_parameter
            if (
                resolver.is_async
                or resolver.self_parameter is None
                or resolver.self_parameter.name != "self"
                or resolver.root_parameter is not None
                or resolver.parent_parameter is not None
                or named - {"self", *([info.name] if info else [])}
                or (info is not None and info.name != "info")
                or not inspect.isfunction(resolver.wrapped_func)
            ):
                continue
            graphql_field.resolve = _lean(
                resolver.wrapped_func, field, schema.config.info_class, info is not None
            )
            count += 1
    return count
