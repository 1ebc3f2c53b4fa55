"""Redemptions: points and stock held at once, captured at pickup, released on cancel/expiry.

Lock order in every transaction here: the redemption row (or the idempotency key), then the
reward row, then the person's account, then the sink; the same order everywhere means two of
them cannot deadlock. Stock and holds change by conditional UPDATEs (`stock >= n`, checked
balance under the account lock), so two concurrent redemptions can never both take the last
item or the same points.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from services.enums import LEADER_ROLES, RedemptionStatus, TransactionKind
from services.errors import (
    Conflict,
    Forbidden,
    InsufficientPoints,
    InvalidInput,
    LimitExceeded,
    NotFound,
    OutOfStock,
    RewardUnavailable,
)
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.idempotency import Call
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import community_path
from services.market.rewards import (
    MAX_STOCK,
    cancels,
    hands_over,
    is_available,
    may_manage,
    unit_ids_of,
)
from services.models import Redemption, RedemptionLot, Reward
from services.points import ledger
from services.points.ledger import Movement

# Pickup codes: 12 characters from an alphabet without look-alikes (60 bits, unguessable).
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _pickup_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


async def redeem(
    *, actor: Actor | None, reward_id: int, quantity: int, idempotency_key: str
) -> Redemption:
    """Redeem a reward: hold its price in points and the items until pickup."""
    actor = require_actor(actor)
    if not 1 <= quantity <= MAX_STOCK:
        raise InvalidInput(f"Quantity must be between 1 and {MAX_STOCK}.", field="quantity")
    call = Call(actor, "redeemReward", idempotency_key, {"reward": reward_id, "quantity": quantity})
    call.check()
    # No read of the key first: a first call claims it in its transaction, and a retry finds
    # it claimed there (or here, if the world changed since and these checks refuse it).
    try:
        reward = await Reward.get_or_none(id=reward_id)
        if reward is None:
            raise NotFound("No such reward.", field="rewardId")
        account = await ledger.person_account(actor.person_id)
        community = await ledger.community_at(reward.area_path)
        policy = await ledger.policy_for(community)
    except Exception:
        if (previous := await call.previous(_redemption_by_id)) is not None:
            return previous
        raise

    async def effect(_: int) -> tuple[int, Redemption]:
        moment = clock.now()
        # Stock first: a conditional decrement, so two redemptions cannot take the last item.
        # The UPDATE returns the price and limits as they are now (no second read); only a
        # refused decrement reads the row, to say why.
        rows = await db.execute(
            "UPDATE reward SET stock = stock - ? WHERE id = ? AND stock >= ? RETURNING "
            "price_points, per_person_limit, active, available_from, available_until",
            [quantity, reward.id, quantity],
        )
        fresh = _Terms.of(rows[0]) if rows else None
        if fresh is None:
            now = await Reward.get(id=reward.id)
            if not is_available(now, moment):
                raise RewardUnavailable("This reward is not available now.", field="rewardId")
            raise OutOfStock(f"Only {now.stock} left.", field="quantity")
        if not fresh.available(moment):
            raise RewardUnavailable("This reward is not available now.", field="rewardId")
        locked = await ledger.lock_account(account.id)
        if fresh.per_person_limit is not None:
            taken = await _quantity_taken(reward.id, actor.person_id)
            if taken + quantity > fresh.per_person_limit:
                raise LimitExceeded(
                    f"At most {fresh.per_person_limit} per person; you have {taken}.",
                    field="quantity",
                )
        cost = fresh.price_points * quantity
        if locked.available < cost:
            raise InsufficientPoints(
                f"This costs {cost} points; you have {locked.available} available.",
                field="quantity",
            )
        await ledger.change_held(account.id, cost)
        parts = await ledger.take_from_lots(account.id, cost)
        redemption = await Redemption.create(
            reward_id=reward.id,
            person_id=actor.person_id,
            account_id=account.id,
            quantity=quantity,
            points_spent=cost,
            status=RedemptionStatus.HELD,
            pickup_code=_pickup_code(),
            expires_at=moment + timedelta(days=policy.hold_days),
            created_at=moment,
        )
        await db.insert_many(
            RedemptionLot._meta.db_table,
            ["redemption_id", "lot_id", "points"],
            [[redemption.id, lot, p] for lot, p in parts],
        )
        return redemption.id, redemption

    return await call.run(effect, _redemption_by_id)


@dataclass(frozen=True)
class _Terms:
    """A reward's price, limit and availability as its stock UPDATE returned them."""

    price_points: int
    per_person_limit: int | None
    active: bool
    available_from: datetime | None
    available_until: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> _Terms:
        limit = row["per_person_limit"]
        return cls(
            price_points=int(row["price_points"]),
            per_person_limit=None if limit is None else int(limit),
            active=bool(row["active"]),
            available_from=db.timestamp(row["available_from"]),
            available_until=db.timestamp(row["available_until"]),
        )

    def available(self, moment: datetime) -> bool:
        """Active and inside its availability window (as `rewards.is_available`)."""
        return (
            self.active
            and (self.available_from is None or self.available_from <= moment)
            and (self.available_until is None or moment < self.available_until)
        )


