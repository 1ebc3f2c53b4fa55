"""Stocking the points marketplace (积分超市) from a unit's resource list: a GOODS or SERVICE
resource becomes a reward of the unit's community whose provider is the unit; the unit's
members see its redemptions and hand them over."""

from __future__ import annotations

from services.enums import (
    ProviderKind,
    RedemptionStatus,
    ResourceCategory,
    ResourceStatus,
    RewardCategory,
)
from services.errors import Conflict, InvalidInput, NotFound, OutOfStock
from services.grids import clean_text
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.idempotency import Call
from services.kit.pagination import Page, Window, paginate
from services.market import MAX_STOCK, RewardInput, prepare_reward
from services.models import Redemption, ResourceOffer, Reward
from services.partners.units import get_unit, is_member, managed_unit
from services.points import ledger

STOCKABLE = {
    ResourceCategory.GOODS: RewardCategory.GOODS,
    ResourceCategory.SERVICE: RewardCategory.SERVICE,
}


async def stock_reward(
    *,
    actor: Actor | None,
    resource_id: int,
    quantity: int,
    price_points: int,
    name: str | None,
    description: str | None,
    per_person_limit: int | None,
    pickup_location: str | None,
    idempotency_key: str,
) -> Reward:
    """Turn `quantity` of a GOODS or SERVICE resource into a reward of the unit's community
    (its managers): the resource's remaining quantity drops by a conditional UPDATE in the same
    transaction that creates the reward, so stock is never promised twice. A retry with the
    same key returns the same reward."""
    actor = require_actor(actor)
    if not 1 <= quantity <= MAX_STOCK:
        raise InvalidInput(f"Stock 1 to {MAX_STOCK} items.", field="quantity")
    call = Call(
        actor,
        "stockRewardFromResource",
        idempotency_key,
        {
            "resource": resource_id,
            "quantity": quantity,
            "price": price_points,
            "name": name,
            "description": description,
            "limit": per_person_limit,
            "pickup": pickup_location,
        },
    )
    if (previous := await call.previous(_reward_by_id)) is not None:
        return previous
    offer = await ResourceOffer.get_or_none(id=resource_id)
    if offer is None:
        raise NotFound("No such resource.", field="resourceId")
    unit = await managed_unit(actor, offer.unit_id, field="resourceId")
    category = STOCKABLE.get(offer.category)
    if category is None:
        raise InvalidInput(
            "Only GOODS and SERVICE resources stock the marketplace.", field="resourceId"
        )
    reward = Reward(
        area_id=unit.community_id,
        area_path=unit.community_path,
        community_id=unit.community_id,
        stock=quantity,
        provider_kind=ProviderKind.PARTNER_UNIT,
        provider_name=unit.name,
        provider_account_id=actor.account_id,
        partner_unit_id=unit.id,
        resource_id=offer.id,
        description="",
        pickup_location="",
    )
    prepare_reward(
        reward,
        RewardInput(
            name=clean_text(
                name if name is not None else offer.title, field="name", max_length=100
            ),
            description=description if description is not None else offer.description,
            category=category,
            price_points=price_points,
            per_person_limit=per_person_limit,
            pickup_location=pickup_location if pickup_location is not None else unit.address,
            available_from=offer.available_from,
            available_until=offer.available_until,
        ),
    )
    sink = await ledger.sink_account(unit.community_id, unit.name)
    reward.sink_account_id = sink.id

    async def effect(_: int) -> tuple[int, Reward]:
        # The resource first: a conditional decrement, so two stockings cannot take the same
        # items, and nothing is written when too little is left.
        rows = await db.execute(
            "UPDATE resource_offer SET remaining = remaining - ?, updated_at = ? "
            "WHERE id = ? AND status = 'OPEN' AND remaining >= ? RETURNING remaining",
            [quantity, clock.now(), offer.id, quantity],
        )
        if not rows:
            fresh = await ResourceOffer.get(id=offer.id)
            if fresh.status is not ResourceStatus.OPEN:
                raise Conflict("The resource has been withdrawn.", field="resourceId")
            raise OutOfStock(f"Only {fresh.remaining} {fresh.unit_label} left.", field="quantity")
        await reward.save()
        return reward.id, reward

    return await call.run(effect, _reward_by_id)


async def _reward_by_id(reward_id: int) -> Reward:
    return await Reward.get(id=reward_id)


async def unit_rewards(*, actor: Actor | None, unit_id: int, window: Window) -> Page[Reward]:
    """The rewards a unit provides (the catalogue is public), newest first."""
    actor = require_actor(actor)
    unit = await get_unit(actor, unit_id)
    return await paginate(Reward.filter(partner_unit_id=unit.id), window, newest_first=True)


async def unit_redemptions(
    *,
    actor: Actor | None,
    unit_id: int,
    status: RedemptionStatus | None,
    window: Window,
) -> Page[Redemption]:
    """Redemptions of a unit's rewards, newest first: for its members (who hand them over) and
    the admins of its community."""
    actor = require_actor(actor)
    unit = await get_unit(actor, unit_id)
    if not (actor.administers(unit.community_path) or await is_member(actor, unit.id)):
        raise NotFound("No such partner unit.", field="unitId")
    reward_ids = await Reward.filter(partner_unit_id=unit.id).values_list("id", flat=True)
    query = Redemption.filter(reward_id__in=list(reward_ids))
    if status is not None:
        query = query.filter(status=status)
    return await paginate(query, window, newest_first=True)


# The most rewards a unit's own list shows (the newest; the marketplace lists them all): a bound
# the API's cost estimate relies on (`PartnerUnit.rewards`).
UNIT_REWARDS_LIMIT = 50


async def rewards_of_units(*, unit_ids: list[int]) -> list[list[Reward]]:
    """The rewards each unit provides (the catalogue is public), newest first, at most
    UNIT_REWARDS_LIMIT each; one query."""
    found: dict[int, list[Reward]] = {i: [] for i in unit_ids}
    for r in await Reward.filter(partner_unit_id__in=unit_ids).order_by("-id"):
        assert r.partner_unit_id is not None
        if len(found[r.partner_unit_id]) < UNIT_REWARDS_LIMIT:
            found[r.partner_unit_id].append(r)
    return [found[i] for i in unit_ids]
