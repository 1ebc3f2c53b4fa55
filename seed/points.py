"""Demo points: the district's rules, a community policy, awards earned through those rules,
a reward from the community, and one redemption waiting for pickup."""

from __future__ import annotations

from services import market, points
from services.accounts import load_actor
from services.enums import Dimension, ExpiryKind, RewardCategory
from services.kit.auth import Actor
from services.models import Area, Person, PointsRule, UserAccount

# The district's default rules (code, name, dimension, points, daily cap, needs review).
RULES: tuple[tuple[str, str, Dimension, int, int | None, bool], ...] = (
    ("VOLUNTEER_HOUR", "志愿服务（每小时）", Dimension.VOLUNTEER_SERVICE, 10, 80, False),
    ("NOTICE_RELAYED", "政策传达到户", Dimension.POLICY_COMMUNICATION, 5, 20, False),
    ("PROBLEM_REPORTED", "问题上报并核实", Dimension.INFORMATION_REPORTING, 8, 40, False),
    ("ORDER_RESOLVED", "群众诉求办结", Dimension.PROBLEM_HANDLING, 10, 50, False),
    ("MONTHLY_MEETING", "参加月度例会", Dimension.MANAGEMENT_SERVICE, 5, None, False),
    ("GOOD_DEED", "好人好事（需审核）", Dimension.VOLUNTEER_SERVICE, 30, None, True),
    ("LATE_REPORT", "迟报漏报", Dimension.INFORMATION_REPORTING, -5, None, False),
    ("MISSED_DUTY", "无故缺岗", Dimension.MANAGEMENT_SERVICE, -10, None, False),
)
# A merchant that donates to the marketplace: a partner unit (seed/partners.py), which gives
# a voucher there and stocks it from its resource list.
MERCHANT_NAME = "颜山佳和便民超市"


async def demo_actor(username: str) -> Actor:
    """The actor of a demo account."""
    account = await UserAccount.get(username=username)
    actor = await load_actor(account_id=account.id)
    assert actor is not None
    return actor


async def seed_points(*, community: Area, volunteers: list[Person]) -> None:
    """Rules, policy, awards, the community's reward and a pending redemption in the demo
    community (the partner units' rewards come with the units, seed/partners.py)."""
    district = await demo_actor("district_admin")
    admin = await demo_actor("community_admin")
    for code, name, dimension, value, cap, review in RULES:
        await points.create_rule(
            actor=district,
            code=code,
            area_id=None,
            data=points.RuleInput(
                name=name,
                dimension=dimension,
                points=value,
                cap_per_day=cap,
                requires_review=review,
            ),
        )
    # 颜山社区 (评估细则): volunteer hours count a little more here, points last until the end
    # of next year, and redemptions are held for a week.
    await points.create_rule(
        actor=admin,
        code="VOLUNTEER_HOUR",
        area_id=community.id,
        data=points.RuleInput(
            name="志愿服务（每小时，颜山社区）",
            dimension=Dimension.VOLUNTEER_SERVICE,
            points=12,
            cap_per_day=96,
        ),
    )
    await points.set_policy(
        actor=admin,
        area_id=community.id,
        expiry=ExpiryKind.END_OF_NEXT_YEAR,
        expiry_months=None,
        hold_days=7,
    )
    grid_leader = await demo_actor("grid_leader")
    microgrid_leader = await demo_actor("microgrid_leader")
    awards = [
        (admin, volunteers[-1].id, "VOLUNTEER_HOUR", 4, "颜山花园环境清扫"),
        (admin, volunteers[-1].id, "VOLUNTEER_HOUR", 2, "重阳节敬老慰问"),
        *[(admin, v.id, "VOLUNTEER_HOUR", 3, "垃圾分类宣传") for v in volunteers[:-1]],
        (grid_leader, (await demo_actor("rider")).person_id, "PROBLEM_REPORTED", 2, "上报井盖破损"),
        (
            microgrid_leader,
            (await demo_actor("central_household")).person_id,
            "NOTICE_RELAYED",
            3,
            "医保缴费通知传达到户",
        ),
        (grid_leader, microgrid_leader.person_id, "MONTHLY_MEETING", 1, "参加 11 月例会"),
    ]
    for i, (actor, person_id, code, quantity, reason) in enumerate(awards):
        await points.award_points(
            actor=actor,
            person_id=person_id,
            rule_code=code,
            quantity=quantity,
            reason=reason,
            source=None,
            idempotency_key=f"seed-award-{i}",
        )
    await points.award_points(
        actor=grid_leader,
        person_id=volunteers[0].id,
        rule_code="GOOD_DEED",
        quantity=1,
        reason="拾金不昧（待社区审核）",
        source=None,
        idempotency_key="seed-good-deed",
    )
    await points.penalize_points(
        actor=grid_leader,
        person_id=(await demo_actor("rider")).person_id,
        rule_code="LATE_REPORT",
        quantity=1,
        reason="占道经营未及时上报",
        source=None,
        idempotency_key="seed-penalty",
    )
    detergent = await market.create_reward(
        actor=admin,
        area_id=community.id,
        stock=50,
        provider_unit_id=None,
        data=market.RewardInput(
            name="洗衣液 2kg",
            description="社区积分超市日用品",
            category=RewardCategory.GOODS,
            price_points=30,
            per_person_limit=2,
            pickup_location="颜山第一网格驿站",
        ),
    )
    await market.redeem(
        actor=await demo_actor("volunteer"),
        reward_id=detergent.id,
        quantity=1,
        idempotency_key="seed-redemption",
    )
    # Late reports cost more from now on (a new version of the rule): the rider's penalty
    # keeps showing version 1 at -5 points.
    late = await PointsRule.get(code="LATE_REPORT", area_id=None)
    await points.update_rule(actor=district, rule_id=late.id, changes={"points": -10})
