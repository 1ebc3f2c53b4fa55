"""Rewards of the points marketplace (积分超市): posted by a community or a partner unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from services.enums import (
    AreaLevel,
    PartnerUnitStatus,
    ProviderKind,
    ResourceStatus,
    RewardCategory,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, OutOfStock
from services.grids import clean_text, get_area
from services.kit import audit, clock, db
from services.kit.auth import Actor, require_actor
from services.kit.idempotency import Call
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import subtree_bounds
from services.models import PartnerMember, PartnerUnit, ResourceOffer, Reward
from services.points import ledger

MAX_PRICE = 1_000_000
MAX_STOCK = 1_000_000
# The fields a None in an update clears (elsewhere None leaves the field as it is).
_CLEARABLE = ("per_person_limit", "available_from", "available_until")


@dataclass(frozen=True)
class RewardInput:
    """A reward's editable fields (None in an update: leave as is)."""

    name: str | None = None
    description: str | None = None
    category: RewardCategory | None = None
    price_points: int | None = None
    per_person_limit: int | None = None
    pickup_location: str | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    active: bool | None = None


def _apply(reward: Reward, data: RewardInput, *, clear: set[str]) -> None:
    if data.name is not None:
        reward.name = clean_text(data.name, field="name", max_length=100)
    if data.description is not None:
        reward.description = clean_text(
            data.description, field="description", max_length=1000, required=False
        )
    if data.category is not None:
        reward.category = data.category
    if data.price_points is not None:
        if not 1 <= data.price_points <= MAX_PRICE:
            raise InvalidInput(f"A price is 1 to {MAX_PRICE} points.", field="pricePoints")
        reward.price_points = data.price_points
    if data.per_person_limit is not None:
        if not 1 <= data.per_person_limit <= MAX_STOCK:
            raise InvalidInput("A per-person limit is at least 1.", field="perPersonLimit")
        reward.per_person_limit = data.per_person_limit
    elif "per_person_limit" in clear:
        reward.per_person_limit = None
    if data.pickup_location is not None:
        reward.pickup_location = clean_text(
            data.pickup_location, field="pickupLocation", max_length=200, required=False
        )
    for name in ("available_from", "available_until"):
        value = getattr(data, name)
        if value is not None:
            if value.tzinfo is None:
                raise InvalidInput("Give times with an offset.", field=_camel(name))
            # Stored in UTC: SQLite compares stored times as text.
            setattr(reward, name, value.astimezone(UTC))
        elif name in clear:
            setattr(reward, name, None)
    if data.active is not None:
        reward.active = data.active
    if (
        reward.available_from is not None
        and reward.available_until is not None
        and reward.available_until <= reward.available_from
    ):
        raise InvalidInput(
            "`availableUntil` must be after `availableFrom`.", field="availableUntil"
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


async def _provider_unit(actor: Actor, unit_id: int, community: ledger.Community) -> PartnerUnit:
    """The partner unit a reward is given in the name of: an approved unit of the reward's
    community, and the actor one of its current members or an admin there. Nobody posts in
    another unit's name."""
    unit = await PartnerUnit.get_or_none(id=unit_id)
    member = unit is not None and await PartnerMember.exists(
        unit_id=unit.id, person_id=actor.person_id, left_at=None
    )
    admin = unit is not None and actor.administers(unit.community_path)
    if unit is None or not (unit.status is PartnerUnitStatus.APPROVED or member or admin):
        raise NotFound("No such partner unit.", field="providerUnitId")
    if unit.community_id != community.id:
        raise InvalidInput(
            "A reward is given by a unit of its own community.", field="providerUnitId"
        )
    if not (member or actor.administers(community.path)):
        raise Forbidden(
            "Only the unit's members or an admin of the community post in its name.",
            field="providerUnitId",
        )
    if unit.status is not PartnerUnitStatus.APPROVED:
        raise Conflict("The unit is not approved by its community yet.", field="providerUnitId")
    return unit


async def _set_provider(
    reward: Reward, actor: Actor, community: ledger.Community, unit_id: int | None
) -> None:
    """Make the community (unit_id None: its admins only) or a partner unit the provider."""
    if unit_id is None:
        if not actor.administers(reward.area_path):
            raise Forbidden(
                "Partner members give rewards in their unit's name.", field="providerUnitId"
            )
        reward.provider_kind, reward.provider_name = ProviderKind.COMMUNITY, community.name
        reward.partner_unit_id, reward.provider_account_id = None, None
    else:
        unit = await _provider_unit(actor, unit_id, community)
        reward.provider_kind, reward.provider_name = ProviderKind.PARTNER_UNIT, unit.name
        reward.partner_unit_id, reward.provider_account_id = unit.id, actor.account_id
    reward.sink_account_id = (await ledger.sink_account(community.id, reward.provider_name)).id


async def _unit_named(
    actor: Actor, name: str, community: ledger.Community, unit_id: int | None
) -> int:
    """The partner unit a provider given by name (`providerName`, deprecated) stands for: the
    approved unit of the reward's community with exactly that name that the actor may post
    for (a current member, or an admin of the community). None or several: InvalidInput; with
    `unit_id` too, the two must name the same unit."""
    named = await PartnerUnit.filter(
        community_id=community.id, name=name.strip(), status=PartnerUnitStatus.APPROVED
    ).order_by("id")
    admin = actor.administers(community.path)
    mine = [
        unit
        for unit in named
        if admin
        or await PartnerMember.exists(unit_id=unit.id, person_id=actor.person_id, left_at=None)
    ]
    if not mine:
        raise InvalidInput(
            "No partner unit of the community you may post for has that name; give providerUnitId.",
            field="providerName",
        )
    if len(mine) > 1:
        raise InvalidInput(
            "Several partner units you may post for have that name; give providerUnitId.",
            field="providerName",
        )
    if unit_id is not None and unit_id != mine[0].id:
        raise InvalidInput(
            "providerName and providerUnitId name different units; give providerUnitId alone.",
            field="providerName",
        )
    return mine[0].id


async def create_reward(
    *,
    actor: Actor | None,
    area_id: int,
    stock: int,
    data: RewardInput,
    provider_unit_id: int | None,
    provider_name: str | None = None,
) -> Reward:
    """Post a reward in a community (or one of its grids). Community admins post for the
    community or for one of its partner units; a partner member posts for their own unit
    (`provider_unit_id`), whose members then see and hand over its redemptions. Older
    clients name the unit instead (`provider_name`, deprecated: see `_unit_named`)."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    if area.level.rank < AreaLevel.COMMUNITY.rank:
        raise InvalidInput(
            "Rewards are offered in a community or one of its grids.", field="areaId"
        )
    community = await ledger.community_at(area.path)
    if provider_name is not None:
        provider_unit_id = await _unit_named(actor, provider_name, community, provider_unit_id)
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(f"Stock is 0 to {MAX_STOCK}.", field="stock")
    if data.name is None or data.category is None or data.price_points is None:
        raise InvalidInput("A reward needs a name, a category and a price.", field="name")
    reward = Reward(
        area_id=area.id,
        area_path=area.path,
        community_id=community.id,
        stock=stock,
        description="",
        pickup_location="",
    )
    if not actor.administers(area.path):
        if not await unit_ids_of(actor):
            raise Forbidden("Community admins and partner members post rewards.")
        if provider_unit_id is None:
            raise InvalidInput("Name your unit as the provider.", field="providerUnitId")
    _apply(reward, data, clear=set())
    await _set_provider(reward, actor, community, provider_unit_id)
    async with in_transaction():
        await reward.save()
        await audit.log(actor, audit.REWARD, "createReward", reward)
    return reward


def may_manage(actor: Actor, reward: Reward) -> bool:
    """An admin of its area, or the account that posted it when no unit provides it (a unit's
    rewards are managed by its managers, see `manages`: whoever leaves the unit stops)."""
    return actor.administers(reward.area_path) or (
        reward.partner_unit_id is None
        and reward.provider_account_id is not None
        and reward.provider_account_id == actor.account_id
    )


async def manages(actor: Actor, reward: Reward) -> bool:
    """May the actor change and restock the reward? may_manage, and the managers of the
    partner unit that provides it."""
    return may_manage(actor, reward) or (
        reward.partner_unit_id is not None
        and reward.partner_unit_id in await unit_ids_of(actor, managers_only=True)
    )


def prepare_reward(reward: Reward, data: RewardInput) -> None:
    """Check and set a new reward's fields (for rewards made elsewhere, e.g. from a partner
    unit's resource list)."""
    _apply(reward, data, clear=set())


async def unit_ids_of(actor: Actor, *, managers_only: bool = False) -> set[int]:
    """The partner units the actor works for now (or manages)."""
    query = PartnerMember.filter(person_id=actor.person_id, left_at=None)
    if managers_only:
        query = query.filter(manager=True)
    found = await query.values_list("unit_id", flat=True)
    return set(cast("list[int]", found))


async def hands_over(actor: Actor, reward: Reward) -> bool:
    """May the actor see and hand over the reward's redemptions? Its manager (may_manage), and
    every member of the partner unit that provides it."""
    return may_manage(actor, reward) or (
        reward.partner_unit_id is not None and reward.partner_unit_id in await unit_ids_of(actor)
    )


async def cancels(actor: Actor, reward: Reward) -> bool:
    """May the actor cancel others' held redemptions of the reward? Those who manage it (the
    unit's managers included); plain members only hand over."""
    return await manages(actor, reward)


async def _managed(actor: Actor, reward_id: int) -> Reward:
    reward = await Reward.get_or_none(id=reward_id)
    if reward is None:
        raise NotFound("No such reward.", field="rewardId")
    if not await manages(actor, reward):
        raise Forbidden("Only its provider or an admin of its area changes a reward.")
    return reward


# The fields update_reward changes.
_EDITABLE = (
    "name",
    "description",
    "category",
    "price_points",
    "per_person_limit",
    "pickup_location",
    "available_from",
    "available_until",
    "active",
)


async def update_reward(
    *, actor: Actor | None, reward_id: int, changes: Mapping[str, Any]
) -> Reward:
    """Change a reward's details (price changes apply to later redemptions only). `changes`
    holds the RewardInput fields to change, a field left out stays: None clears the per-person
    limit or a window end, and leaves any other field as it is. `provider_unit_id` moves the
    reward to a partner unit (its members or an admin), None back to the community (admins);
    a reward stocked from a unit's resource stays that unit's."""
    changes = dict(changes)
    moves = "provider_unit_id" in changes
    unit_id = changes.pop("provider_unit_id", None)
    clear = {name for name in _CLEARABLE if name in changes and changes[name] is None}
    data = RewardInput(**changes)
    actor = require_actor(actor)
    reward = await _managed(actor, reward_id)
    before = audit.snapshot(reward)
    _apply(reward, data, clear=clear)
    fields = [*_EDITABLE]
    # A provider known by name only (posted before providers were units) counts as a change.
    if moves and (unit_id, reward.provider_kind) != (
        reward.partner_unit_id,
        ProviderKind.COMMUNITY if unit_id is None else ProviderKind.PARTNER_UNIT,
    ):
        if reward.resource_id is not None:
            raise InvalidInput(
                "A reward stocked from a unit's resource stays that unit's.",
                field="providerUnitId",
            )
        community = await ledger.community_at(reward.area_path)
        await _set_provider(reward, actor, community, unit_id)
        fields += [
            "provider_kind",
            "provider_name",
            "partner_unit_id",
            "provider_account_id",
            "sink_account_id",
        ]
    async with in_transaction():
        await reward.save(update_fields=fields)
        await audit.record(
            actor=actor,
            kind=audit.REWARD,
            action="updateReward",
            area_path=reward.area_path,
            subject=reward,
            before=before,
        )
    return reward


async def restock_reward(
    *, actor: Actor | None, reward_id: int, quantity: int, idempotency_key: str
) -> Reward:
    """Add items to a reward's stock (a retry with the same key adds them once). A reward
    stocked from a unit's resource draws them from that resource, as stocking did (its unit's
    managers): too little left is OutOfStock, and nothing changes."""
    actor = require_actor(actor)
    if not 1 <= quantity <= MAX_STOCK:
        raise InvalidInput(f"Restock 1 to {MAX_STOCK} items.", field="quantity")
    call = Call(
        actor, "restockReward", idempotency_key, {"reward": reward_id, "quantity": quantity}
    )
    if (previous := await call.previous(_reward_by_id)) is not None:
        return previous
    reward = await _managed(actor, reward_id)
    managed = await unit_ids_of(actor, managers_only=True)
    if reward.resource_id is not None and reward.partner_unit_id not in managed:
        raise Forbidden(
            "The managers of its unit restock a reward from the unit's resource list.",
            field="rewardId",
        )

    async def effect(_: int) -> tuple[int, Reward]:
        # The row as it is inside the transaction: the audit's `before` (a redemption since
        # `reward` was read is not part of this restock).
        current = await Reward.get(id=reward.id)
        if reward.resource_id is not None:
            await _draw_from_resource(reward.resource_id, quantity)
        # Relative update (concurrent redemptions keep their decrements), bounded so the stock
        # stays within MAX_STOCK; a refusal rolls the resource's decrement back with it.
        changed = await Reward.filter(id=reward.id, stock__lte=MAX_STOCK - quantity).update(
            stock=F("stock") + quantity
        )
        if not changed:
            raise InvalidInput(f"Stock may not exceed {MAX_STOCK}.", field="quantity")
        await audit.log(actor, audit.REWARD, "restockReward", current, reload=True)
        return reward.id, await Reward.get(id=reward.id)

    return await call.run(effect, _reward_by_id)


async def _draw_from_resource(resource_id: int, quantity: int) -> None:
    """Inside a transaction: take `quantity` from an open resource's remaining quantity by a
    conditional UPDATE (as stockRewardFromResource does), so two drawings cannot take the same
    items; OutOfStock or Conflict (withdrawn) when it cannot."""
    rows = await db.execute(
        "UPDATE resource_offer SET remaining = remaining - ?, updated_at = ? "
        "WHERE id = ? AND status = 'OPEN' AND remaining >= ? RETURNING remaining",
        [quantity, clock.now(), resource_id, quantity],
    )
    if rows:
        return
    fresh = await ResourceOffer.get(id=resource_id)
    if fresh.status is not ResourceStatus.OPEN:
        raise Conflict("The resource it came from has been withdrawn.", field="rewardId")
    raise OutOfStock(
        f"Its resource has only {fresh.remaining} {fresh.unit_label} left.", field="quantity"
    )


async def _reward_by_id(reward_id: int) -> Reward:
    return await Reward.get(id=reward_id)


def is_available(reward: Reward, moment: datetime) -> bool:
    """Active and inside its availability window."""
    return (
        reward.active
        and (reward.available_from is None or reward.available_from <= moment)
        and (reward.available_until is None or moment < reward.available_until)
    )


async def list_rewards(
    *,
    under_id: int | None,
    category: RewardCategory | None,
    available_only: bool,
    window: Window,
) -> Page[Reward]:
    """The catalogue under an area (public: anyone may browse)."""
    query = Reward.all()
    if under_id is not None:
        area = await get_area(area_id=under_id)
        low, high = subtree_bounds(area.path)
        query = query.filter(area_path__gte=low, area_path__lt=high)
    if category is not None:
        query = query.filter(category=category)
    if available_only:
        moment = clock.now()
        query = query.filter(
            Q(available_from__isnull=True) | Q(available_from__lte=moment),
            Q(available_until__isnull=True) | Q(available_until__gt=moment),
            active=True,
            stock__gt=0,
        )
    return await paginate(query, window)


async def rewards_by_ids(*, reward_ids: list[int]) -> list[Reward | None]:
    """Rewards for the ids, in order (the catalogue is public)."""
    found = {r.id: r for r in await Reward.filter(id__in=reward_ids)}
    return [found.get(i) for i in reward_ids]
