"""Concurrency against the real server: `python -m api serve` with two uvicorn workers.

Each test gets its own copy of the demo database (a file on SQLite, a database on PostgreSQL),
writes its setup through the services in this process, starts the server on a free loopback
port, fires concurrent GraphQL mutations over HTTP, and then reads the outcome back from the
database. Two worker processes are what make this different from the in-process tests: their
transactions really interleave (row locks on PostgreSQL, the file lock on SQLite).
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from seed.demo import DEMO_COMMUNITY
from services import accounts, market, partners, points
from services.enums import (
    Dimension,
    MatchStatus,
    PartnerUnitKind,
    ResourceCategory,
    RewardCategory,
    Role,
)
from services.models import (
    Area,
    PointsAccount,
    PointsTransaction,
    Redemption,
    ResourceMatch,
    ResourceOffer,
    Reward,
)
from services.people import assign_role
from tests.api.servers import Served, opened
from tests.conftest import BACKENDS, _copy, _drop, actor_for

pytestmark = pytest.mark.slow

PRICE = 10
STOCK = 20
PEOPLE = 50
TRIES_EACH = 4
RULE = "LOAD_HOUR"
PASSWORD = "load-test-password"
TYPED_REFUSALS = {"OutOfStock", "LimitExceeded", "InsufficientPoints"}

REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardSuccess { redemption { id status pointsSpent } }
    ... on Error { code message }
  }
}
"""

AWARD = """
mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { award { id points status } }
    ... on Error { code message }
  }
}
"""


