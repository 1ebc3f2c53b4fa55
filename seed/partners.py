"""Demo partners: units of every kind reporting to 颜山社区 (one still pending), their resource
lists, the community's and its grids' needs, a match accepted into an ACTIVE co-building project
with milestones, a claimable service project, rewards given by units (the merchant's voucher,
which its manager and its clerk hand over; the property company's repair service), a merchant
stocking the points marketplace from its resource list, and a cadre sunk to the demo grid with
service records."""

from __future__ import annotations

from datetime import timedelta

from seed.points import MERCHANT_NAME, demo_actor
from services import market, partners
from services.accounts import create_account
from services.enums import PartnerUnitKind, ResourceCategory, RewardCategory, Urgency
from services.kit import clock
from services.models import Area, PartnerUnit

# username, name, party member, unit name, kind, address, approved
UNITS: tuple[tuple[str, str, bool, str, PartnerUnitKind, str, bool], ...] = (
    (
        "merchant",
        "杨春华",
        False,
        MERCHANT_NAME,
        PartnerUnitKind.MERCHANT,
        "颜山步行街 18 号",
        True,
    ),
    (
        "agency_staff",
        "刘建军",
        True,
        "博山区卫生健康局",
        PartnerUnitKind.GOVERNMENT_AGENCY,
        "博山区中心路 6 号",
        True,
    ),
    (
        "hospital_staff",
        "韩雪",
        True,
        "博山区人民医院",
        PartnerUnitKind.PUBLIC_INSTITUTION,
        "博山区人民路 1 号",
        True,
    ),
    (
        "enterprise_staff",
        "吕志德",
        False,
        "山东博山琉璃制品有限公司",
        PartnerUnitKind.ENTERPRISE,
        "博山区琉璃街 88 号",
        True,
    ),
    (
        "social_worker",
        "任晓婷",
        True,
        "博山区颜山社工服务中心",
        PartnerUnitKind.SOCIAL_ORGANIZATION,
        "颜山路 36 号",
        False,
    ),
)
UNIT_PASSWORD = "gridpoints-demo"
# A plain (not managing) member of the merchant: hands over its vouchers too, and may leave.
CLERK = ("merchant_clerk", "杨晓东")

# unit name → (category, title, quantity, unit label, days available (None: open-ended))
RESOURCES: dict[str, tuple[tuple[ResourceCategory, str, int, str, int | None], ...]] = {
    MERCHANT_NAME: (
        (ResourceCategory.GOODS, "米面油爱心礼包", 60, "份", 90),
        (ResourceCategory.GOODS, "洗衣粉 1kg", 40, "袋", None),
        # Fewer than the washing powder: matching used to rank the powder first for the
        # breakfast need below (same category and community); relevance ranks this first.
        (ResourceCategory.GOODS, "爱心早餐（包子、豆浆）", 30, "份", 60),
    ),
    "博山区卫生健康局": (
        (ResourceCategory.EXPERTISE, "健康知识讲座", 6, "场", 180),
        (ResourceCategory.VOLUNTEER_HOURS, "下沉干部志愿服务", 200, "小时", 180),
    ),
    "博山区人民医院": (
        (ResourceCategory.SERVICE, "免费上门巡诊", 24, "次", 120),
        (ResourceCategory.EQUIPMENT, "血压计", 10, "台", None),
    ),
    "山东博山琉璃制品有限公司": (
        (ResourceCategory.FUNDS, "困难家庭帮扶资金", 20000, "元", 365),
        (ResourceCategory.VENUE, "琉璃文化展厅（党员活动）", 12, "次", 365),
    ),
}
PROPERTY_RESOURCES: tuple[tuple[ResourceCategory, str, int, str, int | None], ...] = (
    (ResourceCategory.VENUE, "小区党群活动室", 30, "次", None),
    (ResourceCategory.SERVICE, "楼道清理与小修", 40, "次", 180),
    (ResourceCategory.VOLUNTEER_HOURS, "物业员工志愿服务", 120, "小时", 180),
    (ResourceCategory.EQUIPMENT, "应急照明灯", 20, "台", None),
)
# (area name or None for the community, category, title, quantity, label, urgency, days left)
NEEDS: tuple[tuple[str | None, ResourceCategory, str, int, str, Urgency, int | None], ...] = (
    (None, ResourceCategory.GOODS, "困难家庭节日慰问品", 30, "份", Urgency.HIGH, 20),
    (None, ResourceCategory.EXPERTISE, "党员冬训专题讲座", 2, "场", Urgency.NORMAL, 45),
    (None, ResourceCategory.VENUE, "党员联合培训场地", 4, "次", Urgency.NORMAL, 60),
    (None, ResourceCategory.FUNDS, "老旧小区楼道照明改造", 8000, "元", Urgency.HIGH, 90),
    (None, ResourceCategory.SERVICE, "独居老人上门巡诊", 12, "次", Urgency.CRITICAL, 30),
    (None, ResourceCategory.VOLUNTEER_HOURS, "垃圾分类桶前值守", 80, "小时", Urgency.NORMAL, 60),
    ("颜山第一网格", ResourceCategory.EQUIPMENT, "网格驿站血压计", 2, "台", Urgency.LOW, None),
    ("颜山第一网格", ResourceCategory.SERVICE, "楼道杂物清理", 6, "次", Urgency.NORMAL, 30),
    ("颜山第二网格", ResourceCategory.GOODS, "冬季防寒物资", 20, "份", Urgency.HIGH, 25),
    (
        "颜山第二网格",
        ResourceCategory.VOLUNTEER_HOURS,
        "助老陪诊志愿者",
        30,
        "小时",
        Urgency.NORMAL,
        40,
    ),
    ("颜山商业专属网格", ResourceCategory.EXPERTISE, "商户消防安全培训", 1, "场", Urgency.HIGH, 30),
    ("颜山第三网格", ResourceCategory.EQUIPMENT, "应急照明灯", 6, "台", Urgency.NORMAL, None),
    (None, ResourceCategory.GOODS, "孤寡老人早餐", 12, "份", Urgency.HIGH, 30),
)


