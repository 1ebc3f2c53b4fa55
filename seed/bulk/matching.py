"""The matching benchmark's district (`python -m bench matching`).

A district of `streets` streets of ten communities each (through the services), one approved
unit, then `resources` resource entries bulk-inserted with their served areas (70 % one
community, 25 % a street, 5 % the district; 7 categories; 80 % available now, 10 % expired,
10 % starting later; 10 % used up; 5 % withdrawn), and `needs` open needs spread over the
communities and categories (through the services). PostgreSQL tables are ANALYZEd after the load.

With `texts`, the titles and descriptions are drawn from the hand-labelled quality fixture
(seed/bulk/matching_quality.py) instead of 资源N / 需求N, so that a need shares words with a
realistic share of the resources and relevance has text to score (the ranking statement then
returns every candidate holding one of the need's terms).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from seed.bulk.matching_quality import NEEDS, RESOURCES
from seed.bulk.sql import insert_rows
from seed.demo import bootstrap_district_admin
from services import partners
from services.accounts import create_account, load_actor
from services.enums import AreaLevel, PartnerUnitKind, ResourceCategory
from services.grids import create_area, create_district
from services.kit import clock, db

CATEGORIES = ("VENUE", "FUNDS", "EQUIPMENT", "EXPERTISE", "VOLUNTEER_HOURS", "GOODS", "SERVICE")
COMMUNITIES_PER_STREET = 10


async def build(
    *, streets: int, resources: int, needs: int, rng: random.Random, texts: bool = False
) -> list[int]:
    """Migrate, then the territory, a unit, the resources (bulk) and the needs; returns the
    need ids."""
    # Its own generator, so the data set without texts stays the same as it always was.
    words = random.Random(7)
    offer_texts = [(o.title, o.description) for o in RESOURCES.values()]
    need_texts = [(n.title, n.description) for n in NEEDS.values()]
    await db.migrate()
    district = await create_district(name="基准区")
    account = await bootstrap_district_admin(
        district=district,
        username="bench_admin",
        password="bench-password-123",
        name="基准管理员",
        phone="13900000000",
    )
    admin = await load_actor(account_id=account.id)
    assert admin is not None
    street_areas = []
    communities = []
    for s in range(streets):
        street = await create_area(
            actor=admin, parent_id=district.id, name=f"街道{s}", level=AreaLevel.STREET
        )
        street_areas.append(street)
        for c in range(COMMUNITIES_PER_STREET):
            communities.append(
                await create_area(
                    actor=admin, parent_id=street.id, name=f"社区{s}-{c}", level=AreaLevel.COMMUNITY
                )
            )
    staff = await create_account(
        username="bench_unit", password="bench-password-123", name="基准单位", phone=None
    )
    manager = await load_actor(account_id=staff.id)
    unit = await partners.register_unit(
        actor=manager,
        community_id=communities[0].id,
        name="基准共建单位",
        kind=PartnerUnitKind.ENTERPRISE,
        address="",
        phone=None,
        description="",
    )
    await partners.review_unit(actor=admin, unit_id=unit.id, approve=True, reason=None)
    moment = clock.now()
    offers: list[tuple[Any, ...]] = []
    served: list[tuple[Any, ...]] = []
    for i in range(1, resources + 1):
        category = rng.choice(CATEGORIES)
        quantity = rng.randint(1, 200)
        remaining = 0 if rng.random() < 0.1 else rng.randint(1, quantity)
        window = rng.random()
        start: datetime | None = moment - timedelta(days=rng.randint(1, 90))
        until: datetime | None = moment + timedelta(days=rng.randint(1, 365))
        if window < 0.1:
            until = moment - timedelta(days=1)
        elif window < 0.2:
            start = moment + timedelta(days=rng.randint(1, 60))
        elif window < 0.4:
            start, until = None, None
        status = "WITHDRAWN" if rng.random() < 0.05 else "OPEN"
        title, description = words.choice(offer_texts) if texts else ("资源", "")
        title = f"{title}{i}"  # each text its own, as no two entries are worded alike
        offers.append(
            (i, unit.id, unit.community_path, category, title, description, quantity, "份",
             remaining, start, until, status, 1, moment, moment)
        )  # fmt: skip
        where = rng.random()
        area = (
            rng.choice(communities)
            if where < 0.7
            else rng.choice(street_areas)
            if where < 0.95
            else district
        )
        served.append((i, area.id, area.path, area.level.value, category))
    await insert_rows(
        "resource_offer",
        ("id", "unit_id", "community_path", "category", "title", "description", "quantity",
         "unit_label", "remaining", "available_from", "available_until", "status",
         "created_by_id", "created_at", "updated_at"),
        offers,
    )  # fmt: skip
    await insert_rows(
        "resource_area", ("resource_id", "area_id", "area_path", "area_level", "category"), served
    )
    if db.dialect() == "postgres":
        await db.execute("SELECT setval('resource_offer_id_seq', ?) ", [resources])
        for table in ("resource_offer", "resource_area"):
            await db.execute(f"ANALYZE {table}", [])
    need_ids = []
    for n in range(needs):
        community = communities[n % len(communities)]
        made = await partners.post_need(
            actor=admin,
            area_id=community.id,
            data=partners.NeedInput(
                category=ResourceCategory(CATEGORIES[n % len(CATEGORIES)]),
                title=need_texts[n % len(need_texts)][0] if texts else f"需求{n}",
                description=need_texts[n % len(need_texts)][1] if texts else None,
                quantity=rng.randint(5, 100),
                unit_label="份",
                deadline=moment + timedelta(days=rng.randint(5, 90)),
            ),
        )
        need_ids.append(made.id)
    return need_ids
