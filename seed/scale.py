"""A large deterministic district for benchmarks, bulk-inserted straight into the models.

Going through the services would take hours at a million households, so this module writes the
rows itself, but to the same rules the services enforce: levels nest in order; paths are
materialized ("/<district>/<street>/<community>/<grid>/<micro-grid>/"); a household's `path` is
its micro-grid's and `community_id` its community; every micro-grid has a leader and central
households who live in it and look after all of its households (CareLink); a role assignment's
`area_path` is its area's path. Ids are assigned here (after the current maximum) so the paths
and foreign keys are known before anything is inserted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from tortoise import connections
from tortoise.models import Model
from tortoise.transactions import in_transaction

from seed.bulk.sql import next_id
from services.enums import LEVEL_ORDER, AreaKind, AreaLevel, PartyUnitKind, Role
from services.households import default_number
from services.kit import clock, db
from services.models import (
    Area,
    CareLink,
    GridStation,
    Household,
    PartyUnit,
    Person,
    RoleAssignment,
)

MAX_HOUSEHOLDS = 1_000_000
HOUSEHOLDS_PER_MICRO_GRID = 30
MICRO_GRIDS_PER_GRID = 10  # ~300 households a grid
GRIDS_PER_COMMUNITY = 10  # ~3,000 households a community
COMMUNITIES_PER_STREET = 10
HOUSEHOLDS_PER_CENTRAL = 15  # a central household looks after 10-20 neighbours
_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞")
_LABELS = ("规模测试区", "测试街道", "测试社区", "测试网格", "测试微网格")
_PARTY_UNIT = {
    AreaLevel.COMMUNITY: (PartyUnitKind.COMMUNITY_PARTY_ORGANIZATION, "党委"),
    AreaLevel.GRID: (PartyUnitKind.GRID_PARTY_BRANCH, "党支部"),
    AreaLevel.MICRO_GRID: (PartyUnitKind.MICRO_GRID_PARTY_GROUP, "党小组"),
}
# The role each level above the micro-grid gets one holder of.
_HOLDER_ROLE = {
    AreaLevel.DISTRICT: Role.DISTRICT_ADMIN,
    AreaLevel.STREET: Role.STREET_ADMIN,
    AreaLevel.COMMUNITY: Role.COMMUNITY_ADMIN,
    AreaLevel.GRID: Role.GRID_LEADER,
}


class NotEmpty(RuntimeError):
    """The scale data set is only built into a database without areas or households."""


# The scale district's code; each area below takes its parent's code and a three-digit number.
SCALE_DISTRICT_CODE = "990001"


def split_evenly(total: int, size: int) -> list[range]:
    """`total` items cut into ceil(total / size) consecutive ranges of near-equal length."""
    parts = math.ceil(total / size)
    return [range(total * i // parts, total * (i + 1) // parts) for i in range(parts)]


@dataclass
class _Writer:
    """Builds the rows in walk order and inserts them in batches, parents before children."""

    batch: int
    next_area: int
    next_household: int
    next_person: int
    now: datetime = field(default_factory=lambda: clock.now())
    # Insert order: each table only points at tables before it.
    rows: dict[type[Model], list[Model]] = field(
        default_factory=lambda: (
            {m: [] for m in (Area, GridStation, PartyUnit, Household, Person)}
            | {RoleAssignment: [], CareLink: []}
        )
    )
    counts: dict[str, int] = field(default_factory=dict)
    children: dict[int, int] = field(default_factory=dict)  # areas made under each area (codes)

    def add(self, row: Model) -> None:
        self.rows[type(row)].append(row)

    def area(self, level: AreaLevel, name: str, parent: Area | None) -> Area:
        if parent is None:
            code = SCALE_DISTRICT_CODE
        else:  # the parent's code and the child's number, as 区划代码 run
            self.children[parent.id] = self.children.get(parent.id, 0) + 1
            code = f"{parent.code}{self.children[parent.id]:03d}"
        area = Area(
            id=self.next_area,
            name=name,
            code=code,
            level=level,
            kind=AreaKind.RESIDENTIAL,
            parent_id=parent.id if parent else None,
            path=f"{parent.path if parent else '/'}{self.next_area}/",
            created_at=self.now,
        )
        self.next_area += 1
        if level is AreaLevel.GRID:
            area.contact_group_name = f"{name}居民群"
            area.contact_group_link = f"https://qun.example.com/scale/{area.id}"
            station = GridStation(
                grid_id=area.id, name=f"{name}驿站", address=f"{name}1号楼", hours="每日 8:00-18:00"
            )
            self.add(station)
        self.add(area)
        return area

    def person(self, household_id: int | None) -> Person:
        """A synthetic person (张伟000123, 13800000123); every other one a party member."""
        n = self.next_person
        self.next_person += 1
        name = f"{_NAMES[n % len(_NAMES)]}{n:06d}"
        person = Person(
            id=n,
            name=name,
            phone=f"138{n:08d}",
            party_member=n % 2 == 0,
            household_id=household_id,
            created_at=self.now,
        )
        self.add(person)
        return person

    def role(self, person: Person, role: Role, area: Area) -> None:
        self.add(
            RoleAssignment(
                person_id=person.id, role=role, area_id=area.id, area_path=area.path, since=self.now
            )
        )

    async def flush(self, *, force: bool = False) -> None:
        if not force and len(self.rows[Household]) < self.batch:
            return
        for model, rows in self.rows.items():
            if rows:
                await model.bulk_create(rows, batch_size=self.batch)
                name = model._meta.db_table
                self.counts[name] = self.counts.get(name, 0) + len(rows)
                rows.clear()

    def micro_grid(self, micro: Area, community: Area, numbers: range) -> None:
        """Households (one building), their leader and central households with their charges."""
        first = self.next_household
        for j in range(len(numbers)):
            self.add(
                Household(
                    id=first + j,
                    number=default_number(first + j),
                    community_id=community.id,
                    micro_grid_id=micro.id,
                    path=micro.path,
                    address=f"{community.name}幸福路{micro.id}号",
                    building="1号楼",
                    unit=f"{j // 10 + 1}单元",
                    room=f"{j % 10 // 2 + 1}0{j % 2 + 1}",
                    member_count=j % 4 + 1,
                    created_at=self.now,
                )
            )
        self.next_household += len(numbers)
        self.role(self.person(first + len(numbers) - 1), Role.MICRO_GRID_LEADER, micro)
        for chunk in split_evenly(len(numbers), HOUSEHOLDS_PER_CENTRAL):
            central = self.person(first + chunk.start)
            self.role(central, Role.CENTRAL_HOUSEHOLD, micro)
            for j in chunk:
                self.add(
                    CareLink(central_id=central.id, household_id=first + j, created_at=self.now)
                )


async def seed_scale(households: int, *, batch: int = 5000) -> dict[str, int]:
    """Bulk-build a district of `households` households (1..1,000,000); row counts per table."""
    if not 1 <= households <= MAX_HOUSEHOLDS:
        raise ValueError(f"households must be 1 to {MAX_HOUSEHOLDS:,}")
    if batch < 1:
        raise ValueError("batch must be positive")
    micro = split_evenly(households, HOUSEHOLDS_PER_MICRO_GRID)
    grids = split_evenly(len(micro), MICRO_GRIDS_PER_GRID)
    communities = split_evenly(len(grids), GRIDS_PER_COMMUNITY)
    streets = split_evenly(len(communities), COMMUNITIES_PER_STREET)
    # Each level's children as index ranges into the level below, district first.
    tree = [[range(len(streets))], streets, communities, grids, micro]
    async with in_transaction() as conn:
        if await Area.exists() or await Household.exists():
            raise NotEmpty("The database already holds areas or households; use an empty one.")
        writer = _Writer(
            batch=batch,
            next_area=await next_id(Area._meta.db_table),
            next_household=await next_id(Household._meta.db_table),
            next_person=await next_id(Person._meta.db_table),
        )

        async def walk(level: int, index: int, parent: Area | None, community: Area | None) -> None:
            area_level = LEVEL_ORDER[level]
            name = f"{_LABELS[level]}{index + 1}"  # indices run across the whole level
            area = writer.area(area_level, name, parent)
            community = area if area_level is AreaLevel.COMMUNITY else community
            if area_level in _PARTY_UNIT:
                kind, suffix = _PARTY_UNIT[area_level]
                writer.add(PartyUnit(area_id=area.id, kind=kind, name=f"{name}{suffix}"))
            if area_level is AreaLevel.MICRO_GRID:
                assert community is not None
                writer.micro_grid(area, community, tree[level][index])
                await writer.flush()
                return
            if area_level in _HOLDER_ROLE:
                # A grid leader lives in the grid's first household (inserted with its micro-grid).
                home = writer.next_household if area_level is AreaLevel.GRID else None
                writer.role(writer.person(home), _HOLDER_ROLE[area_level], area)
            for child in tree[level][index]:
                await walk(level + 1, child, area, community)

        await walk(0, 0, None, None)
        await writer.flush(force=True)
        if db.dialect() == "postgres":
            # Ids were given explicitly: move the sequences past them.
            for table in ("area", "household", "person"):
                await conn.execute_query(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
    # Fresh statistics for the planners: without them a freshly bulk-loaded PostgreSQL picks
    # the wrong role_assignment index for coverage (15 ms instead of 4 ms for 20 micro-grids).
    await connections.get("default").execute_script("ANALYZE")
    return writer.counts
