"""The hash chain over the points ledger (issue 17 §1): tamper evidence beyond the triggers.

Every ledger transaction stores `content_hash`, the SHA-256 of its canonical content (see
`canonical`), and `previous_hash`, the `content_hash` of the transaction before it in the same
chain. The previous hash is part of the hashed content, so a chain's last hash (its head, kept in
`points_chain_head`) commits to every transaction before it: changing, deleting, reordering or
inserting one breaks either its own hash or the next one's link.

Grain: one chain per community (the community whose pool or marketplace the transaction went
through, `points_transaction.community_id`). Awards in different communities never wait for each
other's head; within a community they already queue on the community's pool row, so the head
adds no new contention. Appending locks the community's head row with a no-op UPDATE (a row lock
on PostgreSQL held until commit, the write lock on SQLite) before the transaction's row is
inserted, so within a community the chain order is the id order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.kit import db

# The `previous_hash` of a chain's first transaction.
GENESIS = "0" * 64
# The version of the canonical encoding, part of the hashed content.
ENCODING = 1


@dataclass(frozen=True)
class Content:
    """What a transaction's hash covers: its recorded fields and its postings."""

    community_id: int
    kind: str
    person_id: int | None
    points: int
    credit: int
    period: str | None
    shortfall: int
    dimension: str | None
    rule_id: int | None
    rule_version: int | None
    reason: str
    source_type: str | None
    source_id: str | None
    reverses_id: int | None
    redemption_id: int | None
    actor_account_id: int | None
    created_at: datetime
    # (account id, signed points) of each posting.
    entries: tuple[tuple[int, int], ...]


def utc_text(moment: datetime) -> str:
    """A time as the encoding writes it: UTC, ISO 8601, always with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(content: Content, previous_hash: str) -> bytes:
    """The canonical encoding of a transaction, the one input to its hash.

    A JSON object, UTF-8, keys sorted, no spaces (separators "," and ":"), non-ASCII text as
    is (ensure_ascii=False). Integers are JSON integers, absent values null, the time is
    `utc_text` (e.g. "2026-03-01T08:00:00.000000+00:00"), `entries` is the list of
    {"account": id, "points": signed points} sorted by account then points. Keys: v (ENCODING),
    community, kind, person, points, credit, period, shortfall, dimension, rule, rule_version,
    reason, source_type, source_id, reverses, redemption, actor (the actor's account id), time,
    entries, previous (the previous transaction's hash, GENESIS for the first).
    """
    body: dict[str, Any] = {
        "v": ENCODING,
        "community": content.community_id,
        "kind": content.kind,
        "person": content.person_id,
        "points": content.points,
        "credit": content.credit,
        "period": content.period,
        "shortfall": content.shortfall,
        "dimension": content.dimension,
        "rule": content.rule_id,
        "rule_version": content.rule_version,
        "reason": content.reason,
        "source_type": content.source_type,
        "source_id": content.source_id,
        "reverses": content.reverses_id,
        "redemption": content.redemption_id,
        "actor": content.actor_account_id,
        "time": utc_text(content.created_at),
        "entries": [
            {"account": account, "points": points} for account, points in sorted(content.entries)
        ],
        "previous": previous_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(content: Content, previous_hash: str) -> str:
    """The SHA-256 (hex) of the canonical encoding."""
    return hashlib.sha256(canonical(content, previous_hash)).hexdigest()


async def lock_head(community_id: int) -> str:
    """Lock the community's chain head for this transaction and return its hash (GENESIS for a
    new chain). Called by the ledger before it inserts the transaction's row."""
    rows = await _touch(community_id)
    if not rows:
        # A community's first transaction: a concurrent first one inserts the same row, and
        # ON CONFLICT makes the loser wait for it, then touch the winner's row.
        await db.execute(
            "INSERT INTO points_chain_head (community_id, head_hash, length) VALUES (?, ?, 0) "
            "ON CONFLICT (community_id) DO NOTHING RETURNING community_id",
            [community_id, GENESIS],
        )
        rows = await _touch(community_id)
    return str(rows[0]["head_hash"])


async def _touch(community_id: int) -> list[dict[str, Any]]:
    return await db.execute(
        "UPDATE points_chain_head SET length = length WHERE community_id = ? RETURNING head_hash",
        [community_id],
    )


async def advance_head(community_id: int, transaction_id: int, new_hash: str) -> None:
    """Make a just-inserted transaction the head of its community's chain (head locked)."""
    await db.execute(
        "UPDATE points_chain_head SET head_hash = ?, transaction_id = ?, length = length + 1 "
        "WHERE community_id = ? RETURNING community_id",
        [new_hash, transaction_id, community_id],
    )


TRANSACTION_COLUMNS = (
    "id, community_id, kind, person_id, points, credit, period, shortfall, dimension, rule_id, "
    "rule_version, reason, source_type, source_id, reverses_id, redemption_id, "
    "actor_account_id, created_at, content_hash, previous_hash"
)


def content_of(row: dict[str, Any], entries: Iterable[tuple[int, int]]) -> Content:
    """The content of a stored transaction (a row with TRANSACTION_COLUMNS) and its postings."""
    created_at = db.timestamp(row["created_at"])
    if created_at is None:
        raise AssertionError(f"transaction {row['id']} has no time")
    return Content(
        community_id=int(row["community_id"]),
        kind=str(row["kind"]),
        person_id=_int(row["person_id"]),
        points=int(row["points"]),
        credit=int(row["credit"]),
        period=row["period"],
        shortfall=int(row["shortfall"]),
        dimension=row["dimension"],
        rule_id=_int(row["rule_id"]),
        rule_version=_int(row["rule_version"]),
        reason=str(row["reason"]),
        source_type=row["source_type"],
        source_id=row["source_id"],
        reverses_id=_int(row["reverses_id"]),
        redemption_id=_int(row["redemption_id"]),
        actor_account_id=_int(row["actor_account_id"]),
        created_at=created_at,
        entries=tuple((int(a), int(p)) for a, p in entries),
    )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
