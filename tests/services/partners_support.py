"""Factories for the partner tests (data built through services).

The demo (seed/partners.py) registers units in 颜山社区: the property company managed by
`partner`, the merchant managed by `merchant`, the hospital managed by `hospital_staff`, ...
Tests that need a clean slate work in the sibling community 西冶街社区 or in areas they create.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from seed.demo import DEMO_COMMUNITY, PARTNER_UNIT_NAME
from seed.points import MERCHANT_NAME
from services import partners
from services.accounts import create_account, load_actor
from services.enums import PartnerUnitKind, ResourceCategory, Urgency
from services.kit import clock
from services.kit.auth import Actor
from services.models import Area, NeedEntry, PartnerUnit, ResourceOffer
from tests.conftest import actor_for

SIBLING = "西冶街社区"
__all__ = ["DEMO_COMMUNITY", "MERCHANT_NAME", "PARTNER_UNIT_NAME", "SIBLING"]


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def unit(name: str) -> PartnerUnit:
    return await PartnerUnit.get(name=name)


async def new_actor(name: str = "测试员", *, party_member: bool = False) -> Actor:
    """A fresh signed-up person (no role anywhere)."""
    account = await create_account(
        username=f"t{uuid.uuid4().hex[:12]}",
        password="test-password-123",
        name=name,
        phone=None,
        party_member=party_member,
    )
    actor = await load_actor(account_id=account.id)
    assert actor is not None
    return actor


async def reload(actor: Actor) -> Actor:
    """The actor with the grants they hold now."""
    fresh = await load_actor(account_id=actor.account_id)
    assert fresh is not None
    return fresh


async def new_unit(
    community: str = SIBLING,
    *,
    kind: PartnerUnitKind = PartnerUnitKind.ENTERPRISE,
    approve: bool = True,
    name: str | None = None,
) -> tuple[PartnerUnit, Actor]:
    """A unit registered by a fresh person (its manager), approved by the district admin."""
    manager = await new_actor()
    made = await partners.register_unit(
        actor=manager,
        community_id=(await area(community)).id,
        name=name or f"测试单位{uuid.uuid4().hex[:6]}",
        kind=kind,
        address="测试路 1 号",
        phone=None,
        description="",
    )
    if approve:
        made = await partners.review_unit(
            actor=await actor_for("district_admin"), unit_id=made.id, approve=True, reason=None
        )
    return made, await reload(manager)


async def resource(
    unit: PartnerUnit,
    manager: Actor,
    *,
    category: ResourceCategory = ResourceCategory.GOODS,
    quantity: int = 10,
    served: list[Area] | None = None,
    start: datetime | None = None,
    until: datetime | None = None,
    title: str = "测试资源",
    label: str = "份",
) -> ResourceOffer:
    return await partners.post_resource(
        actor=manager,
        unit_id=unit.id,
        data=partners.ResourceInput(
            category=category,
            title=title,
            quantity=quantity,
            unit_label=label,
            available_from=start if start is not None else clock.now() - timedelta(days=1),
            available_until=until,
            served_area_ids=[a.id for a in served] if served else None,
        ),
    )


async def need(
    where: Area,
    *,
    category: ResourceCategory = ResourceCategory.GOODS,
    quantity: int = 10,
    deadline: datetime | None = None,
    by: str = "district_admin",
    urgency: Urgency = Urgency.NORMAL,
    title: str = "测试需求",
    label: str = "份",
) -> NeedEntry:
    return await partners.post_need(
        actor=await actor_for(by),
        area_id=where.id,
        data=partners.NeedInput(
            category=category,
            title=title,
            quantity=quantity,
            unit_label=label,
            urgency=urgency,
            deadline=deadline if deadline is not None else clock.now() + timedelta(days=20),
        ),
    )
