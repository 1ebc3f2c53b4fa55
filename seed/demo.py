"""Demo data: one district's net (博山区), built through the services, with demo sign-ins.

Every object is created by the same service calls the API uses, so the demo obeys the same rules
(levels nest in order, full coverage, one leader per micro-grid, central households live in the
micro-grid they serve), apart from the few coverage gaps seed.coverage leaves on purpose.
Randomness comes from `random.Random(42)`: two runs give the same data.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from tortoise.transactions import in_transaction

from seed.coverage import seed_coverage_gaps
from seed.evaluation import seed_evaluation
from seed.notices import seed_notices
from seed.onboarding import seed_onboarding
from seed.partners import seed_partners
from seed.points import seed_points
from seed.scale import split_evenly
from seed.volunteering import seed_volunteering
from seed.workorders import seed_work_orders
from services.accounts import create_account, load_actor
from services.enums import AreaKind, AreaLevel, PartyUnitKind, Role
from services.grids import StationInput, create_area, create_district
from services.households import add_member, create_household, link_central_household
from services.kit import clock, db
from services.kit.auth import Actor
from services.models import Area, Household, Person, RoleAssignment, UserAccount
from services.party import add_member as add_party_member
from services.party import create_unit, dissolve_unit, report_to_community
from services.people import assign_role, create_person

DEMO_PASSWORD = "gridpoints-demo"
DISTRICT_NAME = "博山区"
DISTRICT_CODE = "370304"  # 博山区's 区划代码; every area below gets a code from it
DEMO_STREET = "城西街道"
DEMO_COMMUNITY = "颜山社区"
DEMO_GRID = "颜山第一网格"  # G: the grid of the demo story; M is its first micro-grid
COMMERCIAL_GRID = "颜山商业专属网格"
# The party secretary, the leaders and the party-member central household (党员中心户).
PARTY_MEMBER_ACCOUNTS = frozenset(
    {"community_admin", "grid_leader", "microgrid_leader", "central_household", "volunteer"}
)
# The partner unit (a property company) `partner` registered and manages (seed/partners.py).
PARTNER_UNIT_NAME = "博山颜山物业服务有限公司"

# username, role, name, what they do (the demo story shares one micro-grid M in grid G).
_DEMO_PEOPLE: tuple[tuple[str, Role, str, str], ...] = (
    ("district_admin", Role.DISTRICT_ADMIN, "孙立群", "runs the whole 博山区 net"),
    ("street_admin", Role.STREET_ADMIN, "刘海燕", "runs 城西街道"),
    ("community_admin", Role.COMMUNITY_ADMIN, "张红梅", "party secretary of 颜山社区"),
    ("grid_leader", Role.GRID_LEADER, "王德明", "leader of 颜山第一网格 (G)"),
    ("microgrid_leader", Role.MICRO_GRID_LEADER, "赵桂兰", "leader of micro-grid M in G"),
    ("central_household", Role.CENTRAL_HOUSEHOLD, "陈志强", "in M, looks after `resident`"),
    ("rider", Role.PART_TIME_GRID_MEMBER, "马小军", "delivery rider, part-time member of G"),
    ("volunteer", Role.VOLUNTEER, "周晓雯", "volunteer of 颜山社区, lives in G"),
    ("partner", Role.PARTNER_MEMBER, "郑凯", f"staff of the partner unit {PARTNER_UNIT_NAME}"),
    ("resident", Role.RESIDENT, "李淑芬", "resident of M, looked after by `central_household`"),
)
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    (u, r.value, f"{n}: {d}") for u, r, n, d in _DEMO_PEOPLE
]

# street → community → (main road, one residential compound (小区) per residential grid)
PLAN: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "城西街道": {
        "颜山社区": ("颜山路", ("颜山花园", "柳杭小区", "凤凰苑")),
        "西冶街社区": ("西冶街", ("西冶工坊小区", "琉璃苑")),
        "青龙山社区": ("青龙山路", ("青龙山小区", "龙泉苑")),
    },
    "山头街道": {
        "古窑社区": ("古窑路", ("古窑新村", "陶瓷厂宿舍")),
        "福山社区": ("福山路", ("福山小区", "白虎山苑")),
    },
}
_ORDINALS = "一二三四五六"
_SURNAMES = "王张李刘孙赵陈杨徐高马周于孟宋韩任翟袁毕崔郑谢田冯董吕石魏蒋朱曹"
_GIVEN = "建国华明伟芳秀英丽敏静强磊军洋勇艳杰娟涛超霞平刚桂兰玉梅红淑珍凤"
_GIVEN += "海波宁鹏辉林志德文晓雪慧婷欣浩宇晨佳振祥福春立新"
_SHOPS = ("琉璃坊", "陶瓷店", "酥锅店", "便利店", "药店", "理发店", "烧烤店", "水果店", "五金店")
_PARTY_UNIT_NAMES = {
    PartyUnitKind.DISTRICT_PARTY_COMMITTEE: "中共{}委员会",
    PartyUnitKind.STREET_PARTY_WORKING_COMMITTEE: f"中共{DISTRICT_NAME}{{}}工作委员会",
    PartyUnitKind.COMMUNITY_PARTY_ORGANIZATION: f"中共{DISTRICT_NAME}{{}}委员会",
    PartyUnitKind.GRID_PARTY_BRANCH: "{}党支部",
    PartyUnitKind.MICRO_GRID_PARTY_GROUP: "{}党小组",
}
_HOURS = ("周一至周五 8:30-17:30", "每日 8:00-18:00", "周一至周六 9:00-17:00")
HOUSEHOLDS_PER_BUILDING = 24  # 2 units × 6 floors × 2 flats
MAX_CARE = 20  # a central household looks after 10-20 neighbours


async def bootstrap_district_admin(
    *, district: Area, username: str, password: str, name: str, phone: str
) -> UserAccount:
    """The first admin's account and DISTRICT_ADMIN role (written directly, see the comment)."""
    account = await create_account(username=username, password=password, name=name, phone=phone)
    # assign_role needs an actor who administers the level above; before the first district admin
    # nobody does, so this one grant is written directly (the same row assign_role would write).
    await RoleAssignment.create(
        person_id=account.person_id,
        role=Role.DISTRICT_ADMIN,
        area_id=district.id,
        area_path=district.path,
        since=clock.now(),
    )
    return account


