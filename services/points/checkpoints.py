"""Signed checkpoints of the ledger's hash chains (issue 17 §1).

A checkpoint covers a contiguous stretch of a community's chain (services.points.chain): the
transactions after the previous checkpoint up to a cut, their Merkle root
(services.points.merkle, RFC 6962) and the chain's head hash at the cut, signed by the service's
Ed25519 key (services.points.signing). Published (公示) as a notice, it fixes that stretch of
the ledger for everyone: a later edit of the database, even one that recomputes every hash of
the chain, no longer matches the signed root and head.

`cut` makes a community's next checkpoint: ON_DEMAND (an admin, or `python -m api
ledger-checkpoint`) covers the chain up to now; the daily job (`daily_checkpoints`) covers each
past local day (TIMEZONE) that has transactions no checkpoint covers yet, oldest first. A day
without transactions gets no checkpoint: the previous checkpoint's head still stands for it.
Cutting reads the chain head without locking it (awards never wait for a checkpoint) and covers
the transactions up to the head's transaction, whose rows had all committed when it was read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.enums import LedgerCheckpointKind
from services.errors import Conflict, Forbidden, NotFound
from services.grids import get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.settings import get_settings
from services.models import LedgerCheckpoint, PointsTransaction
from services.points import merkle, signing
from services.points.chain import GENESIS, utc_text

log = logging.getLogger(__name__)

# The version of the signed message's encoding.
ENCODING = 1


def message(checkpoint: LedgerCheckpoint) -> bytes:
    """What a checkpoint's signature covers: a JSON object, UTF-8, keys sorted, no spaces, with
    v (ENCODING), type "gridpoints-ledger-checkpoint", community, sequence, kind, day
    (YYYY-MM-DD), until (`covers_until`, UTC ISO 8601 with microseconds), from and length (chain
    positions: the checkpoint covers positions from + 1 .. length), first and last (transaction
    ids), head (the chain's head hash after `last`) and root (the Merkle root)."""
    body: dict[str, Any] = {
        "v": ENCODING,
        "type": "gridpoints-ledger-checkpoint",
        "community": checkpoint.community_id,
        "sequence": checkpoint.sequence,
        "kind": checkpoint.kind,
        "day": checkpoint.day.isoformat(),
        "until": utc_text(checkpoint.covers_until),
        "from": checkpoint.from_length,
        "length": checkpoint.length,
        "first": checkpoint.first_transaction_id,
        "last": checkpoint.last_transaction_id,
        "head": checkpoint.head_hash,
        "root": checkpoint.merkle_root,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def local_day(moment: datetime) -> date:
    """The local calendar day (TIMEZONE) of a moment."""
    return moment.astimezone(get_settings().tz).date()


def day_end(day: date) -> datetime:
    """The end of a local day: the next local midnight, as an aware datetime."""
    tz = get_settings().tz
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)


class BrokenChain(Conflict):
    """The chain to be checkpointed does not link up: it is never signed."""


@dataclass(frozen=True)
class _Tx:
    id: int
    content_hash: str
    previous_hash: str
    created_at: datetime


async def last_checkpoint(community_id: int) -> LedgerCheckpoint | None:
    """The community's latest checkpoint (highest sequence), if any."""
    return await LedgerCheckpoint.filter(community_id=community_id).order_by("-sequence").first()


async def _head_transaction(community_id: int) -> int:
    rows = await db.fetch(
        "SELECT transaction_id FROM points_chain_head WHERE community_id = ?", [community_id]
    )
    if not rows or rows[0]["transaction_id"] is None:
        return 0
    return int(rows[0]["transaction_id"])


async def _uncovered(
    community_id: int, last: LedgerCheckpoint | None, until: datetime
) -> list[_Tx]:
    """The community's transactions after the last checkpoint up to the chain head (read
    without its lock, see the module docstring), in id (= chain) order, stopping before the
    first one created at or after `until`: a contiguous stretch of the chain. Only that
    stretch is read, so catching up on many days reads each transaction once."""
    bound = await _head_transaction(community_id)
    after = last.last_transaction_id if last is not None else 0
    stop = (
        await PointsTransaction.filter(
            # In UTC, as times are stored: SQLite compares them as text.
            community_id=community_id,
            id__gt=after,
            id__lte=bound,
            created_at__gte=until.astimezone(UTC),
        )
        .order_by("id")
        .limit(1)
        .values_list("id", flat=True)
    )
    if stop:
        bound = min(bound, int(cast(Any, stop[0])) - 1)
    rows = (
        await PointsTransaction.filter(community_id=community_id, id__gt=after, id__lte=bound)
        .order_by("id")
        .values_list("id", "content_hash", "previous_hash", "created_at")
    )
    return [_Tx(int(i), str(h or ""), str(p or ""), c) for i, h, p, c in rows]


async def _first_uncovered_time(
    community_id: int, last: LedgerCheckpoint | None
) -> datetime | None:
    """When the community's first transaction not covered yet (up to the head) was made."""
    bound = await _head_transaction(community_id)
    after = last.last_transaction_id if last is not None else 0
    found = (
        await PointsTransaction.filter(community_id=community_id, id__gt=after, id__lte=bound)
        .order_by("id")
        .limit(1)
        .values_list("created_at", flat=True)
    )
    return cast(datetime, found[0]) if found else None


async def cut(
    community_id: int,
    *,
    kind: LedgerCheckpointKind,
    day: date,
    until: datetime,
    created_by_id: int | None,
) -> LedgerCheckpoint | None:
    """The community's next checkpoint, covering its uncovered transactions created before
    `until` (DAILY: the end of `day`; ON_DEMAND: now).

    Nothing new to cover: ON_DEMAND returns the last checkpoint (None when there is none),
    DAILY returns None. A range that does not link up to the previous checkpoint's head
    raises BrokenChain (nothing is signed). Two cuts racing for the same sequence: the loser
    returns the winner's checkpoint (ON_DEMAND) or None (DAILY)."""
    last = await last_checkpoint(community_id)
    covered = await _uncovered(community_id, last, until)
    if not covered:
        return last if kind is LedgerCheckpointKind.ON_DEMAND else None
    previous = last.head_hash if last is not None else GENESIS
    for tx in covered:
        if tx.previous_hash != previous:
            raise BrokenChain(
                f"The chain of community {community_id} is broken at transaction {tx.id}: "
                "it does not follow the one before it. Run verifyLedger; nothing was signed.",
                field="communityId",
            )
        previous = tx.content_hash
    checkpoint = LedgerCheckpoint(
        community_id=community_id,
        sequence=(last.sequence if last is not None else 0) + 1,
        kind=kind.value,
        day=day,
        covers_until=until,
        from_length=last.length if last is not None else 0,
        length=(last.length if last is not None else 0) + len(covered),
        first_transaction_id=covered[0].id,
        last_transaction_id=covered[-1].id,
        head_hash=covered[-1].content_hash,
        merkle_root=merkle.root([tx.content_hash for tx in covered]),
        created_by_id=created_by_id,
        created_at=clock.now(),
    )
    checkpoint.key_id, checkpoint.signature = signing.sign(message(checkpoint))
    try:
        async with in_transaction():
            await checkpoint.save()
    except IntegrityError:
        # A concurrent cut took this sequence: its checkpoint stands.
        if kind is LedgerCheckpointKind.DAILY:
            return None
        return await last_checkpoint(community_id)
    return checkpoint


async def cut_on_demand(community_id: int, *, created_by_id: int | None) -> LedgerCheckpoint | None:
    """An ON_DEMAND checkpoint of the community up to now (the last one when nothing is new)."""
    now = clock.now()
    return await cut(
        community_id,
        kind=LedgerCheckpointKind.ON_DEMAND,
        day=local_day(now),
        until=now,
        created_by_id=created_by_id,
    )


async def create_checkpoint(*, actor: Actor | None, community_id: int) -> LedgerCheckpoint:
    """An admin of the community asks for a checkpoint now."""
    actor = require_actor(actor)
    area = await get_area(area_id=community_id)
    if not actor.administers(area.path):
        raise Forbidden(
            "You may checkpoint the ledger of the communities you administer.",
            field="communityId",
        )
    checkpoint = await cut_on_demand(community_id, created_by_id=actor.person_id)
    if checkpoint is None:
        raise NotFound("The community has no ledger transactions yet.", field="communityId")
    return checkpoint


async def chained_communities() -> list[int]:
    """The communities with a hash chain."""
    rows = await db.fetch("SELECT community_id FROM points_chain_head ORDER BY community_id", [])
    return [int(r["community_id"]) for r in rows]


async def daily_checkpoints() -> int:
    """The daily job: for each community with a chain, a DAILY checkpoint for each past local
    day (before today) with uncovered transactions, oldest first. Idempotent; after downtime it
    catches up on several days at once. A community whose chain does not link up is logged
    and skipped. Returns how many checkpoints were made."""
    today = local_day(clock.now())
    made = 0
    for community_id in await chained_communities():
        try:
            made += await _daily_for(community_id, today)
        except BrokenChain as exc:
            log.error("ledger checkpoint skipped: %s", exc)
    return made


async def _daily_for(community_id: int, today: date) -> int:
    made = 0
    while True:
        last = await last_checkpoint(community_id)
        first = await _first_uncovered_time(community_id, last)
        if first is None:
            return made
        # The day of the first uncovered transaction (never before the last checkpoint's: times
        # written out of id order, as by a backdated import, go with the day after them).
        day = local_day(first)
        if last is not None and last.kind == LedgerCheckpointKind.DAILY:
            day = max(day, last.day + timedelta(days=1))
        elif last is not None:
            day = max(day, last.day)
        if day >= today:
            return made
        checkpoint = await cut(
            community_id,
            kind=LedgerCheckpointKind.DAILY,
            day=day,
            until=day_end(day),
            created_by_id=None,
        )
        if checkpoint is None:
            # Another worker cut it (read again), or nothing was left to cover.
            latest = await last_checkpoint(community_id)
            if latest is None or latest.sequence == (last.sequence if last else 0):
                return made
            continue
        made += 1
