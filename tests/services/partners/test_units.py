"""Partner units (services/partners/units.py): registration (双报到) and review, who sees pending
units, members and their PARTNER_MEMBER role."""

from __future__ import annotations

import pytest

from services import partners
from services.enums import (
    PartnerUnitStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.models import (
    PartnerMember,
    RoleAssignment,
)
from tests.conftest import Database, actor_for
from tests.services.partners_support import (
    DEMO_COMMUNITY,
    PARTNER_UNIT_NAME,
    SIBLING,
    area,
    new_actor,
    new_unit,
    reload,
    unit,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestRegisterUnit:
    async def test_a_unit_registers_and_an_admin_of_its_community_approves_it(
        self, db: Database
    ) -> None:
        # given a person registering a unit with the sibling community
        made, manager = await new_unit(approve=False)
        assert made.status is PartnerUnitStatus.PENDING
        member = await PartnerMember.get(unit_id=made.id)
        assert (member.person_id, member.manager) == (manager.person_id, True)
        # then a pending unit grants no role, and only its members and admins above it see it
        assert not await RoleAssignment.exists(
            person_id=manager.person_id, role=Role.PARTNER_MEMBER
        )
        stranger = await new_actor()
        with pytest.raises(NotFound):
            await partners.review_unit(actor=stranger, unit_id=made.id, approve=True, reason=None)
        # and the demo community's admin (not above the sibling) may not review it
        with pytest.raises(NotFound):
            await partners.review_unit(
                actor=await actor_for("community_admin"), unit_id=made.id, approve=True, reason=None
            )
        # when the street admin approves it
        street = await actor_for("street_admin")
        approved = await partners.review_unit(
            actor=street, unit_id=made.id, approve=True, reason=""
        )
        # then its manager holds PARTNER_MEMBER at the community
        assert approved.status is PartnerUnitStatus.APPROVED
        grant = await RoleAssignment.get(person_id=manager.person_id, role=Role.PARTNER_MEMBER)
        assert grant.area_id == (await area(SIBLING)).id
        # and reviewing again is a Conflict
        with pytest.raises(Conflict):
            await partners.review_unit(actor=street, unit_id=made.id, approve=False, reason="晚了")

    async def test_a_rejection_needs_a_reason_and_names_are_unique_per_community(
        self, db: Database
    ) -> None:
        made, _ = await new_unit(approve=False, name="重名单位")
        admin = await actor_for("street_admin")
        with pytest.raises(InvalidInput):
            await partners.review_unit(actor=admin, unit_id=made.id, approve=False, reason=" ")
        rejected = await partners.review_unit(
            actor=admin, unit_id=made.id, approve=False, reason="材料不全"
        )
        assert (rejected.status, rejected.review_reason) == (PartnerUnitStatus.REJECTED, "材料不全")
        with pytest.raises(Conflict):
            await new_unit(name="重名单位")


class TestListUnits:
    async def test_pending_units_are_listed_for_their_admins_and_members_only(
        self, db: Database
    ) -> None:
        pending, manager = await new_unit(approve=False)

        async def listed(actor_name: str | None = None, who: object = None) -> set[int]:
            actor = who if who is not None else await actor_for(actor_name or "resident")
            page = await partners.list_units(
                actor=actor,  # type: ignore[arg-type]
                under_id=(await area(SIBLING)).id,
                kind=None,
                status=None,
                first=100,
                after=None,
            )
            return {u.id for u in page.items}

        assert pending.id in await listed("street_admin")
        assert pending.id in await listed(who=manager)
        assert pending.id not in await listed("resident")
        assert pending.id not in await listed("community_admin")  # another community's admin


class TestAddMember:
    async def test_members_join_with_the_partner_member_role_and_report_home(
        self, db: Database
    ) -> None:
        # given the demo property company, managed by `partner`
        company = await unit(PARTNER_UNIT_NAME)
        partner = await actor_for("partner")
        grid_leader = await actor_for("grid_leader")  # a party member living in 颜山社区
        # its manager cannot enrol (or learn about) people outside their view by guessing ids
        with pytest.raises(NotFound):
            await partners.add_member(
                actor=partner, unit_id=company.id, person_id=grid_leader.person_id, manager=False
            )
        # when the community's admin adds a party member who lives in the demo community
        member = await partners.add_member(
            actor=await actor_for("community_admin"),
            unit_id=company.id,
            person_id=grid_leader.person_id,
            manager=False,
        )
        # then the member reports individually to their home community (双报到)
        assert member.home_community_id == (await area(DEMO_COMMUNITY)).id
        assert await RoleAssignment.exists(
            person_id=grid_leader.person_id, role=Role.PARTNER_MEMBER, until=None
        )
        # and adding them twice is a Conflict; a plain member adds nobody
        with pytest.raises(Conflict):
            await partners.add_member(
                actor=await actor_for("community_admin"),
                unit_id=company.id,
                person_id=grid_leader.person_id,
                manager=False,
            )
        other = await new_actor()
        with pytest.raises(Forbidden):
            await partners.add_member(
                actor=await reload(grid_leader),
                unit_id=company.id,
                person_id=other.person_id,
                manager=False,
            )
        # and the viewer's unit is the company
        found = await partners.unit_of_person(person_id=grid_leader.person_id)
        assert found is not None and found.id == company.id
