"""Idempotency keys: a retried mutation returns its first result and changes nothing.

The key is claimed by an INSERT as the first statement of the mutation's transaction (a write
first, so SQLite takes its write lock at once). A concurrent retry blocks on the unique index
until the first commits, then fails the INSERT and reads the recorded result; if the first
rolls back (its effect failed), nothing was recorded and the retry runs the effect itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.errors import IdempotencyConflict, InvalidInput
from services.kit import clock, db
from services.kit.auth import Actor
from services.kit.retries import retrying
from services.models import IdempotencyRecord

T = TypeVar("T")
MAX_KEY_LENGTH = 100


def check_key(key: str) -> str:
    """An idempotency key: 1-100 printable characters."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"An idempotency key has 1 to {MAX_KEY_LENGTH} printable characters.",
            field="idempotencyKey",
        )
    return key


def _digest(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


async def previous_result(
    *,
    actor: Actor,
    operation: str,
    key: str,
    request: dict[str, Any],
    replay: Callable[[int], Awaitable[T]],
) -> T | None:
    """The first result of an earlier call with this key (None if there was none), checked
    before anything else so a retry is answered even if the world changed since (a rule
    retired, a person moved away); IdempotencyConflict if that call had another input."""
    check_key(key)
    first = await IdempotencyRecord.get_or_none(
        account_id=actor.account_id, operation=operation, key=key
    )
    return None if first is None else await _replay(first, _digest(request), replay)


async def _replay(
    first: IdempotencyRecord, digest: str, replay: Callable[[int], Awaitable[T]]
) -> T:
    if first.request_hash != digest:
        raise IdempotencyConflict(
            "This idempotency key was used before with a different input.",
            field="idempotencyKey",
        )
    assert first.result_id is not None
    return await replay(first.result_id)


async def run_once(
    *,
    actor: Actor,
    operation: str,
    key: str,
    request: dict[str, Any],
    effect: Callable[[int], Awaitable[tuple[int, T]]],
    replay: Callable[[int], Awaitable[T]],
) -> T:
    """Run `effect(record id)` (returning the result's id and the result) once per (actor,
    operation, key) in one transaction; a replay with the same request returns
    `replay(result id)`. A transaction the database aborted (deadlock, serialization failure,
    SQLite busy) runs again, a bounded number of times (services.kit.retries)."""
    check_key(key)
    digest = _digest(request)

    async def attempt() -> T:
        async with in_transaction():
            # Raw statements, no model built: the claim returns its id, the result is set on it.
            rows = await db.execute(
                "INSERT INTO idempotency_record "
                "(account_id, operation, key, request_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                [actor.account_id, operation, key, digest, clock.now()],
            )
            record_id = int(rows[0]["id"])
            result_id, result = await effect(record_id)
            await db.execute(
                "UPDATE idempotency_record SET result_id = ? WHERE id = ? RETURNING id",
                [result_id, record_id],
            )
            return result

    try:
        return await retrying(attempt)
    except IntegrityError:
        first = await IdempotencyRecord.get_or_none(
            account_id=actor.account_id, operation=operation, key=key
        )
        if first is None:  # the effect itself broke a constraint: not a replay
            raise
    return await _replay(first, digest, replay)


@dataclass(frozen=True)
class Call:
    """One idempotent mutation call: who, which mutation, the key and the (normalized) input."""

    actor: Actor
    operation: str
    key: str
    request: dict[str, Any]

    def check(self) -> None:
        """InvalidInput unless the key is 1-100 printable characters."""
        check_key(self.key)

    async def previous(self, replay: Callable[[int], Awaitable[T]]) -> T | None:
        """The first result of this call if it ran before (see `previous_result`)."""
        return await previous_result(
            actor=self.actor,
            operation=self.operation,
            key=self.key,
            request=self.request,
            replay=replay,
        )

    async def run(
        self,
        effect: Callable[[int], Awaitable[tuple[int, T]]],
        replay: Callable[[int], Awaitable[T]],
    ) -> T:
        """Run the effect once (see `run_once`)."""
        return await run_once(
            actor=self.actor,
            operation=self.operation,
            key=self.key,
            request=self.request,
            effect=effect,
            replay=replay,
        )