async def seed_partners(*, community: Area, property_company: str) -> None:
    """Units, lists, projects, a stocked reward and a sunk-down cadre in the demo community."""
    admin = await demo_actor("community_admin")
    partner = await demo_actor("partner")
    units: dict[str, PartnerUnit] = {}
    company = await partners.register_unit(
        actor=partner,
        community_id=community.id,
        name=property_company,
        kind=PartnerUnitKind.PROPERTY_COMPANY,
        address="颜山花园 1 号楼底商",
        phone="05334181234",
        description="颜山花园、柳杭小区物业服务",
    )
    await partners.review_unit(actor=admin, unit_id=company.id, approve=True, reason="材料齐全")
    units[property_company] = company
    for i, (username, name, party, unit_name, kind, address, approved) in enumerate(UNITS):
        await create_account(
            username=username,
            password=UNIT_PASSWORD,
            name=name,
            phone=f"1386331{i:04d}",
            party_member=party,
        )
        unit = await partners.register_unit(
            actor=await demo_actor(username),
            community_id=community.id,
            name=unit_name,
            kind=kind,
            address=address,
            phone=None,
            description=f"{unit_name}到颜山社区报到",
        )
        if approved:
            await partners.review_unit(actor=admin, unit_id=unit.id, approve=True, reason=None)
        units[unit_name] = unit
    await _seed_rewards(community, units[MERCHANT_NAME], company)
    # Resource lists: every approved unit's, the property company's through `partner`.
    moment = clock.now()
    offers = {}
    lists = [(property_company, "partner", PROPERTY_RESOURCES)]
    lists += [(name, username, RESOURCES[name]) for username, _, _, name, *_ in UNITS[:4]]
    street = await Area.get(id=community.parent_id)
    for unit_name, username, entries in lists:
        actor = await demo_actor(username)
        for category, title, quantity, label, days in entries:
            served = [community.id]
            if unit_name == "博山区卫生健康局":
                served = [street.id]  # the agency serves the whole street
            offers[title] = await partners.post_resource(
                actor=actor,
                unit_id=units[unit_name].id,
                data=partners.ResourceInput(
                    category=category,
                    title=title,
                    description=f"{unit_name}提供",
                    quantity=quantity,
                    unit_label=label,
                    available_from=moment - timedelta(days=1),
                    available_until=moment + timedelta(days=days) if days else None,
                    served_area_ids=served,
                ),
            )
    needs = {}
    for area_name, category, title, quantity, label, urgency, days in NEEDS:
        area = community if area_name is None else await Area.get(name=area_name)
        poster = admin if area_name is None else await demo_actor("community_admin")
        needs[title] = await partners.post_need(
            actor=poster,
            area_id=area.id,
            data=partners.NeedInput(
                category=category,
                title=title,
                description=f"{area.name}需求清单",
                quantity=quantity,
                unit_label=label,
                urgency=urgency,
                deadline=moment + timedelta(days=days) if days else None,
                place=area.name,
            ),
        )
    # The community proposes, the merchant accepts: 30 gift packs for the families in difficulty,
    # an ACTIVE co-building project with milestones.
    merchant = await demo_actor("merchant")
    match = await partners.propose_match(
        actor=admin,
        need_id=needs["困难家庭节日慰问品"].id,
        resource_id=offers["米面油爱心礼包"].id,
        quantity=30,
        covers=None,
        message="春节前送到困难家庭",
    )
    accepted = await partners.accept_match(actor=merchant, match_id=match.id)
    assert accepted.project_id is not None
    await partners.update_project(
        actor=admin,
        project_id=accepted.project_id,
        title="关爱困难家庭共建项目",
        description="社区摸排困难家庭，共建单位捐赠慰问品，网格员入户送达",
        status=None,
        people_served=30,
        claimable=None,
    )
    for title, progress in (("摸排困难家庭名单", 100), ("慰问品入库", 60), ("入户送达", 0)):
        await partners.add_milestone(
            actor=admin,
            project_id=accepted.project_id,
            title=title,
            due_on=clock.today() + timedelta(days=10 * (progress == 0)),
            progress=progress,
        )
    # The hospital offers home visits to the need for lone elderly people (waiting for the
    # community's answer), and a service project waits to be claimed (认领).
    await partners.propose_match(
        actor=await demo_actor("hospital_staff"),
        need_id=needs["独居老人上门巡诊"].id,
        resource_id=offers["免费上门巡诊"].id,
        quantity=12,
        covers=None,
        message="每周两次",
    )
    await partners.create_project(
        actor=admin,
        community_id=community.id,
        title="老旧小区楼道清理认领项目",
        description="颜山花园、柳杭小区楼道杂物清理和照明维护，欢迎物业企业认领",
        claimable=True,
        people_served=0,
    )
    # The merchant stocks the points marketplace from its resource list.
    await partners.stock_reward(
        actor=merchant,
        resource_id=offers["洗衣粉 1kg"].id,
        quantity=20,
        price_points=15,
        name="洗衣粉 1kg（佳和超市）",
        description=None,
        per_person_limit=2,
        pickup_location=None,
        idempotency_key="seed-stock-merchant",
    )
    # A cadre of the health bureau sunk to the demo grid, with two days of service.
    grid = await Area.get(name="颜山第一网格")
    agency = await demo_actor("agency_staff")
    cadre = await partners.assign_cadre(
        actor=admin,
        unit_id=units["博山区卫生健康局"].id,
        person_id=agency.person_id,
        area_id=grid.id,
        starts_on=clock.today() - timedelta(days=14),
        ends_on=clock.today() + timedelta(days=76),
        duties="健康宣讲、上门巡诊、应急时协助网格排查",
    )
    for days_ago, minutes, what in ((10, 120, "高血压防治讲座"), (3, 180, "独居老人上门随访")):
        await partners.record_service(
            actor=agency,
            assignment_id=cadre.id,
            served_on=clock.today() - timedelta(days=days_ago),
            minutes=minutes,
            description=what,
        )