async def _quantity_taken(reward_id: int, person_id: int) -> int:
    rows = await db.fetch(
        "SELECT COALESCE(SUM(quantity), 0) AS n FROM redemption WHERE reward_id = ? "
        "AND person_id = ? AND status IN ('HELD', 'FULFILLED')",
        [reward_id, person_id],
    )
    return int(rows[0]["n"])


async def _redemption_by_id(redemption_id: int) -> Redemption:
    return await Redemption.get(id=redemption_id)


def _is_staff(actor: Actor, reward: Reward) -> bool:
    """Grid and micro-grid leaders of the reward's community hand out its rewards (驿站)."""
    community = community_path(reward.area_path) or reward.area_path
    return any(p.startswith(community) for p in actor.paths_for(LEADER_ROLES))


async def fulfil(*, actor: Actor | None, pickup_code: str) -> Redemption:
    """Hand over a held redemption by its pickup code: the held points are captured into the
    provider's sink. Fulfilling twice is harmless (the second returns the same redemption).
    Staff never hand over their own redemption (Forbidden)."""
    actor = require_actor(actor)
    code = pickup_code.strip().upper()
    redemption = await Redemption.get_or_none(pickup_code=code) if len(code) <= 20 else None
    reward = await Reward.get_or_none(id=redemption.reward_id) if redemption else None
    # Unknown codes and codes of other providers look the same: codes cannot be probed.
    if (
        redemption is None
        or reward is None
        or not (_is_staff(actor, reward) or await hands_over(actor, reward))
    ):
        raise NotFound("No held redemption with that pickup code here.", field="pickupCode")
    # A handover is the witness that the goods left the station: never to oneself.
    actor.require_someone_else(
        redemption.person_id,
        "Another staff member hands over your own redemption.",
        field="pickupCode",
    )
    community = await ledger.community_at(reward.area_path)
    moment = clock.now()
    async with in_transaction():
        changed = await Redemption.filter(
            id=redemption.id, status=RedemptionStatus.HELD, expires_at__gt=moment
        ).update(status=RedemptionStatus.FULFILLED, closed_at=moment, closed_by_id=actor.account_id)
        if changed:
            await ledger.lock_account(redemption.account_id)
            await ledger.change_held(redemption.account_id, -redemption.points_spent)
            tx = await ledger.post(
                Movement(
                    kind=TransactionKind.REDEMPTION,
                    community=community,
                    person_id=redemption.person_id,
                    points=-redemption.points_spent,
                    reason=f"兑换 {reward.name} ×{redemption.quantity}",
                    source_type="Redemption",
                    source_id=str(redemption.id),
                    redemption_id=redemption.id,
                    actor_account_id=actor.account_id,
                ),
                [
                    (redemption.account_id, -redemption.points_spent),
                    (reward.sink_account_id, redemption.points_spent),
                ],
            )
            await Redemption.filter(id=redemption.id).update(transaction_id=tx.id)
    redemption = await Redemption.get(id=redemption.id)
    if redemption.status is not RedemptionStatus.FULFILLED:
        state = redemption.status.value
        if redemption.status is RedemptionStatus.HELD:
            state = "past its pickup time"
        raise Conflict(f"This redemption is {state}.", field="pickupCode")
    return redemption


