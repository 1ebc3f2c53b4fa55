"""The double-entry core: accounts, balanced transactions, lots and evaluation credit.

Every function here runs inside the caller's transaction. Concurrency rests on one rule: a
transaction touches a person's account row first (`lock_account`, a write), before it reads
anything it decides on; PostgreSQL then holds the row lock until commit and SQLite the write
lock, so two movements of the same person's points are serialized and each sees the other's
effect. Pools and sinks are always touched after the person account (a fixed order: no
deadlocks between two ledger transactions).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.enums import AccountKind, Dimension, ExpiryKind, TransactionKind
from services.errors import InvalidInput
from services.kit import clock, db, events
from services.kit.paths import community_path
from services.kit.settings import get_settings
from services.models import (
    Area,
    PointsAccount,
    PointsEntry,
    PointsLot,
    PointsPolicy,
    PointsTransaction,
)
from services.points import chain


@dataclass(frozen=True)
class Community:
    """The community a movement of points goes through (its pool, its statistics)."""

    id: int
    path: str
    name: str


async def community_at(path: str) -> Community:
    """The community of an area path (InvalidInput above community level)."""
    root = community_path(path)
    if root is None:
        raise InvalidInput("Points move within a community.", field="areaId")
    area = await Area.get(path=root)
    return Community(id=area.id, path=area.path, name=area.name)


async def person_places(person_id: int) -> list[str]:
    """The area paths a person belongs to: their household's and those of their open roles."""
    # One statement: the household's path first, then the roles' in the order they were given.
    rows = await db.fetch(
        "SELECT path FROM ("
        "SELECT h.path AS path, 0 AS place, 0 AS id FROM person p "
        "JOIN household h ON h.id = p.household_id WHERE p.id = ? "
        "UNION ALL "
        "SELECT area_path, 1, id FROM role_assignment "
        "WHERE person_id = ? AND until IS NULL AND area_id IS NOT NULL"
        ") AS places ORDER BY place, id",
        [person_id, person_id],
    )
    return [str(row["path"]) for row in rows]


async def home_community(person_id: int) -> Community:
    """The community whose pool pays a person: their household's, else their first role's."""
    for path in await person_places(person_id):
        if community_path(path) is not None:
            return await community_at(path)
    raise InvalidInput(
        "The person belongs to no community yet (no household, no role).", field="personId"
    )


async def _get_or_create(kind: AccountKind, **keys: Any) -> PointsAccount:
    found = await PointsAccount.get_or_none(kind=kind, **keys)
    if found is not None:
        return found
    try:
        async with in_transaction():
            return await PointsAccount.create(kind=kind, **keys)
    except IntegrityError:  # created concurrently: the unique key holds, read the winner
        return await PointsAccount.get(kind=kind, **keys)


async def person_account(person_id: int) -> PointsAccount:
    """A person's spendable account, opened on first use."""
    return await _get_or_create(AccountKind.PERSON, person_id=person_id, name=f"person:{person_id}")


async def pool_account(community: Community) -> PointsAccount:
    """A community's issuing pool: awarded points come from it, expired ones return to it."""
    return await _get_or_create(AccountKind.POOL, area_id=community.id, name="pool")


async def sink_account(community_id: int, provider_name: str) -> PointsAccount:
    """A provider's sink in a community: captured redemptions land there."""
    return await _get_or_create(AccountKind.SINK, area_id=community_id, name=provider_name)


@dataclass(frozen=True)
class Locked:
    """An account row as locked by this transaction."""

    id: int
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held


async def lock_account(account_id: int) -> Locked:
    """Lock an account row for this transaction (a no-op write) and read its balances."""
    rows = await db.execute(
        "UPDATE points_account SET held = held WHERE id = ? RETURNING id, balance, held",
        [account_id],
    )
    row = rows[0]
    return Locked(id=row["id"], balance=int(row["balance"]), held=int(row["held"]))