async def _seed_rewards(community: Area, merchant: PartnerUnit, company: PartnerUnit) -> None:
    """The merchant's clerk, and rewards given by units (providerUnitId): a voucher the
    community's admin posts for the merchant (the merchant's members hand it over), and a
    repair service the property company's member posts for their own unit."""
    account = await create_account(
        username=CLERK[0],
        password=UNIT_PASSWORD,
        name=CLERK[1],
        phone="13863319999",
        party_member=False,
    )
    await partners.add_member(
        actor=await demo_actor("merchant"),
        unit_id=merchant.id,
        person_id=account.person_id,
        manager=False,
    )
    await market.create_reward(
        actor=await demo_actor("community_admin"),
        area_id=community.id,
        stock=20,
        provider_unit_id=merchant.id,
        data=market.RewardInput(
            name="20 元购物券",
            description=f"{MERCHANT_NAME}捐赠，店内通用",
            category=RewardCategory.VOUCHER,
            price_points=50,
            per_person_limit=1,
            pickup_location=MERCHANT_NAME,
        ),
    )
    await market.create_reward(
        actor=await demo_actor("partner"),
        area_id=community.id,
        stock=10,
        provider_unit_id=company.id,
        data=market.RewardInput(
            name="上门维修小家电一次",
            description="物业维修师傅上门服务",
            category=RewardCategory.SERVICE,
            price_points=40,
            pickup_location="颜山社区物业服务中心",
        ),
    )
