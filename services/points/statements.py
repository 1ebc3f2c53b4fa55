"""Reading points: a person's account, its entries, leaderboards and per-area statistics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from services.enums import AccountKind, AreaLevel, AwardStatus, Dimension, Role
from services.errors import Forbidden, InvalidInput, NotFound
from services.grids import get_area
from services.kit import calendar, clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import community_path, subtree_bounds
from services.kit.settings import get_settings
from services.models import PointsAccount, PointsAward, PointsEntry, PointsTransaction
from services.people import people_by_ids


@dataclass(frozen=True)
class AccountSummary:
    """A person's points: balance (all they own), held (reserved by redemptions awaiting
    pickup) and what they can spend now."""

    account_id: int | None
    person_id: int
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True)
class Expiring:
    """Points that expire at one moment."""

    points: int
    expires_at: datetime


async def account_summary(*, person_id: int) -> AccountSummary:
    """The cached balances of a person's account (one indexed row: O(1) in the entry count)."""
    account = await PointsAccount.get_or_none(kind=AccountKind.PERSON, person_id=person_id)
    if account is None:
        return AccountSummary(None, person_id, 0, 0)
    return AccountSummary(account.id, person_id, account.balance, account.held)


# The most redeemed rewards the statistics name.
TOP_REWARDS = 5
# The most expiry dates `expiring_soon` lists (the soonest): a bound the API's cost estimate
# relies on (`PointsAccount.expiringSoon`).
EXPIRING_LIMIT = 50
# How far ahead `expiring_soon` looks at most, in days (about ten years).
MAX_EXPIRING_DAYS = 3660


async def expiring_soon(*, account_id: int | None, days: int | None = None) -> list[Expiring]:
    """Points of unspent lots that expire within `days` (1..MAX_EXPIRING_DAYS; default from
    settings), soonest first, by expiry instant; at most EXPIRING_LIMIT of them."""
    # Checked before anything else, so a bad `days` is refused for an empty account too.
    if days is not None and not 1 <= days <= MAX_EXPIRING_DAYS:
        raise InvalidInput(f"`days` must be between 1 and {MAX_EXPIRING_DAYS}.", field="days")
    if account_id is None:
        return []
    if days is None:
        days = get_settings().expiring_soon_days
    horizon = clock.now() + timedelta(days=days)
    rows = await db.fetch(
        "SELECT expires_at, SUM(remaining) AS points FROM points_lot WHERE account_id = ? "
        "AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ? "
        "GROUP BY expires_at ORDER BY expires_at LIMIT ?",
        [account_id, horizon, EXPIRING_LIMIT],
    )
    return [Expiring(int(r["points"]), _as_datetime(r["expires_at"])) for r in rows]


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def entries(*, account_id: int | None, window: Window) -> Page[PointsEntry]:
    """An account's entries, newest first (keyset on the entry id: flat at any depth)."""
    if account_id is None:
        return await paginate(PointsEntry.filter(id=0), window)
    return await paginate(PointsEntry.filter(account_id=account_id), window, newest_first=True)


async def points_readable(*, actor: Actor, person_ids: list[int]) -> set[int]:
    """Of these people, those whose points (account, entries and transactions) the actor may
    read: themselves, and anyone with a place (their household, an open role) in an area the
    actor reads. Two statements for the whole batch (none for the actor alone)."""
    wanted = sorted({p for p in person_ids if p != actor.person_id})
    readable = {actor.person_id} & set(person_ids)
    if not wanted or not actor.read_paths:
        return readable
    marks = ",".join("?" for _ in wanted)
    homes = await db.fetch(
        f"SELECT p.id AS person_id, h.path FROM person p JOIN household h "
        f"ON h.id = p.household_id WHERE p.id IN ({marks})",
        wanted,
    )
    roles = await db.fetch(
        f"SELECT person_id, area_path AS path FROM role_assignment WHERE person_id IN ({marks}) "
        "AND until IS NULL AND area_id IS NOT NULL",
        wanted,
    )
    readable |= {int(r["person_id"]) for r in [*homes, *roles] if actor.reads(str(r["path"]))}
    return readable


async def transactions_by_ids(
    *, actor: Actor | None, transaction_ids: list[int]
) -> list[PointsTransaction | None]:
    """Transactions the actor may see: those of the people whose points they may read (see
    `points_readable`: the same people whose accounts and entries they see), and any in the
    communities they read."""
    if actor is None:
        return [None for _ in transaction_ids]
    found = {t.id: t for t in await PointsTransaction.filter(id__in=transaction_ids)}
    people = await points_readable(
        actor=actor,
        person_ids=[
            t.person_id
            for t in found.values()
            if t.person_id is not None and not actor.reads(t.area_path)
        ],
    )
    return [
        t if t is not None and (t.person_id in people or actor.reads(t.area_path)) else None
        for t in (found.get(i) for i in transaction_ids)
    ]