async def seed_demo() -> bool:
    """Seed the demo district into an empty database; False (and nothing done) otherwise."""
    # One transaction: a failed seed leaves nothing half-written, and it is much faster on SQLite.
    async with in_transaction() as conn:
        if db.dialect() == "postgres":
            # Two processes starting at once (several workers) must not both seed.
            await conn.execute_query("SELECT pg_advisory_xact_lock(424242)")
        if await Area.exists():
            return False
        await _Builder().build()
    return True


def _homes(
    rng: random.Random, street_no: str, compound: str, first: int, size: int
) -> list[tuple[str, str | None, str | None, str | None]]:
    """Addresses (address, building, unit, room) of `size` homes from building/shop `first` on."""
    if not compound:  # a commercial grid's "households" are shops along the street
        shop = f"{DISTRICT_NAME}{street_no}{{}}号 {{}}"
        return [(shop.format(first + i, rng.choice(_SHOPS)), None, None, None) for i in range(size)]
    address = f"{DISTRICT_NAME}{street_no}{compound}"
    return [
        (  # 2 units of 6 floors with 2 flats each per building
            address,
            f"{first + i // HOUSEHOLDS_PER_BUILDING}号楼",
            f"{i % HOUSEHOLDS_PER_BUILDING // 12 + 1}单元",
            f"{i % 12 // 2 + 1}0{i % 2 + 1}",
        )
        for i in range(size)
    ]


