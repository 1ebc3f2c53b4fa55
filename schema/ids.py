"""Global ids in mutation inputs: the row key inside, checked to be of the expected type."""

from __future__ import annotations

from strawberry import relay

from schema.pagination import parse_key
from services.errors import InvalidInput


def area_key(global_id: relay.GlobalID | None, field: str = "areaId") -> int | None:
    """The row id inside an Area global id (InvalidInput for another type)."""
    return node_key(global_id, "Area", field)


def node_key(global_id: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    """The row id inside a global id of `type_name`."""
    if global_id is None:
        return None
    if global_id.type_name != type_name:
        raise InvalidInput(f"Expected the id of a {type_name}.", field=field)
    try:
        return parse_key(global_id.node_id)
    except ValueError as exc:
        raise InvalidInput(f"Malformed {type_name} id.", field=field) from exc


def require_key(global_id: relay.GlobalID, type_name: str, field: str) -> int:
    """Like node_key, for a required id."""
    key = node_key(global_id, type_name, field)
    assert key is not None
    return key
