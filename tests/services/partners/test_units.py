"""Partner units (services/partners/units.py): registration (双报到) and review, who sees pending
units, members and their PARTNER_MEMBER role."""

from __future__ import annotations

import pytest

from seed.partners import CLERK
from services import partners
from services.enums import (
    PartnerUnitStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import (
    PartnerMember,
    RoleAssignment,
)
from tests.conftest import Database, actor_for
from tests.services.partners_support import (
    DEMO_COMMUNITY,
    MERCHANT_NAME,
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
                window=Window(first=100),
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


class TestRemoveAndLeave:
    async def test_a_manager_removes_a_member_who_keeps_their_history(self, db: Database) -> None:
        # given the demo merchant and its clerk (a plain member)
        merchant = await unit(MERCHANT_NAME)
        clerk = await actor_for(CLERK[0])
        assert await RoleAssignment.exists(
            person_id=clerk.person_id, role=Role.PARTNER_MEMBER, until=None
        )
        # a plain member removes nobody
        with pytest.raises(Forbidden):
            await partners.remove_member(
                actor=clerk,
                unit_id=merchant.id,
                person_id=(await actor_for("merchant")).person_id,
                successor_id=None,
            )
        # when the merchant's manager removes the clerk
        ended = await partners.remove_member(
            actor=await actor_for("merchant"),
            unit_id=merchant.id,
            person_id=clerk.person_id,
            successor_id=None,
        )
        # then the membership is history, and the clerk's role at the community ended
        assert ended.left_at is not None
        assert await PartnerMember.filter(person_id=clerk.person_id).count() == 1
        assert not await RoleAssignment.exists(
            person_id=clerk.person_id, role=Role.PARTNER_MEMBER, until=None
        )
        ended_role = await RoleAssignment.get(person_id=clerk.person_id, role=Role.PARTNER_MEMBER)
        assert ended_role.until is not None
        # and the clerk no longer hands over the merchant's vouchers
        assert (await partners.members_of(unit_ids=[merchant.id]))[0][0].person_id != (
            clerk.person_id
        )
        # removing them again: they do not work there
        with pytest.raises(NotFound):
            await partners.remove_member(
                actor=await actor_for("merchant"),
                unit_id=merchant.id,
                person_id=clerk.person_id,
                successor_id=None,
            )

    async def test_the_last_manager_leaves_only_with_a_successor(self, db: Database) -> None:
        # given the merchant, its only manager, and its clerk
        merchant = await unit(MERCHANT_NAME)
        manager = await actor_for("merchant")
        clerk = await actor_for(CLERK[0])
        # when the manager leaves without a successor, then Conflict, nothing changed
        with pytest.raises(Conflict) as refused:
            await partners.leave_unit(actor=manager, unit_id=merchant.id, successor_id=None)
        assert refused.value.field == "successorId"
        with pytest.raises(InvalidInput):  # a successor works for the unit
            await partners.leave_unit(
                actor=manager,
                unit_id=merchant.id,
                successor_id=(await actor_for("partner")).person_id,
            )
        assert await PartnerMember.filter(unit_id=merchant.id, left_at=None).count() == 2
        # and when they name the clerk, the clerk manages the unit and the manager has left
        ended = await partners.leave_unit(
            actor=manager, unit_id=merchant.id, successor_id=clerk.person_id
        )
        assert ended.left_at is not None
        (current,) = await PartnerMember.filter(unit_id=merchant.id, left_at=None)
        assert (current.person_id, current.manager) == (clerk.person_id, True)
        # and the former manager no longer acts for it
        with pytest.raises(NotFound):
            await partners.leave_unit(
                actor=await reload(manager), unit_id=merchant.id, successor_id=None
            )

    async def test_a_plain_member_leaves_and_an_admin_removes(self, db: Database) -> None:
        # given a unit with a manager and two members
        made, manager = await new_unit()
        first, second = await new_actor(), await new_actor()
        for person in (first, second):
            await partners.add_member(
                actor=await actor_for("district_admin"),
                unit_id=made.id,
                person_id=person.person_id,
                manager=False,
            )
        # when one leaves and the admin removes the manager, naming the other as successor
        await partners.leave_unit(actor=await reload(first), unit_id=made.id, successor_id=None)
        await partners.remove_member(
            actor=await actor_for("district_admin"),
            unit_id=made.id,
            person_id=manager.person_id,
            successor_id=second.person_id,
        )
        # then only the successor works there, as its manager; the others are history
        current = await PartnerMember.filter(unit_id=made.id, left_at=None)
        assert [(m.person_id, m.manager) for m in current] == [(second.person_id, True)]
        assert await PartnerMember.filter(unit_id=made.id).count() == 3
        # and an admin of another community removes nobody there
        with pytest.raises(NotFound):
            await partners.remove_member(
                actor=await actor_for("community_admin"),
                unit_id=(await new_unit(approve=False))[0].id,
                person_id=second.person_id,
                successor_id=None,
            )
