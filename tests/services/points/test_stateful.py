"""Ledger invariants under random sequences of awards, penalties, redemptions, expiry, reversals.

Hypothesis's state machines are synchronous and every example needs a fresh database, so the
machine runs in a worker thread (`asyncio.to_thread`) and hands each service call back to the
test's event loop, inside the Tortoise context of the example's own database (copied from a
template that already holds the rules, the policy and the rewards). The ledger's clock is the
machine's: `clock.now` is patched, and the expiry jobs get the same moment as `at=`.

After every step `verify()` must be clean (postings sum to zero, cached balances equal their
entries, lots = balance - held, held = HELD redemptions, nothing negative), every refusal must
be the typed error the state predicts and must write nothing.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from tortoise.context import TortoiseContext

from services import market, points
from services.enums import (
    AccountKind,
    AwardStatus,
    Dimension,
    ExpiryKind,
    RedemptionStatus,
    RewardCategory,
    TransactionKind,
)
from services.errors import (
    Conflict,
    DomainError,
    InsufficientPoints,
    LimitExceeded,
    OutOfStock,
    RewardUnavailable,
)
from services.kit import clock
from services.kit import db as database
from services.kit.auth import Actor
from services.market.rewards import is_available
from services.models import (
    Area,
    PointsAccount,
    PointsAward,
    PointsTransaction,
    Redemption,
    Reward,
)
from tests.conftest import BACKENDS, _copy, _drop, _fresh_statement_cache, actor_for
from tests.services.points_support import Counts, counts

T = TypeVar("T")
START = datetime(2026, 3, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # near a quarter's end
PEOPLE = ("resident", "volunteer", "central_household", "rider")
STAFF = ("community_admin", "grid_leader")
REWARDS = ("soap", "tea", "trip")


@dataclass
class Env:
    """What every example shares: the loop, the template database, actors, the clock."""

    loop: asyncio.AbstractEventLoop
    backend: str
    template: str
    tmp_path: Path
    actors: dict[str, Actor] = field(default_factory=dict)
    rewards: dict[str, int] = field(default_factory=dict)
    clock: datetime = START
    examples: int = 0


async def _setup_ledger(env: Env) -> None:
    """Rules, policy and rewards of the template (built through the services)."""
    district = await actor_for("district_admin")
    admin = await actor_for("community_admin")
    for username in (*PEOPLE, *STAFF, "district_admin"):
        env.actors[username] = await actor_for(username)
    area = await Area.get(name="颜山社区")
    rules: tuple[tuple[str, int, dict[str, Any]], ...] = (
        ("HOUR", 10, {"cap_per_day": 60}),
        ("BIG", 25, {}),
        ("FINE", -15, {}),
        ("CHECKED", 5, {"requires_review": True}),
    )
    for code, worth, extra in rules:
        await points.create_rule(
            actor=district,
            code=code,
            area_id=None,
            data=points.RuleInput(
                name=code, dimension=Dimension.VOLUNTEER_SERVICE, points=worth, **extra
            ),
        )
    await points.set_policy(
        actor=admin, area_id=area.id, expiry=ExpiryKind.MONTHS, expiry_months=1, hold_days=3
    )
    offers: tuple[tuple[str, int, int, dict[str, Any]], ...] = (
        ("soap", 12, 4, {"per_person_limit": 2}),
        ("tea", 5, 20, {}),
        ("trip", 30, 2, {"available_until": START + timedelta(days=40)}),
    )
    for name, price, stock, extra in offers:
        made = await market.create_reward(
            actor=admin,
            area_id=area.id,
            stock=stock,
            provider_unit_id=None,
            data=market.RewardInput(
                name=name, category=RewardCategory.GOODS, price_points=price, **extra
            ),
        )
        env.rewards[name] = made.id


async def _build_template(env: Env, demo_template: str) -> str | None:
    """Copy the demo template and add the ledger setup; returns the PostgreSQL name."""
    url, pg_name = await _copy(env.backend, demo_template, env.tmp_path)
    _fresh_statement_cache()
    async with TortoiseContext() as ctx:
        await ctx.init(config=database.tortoise_config(url))
        await _setup_ledger(env)
    env.template = pg_name or url.removeprefix("sqlite://")
    return pg_name


class LedgerMachine(RuleBasedStateMachine):
    """Drives the points and market services in random order over a few demo people."""

    env: ClassVar[Env]
    redemptions = Bundle("redemptions")
    transactions = Bundle("transactions")
    pending = Bundle("pending")

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        env.examples += 1
        env.clock = START
        self.pg_name: str | None = None
        if env.backend == "sqlite":
            folder = env.tmp_path / f"example-{env.examples}"
            folder.mkdir()
            shutil.copyfile(env.template, folder / "test.sqlite3")
            url = f"sqlite://{folder / 'test.sqlite3'}"
        else:
            url, self.pg_name = self.call(_copy(env.backend, env.template, env.tmp_path), ctx=False)
        _fresh_statement_cache()
        self.ctx = TortoiseContext()
        self.call(self.ctx.init(config=database.tortoise_config(url)))
        self.reversed: set[int] = set()
        self.last_award: tuple[int, str, str, int, str] | None = None
        self.keys = 0

    # -- plumbing ------------------------------------------------------------------------

    def call(self, coro: Awaitable[T], *, ctx: bool = True) -> T:
        """Run a coroutine on the test's loop (in this example's Tortoise context)."""

        async def inside() -> T:
            if not ctx:
                return await coro
            with self.ctx:
                return await coro

        return asyncio.run_coroutine_threadsafe(inside(), self.env.loop).result(timeout=120)

    def query(self, build: Callable[[], Awaitable[T]]) -> T:
        """Run an ORM query built inside the example's context (querysets bind on creation)."""

        async def run() -> T:
            return await build()

        return self.call(run())

    def teardown(self) -> None:
        try:
            self.call(self.ctx.close_connections())
        finally:
            self.call(_drop(self.pg_name), ctx=False)

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def snapshot(self) -> Counts:
        return self.call(counts())

    def refused(self, before: Counts, error: DomainError, *expected: type[DomainError]) -> None:
        """A refusal is one of the expected typed errors and wrote nothing."""
        assert isinstance(error, expected), f"{type(error).__name__}: {error.message}"
        assert self.snapshot() == before, f"{type(error).__name__} left writes behind"

    def balance(self, username: str) -> tuple[int, int]:
        async def read() -> tuple[int, int]:
            found = await points.account_summary(person_id=self.env.actors[username].person_id)
            return found.balance, found.held

        return self.call(read())

    def person_total(self) -> int:
        async def read() -> int:
            rows = await PointsAccount.filter(kind=AccountKind.PERSON).values("balance")
            return sum(int(r["balance"]) for r in rows)

        return self.call(read())

    # -- points --------------------------------------------------------------------------

    @initialize(quantity=st.integers(0, 6))
    def fund(self, quantity: int) -> None:
        """Everybody starts with a batch award (0 to 150 points), so redemptions happen."""
        if quantity == 0:
            return
        made = self.call(
            points.award_points_batch(
                actor=self.env.actors["community_admin"],
                person_ids=[self.env.actors[u].person_id for u in PEOPLE],
                rule_code="BIG",
                quantity=quantity,
                reason="开户奖励",
                source=None,
                idempotency_key="fund",
            )
        )
        assert {a.points for a in made.awards} == {25 * quantity}

    @rule(
        target=transactions,
        who=st.sampled_from(PEOPLE),
        code=st.sampled_from(["HOUR", "BIG"]),
        quantity=st.integers(1, 6),
    )
    def award(self, who: str, code: str, quantity: int) -> Any:
        before, (balance, _) = self.snapshot(), self.balance(who)
        key = self.key()
        try:
            made = self.call(self.send_award(who, code, quantity, key))
        except DomainError as error:
            assert code == "HOUR", "only the capped rule refuses"
            self.refused(before, error, LimitExceeded)
            return multiple()
        assert made.status is AwardStatus.APPROVED
        assert self.balance(who)[0] == balance + made.points
        self.last_award = (made.id, who, code, quantity, key)
        return made.transaction_id

    def send_award(self, who: str, code: str, quantity: int, key: str) -> Awaitable[PointsAward]:
        return points.award_points(
            actor=self.env.actors["community_admin"],
            person_id=self.env.actors[who].person_id,
            rule_code=code,
            quantity=quantity,
            reason="志愿服务",
            source=None,
            idempotency_key=key,
        )

    @rule()
    def replay_award(self) -> None:
        if self.last_award is None:
            return
        award_id, who, code, quantity, key = self.last_award
        before = self.snapshot()
        again = self.call(self.send_award(who, code, quantity, key))
        assert again.id == award_id
        assert self.snapshot() == before

    @rule(target=pending, who=st.sampled_from(PEOPLE), quantity=st.integers(1, 3))
    def ask_for_review(self, who: str, quantity: int) -> Any:
        before = self.snapshot()
        made = self.call(
            points.award_points(
                actor=self.env.actors["grid_leader"],
                person_id=self.env.actors[who].person_id,
                rule_code="CHECKED",
                quantity=quantity,
                reason="待审核",
                source=None,
                idempotency_key=self.key(),
            )
        )
        assert made.status is AwardStatus.PENDING
        after = self.snapshot()
        assert (after.entries, after.transactions) == (before.entries, before.transactions)
        return made.id

    @rule(target=transactions, award_id=pending)
    def approve(self, award_id: int) -> Any:
        state = self.query(lambda: PointsAward.get(id=award_id))
        who = next(u for u, a in self.env.actors.items() if a.person_id == state.person_id)
        before, (balance, _) = self.snapshot(), self.balance(who)
        try:
            done = self.call(
                points.approve_award(actor=self.env.actors["community_admin"], award_id=award_id)
            )
        except DomainError as error:
            assert state.status is AwardStatus.REJECTED
            self.refused(before, error, Conflict)
            return multiple()
        posted = state.status is AwardStatus.PENDING
        assert self.balance(who)[0] == balance + (done.points if posted else 0)
        return done.transaction_id if posted else multiple()

    @rule(award_id=pending)
    def reject(self, award_id: int) -> None:
        state = self.query(lambda: PointsAward.get(id=award_id))
        before = self.snapshot()
        try:
            self.call(
                points.reject_award(
                    actor=self.env.actors["community_admin"], award_id=award_id, reason="不符合"
                )
            )
        except DomainError as error:
            assert state.status is AwardStatus.APPROVED
            self.refused(before, error, Conflict)
            return
        assert state.status is not AwardStatus.APPROVED

    @rule(target=transactions, who=st.sampled_from(PEOPLE), quantity=st.integers(1, 3))
    def penalize(self, who: str, quantity: int) -> Any:
        balance, held = self.balance(who)
        tx = self.call(
            points.penalize_points(
                actor=self.env.actors["community_admin"],
                person_id=self.env.actors[who].person_id,
                rule_code="FINE",
                quantity=quantity,
                reason="违规",
                source=None,
                idempotency_key=self.key(),
            )
        )
        due = 15 * quantity
        taken = min(due, balance - held)
        assert (tx.points, tx.credit, tx.shortfall) == (-taken, -due, due - taken)
        assert self.balance(who) == (balance - taken, held)
        return tx.id

    @rule(tx_id=transactions)
    def reverse(self, tx_id: int) -> None:
        original = self.query(lambda: PointsTransaction.get(id=tx_id))
        who = next(u for u in PEOPLE if self.env.actors[u].person_id == original.person_id)
        before, (balance, held) = self.snapshot(), self.balance(who)
        assert original.kind in (TransactionKind.AWARD, TransactionKind.PENALTY)
        try:
            tx = self.call(
                points.reverse_transaction(
                    actor=self.env.actors["community_admin"],
                    transaction_id=tx_id,
                    reason="更正",
                    idempotency_key=self.key(),
                )
            )
        except DomainError as error:
            assert tx_id in self.reversed
            self.refused(before, error, Conflict)
            return
        assert tx_id not in self.reversed
        self.reversed.add(tx_id)
        assert (tx.reverses_id, tx.credit) == (tx_id, -original.credit)
        if original.kind is TransactionKind.PENALTY:
            assert tx.points == -original.points
        else:  # what is still available, never below zero
            assert tx.points == -min(original.points, balance - held)
        assert self.balance(who) == (balance + tx.points, held)

    # -- the marketplace -----------------------------------------------------------------

    @rule(
        target=redemptions,
        who=st.sampled_from(PEOPLE),
        name=st.sampled_from(REWARDS),
        quantity=st.integers(1, 3),
    )
    def redeem(self, who: str, name: str, quantity: int) -> Any:
        actor = self.env.actors[who]
        reward_id = self.env.rewards[name]
        before, (balance, held) = self.snapshot(), self.balance(who)
        item = self.query(lambda: Reward.get(id=reward_id))
        taken = self.query(
            lambda: Redemption.filter(
                reward_id=reward_id,
                person_id=actor.person_id,
                status__in=[RedemptionStatus.HELD, RedemptionStatus.FULFILLED],
            ).values("quantity")
        )
        expected: type[DomainError] | None = None
        if item.stock < quantity:
            available = is_available(item, self.env.clock)
            expected = OutOfStock if available else RewardUnavailable
        elif not is_available(item, self.env.clock):
            expected = RewardUnavailable
        elif (
            item.per_person_limit is not None
            and sum(r["quantity"] for r in taken) + quantity > item.per_person_limit
        ):
            expected = LimitExceeded
        elif balance - held < item.price_points * quantity:
            expected = InsufficientPoints
        try:
            made = self.call(
                market.redeem(
                    actor=actor, reward_id=reward_id, quantity=quantity, idempotency_key=self.key()
                )
            )
        except DomainError as error:
            assert expected is not None, f"unexpected {error!r}"
            self.refused(before, error, expected)
            return multiple()
        assert expected is None, f"expected {expected.__name__}"
        cost = item.price_points * quantity
        assert made.points_spent == cost
        assert self.balance(who) == (balance, held + cost)
        assert self.query(lambda: Reward.get(id=reward_id)).stock == item.stock - quantity
        return made.id

    @rule(redemption_id=redemptions, by_redeemer=st.booleans())
    def cancel(self, redemption_id: int, by_redeemer: bool) -> None:
        state = self.query(lambda: Redemption.get(id=redemption_id))
        who = next(u for u in PEOPLE if self.env.actors[u].person_id == state.person_id)
        actor = self.env.actors[who if by_redeemer else "community_admin"]
        before, (balance, held) = self.snapshot(), self.balance(who)
        try:
            done = self.call(market.cancel(actor=actor, redemption_id=redemption_id))
        except DomainError as error:
            assert state.status in (RedemptionStatus.FULFILLED, RedemptionStatus.EXPIRED)
            self.refused(before, error, Conflict)
            return
        assert done.status is RedemptionStatus.CANCELLED
        released = state.points_spent if state.status is RedemptionStatus.HELD else 0
        assert self.balance(who) == (balance, held - released)

    @rule(redemption_id=redemptions, staff=st.sampled_from(STAFF))
    def fulfil(self, redemption_id: int, staff: str) -> None:
        state = self.query(lambda: Redemption.get(id=redemption_id))
        who = next(u for u in PEOPLE if self.env.actors[u].person_id == state.person_id)
        before, (balance, held) = self.snapshot(), self.balance(who)
        try:
            done = self.call(
                market.fulfil(actor=self.env.actors[staff], pickup_code=state.pickup_code)
            )
        except DomainError as error:
            assert state.status is not RedemptionStatus.FULFILLED
            assert state.status is not RedemptionStatus.HELD or state.expires_at <= self.env.clock
            self.refused(before, error, Conflict)
            return
        assert done.status is RedemptionStatus.FULFILLED
        assert state.status is RedemptionStatus.FULFILLED or state.expires_at > self.env.clock
        captured = state.points_spent if state.status is RedemptionStatus.HELD else 0
        assert self.balance(who) == (balance - captured, held - captured)

    @rule(name=st.sampled_from(REWARDS), quantity=st.integers(1, 3))
    def restock(self, name: str, quantity: int) -> None:
        reward_id = self.env.rewards[name]
        stock = self.query(lambda: Reward.get(id=reward_id)).stock
        key = self.key()
        for _ in range(2):  # a retry adds nothing
            self.call(
                market.restock_reward(
                    actor=self.env.actors["community_admin"],
                    reward_id=reward_id,
                    quantity=quantity,
                    idempotency_key=key,
                )
            )
        assert self.query(lambda: Reward.get(id=reward_id)).stock == stock + quantity

    # -- time ----------------------------------------------------------------------------

    @rule(days=st.integers(0, 40), hours=st.integers(0, 23))
    def advance(self, days: int, hours: int) -> None:
        self.env.clock += timedelta(days=days, hours=hours)

    @rule()
    def expire_lots(self) -> None:
        total, held = self.person_total(), self._held()
        expired = self.call(points.expire_lots(at=self.env.clock))
        assert self.person_total() == total - expired
        assert self._held() == held
        before = self.snapshot()
        assert self.call(points.expire_lots(at=self.env.clock)) == 0
        assert self.snapshot() == before

    @rule()
    def expire_holds(self) -> None:
        due = self.query(
            lambda: Redemption.filter(
                status=RedemptionStatus.HELD, expires_at__lte=self.env.clock
            ).count()
        )
        total = self.person_total()
        assert self.call(market.expire_holds(at=self.env.clock)) == due
        assert self.person_total() == total  # released, not taken
        assert self.call(market.expire_holds(at=self.env.clock)) == 0

    def _held(self) -> int:
        async def read() -> int:
            rows = await PointsAccount.filter(kind=AccountKind.PERSON).values("held")
            return sum(int(r["held"]) for r in rows)

        return self.call(read())

    # -- after every step ----------------------------------------------------------------

    @invariant()
    def ledger_is_consistent(self) -> None:
        report = self.call(points.verify())
        assert report.ok, "\n".join(report.lines())


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ledger_invariants(
    backend: str,
    templates: dict[tuple[str, bool], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = Env(loop=asyncio.get_running_loop(), backend=backend, template="", tmp_path=tmp_path)
    monkeypatch.setattr(clock, "now", lambda: env.clock)
    pg_template = await _build_template(env, templates[(backend, True)])
    monkeypatch.setattr(LedgerMachine, "env", env, raising=False)
    try:
        await asyncio.to_thread(
            run_state_machine_as_test,
            LedgerMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        await _drop(pg_template)
    assert env.examples >= 25
