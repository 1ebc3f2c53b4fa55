"""Relay `node` / `nodes`: each type resolves its ids with the same checks as every other path."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.fields import NodeExtension
from strawberry.types.field import StrawberryField

from schema.core.ids import NODE_TYPES
from schema.core.pagination import parse_key
from services.errors import InvalidInput


class _ReusableNodeExtension(NodeExtension):
    """Strawberry's `node` extension, safe to apply more than once.

    The app builds its own schema (from its settings) beside the module-level SDL schema; both
    share these field objects, and the stock extension asserts that it is applied only once.
    """

    def apply(self, field: StrawberryField) -> None:
        if field.base_resolver is None:
            super().apply(field)
            # `id`/`ids` take the id of any Node (checked before execution, see schema.core.ids).
            for argument in field.arguments:
                argument.metadata = {**argument.metadata, NODE_TYPES: ()}

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        _check_ids(info, kwargs)
        return super().resolve(next_, source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        _check_ids(info, kwargs)
        return await super().resolve_async(next_, source, info, **kwargs)


def _check_ids(info: Any, kwargs: dict[str, Any]) -> None:
    """A client's malformed id is its input error, not an internal one (Node keys are ints)."""
    field = "ids" if "ids" in kwargs else "id"
    ids: list[relay.GlobalID] = kwargs["ids"] if field == "ids" else [kwargs["id"]]
    for global_id in ids:
        try:
            global_id.resolve_type(info)
            parse_key(global_id.node_id)
        except ValueError as exc:  # GlobalIDValueError is a ValueError too
            raise InvalidInput("That is not the id of anything here.", field=field) from exc


def _node_field(description: str) -> Any:
    return strawberry.field(description=description, extensions=[_ReusableNodeExtension()])


@strawberry.type
class NodesQuery:
    node: relay.Node | None = _node_field(
        "Any object by global id; null when missing or not visible to the viewer."
    )
    nodes: list[relay.Node | None] = _node_field(
        "Objects by global ids (at most 100, like a page), in order; null where missing or not "
        "visible."
    )
