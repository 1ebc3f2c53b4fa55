"""Execution: graphql-core's, with a short path for plain leaf fields (most fields of a page)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLLeafType, Undefined, get_nullable_type, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

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