async def entries_by_ids(*, actor: Actor | None, entry_ids: list[int]) -> list[PointsEntry | None]:
    """Entries the actor may see: those of the person accounts whose points they may read (as
    `pointsAccount.entries` lists them), and every entry of transactions in the communities
    they read (the pools' side too)."""
    if actor is None:
        return [None for _ in entry_ids]
    found = {e.id: e for e in await PointsEntry.filter(id__in=entry_ids)}
    accounts = {
        a.id: a for a in await PointsAccount.filter(id__in={e.account_id for e in found.values()})
    }
    paths = dict(
        await PointsTransaction.filter(
            id__in={e.transaction_id for e in found.values()}
        ).values_list("id", "area_path")
    )
    owners = {
        a.id: a.person_id
        for a in accounts.values()
        if a.kind is AccountKind.PERSON and a.person_id is not None
    }
    people = await points_readable(actor=actor, person_ids=list(set(owners.values())))
    return [
        e
        if e is not None
        and (owners.get(e.account_id) in people or actor.reads(str(paths[e.transaction_id])))
        else None
        for e in (found.get(i) for i in entry_ids)
    ]


async def pending_awards(
    *, actor: Actor | None, under_id: int | None, window: Window
) -> Page[PointsAward]:
    """Awards waiting for review in the areas the actor administers."""
    actor = require_actor(actor)
    roots = actor.admin_paths
    if under_id is not None:
        area = await get_area(area_id=under_id)
        if not actor.administers(area.path):
            raise Forbidden("You review awards in the areas you administer.", field="under")
        roots = [area.path]
    if not roots:
        raise Forbidden("Community admins review awards.")
    query = PointsAward.filter(status=AwardStatus.PENDING)
    condition = Q()
    for root in roots:
        low, high = subtree_bounds(root)
        condition |= Q(area_path__gte=low, area_path__lt=high)
    return await paginate(query.filter(condition), window)


_PERIOD = re.compile(r"^(\d{4})Q([1-4])$")


def check_period(period: str | None) -> str:
    """A quarter like "2026Q4" (the current one when omitted)."""
    if period is None:
        return calendar.period_of(clock.now())
    if not _PERIOD.match(period):
        raise InvalidInput('A period is a quarter such as "2026Q4".', field="period")
    return period


@dataclass(frozen=True)
class Standing:
    """One line of a leaderboard."""

    rank: int
    person_id: int
    name: str
    points: int


async def leaderboard(
    *,
    actor: Actor | None,
    under_id: int,
    period: str | None,
    dimension: Dimension | None,
    role: Role | None,
    first: int,
) -> list[Standing]:
    """People under an area ranked by evaluation credit (never the spendable balance) in a
    quarter, in one dimension or all; ties share a rank, counted over everyone ranked.

    A line names a person, so it is shown to whoever may see that person anywhere else
    (services.people visibility): the admins and leaders of the area see every line; the
    people of its community (residents, role holders) the lines of the people they may see
    (themselves, their household, public duty-role holders, those in their own areas), at
    their true ranks. Others may not read it (Forbidden), as for evaluation rankings."""
    actor = require_actor(actor)
    quarter = check_period(period)
    area = await get_area(area_id=under_id)
    reads = actor.reads(area.path)
    if not (reads or actor.member_of(area.path)):
        raise Forbidden(
            "Leaderboards are shown to the people of the community and the admins and "
            "leaders of the area.",
            field="under",
        )
    low, high = subtree_bounds(area.path)
    members = (
        "SELECT person_id FROM role_assignment WHERE until IS NULL "
        "AND area_path >= ? AND area_path < ?"
    )
    params: list[object] = [quarter]
    where = "c.period = ?"
    if dimension is not None:
        where += " AND c.dimension = ?"
        params.append(dimension.value)
    if role is not None:
        members += " AND role = ?"
        scope_params: list[object] = [low, high, role.value]
    else:
        members += (
            " UNION SELECT p.id FROM person p JOIN household h ON h.id = p.household_id "
            "WHERE h.path >= ? AND h.path < ?"
        )
        scope_params = [low, high, low, high]
    # Whoever reads the area sees everyone under it: one page. Others see some of the lines:
    # every line of the community is ranked (a community is bounded), then the visible ones
    # are kept, in order, until the page is full.
    limit = " LIMIT ?" if reads else ""
    rows = await db.fetch(
        "SELECT person_id, points, RANK() OVER (ORDER BY points DESC) AS place FROM ("
        f"SELECT c.person_id, SUM(c.points) AS points FROM evaluation_credit c "
        f"WHERE {where} AND c.person_id IN ({members}) GROUP BY c.person_id"
        f") totals ORDER BY points DESC, person_id{limit}",
        [*params, *scope_params, *([first] if reads else [])],
    )
    standings: list[Standing] = []
    for start in range(0, len(rows), _VISIBILITY_BATCH):
        batch = rows[start : start + _VISIBILITY_BATCH]
        views = await people_by_ids(actor=actor, person_ids=[int(r["person_id"]) for r in batch])
        for row, view in zip(batch, views, strict=True):
            if view is not None:
                standings.append(
                    Standing(
                        int(row["place"]), view.person.id, view.person.name, int(row["points"])
                    )
                )
        if len(standings) >= first:
            break
    return standings[:first]


