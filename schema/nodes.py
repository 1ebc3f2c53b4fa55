"""Relay `node` / `nodes`: each type resolves its ids with the same checks as every other path."""

from __future__ import annotations

import strawberry
from strawberry import relay


@strawberry.type
class NodesQuery:
    node: relay.Node | None = relay.node(
        description="Any object by global id; null when missing or not visible to the viewer."
    )
    nodes: list[relay.Node | None] = relay.node(
        description="Objects by global ids, in order; null where missing or not visible."
    )
