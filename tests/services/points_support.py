"""Factories and probes shared by the points and market tests (data built through services)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from seed.demo import DEMO_COMMUNITY
from services import market, points
from services.enums import Dimension, ExpiryKind, RewardCategory
from services.kit import clock
from services.kit.auth import Actor
from services.models import (
    Area,
    EvaluationCredit,
    IdempotencyRecord,
    PartnerUnit,
    Person,
    PointsAccount,
    PointsAward,
    PointsEntry,
    PointsLot,
    PointsRule,
    PointsTransaction,
    Redemption,
    Reward,
)
from services.points import ledger
from tests.conftest import actor_for

OTHER_COMMUNITY = "西冶街社区"  # a sibling of the demo community in the same street
# The demo may carry points of its own (seed/points.py): the tests use rule codes of their own
# and compare balances of people the demo awards (volunteer, rider, ...) before and after.
HOUR = "T_HOUR"
FINE = "T_FINE"
PARTNER_UNIT = "博山颜山物业服务有限公司"


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


async def community(name: str = DEMO_COMMUNITY) -> Area:
    return await Area.get(name=name)


async def person_id(username: str) -> int:
    return (await actor_for(username)).person_id


async def rule(
    code: str = HOUR,
    points_each: int = 10,
    *,
    area: Area | None = None,
    dimension: Dimension = Dimension.VOLUNTEER_SERVICE,
    **fields: Any,
) -> PointsRule:
    """A district default rule (or a community override when `area` is given)."""
    actor = await actor_for("community_admin" if area is not None else "district_admin")
    return await points.create_rule(
        actor=actor,
        code=code,
        area_id=area.id if area is not None else None,
        data=points.RuleInput(
            name=f"{code} 规则", dimension=dimension, points=points_each, **fields
        ),
    )


async def award(
    username: str,
    *,
    code: str = HOUR,
    quantity: int = 1,
    by: str = "community_admin",
    idempotency_key: str | None = None,
) -> PointsAward:
    return await points.award_points(
        actor=await actor_for(by),
        person_id=await person_id(username),
        rule_code=code,
        quantity=quantity,
        reason="社区清扫",
        source=None,
        idempotency_key=idempotency_key or key(),
    )


async def penalize(
    username: str, *, code: str = FINE, quantity: int = 1, by: str = "community_admin"
) -> PointsTransaction:
    return await points.penalize_points(
        actor=await actor_for(by),
        person_id=await person_id(username),
        rule_code=code,
        quantity=quantity,
        reason="乱扔垃圾",
        source=None,
        idempotency_key=key(),
    )


async def reward(
    *,
    price: int = 10,
    stock: int = 5,
    by: str = "community_admin",
    area: Area | None = None,
    provider_unit: str | None = None,
    **fields: Any,
) -> Reward:
    """A reward posted by `by`, given by the community or the partner unit named."""
    area = area or await community()
    unit = await PartnerUnit.get(name=provider_unit) if provider_unit is not None else None
    return await market.create_reward(
        actor=await actor_for(by),
        area_id=area.id,
        stock=stock,
        provider_unit_id=unit.id if unit else None,
        data=market.RewardInput(
            name="洗衣液", category=RewardCategory.GOODS, price_points=price, **fields
        ),
    )


async def redeem(username: str, item: Reward, quantity: int = 1) -> Redemption:
    return await market.redeem(
        actor=await actor_for(username),
        reward_id=item.id,
        quantity=quantity,
        idempotency_key=key(),
    )


async def summary(username: str) -> points.AccountSummary:
    return await points.account_summary(person_id=await person_id(username))


async def lots(username: str) -> list[PointsLot]:
    account = await ledger.person_account(await person_id(username))
    return await PointsLot.filter(account_id=account.id).order_by("id")


async def credit(username: str) -> dict[tuple[str, Dimension], int]:
    rows = await EvaluationCredit.filter(person_id=await person_id(username))
    return {(r.period, r.dimension): r.points for r in rows}


async def pool_balance(name: str = DEMO_COMMUNITY) -> int:
    area = await community(name)
    pool = await PointsAccount.get_or_none(kind="POOL", area_id=area.id)
    return pool.balance if pool else 0


@dataclass(frozen=True)
class Counts:
    """Row counts (and balances, stock) of everything a refused call must not write."""

    entries: int
    transactions: int
    awards: int
    lots: int
    credit: tuple[tuple[int, str, str, int], ...]
    redemptions: int
    idempotency: int
    balances: tuple[tuple[int, int, int], ...]
    stock: tuple[tuple[int, int], ...]


async def counts() -> Counts:
    return Counts(
        entries=await PointsEntry.all().count(),
        transactions=await PointsTransaction.all().count(),
        awards=await PointsAward.all().count(),
        lots=await PointsLot.all().count(),
        credit=tuple(
            await EvaluationCredit.all()
            .order_by("id")
            .values_list("person_id", "period", "dimension", "points")
        ),
        redemptions=await Redemption.all().count(),
        idempotency=await IdempotencyRecord.all().count(),
        # Accounts are opened on first use (before validation): an empty one is no write.
        balances=tuple(
            await PointsAccount.exclude(balance=0, held=0)
            .order_by("id")
            .values_list("id", "balance", "held")
        ),
        stock=tuple(await Reward.all().order_by("id").values_list("id", "stock")),
    )


async def assert_ledger_ok() -> None:
    report = await points.verify()
    assert report.ok, report.lines()


class Clock:
    """Stops the service clock at a moment of the test's choosing, and moves it (conftest puts
    it back at TEST_NOW after each test)."""

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def set(self, moment: datetime) -> None:
        self.moment = moment
        clock.freeze(moment)


async def as_actor(username: str) -> Actor:
    return await actor_for(username)


# --- shared by the points test modules -----------------------------------------------------


TZ = ZoneInfo("Asia/Shanghai")


VOLUNTEER = Dimension.VOLUNTEER_SERVICE


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in the configured (Beijing) time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


async def outsider() -> Person:
    """A resident of another community (outside the demo community admin's scope)."""
    person = await Person.filter(household__community__name=OTHER_COMMUNITY).order_by("id").first()
    assert person is not None
    return person


async def set_policy(expiry: ExpiryKind, months: int | None = None) -> None:
    await points.set_policy(
        actor=await actor_for("community_admin"),
        area_id=(await community()).id,
        expiry=expiry,
        expiry_months=months,
        hold_days=7,
    )


async def batch(
    usernames: list[str | int], idempotency_key: str, quantity: int = 1
) -> list[PointsAward]:
    """The awards of a batch (`batch_result` for every person's outcome)."""
    return (await batch_result(usernames, idempotency_key, quantity)).awards


async def batch_result(
    usernames: list[str | int] | None,
    idempotency_key: str,
    quantity: int = 1,
    *,
    team_id: int | None = None,
    atomic: bool = False,
) -> points.BatchResult:
    ids = None
    if usernames is not None:
        ids = [u if isinstance(u, int) else await person_id(u) for u in usernames]
    return await points.award_points_batch(
        actor=await actor_for("community_admin"),
        person_ids=ids,
        team_id=team_id,
        rule_code=HOUR,
        quantity=quantity,
        reason="社区清扫",
        source=points.Source(type="Activity", id="A1"),
        idempotency_key=idempotency_key,
        atomic=atomic,
    )


async def reverse(
    tx_id: int | None, *, by: str = "community_admin", idempotency_key: str | None = None
) -> PointsTransaction:
    assert tx_id is not None
    return await points.reverse_transaction(
        actor=await actor_for(by),
        transaction_id=tx_id,
        reason="录入错误",
        idempotency_key=idempotency_key or key(),
    )


async def raw(sql: str) -> None:
    await connections.get("default").execute_query(sql)


async def stock_of(item: Reward) -> int:
    return (await Reward.get(id=item.id)).stock
