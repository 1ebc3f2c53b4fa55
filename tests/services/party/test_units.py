"""Party units: set up at each level, secretaries and members as people, dissolution."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services import party
from services.enums import AreaLevel, PartyUnitKind
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from services.grids import create_area
from services.kit import clock
from services.kit.pagination import Window
from services.models import Area, PartyMembership, PartyUnit, Person, UserAccount
from services.people import create_person
from tests.conftest import Database, actor_for

YANSHAN = "颜山社区"
GRID_G = "颜山第一网格"


def recent(moment: datetime | None) -> bool:
    """Written by the service clock just now (the pinned clock moves on with the test)."""
    return moment is not None and timedelta(0) <= clock.now() - moment < timedelta(minutes=5)


async def person_of(username: str) -> Person:
    return await Person.get(id=(await UserAccount.get(username=username)).person_id)


async def unit_of(name: str) -> PartyUnit:
    return await PartyUnit.get(area_id=(await Area.get(name=name)).id, dissolved_at=None)


async def new_micro_grid(name: str = "新微网格") -> Area:
    grid = await Area.get(name=GRID_G)
    return await create_area(
        actor=await actor_for("community_admin"),
        parent_id=grid.id,
        name=name,
        level=AreaLevel.MICRO_GRID,
    )


async def resident_in(community: str) -> Person:
    """A person living in the community who is in no party unit."""
    area = await Area.get(name=community)
    rows = await Person.filter(household__path__startswith=area.path, party_member=False).order_by(
        "id"
    )
    return rows[0]


class TestCreateUnit:
    async def test_a_secretary_by_id_becomes_a_member(self, db: Database) -> None:
        # given a new micro-grid and a resident of the community (not a party member yet)
        admin = await actor_for("community_admin")
        micro = await new_micro_grid()
        person = await resident_in(YANSHAN)
        # when its party group is set up with the resident as secretary
        unit = await party.create_unit(
            actor=admin,
            area_id=micro.id,
            kind=PartyUnitKind.MICRO_GRID_PARTY_GROUP,
            name=" 新微网格党小组 ",
            secretary_id=person.id,
        )
        # then the unit names the person, who is its first member and a party member
        assert (unit.name, unit.secretary_id, unit.secretary_name) == (
            "新微网格党小组",
            person.id,
            None,
        )
        assert recent(unit.created_at)
        assert await PartyMembership.exists(unit_id=unit.id, person_id=person.id, left_at=None)
        assert (await Person.get(id=person.id)).party_member

    async def test_a_name_alone_is_kept_as_text(self, db: Database) -> None:
        micro = await new_micro_grid()
        unit = await party.create_unit(
            actor=await actor_for("community_admin"),
            area_id=micro.id,
            kind=PartyUnitKind.MICRO_GRID_PARTY_GROUP,
            name="新微网格党小组",
            secretary_name=" 外来书记 ",
        )
        assert (unit.secretary_id, unit.secretary_name) == (None, "外来书记")
        assert not await PartyMembership.exists(unit_id=unit.id)

    @pytest.mark.parametrize(
        ("username", "area_name", "kind", "error", "field"),
        [
            # the kind must match the area's level
            ("community_admin", YANSHAN, PartyUnitKind.GRID_PARTY_BRANCH, InvalidInput, "kind"),
            (
                "district_admin",
                "城西街道",
                PartyUnitKind.DISTRICT_PARTY_COMMITTEE,
                InvalidInput,
                "kind",
            ),
            # one active unit a kind and area
            (
                "street_admin",
                "城西街道",
                PartyUnitKind.STREET_PARTY_WORKING_COMMITTEE,
                Conflict,
                "kind",
            ),
            # admins of the area only
            (
                "community_admin",
                "城西街道",
                PartyUnitKind.STREET_PARTY_WORKING_COMMITTEE,
                Forbidden,
                None,
            ),
            ("grid_leader", GRID_G, PartyUnitKind.GRID_PARTY_BRANCH, Forbidden, None),
        ],
    )
    async def test_refusals_write_nothing(
        self,
        db: Database,
        username: str,
        area_name: str,
        kind: PartyUnitKind,
        error: type[Exception],
        field: str | None,
    ) -> None:
        area = await Area.get(name=area_name)
        before = await PartyUnit.all().count()
        with pytest.raises(error) as raised:
            await party.create_unit(
                actor=await actor_for(username), area_id=area.id, kind=kind, name="某党组织"
            )
        assert getattr(raised.value, "field", None) == field
        assert await PartyUnit.all().count() == before

    async def test_anonymous_and_unknown_secretary(self, db: Database) -> None:
        micro = await new_micro_grid()
        kind = PartyUnitKind.MICRO_GRID_PARTY_GROUP
        with pytest.raises(Unauthenticated):
            await party.create_unit(actor=None, area_id=micro.id, kind=kind, name="甲")
        with pytest.raises(NotFound) as raised:
            await party.create_unit(
                actor=await actor_for("community_admin"),
                area_id=micro.id,
                kind=kind,
                name="甲",
                secretary_id=10**9,
            )
        assert raised.value.field == "secretaryId"
        assert not await PartyUnit.exists(area_id=micro.id)


class TestMembers:
    async def test_add_and_remove_keep_history(self, db: Database) -> None:
        # given the community admin and a resident of 颜山社区 in no unit
        admin = await actor_for("community_admin")
        unit = await unit_of(YANSHAN)
        person = await resident_in(YANSHAN)
        # when the resident is added
        membership = await party.add_member(actor=admin, unit_id=unit.id, person_id=person.id)
        # then they are a member and recorded as a party member
        assert (membership.person_id, membership.left_at) == (person.id, None)
        assert (await Person.get(id=person.id)).party_member
        (counted,) = await party.member_counts(unit_ids=[unit.id])
        # and adding them again is a conflict
        with pytest.raises(Conflict):
            await party.add_member(actor=admin, unit_id=unit.id, person_id=person.id)
        # when they are removed with a reason
        ended = await party.remove_member(
            actor=admin, unit_id=unit.id, person_id=person.id, reason="组织关系转出"
        )
        # then the membership ended and is kept
        assert (ended.id, ended.leave_reason) == (membership.id, "组织关系转出")
        assert recent(ended.left_at)
        assert await party.member_counts(unit_ids=[unit.id]) == [counted - 1]
        # and removing them again finds no membership
        with pytest.raises(NotFound):
            await party.remove_member(actor=admin, unit_id=unit.id, person_id=person.id)

    async def test_one_unit_of_each_level(self, db: Database) -> None:
        # given a person in the party group of micro-grid M
        admin = await actor_for("community_admin")
        volunteer = await person_of("volunteer")
        (current,) = [
            m
            for m in await PartyMembership.filter(person_id=volunteer.id, left_at=None)
            if m.kind is PartyUnitKind.MICRO_GRID_PARTY_GROUP
        ]
        other = (
            await PartyUnit.filter(kind=PartyUnitKind.MICRO_GRID_PARTY_GROUP, dissolved_at=None)
            .exclude(id=current.unit_id)
            .first()
        )
        assert other is not None
        # when they are added to another party group
        with pytest.raises(Conflict) as raised:
            await party.add_member(actor=admin, unit_id=other.id, person_id=volunteer.id)
        # then it is refused: one unit of each level a person
        assert raised.value.field == "personId"
        assert not await PartyMembership.exists(unit_id=other.id, person_id=volunteer.id)

    async def test_the_secretary_stays(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        unit = await unit_of(YANSHAN)
        assert unit.secretary_id is not None
        with pytest.raises(Conflict):
            await party.remove_member(actor=admin, unit_id=unit.id, person_id=unit.secretary_id)
        assert await PartyMembership.exists(
            unit_id=unit.id, person_id=unit.secretary_id, left_at=None
        )

    async def test_outside_scope(self, db: Database) -> None:
        # given a unit of another community and a person there
        unit = await unit_of("古窑社区")
        person = await resident_in("古窑社区")
        # when the 颜山社区 admin adds the person there, or a resident of their own there
        admin = await actor_for("community_admin")
        with pytest.raises(Forbidden):
            await party.add_member(actor=admin, unit_id=unit.id, person_id=person.id)
        # and when the 古窑 admin's scope does not hold the person
        street = await actor_for("district_admin")
        with pytest.raises(NotFound):
            await party.add_member(actor=street, unit_id=unit.id, person_id=10**9)
        assert not await PartyMembership.exists(unit_id=unit.id, person_id=person.id)


class TestUpdateUnit:
    async def test_rename_and_change_secretary(self, db: Database) -> None:
        # given 颜山社区's party organisation and a resident who is in no unit
        admin = await actor_for("community_admin")
        unit = await unit_of(YANSHAN)
        person = await resident_in(YANSHAN)
        # when it is renamed and the resident made secretary
        changed = await party.update_unit(
            actor=admin,
            unit_id=unit.id,
            changes={"name": "中共颜山社区总支部委员会", "secretary_id": person.id},
        )
        # then both changed, and the new secretary is a member
        assert (changed.name, changed.secretary_id) == ("中共颜山社区总支部委员会", person.id)
        assert await PartyMembership.exists(unit_id=unit.id, person_id=person.id, left_at=None)
        # and the former secretary stays a member (removable now)
        assert unit.secretary_id is not None
        await party.remove_member(actor=admin, unit_id=unit.id, person_id=unit.secretary_id)
        # when the secretary is cleared
        cleared = await party.update_unit(
            actor=admin, unit_id=unit.id, changes={"secretary_id": None}
        )
        assert (cleared.secretary_id, cleared.secretary_name) == (None, None)

    async def test_refused(self, db: Database) -> None:
        unit = await unit_of(YANSHAN)
        with pytest.raises(Forbidden):
            await party.update_unit(
                actor=await actor_for("grid_leader"), unit_id=unit.id, changes={"name": "改"}
            )
        with pytest.raises(InvalidInput):
            await party.update_unit(
                actor=await actor_for("community_admin"), unit_id=unit.id, changes={"name": " "}
            )
        with pytest.raises(NotFound):
            await party.update_unit(
                actor=await actor_for("community_admin"), unit_id=10**9, changes={"name": "改"}
            )
        assert (await PartyUnit.get(id=unit.id)).name == unit.name


class TestDissolveUnit:
    async def test_history_is_kept_and_a_new_unit_may_follow(self, db: Database) -> None:
        # given the party branch of grid G with its members
        admin = await actor_for("community_admin")
        unit = await unit_of(GRID_G)
        members = await PartyMembership.filter(unit_id=unit.id, left_at=None).count()
        assert members > 1
        # when it is dissolved with a reason
        dissolved = await party.dissolve_unit(actor=admin, unit_id=unit.id, reason=" 网格调整 ")
        # then it is kept, dated, with who and why, and no longer listed as active
        assert (dissolved.dissolved_by_id, dissolved.dissolve_reason) == (
            admin.person_id,
            "网格调整",
        )
        assert recent(dissolved.dissolved_at)
        (active,) = await party.units_by_area(area_ids=[unit.area_id])
        assert active == []
        page = await party.dissolved_units(area_id=unit.area_id, window=Window(first=10))
        assert [u.id for u in page.items] == [unit.id]
        # and its memberships ended with it, still listed as its members when dissolved
        assert not await PartyMembership.exists(unit_id=unit.id, left_at=None)
        shown = await party.unit_members(actor=admin, unit=dissolved, window=Window(first=100))
        assert len(shown.items) == members
        # and it cannot be changed any more
        with pytest.raises(Conflict):
            await party.dissolve_unit(actor=admin, unit_id=unit.id, reason="再次")
        with pytest.raises(Conflict):
            await party.add_member(
                actor=admin, unit_id=unit.id, person_id=(await resident_in(YANSHAN)).id
            )
        # and the grid may have a new branch, its old members free to join it
        new = await party.create_unit(
            actor=admin,
            area_id=unit.area_id,
            kind=PartyUnitKind.GRID_PARTY_BRANCH,
            name="颜山第一网格新党支部",
            secretary_id=dissolved.secretary_id,
        )
        assert new.id != unit.id

    async def test_a_reason_is_required_and_admins_only(self, db: Database) -> None:
        unit = await unit_of(GRID_G)
        with pytest.raises(InvalidInput):
            await party.dissolve_unit(
                actor=await actor_for("community_admin"), unit_id=unit.id, reason=" "
            )
        with pytest.raises(Forbidden):
            await party.dissolve_unit(
                actor=await actor_for("grid_leader"), unit_id=unit.id, reason="x"
            )
        assert (await PartyUnit.get(id=unit.id)).dissolved_at is None


class TestMembersList:
    async def test_who_sees_the_members(self, db: Database) -> None:
        unit = await unit_of(GRID_G)
        # admins and leaders of the area do, and members of the unit
        for username in ("community_admin", "grid_leader", "volunteer"):
            page = await party.unit_members(
                actor=await actor_for(username), unit=unit, window=Window(first=5)
            )
            assert len(page.items) == 5
        # others do not
        with pytest.raises(Forbidden):
            await party.unit_members(
                actor=await actor_for("resident"), unit=unit, window=Window(first=5)
            )

    async def test_a_persons_memberships_top_level_first(self, db: Database) -> None:
        leader = await person_of("grid_leader")
        (found,) = await party.memberships_by_person(person_ids=[leader.id])
        assert [m.kind for m in found] == [
            PartyUnitKind.COMMUNITY_PARTY_ORGANIZATION,
            PartyUnitKind.GRID_PARTY_BRANCH,
            PartyUnitKind.MICRO_GRID_PARTY_GROUP,
        ]


async def test_create_person_is_not_a_party_member_by_default(db: Database) -> None:
    # a person registered without the flag is no party member until a unit takes them
    admin = await actor_for("community_admin")
    household = (await resident_in(YANSHAN)).household_id
    person = await create_person(actor=admin, name="新居民", household_id=household)
    assert not person.party_member