def global_id(type_name: str, key: int) -> str:
    """A Relay global id as the schema writes it."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@pytest.fixture(params=BACKENDS)
async def served(
    request: pytest.FixtureRequest,
    templates: dict[tuple[str, bool], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Served]:
    """A fresh copy of the demo district for a real server (started by the test)."""
    # The setup signs up dozens of people: cheap argon2 parameters (they travel in the hash, so
    # the server verifies with them too) keep it quick; the demo accounts keep the real ones.
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    url, pg_name = await _copy(request.param, templates[(request.param, True)], tmp_path)
    # Several processes, one truth: 4 workers on PostgreSQL, 2 on SQLite (one writer at a time).
    workers = 4 if request.param == "postgres" else 2
    handle = Served(backend=request.param, url=url, log=tmp_path / "server.log", workers=workers)
    try:
        yield handle
    finally:
        await handle.stop()
        await _drop(pg_name)


@dataclass(frozen=True)
class Person:
    """A signed-in volunteer of the demo community."""

    person_id: int
    token: str


async def _load_rule() -> None:
    await points.create_rule(
        actor=await actor_for("district_admin"),
        code=RULE,
        area_id=None,
        data=points.RuleInput(
            name="志愿服务（压测）", dimension=Dimension.VOLUNTEER_SERVICE, points=PRICE
        ),
    )


async def _reward(stock: int) -> int:
    community = await Area.get(name=DEMO_COMMUNITY)
    reward = await market.create_reward(
        actor=await actor_for("community_admin"),
        area_id=community.id,
        stock=stock,
        provider_unit_id=None,
        data=market.RewardInput(name="洗衣液", category=RewardCategory.GOODS, price_points=PRICE),
    )
    return reward.id


async def _volunteers(count: int, *, items_each: int) -> list[Person]:
    """People with a sign-in, a VOLUNTEER role at the demo community (so a home community) and
    points for exactly `items_each` items, each signed in."""
    admin = await actor_for("community_admin")
    community = await Area.get(name=DEMO_COMMUNITY)
    people = []
    for i in range(count):
        username = f"load_{i:03d}"
        account = await accounts.create_account(
            username=username, password=PASSWORD, name=f"压测志愿者{i}", phone=None
        )
        await assign_role(
            actor=admin, person_id=account.person_id, role=Role.VOLUNTEER, area_id=community.id
        )
        if items_each:
            await points.award_points(
                actor=admin,
                person_id=account.person_id,
                rule_code=RULE,
                quantity=items_each,
                reason="社区清扫",
                source=None,
                idempotency_key=uuid.uuid4().hex,
            )
        tokens = await accounts.login(username=username, password=PASSWORD, client="setup")
        people.append(Person(account.person_id, tokens.access_token))
    return people


async def _post_all(
    served: Served, calls: list[tuple[str, dict[str, Any], str]]
) -> list[dict[str, Any]]:
    """Send every (query, variables, token) at once; every answer must be HTTP 200 without
    `errors` (an unexpected failure is masked as an INTERNAL error and logged by the server)."""
    async with served.client(len(calls)) as http:
        gate = asyncio.Event()

        async def one(query: str, variables: dict[str, Any], token: str) -> httpx.Response:
            await gate.wait()
            return await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )

        tasks = [asyncio.create_task(one(*call)) for call in calls]
        gate.set()
        responses = await asyncio.gather(*tasks)
    bodies = []
    problems = []
    for response in responses:
        body: dict[str, Any] = response.json() if response.status_code == 200 else {}
        if response.status_code != 200 or "errors" in body:
            problems.append(f"HTTP {response.status_code}: {response.text[:300]}")
        bodies.append(body)
    assert not problems, f"{len(problems)} failed, e.g. {problems[:3]}\n{served.log_tail()}"
    return bodies


def _assert_clean_log(served: Served) -> None:
    text = served.log_text()
    assert "Traceback" not in text and "database is locked" not in text, served.log_tail(200)


async def _verified(served: Served, check: Callable[[], Awaitable[None]]) -> None:
    async with opened(served.url):
        report = await points.verify()
        assert report.ok, report.lines()
        await check()


async def test_redemptions_race_for_the_last_items(served: Served) -> None:
    # given a reward with 20 items and 50 volunteers who can each afford exactly 2
    async with opened(served.url):
        await _load_rule()
        reward_id = await _reward(STOCK)
        people = await _volunteers(PEOPLE, items_each=2)
    await served.start()
    # when each of them tries 4 times at once (200 redemptions, each with its own key)
    calls = [
        (
            REDEEM,
            {
                "input": {
                    "rewardId": global_id("Reward", reward_id),
                    "quantity": 1,
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
            person.token,
        )
        for person in people
        for _ in range(TRIES_EACH)
    ]
    bodies = await _post_all(served, calls)
    # then exactly 20 succeed and every other one is a typed refusal
    outcomes = Counter(body["data"]["redeemReward"]["__typename"] for body in bodies)
    assert outcomes["RedeemRewardSuccess"] == STOCK, outcomes
    assert set(outcomes) - {"RedeemRewardSuccess"} <= TYPED_REFUSALS, outcomes
    _assert_clean_log(served)

    # and the ledger agrees: no stock left, exactly 20 items' worth of points held
    async def check() -> None:
        reward = await Reward.get(id=reward_id)
        assert reward.stock == 0
        held = await PointsAccount.filter(person_id__in=[p.person_id for p in people]).values_list(
            "person_id", "held", "balance"
        )
        assert sum(int(h) for _, h, _ in held) == STOCK * PRICE
        assert all(0 <= h <= b == 2 * PRICE for _, h, b in held), held
        redemptions = await Redemption.filter(reward_id=reward_id).values_list(
            "person_id", "points_spent"
        )
        assert len(redemptions) == STOCK
        assert sum(int(s) for _, s in redemptions) == STOCK * PRICE
        assert max(Counter(p for p, _ in redemptions).values()) <= 2

    await _verified(served, check)


async def test_replays_of_one_key_take_effect_once(served: Served) -> None:
    # given a volunteer with points for one item, a reward, and the admin's token
    async with opened(served.url):
        await _load_rule()
        reward_id = await _reward(5)
        (volunteer,) = await _volunteers(1, items_each=1)
        admin = await accounts.login(
            username="community_admin", password="gridpoints-demo", client="setup"
        )
        transactions_before = await PointsTransaction.filter(person_id=volunteer.person_id).count()
    await served.start()
    # when one awardPoints is sent 50 times at once with the same key and input
    award = {
        "input": {
            "personId": global_id("Person", volunteer.person_id),
            "ruleCode": RULE,
            "quantity": 3,
            "reason": "重复提交",
            "idempotencyKey": "award-" + uuid.uuid4().hex,
        }
    }
    bodies = await _post_all(served, [(AWARD, award, admin.access_token)] * 50)
    # then every answer is the same award
    results = [body["data"]["awardPoints"] for body in bodies]
    assert {r["__typename"] for r in results} == {"AwardPointsSuccess"}, results[:3]
    assert len({r["award"]["id"] for r in results}) == 1
    # and when one redeemReward is sent 50 times at once with the same key and input
    redeem = {
        "input": {
            "rewardId": global_id("Reward", reward_id),
            "quantity": 2,
            "idempotencyKey": "redeem-" + uuid.uuid4().hex,
        }
    }
    bodies = await _post_all(served, [(REDEEM, redeem, volunteer.token)] * 50)
    # then every answer is the same redemption
    results = [body["data"]["redeemReward"] for body in bodies]
    assert {r["__typename"] for r in results} == {"RedeemRewardSuccess"}, results[:3]
    assert len({r["redemption"]["id"] for r in results}) == 1
    _assert_clean_log(served)

    # and the database holds one award transaction and one redemption
    async def check() -> None:
        transactions = await PointsTransaction.filter(person_id=volunteer.person_id).count()
        assert transactions == transactions_before + 1
        account = await PointsAccount.get(person_id=volunteer.person_id)
        assert account.balance == PRICE + 3 * PRICE  # the setup's award, then this one once
        assert account.held == 2 * PRICE
        assert await Redemption.filter(reward_id=reward_id).count() == 1
        assert (await Reward.get(id=reward_id)).stock == 3

    await _verified(served, check)


ACCEPT_MATCH = """
mutation Accept($input: AcceptMatchInput!) {
  acceptMatch(input: $input) {
    __typename
    ... on AcceptMatchSuccess { match { id status } }
    ... on Error { code message }
  }
}
"""
STOCK_REWARD = """
mutation Stock($input: StockRewardFromResourceInput!) {
  stockRewardFromResource(input: $input) {
    __typename
    ... on StockRewardFromResourceSuccess { reward { id stock } }
    ... on Error { code message }
  }
}
"""


async def test_acceptances_and_stocking_never_over_commit_a_resource(served: Served) -> None:
    # given a unit's 20 items, 20 needs each with the unit's proposal of 2, and the manager
    async with opened(served.url):
        community = await Area.get(name=DEMO_COMMUNITY)
        account = await accounts.create_account(
            username="load_unit", password=PASSWORD, name="压测单位", phone=None
        )
        manager = await accounts.load_actor(account_id=account.id)
        unit = await partners.register_unit(
            actor=manager,
            community_id=community.id,
            name="压测共建单位",
            kind=PartnerUnitKind.MERCHANT,
            address="",
            phone=None,
            description="",
        )
        admin = await actor_for("community_admin")
        await partners.review_unit(actor=admin, unit_id=unit.id, approve=True, reason=None)
        manager = await accounts.load_actor(account_id=account.id)
        offer = await partners.post_resource(
            actor=manager,
            unit_id=unit.id,
            data=partners.ResourceInput(
                category=ResourceCategory.GOODS, title="压测物资", quantity=20, unit_label="份"
            ),
        )
        proposals = []
        for i in range(20):
            need = await partners.post_need(
                actor=admin,
                area_id=community.id,
                data=partners.NeedInput(
                    category=ResourceCategory.GOODS,
                    title=f"压测需求{i}",
                    quantity=2,
                    unit_label="份",
                ),
            )
            proposals.append(
                await partners.propose_match(
                    actor=manager,
                    need_id=need.id,
                    resource_id=offer.id,
                    quantity=2,
                    covers=None,
                    message="",
                )
            )
        admin_token = (
            await accounts.login(username="community_admin", password="gridpoints-demo", client="s")
        ).access_token
        manager_token = (
            await accounts.login(username="load_unit", password=PASSWORD, client="s")
        ).access_token
    await served.start()
    # when the community accepts all 20 while the manager stocks 1 item 10 times, all at once
    calls = [
        (ACCEPT_MATCH, {"input": {"matchId": global_id("Match", p.id)}}, admin_token)
        for p in proposals
    ]
    calls += [
        (
            STOCK_REWARD,
            {
                "input": {
                    "resourceId": global_id("ResourceOffer", offer.id),
                    "quantity": 1,
                    "pricePoints": PRICE,
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
            manager_token,
        )
        for _ in range(10)
    ]
    bodies = await _post_all(served, calls)
    # then every refusal is typed, and what was taken adds up to at most the 20 items
    results = [b["data"].get("acceptMatch") or b["data"]["stockRewardFromResource"] for b in bodies]
    outcomes = Counter(r["__typename"] for r in results)
    assert set(outcomes) <= {"AcceptMatchSuccess", "StockRewardFromResourceSuccess", "OutOfStock"}
    accepted = outcomes["AcceptMatchSuccess"]
    stocked = outcomes["StockRewardFromResourceSuccess"]
    assert 2 * accepted + stocked >= 19  # demand (50) exceeds supply: at most 1 item is left
    _assert_clean_log(served)

    async def check() -> None:
        fresh = await ResourceOffer.get(id=offer.id)
        assert fresh.remaining == 20 - 2 * accepted - stocked >= 0
        assert (
            await ResourceMatch.filter(resource_id=offer.id, status=MatchStatus.ACCEPTED).count()
            == accepted
        )
        assert await Reward.filter(resource_id=offer.id).count() == stocked

    await _verified(served, check)
