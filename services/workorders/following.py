"""Who may follow the live events of work orders under an area (workOrderEvents)."""

from __future__ import annotations

from services.auth import Actor, is_under
from services.enums import Role

# Workers who take orders without running an area: they follow the area they work in, and are
# shown only the orders they may see (those assigned to them or that they accepted).
FIELD_ROLES = frozenset({Role.CENTRAL_HOUSEHOLD, Role.PART_TIME_GRID_MEMBER, Role.VOLUNTEER})


def may_follow(actor: Actor, path: str) -> bool:
    """Admins and leaders in the subtrees they hold; central households, part-time grid members
    and volunteers in line with their own area (at, above or below it)."""
    return actor.reads(path) or any(
        is_under(place, path) or is_under(path, place) for place in actor.paths_for(FIELD_ROLES)
    )
