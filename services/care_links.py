"""Care links: the households a central household (中心户) looks after.

A link is current while its central household holds the CENTRAL_HOUSEHOLD role at the
household's micro-grid. It ends (moved to `ended_care_link`, as history) when that role ends,
when the household moves to another micro-grid, or when another central household takes it
over; so `care_link` holds current links only, and coverage counts them as they stand.
Reading through a link checks the role as well (`cared_households`): a link can never outlive
the role that gave it.

When a central household's role ends, its links are handed over (`hand_over_care_links`): to
another central household of the micro-grid named by the admin, else to the micro-grid leader,
who looks after those households until a central household is linked again (coverage counts
them as gaps meanwhile: services.grids.coverage). The ended links stay as history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tortoise.expressions import Q

from services.enums import Role
from services.kit import clock
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.models import CareLink, EndedCareLink, Household

ROLE_ENDED = "the central household's role ended"
HOUSEHOLD_MOVED = "the household moved to another micro-grid"
TAKEN_OVER = "another central household took over"
HANDED_OVER = "the central household's role ended; handed over"
LEADER_ROLE_ENDED = "the micro-grid leader's role ended"
# Who holds care links: central households, and the micro-grid leader for the households
# handed over to them when a central household's role ended.
CARE_ROLES = frozenset({Role.CENTRAL_HOUSEHOLD, Role.MICRO_GRID_LEADER})


async def end_care_links(
    *,
    central_id: int | None = None,
    micro_grid_id: int | None = None,
    household_id: int | None = None,
    reason: str,
    at: datetime | None = None,
) -> int:
    """Inside the caller's transaction: end the current links of a central household in a
    micro-grid (the households they look after there) or of one household, keeping them as
    history, ended `at` (default now). Returns how many ended. The one place links end (a
    handover of the households to someone else would start from here)."""
    if (central_id is None) == (household_id is None):
        raise ValueError("Give a central household or a household.")
    if central_id is not None:
        where = Q(central_id=central_id)
        if micro_grid_id is not None:
            where &= Q(household__micro_grid_id=micro_grid_id)
    else:
        where = Q(household_id=household_id)
    links = await CareLink.filter(where).order_by("id")
    if not links:
        return 0
    moment = at or clock.now()
    await EndedCareLink.bulk_create(
        [
            EndedCareLink(
                central_id=link.central_id,
                household_id=link.household_id,
                linked_at=link.created_at,
                ended_at=moment,
                reason=reason,
            )
            for link in links
        ]
    )
    await CareLink.filter(id__in=[link.id for link in links]).delete()
    return len(links)


def _central_paths(actor: Actor) -> set[str]:
    """The micro-grids where the actor is a central household now (the actor's open roles)."""
    return {g.area_path for g in actor.grants if g.role is Role.CENTRAL_HOUSEHOLD}


async def cared_households(actor: Actor | None, households: Mapping[int, str]) -> set[int]:
    """Of these households (id → path), those the actor looks after now: linked to them, and
    holding the CENTRAL_HOUSEHOLD role at the household's micro-grid (no query without it)."""
    if actor is None or not households:
        return set()
    paths = _central_paths(actor)
    candidates = [hid for hid, path in households.items() if path in paths]
    if not candidates:
        return set()
    linked = await CareLink.filter(household_id__in=candidates, central_id=actor.person_id)
    return {link.household_id for link in linked}


async def hand_over_care_links(
    *, central_id: int, micro_grid_id: int, to_id: int, at: datetime
) -> list[CareLink]:
    """Inside the caller's transaction: move a central household's current links in a
    micro-grid to another person (`to_id`: a central household of the micro-grid or its
    leader), the old links kept as history ended `at`. Returns the new links, by household."""
    household_ids = await CareLink.filter(
        central_id=central_id, household__micro_grid_id=micro_grid_id
    ).values_list("household_id", flat=True)
    if not household_ids:
        return []
    await end_care_links(
        central_id=central_id, micro_grid_id=micro_grid_id, reason=HANDED_OVER, at=at
    )
    await CareLink.bulk_create(
        [CareLink(central_id=to_id, household_id=hid, created_at=at) for hid in household_ids]
    )
    return await CareLink.filter(household_id__in=list(household_ids)).order_by("household_id")


async def my_cared_households(*, actor: Actor | None, window: Window) -> Page[Household]:
    """The households the actor looks after now, by id: linked to them while they hold a care
    role (central household, or micro-grid leader for households handed over) at the
    household's micro-grid. Empty for everyone else."""
    actor = require_actor(actor)
    areas = sorted({g.area_id for g in actor.grants if g.role in CARE_ROLES and g.area_id})
    # No care role: an id that no household has keeps the page (and its count) empty.
    query = Household.filter(care_link__central_id=actor.person_id, micro_grid_id__in=areas or [0])
    return await paginate(query, window)
