"""Persons (services.people.persons): who sees whom, listing, registering people."""

from __future__ import annotations

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import households, people
from services.enums import Role
from services.errors import Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import Household, Person, RoleAssignment
from tests.conftest import Database, actor_for
from tests.services.people.support import M, area, person_of, roles_state

DEMO_PHONE_PREFIX = "1395331"  # the demo accounts' numbers (seed/demo.py)


async def names(username: str, **filters: object) -> set[str]:
    page = await people.list_people(
        actor=await actor_for(username), window=Window(first=1000), **filters
    )
    assert not page.has_next
    return {v.person.name for v in page.items}


class TestVisibility:
    """Who sees whom, and what the full view carries."""

    @pytest.mark.parametrize(
        ("viewer", "subject", "seen"),
        [
            # viewer             subject             seen: "full" (with phone), "public", None
            (None, "microgrid_leader", "public"),  # a duty-card holder: name, to anyone
            ("volunteer", "microgrid_leader", "public"),
            ("microgrid_leader", "microgrid_leader", "full"),  # oneself
            ("grid_leader", "microgrid_leader", "full"),  # the leader above
            ("central_household", "microgrid_leader", "full"),  # looks after the leader's home
            (None, "resident", None),  # no duty role: hidden
            ("volunteer", "resident", None),
            ("central_household", "resident", "full"),
            ("community_admin", "resident", "full"),
            (None, "volunteer", None),  # volunteers carry no duty card
            ("resident", "partner", None),
            ("community_admin", "partner", "full"),  # holds a role in the admin's community
            ("grid_leader", "rider", "full"),  # holds a role in the leader's grid
            ("microgrid_leader", "rider", "public"),
        ],
    )
    async def test_who_sees_whom(
        self, db: Database, viewer: str | None, subject: str, seen: str | None
    ) -> None:
        # given a viewer (None: anonymous) and a demo person
        actor = await actor_for(viewer) if viewer else None
        person = await person_of(subject)
        # when the viewer looks them up, alone and in a batch
        (batched,) = await people.people_by_ids(actor=actor, person_ids=[person.id])
        try:
            view = await people.get_person(actor=actor, person_id=person.id)
        except NotFound:
            got = None
        else:
            got = "full" if view.full else "public"
            assert view.person.name == person.name  # the name is always there when seen at all
        # then the view is as expected, and the batch agrees
        assert got == seen
        assert (None if batched is None else "full" if batched.full else "public") == seen

    async def test_the_full_view_is_what_carries_the_phone(self, db: Database) -> None:
        # given the micro-grid leader's phone
        leader = await person_of("microgrid_leader")
        assert leader.phone
        # when an outsider and the leader above look them up
        public = await people.get_person(actor=None, person_id=leader.id)
        full = await people.get_person(actor=await actor_for("grid_leader"), person_id=leader.id)
        # then only the leader above gets a full view (the schema shows the phone for it alone:
        # tests/schema/test_nodes.py checks that end of it)
        assert (public.full, full.full) == (False, True)
        assert public.person.name == full.person.name == leader.name