async def change_held(account_id: int, delta: int) -> None:
    """Reserve (+) or release (-) points; the CHECK keeps held within 0..balance."""
    rows = await db.execute(
        "UPDATE points_account SET held = held + ? WHERE id = ? RETURNING person_id",
        [delta, account_id],
    )
    _changed(rows[0]["person_id"])


def _changed(person_id: int | None) -> None:
    # Only person accounts are followed live (myPointsChanged); pools and sinks have no person.
    if person_id is not None:
        events.emit(events.Topic.POINTS, person_id=int(person_id))


@dataclass(frozen=True)
class Movement:
    """What a transaction records besides its postings."""

    kind: TransactionKind
    community: Community
    person_id: int | None = None
    # Points to (+) or from (-) the person's account: the person-side posting.
    points: int = 0
    rule_id: int | None = None
    rule_version: int | None = None
    dimension: Dimension | None = None
    credit: int = 0
    period: str | None = None
    shortfall: int = 0
    reason: str = ""
    source_type: str | None = None
    source_id: str | None = None
    reverses_id: int | None = None
    redemption_id: int | None = None
    actor_account_id: int | None = None


async def post(movement: Movement, postings: list[tuple[int, int]]) -> PointsTransaction:
    """Record one balanced transaction: `postings` are (account id, points) summing to zero,
    applied in the order given (person accounts first, see the module docstring), and append it
    to its community's hash chain (services.points.chain)."""
    if sum(points for _, points in postings) != 0:
        raise AssertionError(f"unbalanced postings {postings}")
    postings = [(account_id, points) for account_id, points in postings if points != 0]
    created_at = clock.now()
    # The head is locked before the row is inserted (and before the pools and sinks below,
    # always in this order): within a community the chain order is the id order.
    previous_hash = await chain.lock_head(movement.community.id)
    digest = chain.content_hash(
        chain.Content(
            community_id=movement.community.id,
            kind=movement.kind.value,
            person_id=movement.person_id,
            points=movement.points,
            credit=movement.credit,
            period=movement.period,
            shortfall=movement.shortfall,
            dimension=None if movement.dimension is None else movement.dimension.value,
            rule_id=movement.rule_id,
            rule_version=movement.rule_version,
            reason=movement.reason,
            source_type=movement.source_type,
            source_id=movement.source_id,
            reverses_id=movement.reverses_id,
            redemption_id=movement.redemption_id,
            actor_account_id=movement.actor_account_id,
            created_at=created_at,
            entries=tuple(postings),
        ),
        previous_hash,
    )
    tx = await PointsTransaction.create(
        kind=movement.kind,
        person_id=movement.person_id,
        community_id=movement.community.id,
        area_path=movement.community.path,
        rule_id=movement.rule_id,
        rule_version=movement.rule_version,
        dimension=movement.dimension,
        points=movement.points,
        credit=movement.credit,
        period=movement.period,
        shortfall=movement.shortfall,
        reason=movement.reason,
        source_type=movement.source_type,
        source_id=movement.source_id,
        reverses_id=movement.reverses_id,
        redemption_id=movement.redemption_id,
        actor_account_id=movement.actor_account_id,
        created_at=created_at,
        content_hash=digest,
        previous_hash=previous_hash,
    )
    await chain.advance_head(movement.community.id, tx.id, digest)
    entries = []
    for account_id, points in postings:
        rows = await db.execute(
            "UPDATE points_account SET balance = balance + ? WHERE id = ? "
            "RETURNING balance, person_id",
            [points, account_id],
        )
        _changed(rows[0]["person_id"])
        entries.append(
            PointsEntry(
                transaction_id=tx.id,
                account_id=account_id,
                points=points,
                balance_after=int(rows[0]["balance"]),
                kind=movement.kind,
                rule_id=movement.rule_id,
                rule_version=movement.rule_version,
                dimension=movement.dimension,
                reason=movement.reason,
                source_type=movement.source_type,
                source_id=movement.source_id,
                actor_account_id=movement.actor_account_id,
                created_at=tx.created_at,
            )
        )
    if entries:
        await PointsEntry.bulk_create(entries)
    return tx


