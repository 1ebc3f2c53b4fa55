"""Argument and input-field types that several domains' mutations share."""

from __future__ import annotations

from typing import Annotated

from strawberry import relay

from schema.core.ids import id_argument
from services.errors import InvalidInput
from services.points import Source

Under = Annotated[relay.GlobalID, id_argument("Area", description="Area.")]
"""The `under:` argument of the list queries: the area whose subtree is listed."""

IDEMPOTENCY_KEY = (
    "Client-chosen key (1-100 characters): a retry with the same key and input "
    "returns the first result and changes nothing."
)
"""The description of `idempotencyKey` on the inputs of mutations that move points or stock
(work orders word theirs for what a retry returns there)."""


def source_of(global_id: relay.GlobalID | None) -> Source | None:
    """The object points are moved for, from its global id (any type; kept as given)."""
    if global_id is None:
        return None
    if not (0 < len(global_id.type_name) <= 40 and 0 < len(global_id.node_id) <= 40):
        raise InvalidInput("That is not the id of anything here.", field="sourceId")
    return Source(type=global_id.type_name, id=global_id.node_id)