class _Builder:
    """Walks PLAN top-down, creating everything through the services as the district admin."""

    def __init__(self) -> None:
        self.rng = random.Random(42)
        self.groups = 0
        self.children: dict[int, int] = {}  # areas created under each area so far (codes)
        self.people: dict[str, Person] = {}  # the demo accounts' persons, by username
        self.demo_volunteers: list[Person] = []  # of the demo community, `volunteer` last
        # The party members of the grid being built (for its branch), and the secretaries of
        # the community's grid branches (for its party organisation).
        self.party_members: list[Person] = []
        self.branch_secretaries: list[Person] = []
        self.actor: Actor

    async def area(
        self,
        parent: Area,
        name: str,
        level: AreaLevel,
        *,
        group: str,
        kind: AreaKind = AreaKind.RESIDENTIAL,
        station: StationInput | None = None,
    ) -> Area:
        """A child area with its contact group (一格一群): a chat group's name and join link."""
        self.groups += 1
        return await create_area(
            actor=self.actor,
            parent_id=parent.id,
            name=name,
            level=level,
            kind=kind,
            code=self.child_code(parent),
            contact_group_name=f"{group}群",
            contact_group_link=f"https://qun.example.com/boshan/{self.groups:04d}",
            station=station,
        )

    def child_code(self, parent: Area) -> str:
        """The next code under `parent`: its code and the child's number, three digits (a street
        of 博山区 370304 is 370304001, its first community 370304001001, as 区划代码 run)."""
        self.children[parent.id] = self.children.get(parent.id, 0) + 1
        return f"{parent.code}{self.children[parent.id]:03d}"

    async def person(self, *, party_share: float, household: Household | None = None) -> Person:
        """A new person with a Chinese name and a mobile number (in a household, or staff)."""
        rng = self.rng
        given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
        mobile = f"1{rng.choice('3578')}{rng.choice('0125689')}{rng.randrange(10**8):08d}"
        return await create_person(
            actor=self.actor,
            name=rng.choice(_SURNAMES) + given,
            phone=mobile,
            party_member=self.rng.random() < party_share,
            household_id=household.id if household else None,
        )

    async def role(self, person: Person, role: Role, area: Area) -> None:
        await assign_role(actor=self.actor, person_id=person.id, role=role, area_id=area.id)

    async def party_unit(
        self, area: Area, kind: PartyUnitKind, secretary: Person, members: Sequence[Person] = ()
    ) -> int:
        """The area's party unit, its secretary (a member, recorded as a party member) and the
        other members given; the unit's id."""
        name = _PARTY_UNIT_NAMES[kind].format(area.name)
        unit = await create_unit(
            actor=self.actor, area_id=area.id, kind=kind, name=name, secretary_id=secretary.id
        )
        for member in members:
            if member.id != secretary.id:
                await add_party_member(actor=self.actor, unit_id=unit.id, person_id=member.id)
        return unit.id

    async def appoint(self, username: str, is_demo: bool, role: Role, area: Area) -> Person:
        """Appoint the demo account's person where the story puts it, else a new staff member."""
        person = self.people[username] if is_demo else await self.person(party_share=0.8)
        await self.role(person, role, area)
        return person

    async def build(self) -> None:
        district = await create_district(name=DISTRICT_NAME, code=DISTRICT_CODE)
        phones = {username: f"1395331{i:04d}" for i, (username, *_) in enumerate(_DEMO_PEOPLE)}
        (admin, _, admin_name, _), *others = _DEMO_PEOPLE
        account = await bootstrap_district_admin(
            district=district,
            username=admin,
            password=DEMO_PASSWORD,
            name=admin_name,
            phone=phones[admin],
        )
        actor = await load_actor(account_id=account.id)
        assert actor is not None  # just created and active
        self.actor = actor
        await self.party_unit(
            district, PartyUnitKind.DISTRICT_PARTY_COMMITTEE, await Person.get(id=actor.person_id)
        )
        for username, _, name, _ in others:
            created = await create_account(
                username=username,
                password=DEMO_PASSWORD,
                name=name,
                phone=phones[username],
                party_member=username in PARTY_MEMBER_ACCOUNTS,
            )
            self.people[username] = await Person.get(id=created.person_id)
        for street_name, communities in PLAN.items():
            group = f"{street_name}网格工作"
            street = await self.area(district, street_name, AreaLevel.STREET, group=group)
            secretary = await self.appoint(
                "street_admin", street_name == DEMO_STREET, Role.STREET_ADMIN, street
            )
            await self.party_unit(street, PartyUnitKind.STREET_PARTY_WORKING_COMMITTEE, secretary)
            for name, (road, compounds) in communities.items():
                await self.community(street, name, road, compounds)
        # 个人双报到: the demo central household has reported to the community where he lives
        # (`volunteer`, a party member too, has not: she can try it).
        await report_to_community(
            actor=self.actor,
            community_id=(await Area.get(name=DEMO_COMMUNITY)).id,
            person_id=self.people["central_household"].id,
        )
        await seed_points(
            community=await Area.get(name=DEMO_COMMUNITY), volunteers=self.demo_volunteers
        )
        await seed_evaluation(community=await Area.get(name=DEMO_COMMUNITY))
        await seed_partners(
            community=await Area.get(name=DEMO_COMMUNITY), property_company=PARTNER_UNIT_NAME
        )
        await seed_volunteering(community=await Area.get(name=DEMO_COMMUNITY))
        await seed_notices()
        await seed_work_orders(community=await Area.get(name=DEMO_COMMUNITY))
        await seed_onboarding(password=DEMO_PASSWORD)
        # Last, so the ids of everything above stay as they were.
        await seed_coverage_gaps(actor=actor)

    async def community(
        self, street: Area, name: str, road: str, compounds: tuple[str, ...]
    ) -> None:
        community = await self.area(street, name, AreaLevel.COMMUNITY, group=f"{name}居民")
        is_demo = name == DEMO_COMMUNITY
        admin = await self.appoint("community_admin", is_demo, Role.COMMUNITY_ADMIN, community)
        short = name.removesuffix("社区")
        plain: list[Person] = []
        self.branch_secretaries = []
        for i, compound in enumerate(compounds):
            street_no = f"{road}{self.rng.randint(1, 199)}号"
            plain += await self.grid(community, f"{short}第{_ORDINALS[i]}网格", street_no, compound)
        if is_demo:
            plain += await self.grid(community, COMMERCIAL_GRID, f"{short}步行街", "")
        # The community's party organisation: its secretary and the grid branches' secretaries.
        await self.party_unit(
            community,
            PartyUnitKind.COMMUNITY_PARTY_ORGANIZATION,
            admin,
            self.branch_secretaries,
        )
        volunteers = self.rng.sample(plain, 3)
        if is_demo:
            volunteers.append(self.people["volunteer"])
            await self.role(self.people["partner"], Role.PARTNER_MEMBER, community)
        for person in volunteers:
            await self.role(person, Role.VOLUNTEER, community)
        if is_demo:
            self.demo_volunteers = volunteers

    async def grid(self, community: Area, name: str, street_no: str, compound: str) -> list[Person]:
        """A grid with station, contact group, party branch, leader, micro-grids and a rider.

        `compound` is the residential compound (小区) it covers; empty for the commercial grid.
        """
        commercial = not compound
        place = compound or street_no
        station = StationInput(
            name=f"{place}网格驿站",
            address=f"{DISTRICT_NAME}{street_no}{compound}{'1号楼一楼' if compound else '1号'}",
            hours=self.rng.choice(_HOURS),
        )
        grid = await self.area(
            community,
            name,
            AreaLevel.GRID,
            kind=AreaKind.COMMERCIAL if commercial else AreaKind.RESIDENTIAL,
            station=station,
            group=f"{name}{'商户' if commercial else '居民'}",
        )
        is_demo = name == DEMO_GRID
        plain: list[Person] = []
        self.party_members = []
        first = 1  # the first building (or shop number) of the next micro-grid
        for m in range(self.rng.randint(2, 3)):
            size = self.rng.randint(20, 40)
            homes = _homes(self.rng, street_no, compound, first, size)
            if commercial:
                micro_name, first = f"{place}{_ORDINALS[m]}段微网格", first + size
            else:
                last = first + math.ceil(size / HOUSEHOLDS_PER_BUILDING) - 1
                micro_name, first = f"{compound}{first}-{last}号楼微网格", last + 1
            micro = await self.area(grid, micro_name, AreaLevel.MICRO_GRID, group=micro_name)
            households = [
                await create_household(
                    actor=self.actor,
                    area_id=micro.id,
                    address=address,
                    building=building,
                    unit=unit,
                    room=room,
                    member_count=self.rng.randint(1, 5),
                )
                for address, building, unit, room in homes
            ]
            story = is_demo and m == 0  # micro-grid M
            lodgers = [self.people["resident"]] if story else []
            if is_demo and m == 1:
                lodgers = [self.people["grid_leader"], self.people["volunteer"]]
            plain += await self.micro_grid(micro, households, story=story, lodgers=lodgers)
        leader = (
            self.people["grid_leader"] if is_demo else plain.pop(self.rng.randrange(len(plain)))
        )
        await self.role(leader, Role.GRID_LEADER, grid)
        if commercial:
            # History: the street's joint branch, dissolved when the grid got its own.
            dissolved = await self.party_unit(grid, PartyUnitKind.GRID_PARTY_BRANCH, leader)
            await dissolve_unit(
                actor=self.actor, unit_id=dissolved, reason="商户党员转入本网格党支部"
            )
        await self.party_unit(grid, PartyUnitKind.GRID_PARTY_BRANCH, leader, self.party_members)
        self.branch_secretaries.append(leader)
        if not commercial:
            rider = self.people["rider"] if is_demo else await self.person(party_share=0.1)
            await self.role(rider, Role.PART_TIME_GRID_MEMBER, grid)
        return plain

    async def micro_grid(
        self, micro: Area, homes: list[Household], *, story: bool, lodgers: list[Person]
    ) -> list[Person]:
        """One person per household, a leader, central households caring for 10-20 homes each.

        `lodgers` (demo accounts) move into households here; in the story micro-grid M the demo
        central household, leader and resident live here too, the resident in the central
        household's charge. Returns the people who hold no role here.
        """
        chunks = split_evenly(len(homes), MAX_CARE)
        central = [0 if story and j == 0 else self.rng.choice(c) for j, c in enumerate(chunks)]
        free = [i for i in range(len(homes)) if i not in central]
        leader = free.pop(0 if story else self.rng.randrange(len(free)))
        placed = dict(zip(free, lodgers, strict=False))  # lodgers land in chunk 0 (>= 10 homes)
        if story:
            placed[central[0]] = self.people["central_household"]
            placed[leader] = self.people["microgrid_leader"]
        people: list[Person] = []
        for i, home in enumerate(homes):
            if i in placed:
                person_id = placed[i].id
                people.append(
                    await add_member(actor=self.actor, household_id=home.id, person_id=person_id)
                )
            else:
                share = 0.7 if i == leader else 0.5 if i in central else 0.1
                people.append(await self.person(party_share=share, household=home))
        await self.role(people[leader], Role.MICRO_GRID_LEADER, micro)
        # The micro-grid's party members form its party group (and belong to the grid's branch).
        party = [p for p in people if p.party_member and p.id != people[leader].id]
        await self.party_unit(micro, PartyUnitKind.MICRO_GRID_PARTY_GROUP, people[leader], party)
        self.party_members += [people[leader], *party]
        for chunk, index in zip(chunks, central, strict=True):
            await self.role(people[index], Role.CENTRAL_HOUSEHOLD, micro)
            for i in chunk:
                await link_central_household(
                    actor=self.actor, household_id=homes[i].id, central_person_id=people[index].id
                )
        taken = {leader, *central, *placed}
        return [p for i, p in enumerate(people) if i not in taken]