async def _release(redemption: Redemption, status: RedemptionStatus, actor: Actor | None) -> bool:
    """Inside a transaction: close a HELD redemption as CANCELLED or EXPIRED and give back its
    points (to the lots they came from) and its items. False when it was not HELD."""
    changed = await Redemption.filter(id=redemption.id, status=RedemptionStatus.HELD).update(
        status=status,
        closed_at=clock.now(),
        closed_by_id=actor.account_id if actor else None,
    )
    if not changed:
        return False
    await db.execute(
        "UPDATE reward SET stock = stock + ? WHERE id = ? RETURNING id",
        [redemption.quantity, redemption.reward_id],
    )
    await ledger.lock_account(redemption.account_id)
    await ledger.change_held(redemption.account_id, -redemption.points_spent)
    parts = await RedemptionLot.filter(redemption_id=redemption.id).values_list("lot_id", "points")
    await ledger.return_to_lots([(int(lot), int(points)) for lot, points in parts])
    return True


async def cancel(*, actor: Actor | None, redemption_id: int) -> Redemption:
    """Cancel a held redemption (the redeemer, the provider or an admin): points and items
    are released. Cancelling twice is harmless."""
    actor = require_actor(actor)
    redemption = await Redemption.get_or_none(id=redemption_id)
    reward = await Reward.get_or_none(id=redemption.reward_id) if redemption else None
    if redemption is None or reward is None:
        raise NotFound("No such redemption.", field="redemptionId")
    if redemption.person_id != actor.person_id and not await cancels(actor, reward):
        if await hands_over(actor, reward):
            raise Forbidden(
                "The redeemer, the unit's managers or an admin cancel it.", field="redemptionId"
            )
        raise NotFound("No such redemption.", field="redemptionId")
    async with in_transaction():
        await _release(redemption, RedemptionStatus.CANCELLED, actor)
    redemption = await Redemption.get(id=redemption.id)
    if redemption.status is not RedemptionStatus.CANCELLED:
        raise Conflict(f"This redemption is {redemption.status.value}.", field="redemptionId")
    return redemption


async def expire_holds(*, at: datetime | None = None, batch: int = 500) -> int:
    """Release every hold past its pickup time (idempotent; safe on several instances: the
    status flips by a conditional UPDATE, so each hold is released once). Returns how many."""
    moment = at or clock.now()
    count = 0
    last_id = 0
    while True:
        due = (
            await Redemption.filter(
                status=RedemptionStatus.HELD, expires_at__lte=moment, id__gt=last_id
            )
            .order_by("id")
            .limit(batch)
        )
        for redemption in due:
            async with in_transaction():
                count += await _release(redemption, RedemptionStatus.EXPIRED, None)
        if len(due) < batch:
            return count
        last_id = due[-1].id


def shows_pickup_code(actor: Actor | None, person_id: int) -> bool:
    """Does the viewer see the pickup code of a redemption made by `person_id`? Only the
    redeemer: the code is what hands the items over, so staff ask the resident for it."""
    return actor is not None and actor.person_id == person_id


async def redemptions_of(
    *, actor: Actor | None, window: Window, status: RedemptionStatus | None
) -> Page[Redemption]:
    """The actor's own redemptions, newest first."""
    actor = require_actor(actor)
    query = Redemption.filter(person_id=actor.person_id)
    if status is not None:
        query = query.filter(status=status)
    return await paginate(query, window, newest_first=True)


async def redemptions_by_ids(
    *, actor: Actor | None, redemption_ids: list[int]
) -> list[Redemption | None]:
    """Redemptions the actor may see (their own, or of rewards they manage), in order."""
    if actor is None:
        return [None for _ in redemption_ids]
    found = {r.id: r for r in await Redemption.filter(id__in=redemption_ids)}
    rewards = {r.id: r for r in await Reward.filter(id__in={r.reward_id for r in found.values()})}
    units = await unit_ids_of(actor) if any(r.partner_unit_id for r in rewards.values()) else set()
    result: list[Redemption | None] = []
    for i in redemption_ids:
        r = found.get(i)
        reward = rewards[r.reward_id] if r is not None else None
        visible = (
            r is not None
            and reward is not None
            and (
                r.person_id == actor.person_id
                or may_manage(actor, reward)
                or (reward.partner_unit_id is not None and reward.partner_unit_id in units)
            )
        )
        result.append(r if visible else None)
    return result
