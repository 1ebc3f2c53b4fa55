"""Household claims (认领家庭): a resident asks to join a household, and an admin of the
household's community approves (the resident becomes a member) or rejects it with a reason."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from services.enums import ClaimStatus
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import in_subtree
from services.models import Household, HouseholdClaim, Person
from services.people import make_room_in_household

MAX_NOTE = 500


def _text(value: str | None, *, field: str, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"`{field}` must not be empty.", field=field)
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"`{field}` is longer than {MAX_NOTE} characters.", field=field)
    return text or None


async def claim_household(
    *, actor: Actor | None, household_id: int, note: str | None = None
) -> HouseholdClaim:
    """Ask to join a household (PENDING until its community reviews it). A resident who lives
    in a household already, or has a pending claim, is refused (Conflict)."""
    actor = require_actor(actor)
    clean_note = _text(note, field="note", required=False)
    # Any signed-in resident may ask (they know their own address, not who may read it); the
    # answer never says more about the household than that it exists.
    if not await Household.exists(id=household_id):
        raise NotFound("No such household.", field="householdId")
    async with in_transaction():
        # The person's row is locked (a no-op write) so that two claims of theirs serialize.
        await db.execute(
            "UPDATE person SET name = name WHERE id = ? RETURNING id", [actor.person_id]
        )
        person = await Person.get(id=actor.person_id)
        if person.household_id is not None:
            raise Conflict("You already live in a household.", field="householdId")
        if await HouseholdClaim.exists(person_id=person.id, status=ClaimStatus.PENDING):
            raise Conflict(
                "You have a pending claim already; wait for its review.", field="householdId"
            )
        return await HouseholdClaim.create(
            person_id=person.id, household_id=household_id, note=clean_note, created_at=clock.now()
        )


async def review_household_claim(
    *, actor: Actor | None, claim_id: int, approve: bool, reason: str | None = None
) -> HouseholdClaim:
    """Approve a pending claim (the claimant becomes a member of the household) or reject it
    with a reason; admins of the household's community (or above)."""
    actor = require_actor(actor)
    clean_reason = _text(reason, field="reason", required=not approve)
    claim = await HouseholdClaim.get_or_none(id=claim_id).prefetch_related("household")
    if claim is None or not actor.reads(claim.household.path):
        raise NotFound("No such claim.", field="claimId")
    actor.require_admin_of(claim.household.path, "review household claims")
    actor.require_someone_else(
        claim.person_id, "Someone else reviews your own claim.", field="claimId"
    )
    async with in_transaction():
        # Decided once: a conditional UPDATE on the pending status, so of two reviews one wins.
        done = await HouseholdClaim.filter(id=claim.id, status=ClaimStatus.PENDING).update(
            status=ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED,
            reason=clean_reason,
            reviewed_at=clock.now(),
            reviewed_by_id=actor.person_id,
        )
        if not done:
            raise Conflict("The claim was reviewed already.", field="claimId")
        if approve:
            await make_room_in_household(claim.household_id)
            if not await Person.filter(id=claim.person_id, household_id=None).update(
                household_id=claim.household_id
            ):
                raise Conflict("The claimant already lives in a household.", field="claimId")
    return await HouseholdClaim.get(id=claim.id)


async def household_claims(
    *,
    actor: Actor | None,
    under_id: int | None = None,
    status: ClaimStatus | None = ClaimStatus.PENDING,
    window: Window,
) -> Page[HouseholdClaim]:
    """Claims on the households under an area (all areas the actor administers when omitted),
    oldest first; pending ones unless another status is asked for. For admins."""
    actor = require_actor(actor)
    if under_id is not None:
        area = await get_area(area_id=under_id)
        if not actor.administers(area.path):
            raise Forbidden("Claims are listed for the admins of the area.", field="under")
        roots = [area.path]
    else:
        roots = actor.admin_paths
        if not roots:
            raise Forbidden("Claims are listed for admins.")
    where = in_subtree(roots[0], "household__path")
    for root in roots[1:]:
        where |= in_subtree(root, "household__path")
    query = HouseholdClaim.filter(where)
    if status is not None:
        query = query.filter(status=status)
    return await paginate(query, window)


async def my_household_claims(*, actor: Actor | None, window: Window) -> Page[HouseholdClaim]:
    """The actor's own claims, oldest first."""
    actor = require_actor(actor)
    return await paginate(HouseholdClaim.filter(person_id=actor.person_id), window)


async def claims_by_ids(
    *, actor: Actor | None, claim_ids: list[int]
) -> list[HouseholdClaim | None]:
    """Claims for the ids in order; None where missing or neither the actor's own nor on a
    household they administer."""
    found = {
        c.id: c for c in await HouseholdClaim.filter(id__in=claim_ids).prefetch_related("household")
    }
    result: list[HouseholdClaim | None] = []
    for cid in claim_ids:
        claim = found.get(cid)
        ok = (
            claim is not None
            and actor is not None
            and (claim.person_id == actor.person_id or actor.administers(claim.household.path))
        )
        result.append(claim if ok else None)
    return result
