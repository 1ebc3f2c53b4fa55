"""Crash safety: kill -9 the real server in the middle of a load of awards and redemptions.

The server (`python -m api serve`, two workers; see tests/api/test_concurrency.py for the
harness) takes concurrent awardPoints and redeemReward calls, each with its own idempotency key.
Every call answered with a success is recorded. Midway an online backup is taken, and a little
later the whole process group gets SIGKILL while requests are in flight. The server then starts
again on the same database, and:

- the ledger verification finds no drift (balances, lots, holds, credit, balanced transactions);
- nothing is half-written: every idempotency record has its result, every award its
  transaction, every held redemption its lots, and the reward's stock adds up;
- every acknowledged award and redemption is there, and replaying its key through the restarted
  server returns the same object and changes nothing;
- the backup taken under load restores into a fresh database with a clean ledger.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import signal
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from services import accounts, points
from services.enums import AwardStatus, RedemptionStatus
from services.kit import backups
from services.models import (
    IdempotencyRecord,
    PointsAward,
    PointsEntry,
    PointsTransaction,
    Redemption,
    RedemptionLot,
    Reward,
    UserAccount,
)
from tests.api.servers import Served, opened
from tests.api.test_concurrency import (
    AWARD,
    PRICE,
    REDEEM,
    RULE,
    TYPED_REFUSALS,
    Person,
    _load_rule,
    _reward,
    _volunteers,
    global_id,
    served,
)
from tests.services.kit.test_backups import fresh_target

pytestmark = pytest.mark.slow
__all__ = ["served"]  # the fixture, shared with the concurrency tests

CLIENTS = 12
PEOPLE = 10
STOCK = 100_000
ACKS_BEFORE_BACKUP = 40
ACKS_BEFORE_KILL = 150
# A stalled load fails the test instead of hanging it (a guard, not a timing claim).
LOAD_GUARD_SECONDS = 120.0
REASON = "断电演练"


def row_key(global_id_text: str) -> int:
    """The row id inside a Relay global id."""
    return int(base64.b64decode(global_id_text).decode().rsplit(":", 1)[1])


@dataclass(frozen=True)
class Sent:
    """One mutation as sent: who, which, the key and the variables (to replay it)."""

    operation: str  # awardPoints | redeemReward
    account_id: int
    token: str
    key: str
    variables: dict[str, Any]

    @property
    def query(self) -> str:
        return AWARD if self.operation == "awardPoints" else REDEEM


@dataclass
class Load:
    """What the load sent and what came back."""

    acknowledged: dict[str, tuple[Sent, int]] = field(default_factory=dict)  # key -> row id
    refused: Counter[str] = field(default_factory=Counter)
    unanswered: list[Sent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    in_flight: int = 0
    answered: asyncio.Event = field(default_factory=asyncio.Event)  # set on every answer


async def _drive(
    served: Served, calls: itertools.count[int], make: Any, load: Load, stop: asyncio.Event
) -> None:
    """Send mutations one after another until stopped (or the server is gone)."""
    async with httpx.AsyncClient(base_url=served.base, timeout=60.0) as http:
        while not stop.is_set():
            sent: Sent = make(next(calls))
            load.in_flight += 1
            try:
                response = await http.post(
                    "/graphql",
                    json={"query": sent.query, "variables": sent.variables},
                    headers={"Authorization": f"Bearer {sent.token}"},
                )
            except httpx.TransportError:
                load.unanswered.append(sent)  # killed mid-request: outcome unknown
                continue
            finally:
                load.in_flight -= 1
            body = response.json() if response.status_code == 200 else {}
            result = (body.get("data") or {}).get(sent.operation)
            if result is None:
                load.problems.append(f"HTTP {response.status_code}: {response.text[:300]}")
            elif result["__typename"] == "AwardPointsSuccess":
                load.acknowledged[sent.key] = (sent, row_key(result["award"]["id"]))
            elif result["__typename"] == "RedeemRewardSuccess":
                load.acknowledged[sent.key] = (sent, row_key(result["redemption"]["id"]))
            elif result["__typename"] in TYPED_REFUSALS:
                load.refused[result["__typename"]] += 1
            else:
                load.problems.append(str(result))
            load.answered.set()


async def _until(load: Load, acks: int, served: Served) -> None:
    async def reached() -> None:
        while len(load.acknowledged) < acks and not load.problems:
            load.answered.clear()
            await load.answered.wait()

    try:
        await asyncio.wait_for(reached(), LOAD_GUARD_SECONDS)
    except TimeoutError:
        pytest.fail(f"the load stalled at {len(load.acknowledged)} acks:\n{served.log_tail()}")
    assert not load.problems, f"{load.problems[:3]}\n{served.log_tail()}"


async def test_kill_9_under_load_loses_no_acknowledged_mutation(
    served: Served, tmp_path: Path
) -> None:
    # given a reward with plenty of stock, 10 volunteers with points for 20 items each, and the
    # community admin who awards them points
    async with opened(served.url):
        await _load_rule()
        reward_id = await _reward(STOCK)
        people = await _volunteers(PEOPLE, items_each=20)
        account_of = dict(
            await UserAccount.filter(person_id__in=[p.person_id for p in people]).values_list(
                "person_id", "id"
            )
        )
        admin_tokens = await accounts.login(
            username="community_admin", password="gridpoints-demo", client="setup"
        )
        admin_account = (await UserAccount.get(username="community_admin")).id
        entries_before = await PointsEntry.all().count()
    await served.start()
    run = uuid.uuid4().hex[:8]

    def make(n: int) -> Sent:
        """Call n: awards and redemptions alternate over the volunteers."""
        person: Person = people[n % PEOPLE]
        key = f"crash-{run}-{n}"
        if n % 2:
            return Sent(
                "redeemReward",
                account_of[person.person_id],
                person.token,
                key,
                {
                    "input": {
                        "rewardId": global_id("Reward", reward_id),
                        "quantity": 1,
                        "idempotencyKey": key,
                    }
                },
            )
        return Sent(
            "awardPoints",
            admin_account,
            admin_tokens.access_token,
            key,
            {
                "input": {
                    "personId": global_id("Person", person.person_id),
                    "ruleCode": RULE,
                    "quantity": 1,
                    "reason": REASON,
                    "idempotencyKey": key,
                }
            },
        )

    # when 12 clients keep sending them, a backup is taken under that load,
    load, stop, calls = Load(), asyncio.Event(), itertools.count()
    clients = [asyncio.create_task(_drive(served, calls, make, load, stop)) for _ in range(CLIENTS)]
    try:
        await _until(load, ACKS_BEFORE_BACKUP, served)
        backup = await backups.backup(url=served.url, to=tmp_path / "under-load.backup")
        acks_after_backup = len(load.acknowledged)
        await _until(load, max(ACKS_BEFORE_KILL, acks_after_backup + 40), served)
        # and the server's whole process group is killed with requests in flight
        assert served.proc is not None
        in_flight_at_kill = load.in_flight
        os.killpg(served.proc.pid, signal.SIGKILL)
        await served.proc.wait()
        stop.set()
        await asyncio.gather(*clients)
    finally:
        stop.set()
        for task in clients:
            task.cancel()
    assert in_flight_at_kill > 0
    assert not load.problems, load.problems[:3]
    acknowledged = dict(load.acknowledged)
    kinds = Counter(sent.operation for sent, _ in acknowledged.values())
    assert kinds["awardPoints"] > 0 and kinds["redeemReward"] > 0, kinds

    # then, restarted on the same database, the server comes up
    await served.start()
    async with opened(served.url):
        # and the ledger has no drift
        report = await points.verify()
        assert report.ok, report.lines()
        # and nothing is half-written
        assert await IdempotencyRecord.filter(result_id=None).count() == 0
        awards = await PointsAward.filter(reason=REASON)
        assert {a.status for a in awards} == {AwardStatus.APPROVED}
        transaction_ids = {a.transaction_id for a in awards}
        assert await PointsTransaction.filter(id__in=transaction_ids).count() == len(awards)
        redemptions = await Redemption.filter(reward_id=reward_id)
        assert {r.status for r in redemptions} <= {RedemptionStatus.HELD}
        lots = Counter[int]()
        for redemption_id, taken in await RedemptionLot.filter(
            redemption_id__in=[r.id for r in redemptions]
        ).values_list("redemption_id", "points"):
            lots[redemption_id] += int(taken)
        assert all(lots[r.id] == r.points_spent == PRICE for r in redemptions)
        assert (await Reward.get(id=reward_id)).stock == STOCK - len(redemptions)
        # and every acknowledged mutation is there, under its idempotency key
        records = {
            (r.account_id, r.operation, r.key): r.result_id
            for r in await IdempotencyRecord.filter(key__in=list(acknowledged))
        }
        award_ids = {a.id for a in awards}
        redemption_ids = {r.id for r in redemptions}
        for key, (sent, row_id) in acknowledged.items():
            assert records.get((sent.account_id, sent.operation, key)) == row_id, key
            assert row_id in (award_ids if sent.operation == "awardPoints" else redemption_ids)
        # and every effect belongs to exactly one call of the load (an unanswered call took
        # effect entirely, with its record, or not at all)
        effects: dict[str, set[int]] = {"awardPoints": set(), "redeemReward": set()}
        for operation, result_id in await IdempotencyRecord.filter(
            key__startswith=f"crash-{run}-"
        ).values_list("operation", "result_id"):
            effects[str(operation)].add(int(result_id))
        assert effects == {"awardPoints": award_ids, "redeemReward": redemption_ids}
        assert await IdempotencyRecord.filter(key__startswith=f"crash-{run}-").count() == len(
            award_ids
        ) + len(redemption_ids)
        entries_after_restart = await PointsEntry.all().count()
    assert entries_after_restart > entries_before

    # and replaying every acknowledged call through the restarted server returns the same
    # object and changes nothing
    replays = list(acknowledged.values())
    async with served.client(CLIENTS) as http:
        limit = asyncio.Semaphore(CLIENTS)

        async def replay(sent: Sent) -> dict[str, Any]:
            async with limit:
                response = await http.post(
                    "/graphql",
                    json={"query": sent.query, "variables": sent.variables},
                    headers={"Authorization": f"Bearer {sent.token}"},
                )
            assert response.status_code == 200, response.text[:300]
            result: dict[str, Any] = response.json()["data"][sent.operation]
            return result

        results = await asyncio.gather(*(replay(sent) for sent, _ in replays))
    for (sent, row_id), result in zip(replays, results, strict=True):
        node = result.get("award") or result.get("redemption")
        assert node is not None and row_key(node["id"]) == row_id, (sent.key, result)
    async with opened(served.url):
        assert await PointsEntry.all().count() == entries_after_restart
        assert await PointsAward.filter(reason=REASON).count() == len(awards)
        assert await Redemption.filter(reward_id=reward_id).count() == len(redemptions)

    # and the backup taken under load restores into a fresh database with a clean ledger
    async with fresh_target(served.backend, tmp_path) as url:
        await backups.restore(source=backup, url=url)
        async with opened(url):
            report = await points.verify()
            assert report.ok, report.lines()
            taken = await PointsAward.filter(reason=REASON).count()
            assert 0 < taken <= len(awards)
