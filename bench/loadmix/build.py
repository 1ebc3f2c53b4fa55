"""The database of a load-mix run and the data file the locust users act with.

On top of bench/orders.py's build (the demo district through the services, `residents` bulk
residents each in a household of their own with a session, sessions for every leader of
颜山社区; tokens minted with the server's secret), this adds:

- volunteers: one in four of the residents living in 颜山社区 get the VOLUNTEER role there and
  500 points (a MONTHLY_MEETING award of 100 units by the demo community admin, through the
  services, so the ledger is what the server writes);
- rewards of 颜山社区 (by the community admin, through the services): four plentiful ones
  (100,000 items, no per-person limit, 10-25 points) and two scarce ones (10 items, one per
  person), where the mix provokes OutOfStock and LimitExceeded;
- the baselines for the reconciliation: the highest ids of awards, redemptions, work orders and
  their steps before the run, and every reward's stock.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.queries import global_id
from services.kit import clock

VOLUNTEER_SHARE = 4  # one in this many of the community's residents volunteers
VOLUNTEER_POINTS_UNITS = 100  # MONTHLY_MEETING (5 points) x 100 = 500 points each
PLENTIFUL = (("大米 5kg", 25), ("食用油 1.8L", 20), ("抽纸 10 包", 15), ("肥皂 2 块", 10))
SCARCE = (("电影票（限量）", 20), ("体检套餐（限量）", 20))
PLENTIFUL_STOCK = 100_000
SCARCE_STOCK = 10


@dataclass
class Built:
    """The database as the run starts: who acts, and the baselines to reconcile against."""

    engine: str
    seconds: float
    residents: int
    volunteers: int
    leaders: int
    admins: int
    awardees: int
    baselines: dict[str, int] = field(default_factory=dict)  # table -> highest id before
    stock: dict[int, int] = field(default_factory=dict)  # reward id -> stock before
    sizes: dict[str, int] = field(default_factory=dict)


async def _max_id(table: str) -> int:
    from services.kit import db

    rows = await db.fetch(f"SELECT COALESCE(MAX(id), 0) AS m FROM {table}", [])
    return int(rows[0]["m"])


async def _bench_residents(community_path: str) -> list[tuple[int, int, bool]]:
    """(index, person id, lives in the community) of every bench resident, in index order."""
    from services.kit import db

    rows = await db.fetch(
        "SELECT ua.username, ua.person_id, h.path FROM user_account ua "
        "JOIN person p ON p.id = ua.person_id JOIN household h ON h.id = p.household_id "
        "WHERE ua.username LIKE 'bench_resident_%'",
        [],
    )
    found = [
        (
            int(str(r["username"]).rsplit("_", 1)[1]),
            int(r["person_id"]),
            str(r["path"]).startswith(community_path),
        )
        for r in rows
    ]
    return sorted(found)


async def _rewards(community_id: int) -> tuple[list[int], list[int]]:
    """The plentiful and the scarce rewards, created by the demo community admin."""
    from seed.points import demo_actor
    from services import market
    from services.enums import RewardCategory

    admin = await demo_actor("community_admin")

    async def make(name: str, price: int, stock: int, limit: int | None) -> int:
        reward = await market.create_reward(
            actor=admin,
            area_id=community_id,
            stock=stock,
            provider_unit_id=None,
            data=market.RewardInput(
                name=name,
                description="负载测试商品",
                category=RewardCategory.GOODS,
                price_points=price,
                per_person_limit=limit,
                pickup_location="颜山社区党群服务中心",
            ),
        )
        return reward.id

    plentiful = [await make(n, p, PLENTIFUL_STOCK, None) for n, p in PLENTIFUL]
    scarce = [await make(n, p, SCARCE_STOCK, 1) for n, p in SCARCE]
    return plentiful, scarce


async def _volunteers(person_ids: list[int], community_id: int, community_path: str) -> None:
    """The VOLUNTEER role in the community and 500 points each (through the services)."""
    from seed.bulk.sql import insert_rows
    from seed.points import demo_actor
    from services import points

    now = clock.now()
    await insert_rows(
        "role_assignment",
        ("person_id", "role", "area_id", "area_path", "since"),
        [(p, "VOLUNTEER", community_id, community_path, now) for p in person_ids],
    )
    admin = await demo_actor("community_admin")
    for person_id in person_ids:
        await points.award_points(
            actor=admin,
            person_id=person_id,
            rule_code="MONTHLY_MEETING",
            quantity=VOLUNTEER_POINTS_UNITS,
            reason="负载测试：志愿者启动积分",
            source=None,
            idempotency_key=f"loadmix-start-{person_id}",
        )


async def build(url: str, residents: int) -> tuple[Built, dict[str, Any]]:
    """Build the database at `url`; returns it and the users' data (for LOADMIX_DATA)."""
    from tortoise import connections
    from tortoise.context import TortoiseContext

    from bench.orders import _sizes
    from bench.orders import build as build_orders
    from seed.demo import DEMO_COMMUNITY
    from services.enums import AreaLevel
    from services.kit import db
    from services.models import Area

    started = time.perf_counter()
    setup = await build_orders(url, argparse.Namespace(residents=residents))
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        community = await Area.get(level=AreaLevel.COMMUNITY, name=DEMO_COMMUNITY)
        people = await _bench_residents(community.path)
        if len(people) != len(setup.residents):
            raise SystemExit(f"found {len(people)} bench residents, built {len(setup.residents)}")
        ours = [(i, p) for i, p, here in people if here]
        volunteers = [(i, p) for k, (i, p) in enumerate(ours) if k % VOLUNTEER_SHARE == 0]
        chosen = {i for i, _ in volunteers}
        print(f"{len(volunteers)} volunteers: role and points ...", flush=True)
        await _volunteers([p for _, p in volunteers], community.id, community.path)
        plentiful, scarce = await _rewards(community.id)
        if db.dialect() == "postgres":
            await connections.get("default").execute_script("ANALYZE")
        baselines = {
            t: await _max_id(t)
            for t in ("points_award", "redemption", "work_order", "work_order_event")
        }
        stock = {
            int(r["id"]): int(r["stock"])
            for r in await db.fetch("SELECT id, stock FROM reward", [])
        }
        sizes = await _sizes()
        for table in ("points_entry", "points_account", "reward"):
            sizes[table] = await _count(table)

    leaders = [f for f in setup.followers if f.label.startswith("MICRO_GRID_LEADER")]
    admins = [f for f in setup.followers if f.label.startswith("COMMUNITY_ADMIN")]
    data: dict[str, Any] = {
        "community": global_id("Area", community.id),
        "residents": [{"token": setup.residents[i].token} for i, _, _ in people if i not in chosen],
        "volunteers": [
            {"token": setup.residents[i].token, "person": global_id("Person", p)}
            for i, p in volunteers
        ],
        "leaders": [
            {"token": f.token, "area": global_id("Area", f.area_id), "label": f.label}
            for f in leaders
        ],
        "admins": [{"token": f.token, "label": f.label} for f in admins],
        "awardees": [global_id("Person", p) for _, p in ours],
        "rewards": {
            "plentiful": [global_id("Reward", r) for r in plentiful],
            "scarce": [global_id("Reward", r) for r in scarce],
        },
    }
    built = Built(
        engine=setup.engine,
        seconds=time.perf_counter() - started,
        residents=len(data["residents"]),
        volunteers=len(volunteers),
        leaders=len(leaders),
        admins=len(admins),
        awardees=len(ours),
        baselines=baselines,
        stock=stock,
        sizes=sizes,
    )
    return built, data


async def _count(table: str) -> int:
    from services.kit import db

    return int((await db.fetch(f"SELECT COUNT(*) AS n FROM {table}", []))[0]["n"])


def summary(built: Built) -> dict[str, Any]:
    """The build as plain data (for the report)."""
    return asdict(built)
