"""Transactions the database aborted (deadlock, serialization failure, SQLite busy) run again,
a bounded number of times, and the retries are counted."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.kit import idempotency
from services.kit.retries import MAX_ATTEMPTS, retrying, transient_reason
from services.models import IdempotencyRecord
from tests.conftest import Database, actor_for


class Aborted(Exception):
    """What asyncpg raises for an aborted transaction: an error carrying its SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"aborted ({sqlstate})")
        self.sqlstate = sqlstate


def retries(reason: str) -> float:
    return REGISTRY.get_sample_value("gridpoints_db_retries_total", {"reason": reason}) or 0.0


def test_transient_errors_are_told_apart_from_the_rest() -> None:
    assert transient_reason(Aborted("40001")) == "serialization_failure"
    assert transient_reason(Aborted("40P01")) == "deadlock"
    assert transient_reason(RuntimeError("database is locked")) == "sqlite_busy"
    # wrapped by the ORM: found through the cause
    try:
        try:
            raise Aborted("40P01")
        except Aborted as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert transient_reason(outer) == "deadlock"
    assert transient_reason(Aborted("23505")) is None  # a unique violation is no accident
    assert transient_reason(ValueError("bad input")) is None


async def test_a_transient_failure_runs_again_and_others_do_not() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise Aborted("40001")
        return "done"

    before = retries("serialization_failure")
    assert await retrying(flaky) == "done"
    assert calls == 3
    assert retries("serialization_failure") == before + 2

    async def always() -> str:
        raise Aborted("40P01")

    with pytest.raises(Aborted):
        await retrying(always)

    seen = 0

    async def broken() -> str:
        nonlocal seen
        seen += 1
        raise ValueError("not the database's doing")

    with pytest.raises(ValueError):
        await retrying(broken)
    assert seen == 1
    assert MAX_ATTEMPTS > 1


async def test_an_idempotent_call_aborted_once_runs_again_and_is_recorded_once(
    db: Database,
) -> None:
    actor = await actor_for("community_admin")
    attempts = 0

    async def effect(record_id: int) -> tuple[int, str]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise Aborted("40P01")  # after the key was claimed: that claim rolls back
        return record_id, f"result {attempts}"

    async def replay(result_id: int) -> str:
        return "replayed"

    request = {"n": 1}
    first = await idempotency.run_once(
        actor=actor, operation="test", key="k-1", request=request, effect=effect, replay=replay
    )
    assert first == "result 2"
    assert await IdempotencyRecord.filter(operation="test", key="k-1").count() == 1
    again = await idempotency.run_once(
        actor=actor, operation="test", key="k-1", request=request, effect=effect, replay=replay
    )
    assert again == "replayed" and attempts == 2
