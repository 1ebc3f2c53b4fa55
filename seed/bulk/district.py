"""The benchmarks' district: migrate and seed an empty database, and add the bench sign-in.

The bench account `bench_admin` is a COMMUNITY_ADMIN of the target community, appointed through
services.people.assign_role by a district admin `bench_district`, who is bootstrapped the way
seed/demo.py bootstraps its first district admin (the one role written directly).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tortoise import connections
from tortoise.context import TortoiseContext

from seed.demo import DEMO_COMMUNITY, bootstrap_district_admin, seed_demo
from seed.scale import seed_scale
from services.accounts import create_account, load_actor
from services.enums import AreaLevel, Role
from services.kit import db
from services.kit.paths import in_subtree
from services.models import Area, Household, Person
from services.people import assign_role

BENCH_USER = "bench_admin"
BENCH_PASSWORD = "gridpoints-bench-password"


@dataclass(frozen=True)
class Prepared:
    """A seeded database and the community the benchmark reads."""

    label: str  # "demo" or "scale 100,000"
    url: str
    households: int
    micro_grids: int
    community_id: int
    community_name: str
    community_micro_grids: int
    seconds: float
    engine: str
    username: str = BENCH_USER
    password: str = BENCH_PASSWORD


async def prepare(url: str, *, households: int | None) -> Prepared:
    """Migrate and seed an empty database: the demo (`households=None`) or the scale data set."""
    started = time.perf_counter()
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        await db.migrate()
        if households is None:
            if not await seed_demo():
                raise SystemExit(f"{url} is not empty")
            community = await Area.get(level=AreaLevel.COMMUNITY, name=DEMO_COMMUNITY)
        else:
            await seed_scale(households)
            first = await Area.filter(level=AreaLevel.COMMUNITY).order_by("id").first()
            assert first is not None
            community = first
        district = await Area.get(level=AreaLevel.DISTRICT)
        boss = await bootstrap_district_admin(
            district=district,
            username="bench_district",
            password=BENCH_PASSWORD,
            name="基准区管理员",
            phone="13900000001",
        )
        actor = await load_actor(account_id=boss.id)
        assert actor is not None
        account = await create_account(
            username=BENCH_USER, password=BENCH_PASSWORD, name="基准社区管理员", phone="13900000002"
        )
        person = await Person.get(account__id=account.id)
        await assign_role(
            actor=actor, person_id=person.id, role=Role.COMMUNITY_ADMIN, area_id=community.id
        )
        if db.dialect() == "postgres":
            engine = (await db.fetch("SHOW server_version", []))[0]["server_version"]
            engine = f"PostgreSQL {engine}"
            # Fresh bulk-loaded tables: give the planner statistics, as autovacuum would soon.
            await connections.get("default").execute_script("ANALYZE")
        else:
            engine = f"SQLite {(await db.fetch('SELECT sqlite_version() AS v', []))[0]['v']}"
        return Prepared(
            label="demo" if households is None else f"scale {households:,}",
            url=url,
            households=await Household.all().count(),
            micro_grids=await Area.filter(level=AreaLevel.MICRO_GRID).count(),
            community_id=community.id,
            community_name=community.name,
            community_micro_grids=await Area.filter(
                in_subtree(community.path), level=AreaLevel.MICRO_GRID
            ).count(),
            seconds=time.perf_counter() - started,
            engine=engine,
        )