class TestListPeople:
    async def test_list_people_searches_names_and_phone_prefixes(self, db: Database) -> None:
        # given the demo accounts of 颜山社区
        # when the community admin searches by name, by phone prefix, and by a phone's middle
        by_name = await names("community_admin", search=" 李淑芬 ")
        by_part_of_name = await names("community_admin", search="淑芬")
        by_prefix = await names("community_admin", search=DEMO_PHONE_PREFIX)
        by_middle = await names("community_admin", search=DEMO_PHONE_PREFIX[2:])
        # then the name finds the resident, the prefix the eight demo people of the community
        assert by_name == by_part_of_name == {"李淑芬"}
        assert by_prefix == {
            "张红梅",
            "王德明",
            "赵桂兰",
            "陈志强",
            "马小军",
            "周晓雯",
            "郑凯",
            "李淑芬",
        }
        # and a phone matches from its start only
        assert not any(n in by_middle for n in by_prefix)
        # and the grid leader's search stays inside the grid (no community admin, no partner)
        assert await names("grid_leader", search=DEMO_PHONE_PREFIX) == by_prefix - {
            "张红梅",
            "郑凯",
        }

    async def test_list_people_filters_by_role(self, db: Database) -> None:
        # given M
        micro = await area(M)
        central = {
            p.name
            for p in await Person.filter(
                id__in=await RoleAssignment.filter(
                    area_id=micro.id, role=Role.CENTRAL_HOUSEHOLD, until=None
                ).values_list("person_id", flat=True)
            )
        }
        # when its leader lists its central households, and the community admin its volunteers
        listed = await names("microgrid_leader", under_id=micro.id, role=Role.CENTRAL_HOUSEHOLD)
        volunteers = await names("community_admin", role=Role.VOLUNTEER)
        # then they are exactly those
        assert listed == central and "陈志强" in listed
        community = await area(DEMO_COMMUNITY)
        assert volunteers == {
            p.name
            for p in await Person.filter(
                id__in=await RoleAssignment.filter(
                    area_id=community.id, role=Role.VOLUNTEER, until=None
                ).values_list("person_id", flat=True)
            )
        }
        assert "周晓雯" in volunteers

    async def test_list_people_covers_residents_and_role_holders_of_the_area(
        self, db: Database
    ) -> None:
        # given the demo grid: its households' members, and people holding a role in it
        grid = await area(DEMO_GRID)
        homes = await Household.filter(path__startswith=grid.path).values_list("id", flat=True)
        living = set(await Person.filter(household_id__in=homes).values_list("id", flat=True))
        holding = set(
            await RoleAssignment.filter(area_path__startswith=grid.path, until=None).values_list(
                "person_id", flat=True
            )
        )
        # when its leader lists people
        page = await people.list_people(
            actor=await actor_for("grid_leader"), window=Window(first=1000)
        )
        # then it is exactly those (the rider has no home in the grid but holds a role in it)
        assert {v.person.id for v in page.items} == living | holding
        assert (await person_of("rider")).id in holding - living
        assert await page.count() == len(living | holding)

    @pytest.mark.parametrize("username", ["volunteer", "central_household", "resident", "partner"])
    async def test_only_admins_and_leaders_list_people(self, db: Database, username: str) -> None:
        # given someone who leads nothing / when they list people / then Forbidden
        with pytest.raises(Forbidden):
            await people.list_people(actor=await actor_for(username), window=Window(first=10))


class TestFindNewSignUps:
    """`newcomer` signed up and is placed nowhere yet (seed/onboarding.py)."""

    @pytest.mark.parametrize("search", ["newcomer", "13953319901", " 13953319901 "])
    async def test_admins_find_an_unplaced_sign_up_by_exact_username_or_phone(
        self, db: Database, search: str
    ) -> None:
        assert "吴晓燕" in await names("community_admin", search=search)
        assert "吴晓燕" in await names("district_admin", search=search)

    @pytest.mark.parametrize("search", ["newcome", "1395331990", "吴晓燕", "晓燕"])
    async def test_a_part_of_it_finds_nobody_unplaced(self, db: Database, search: str) -> None:
        assert "吴晓燕" not in await names("community_admin", search=search)

    @pytest.mark.parametrize("username", ["grid_leader", "microgrid_leader"])
    async def test_leaders_do_not_find_unplaced_people(self, db: Database, username: str) -> None:
        assert await names(username, search="13953319901") == set()
        assert await names(username, search="newcomer") == set()

    async def test_a_placed_person_is_found_by_username_only_in_scope(self, db: Database) -> None:
        # given `resident` of 颜山社区: found by username by the admin of their community
        assert await names("community_admin", search="resident") == {"李淑芬"}
        # but not by the admin of another community
        admin = await actor_for("district_admin")
        other = await area("古窑社区")
        page = await people.list_people(
            actor=admin, under_id=other.id, search="resident", window=Window(first=10)
        )
        assert page.items == []
        assert await names("district_admin", search="resident") == {"李淑芬"}

    async def test_the_found_sign_up_can_be_placed(self, db: Database) -> None:
        # given the newcomer found by phone
        admin = await actor_for("community_admin")
        page = await people.list_people(actor=admin, search="13953319901", window=Window(first=10))
        (found,) = [v.person for v in page.items if v.person.name == "吴晓燕"]
        # when the admin adds them to a household of M
        home = await Household.filter(micro_grid__name=M).order_by("-id").first()
        assert home is not None
        await households.add_member(actor=admin, household_id=home.id, person_id=found.id)
        # then they live there, and an exact search still finds them (now in scope)
        assert (await Person.get(id=found.id)).household_id == home.id
        assert "吴晓燕" in await names("community_admin", search="newcomer")