# People whose visibility is checked at once while filling a leaderboard page.
_VISIBILITY_BATCH = 500


@dataclass(frozen=True)
class TopReward:
    """A reward and how many of it were redeemed: handed over (FULFILLED), as `redeemed`
    counts; items still held for pickup are not counted (they show in `held`)."""

    reward_id: int
    quantity: int


@dataclass(frozen=True)
class Statistics:
    """Points through an area's communities: issued by awards, taken by penalties, redeemed,
    expired, corrected by reversals, still outstanding, and held for pickup now."""

    issued: int
    penalized: int
    redeemed: int
    expired: int
    reversed: int
    outstanding: int
    held: int
    top_rewards: list[TopReward]


async def statistics(*, actor: Actor | None, under_id: int) -> Statistics:
    """Ledger figures under an area (admins and leaders who read it)."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    if not actor.reads(area.path):
        raise Forbidden("You see statistics of the areas you run.", field="under")
    # Transactions carry their community's path: widen a grid to its community.
    below = area.level.rank > AreaLevel.COMMUNITY.rank
    root = community_path(area.path) if below else None
    low, high = subtree_bounds(root or area.path)
    rows = await db.fetch(
        "SELECT kind, SUM(points) AS points FROM points_transaction "
        "WHERE area_path >= ? AND area_path < ? GROUP BY kind",
        [low, high],
    )
    by_kind = {str(r["kind"]): int(r["points"] or 0) for r in rows}
    low, high = subtree_bounds(area.path)
    held = await db.fetch(
        "SELECT COALESCE(SUM(d.points_spent), 0) AS held FROM redemption d "
        "JOIN reward r ON r.id = d.reward_id WHERE d.status = 'HELD' "
        "AND r.area_path >= ? AND r.area_path < ?",
        [low, high],
    )
    # Handed-over items only, as `redeemed` counts handed-over points: a hold may still be
    # cancelled or expire, and then it was never redeemed.
    top = await db.fetch(
        "SELECT d.reward_id, SUM(d.quantity) AS n FROM redemption d JOIN reward r "
        "ON r.id = d.reward_id WHERE d.status = 'FULFILLED' "
        "AND r.area_path >= ? AND r.area_path < ? GROUP BY d.reward_id "
        f"ORDER BY n DESC, d.reward_id LIMIT {TOP_REWARDS}",
        [low, high],
    )
    return Statistics(
        issued=by_kind.get("AWARD", 0),
        penalized=-by_kind.get("PENALTY", 0),
        redeemed=-by_kind.get("REDEMPTION", 0),
        expired=-by_kind.get("EXPIRY", 0),
        reversed=by_kind.get("REVERSAL", 0),
        outstanding=sum(by_kind.values()),
        held=int(held[0]["held"]),
        top_rewards=[TopReward(int(t["reward_id"]), int(t["n"])) for t in top],
    )


async def ledger_figures() -> tuple[int, int]:
    """How many transactions the ledger holds, and how many points open redemptions hold (for
    operators' metrics; no authorization)."""
    row = (
        await db.fetch(
            "SELECT (SELECT COUNT(*) FROM points_transaction) AS transactions, "
            "(SELECT COALESCE(SUM(held), 0) FROM points_account) AS held",
            [],
        )
    )[0]
    return int(row["transactions"]), int(row["held"])


async def person_in_scope(*, actor: Actor | None, person_id: int) -> None:
    """NotFound unless the actor may read the person's points (see `points_readable`)."""
    actor = require_actor(actor)
    if person_id not in await points_readable(actor=actor, person_ids=[person_id]):
        raise NotFound("No such person in your areas.", field="personId")
