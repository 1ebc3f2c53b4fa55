"""Smoke: award, redeem, fulfil, verify on the demo district."""

from __future__ import annotations

from services import market, points
from services.enums import Dimension, RewardCategory
from services.models import Area, Person
from tests.conftest import Database, actor_for


async def test_award_redeem_fulfil(db: Database) -> None:
    district = await actor_for("district_admin")
    admin = await actor_for("community_admin")
    volunteer = await actor_for("volunteer")
    await points.create_rule(
        actor=district,
        code="VOLUNTEER_HOUR",
        area_id=None,
        data=points.RuleInput(name="志愿服务每小时", dimension=Dimension.VOLUNTEER_SERVICE, points=10),
    )
    award = await points.award_points(
        actor=admin,
        person_id=volunteer.person_id,
        rule_code="volunteer_hour",
        quantity=3,
        reason="社区清扫",
        source=None,
        idempotency_key="k1",
    )
    assert award.points == 30
    again = await points.award_points(
        actor=admin,
        person_id=volunteer.person_id,
        rule_code="volunteer_hour",
        quantity=3,
        reason="社区清扫",
        source=None,
        idempotency_key="k1",
    )
    assert again.id == award.id
    community = await Area.get(name="颜山社区")
    reward = await market.create_reward(
        actor=admin,
        area_id=community.id,
        stock=2,
        provider_name=None,
        data=market.RewardInput(name="洗衣液", category=RewardCategory.GOODS, price_points=12),
    )
    redemption = await market.redeem(
        actor=volunteer, reward_id=reward.id, quantity=2, idempotency_key="r1"
    )
    summary = await points.account_summary(person_id=volunteer.person_id)
    assert (summary.balance, summary.held) == (30, 24)
    done = await market.fulfil(actor=admin, pickup_code=redemption.pickup_code)
    assert done.status.value == "FULFILLED"
    summary = await points.account_summary(person_id=volunteer.person_id)
    assert (summary.balance, summary.held) == (6, 0)
    report = await points.verify()
    assert report.ok, report.lines()
    assert await Person.exists(id=volunteer.person_id)