class TestCreatePerson:
    @pytest.mark.parametrize(
        ("field", "name", "phone"),
        [
            ("name", "  ", None),
            ("name", "名" * 51, None),
            ("phone", "王五", "12-34"),
            ("phone", "王五", "phone"),
        ],
    )
    async def test_create_person_checks_name_and_phone(
        self, db: Database, field: str, name: str, phone: str | None
    ) -> None:
        # given the district admin
        before = await Person.all().count()
        # when a person with a bad name or phone is registered / then refused on that field
        with pytest.raises(InvalidInput) as err:
            await people.create_person(
                actor=await actor_for("district_admin"), name=name, phone=phone
            )
        assert err.value.field == field
        assert await Person.all().count() == before

    async def test_create_person_normalises_the_phone(self, db: Database) -> None:
        # given a number written with spaces and dashes
        # when a person is registered with it / then it is stored as digits
        made = await people.create_person(
            actor=await actor_for("district_admin"), name=" 王五 ", phone=" 139-5331 0099 "
        )
        stored = await Person.get(id=made.id)
        assert (stored.name, stored.phone) == ("王五", "13953310099")

    async def test_only_admins_register_people(self, db: Database) -> None:
        # given a leader (reads, administers nothing) and the resident's household
        leader = await actor_for("microgrid_leader")
        home = (await actor_for("resident")).household_id
        before = await Person.all().count()
        # when they register someone without a household, or in the resident's household
        with pytest.raises(Forbidden):
            await people.create_person(actor=leader, name="王五")
        with pytest.raises(Forbidden):
            await people.create_person(actor=leader, name="王五", household_id=home)
        # then nobody was registered
        assert await Person.all().count() == before

    async def test_an_admin_cannot_pull_in_a_person_from_elsewhere_by_id(
        self, db: Database
    ) -> None:
        # given a resident living in another street (山头街道), invisible to 颜山社区's admin
        stranger = await Person.filter(
            household__path__startswith=(await area("古窑社区")).path
        ).first()
        assert stranger is not None
        admin = await actor_for("community_admin")
        yanshan = await area(DEMO_COMMUNITY)
        home = await Household.filter(path__startswith=yanshan.path).first()
        assert home is not None
        before = await roles_state()
        # when the admin appoints them, or adds them to a household of 颜山社区, by a guessed id
        with pytest.raises(NotFound):
            await people.assign_role(
                actor=admin, person_id=stranger.id, role=Role.VOLUNTEER, area_id=yanshan.id
            )
        with pytest.raises(NotFound):
            await households.add_member(actor=admin, household_id=home.id, person_id=stranger.id)
        # then nothing changed and the stranger's details stay hidden
        assert await roles_state() == before
        assert (await Person.get(id=stranger.id)).household_id == stranger.household_id
        with pytest.raises(NotFound):
            await people.get_person(actor=admin, person_id=stranger.id)