async def add_credit(person_id: int, period: str, dimension: Dimension, points: int) -> None:
    """Add to a person's evaluation credit (an upsert; the unique key serializes writers)."""
    if points == 0:
        return
    await db.execute(
        "INSERT INTO evaluation_credit (person_id, period, dimension, points) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (person_id, period, dimension) "
        "DO UPDATE SET points = evaluation_credit.points + excluded.points RETURNING id",
        [person_id, period, dimension.value, points],
    )


async def policy_for(community: Community) -> PointsPolicy:
    """The community's policy, else the district default, else never-expire / 7-day holds."""
    # One read for both: the community's row sorts before the district default.
    found = await PointsPolicy.filter(Q(area_id=community.id) | Q(area_id=None))
    policy = min(found, key=lambda p: p.area_id is None, default=None)
    return policy or PointsPolicy(
        area_id=None, expiry=ExpiryKind.NONE, hold_days=get_settings().redemption_hold_days
    )


def expiry_from(policy: PointsPolicy, moment: datetime) -> datetime | None:
    """When points awarded at `moment` expire under `policy` (local calendar)."""
    if policy.expiry is ExpiryKind.NONE:
        return None
    local = moment.astimezone(get_settings().tz)
    if policy.expiry is ExpiryKind.END_OF_NEXT_YEAR:
        end = local.replace(
            year=local.year + 2, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
        return end.astimezone(UTC)
    months = policy.expiry_months or 12
    year, index = divmod(local.month - 1 + months, 12)
    year += local.year
    day = min(local.day, calendar.monthrange(year, index + 1)[1])
    return local.replace(year=year, month=index + 1, day=day).astimezone(UTC)


async def add_lot(
    account_id: int, transaction_id: int, points: int, expires_at: datetime | None
) -> PointsLot:
    """A new lot of received points."""
    return await PointsLot.create(
        account_id=account_id,
        transaction_id=transaction_id,
        points=points,
        remaining=points,
        expires_at=expires_at,
    )


async def take_from_lots(
    account_id: int, points: int, *, first_from: int | None = None
) -> list[tuple[int, int]]:
    """Consume `points` from the account's lots, soonest expiring first (never-expiring last;
    the lot of transaction `first_from` before all others). Returns (lot id, points taken).
    The caller holds the account lock and has checked that the lots cover `points`."""
    # Rows, not models: an active volunteer holds a lot per award (hundreds), and Tortoise's
    # ISO parser costs ~15 µs a timestamp (db.timestamp parses each distinct one once).
    lots = await db.fetch(
        "SELECT id, remaining, expires_at, transaction_id FROM points_lot "
        "WHERE account_id = ? AND remaining > 0",
        [account_id],
    )
    far = datetime.max.replace(tzinfo=UTC)
    lots.sort(
        key=lambda lot: (
            lot["transaction_id"] != first_from,
            db.timestamp(lot["expires_at"]) or far,
            lot["id"],
        )
    )
    taken: list[tuple[int, int]] = []
    left = points
    for lot in lots:
        if left == 0:
            break
        part = min(left, int(lot["remaining"]))
        await db.execute(
            "UPDATE points_lot SET remaining = remaining - ? WHERE id = ? RETURNING id",
            [part, lot["id"]],
        )
        taken.append((int(lot["id"]), part))
        left -= part
    if left:
        raise AssertionError(f"lots of account {account_id} short by {left}")
    return taken


async def return_to_lots(parts: list[tuple[int, int]]) -> None:
    """Give points back to the lots they were taken from (a cancelled or expired hold)."""
    for lot_id, points in parts:
        await db.execute(
            "UPDATE points_lot SET remaining = remaining + ? WHERE id = ? RETURNING id",
            [points, lot_id],
        )
