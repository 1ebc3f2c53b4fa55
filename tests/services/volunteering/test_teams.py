"""Volunteer teams (services/volunteering/teams.py): setting one up (also for a partner unit),
membership by application and review, and who sees the members."""

from __future__ import annotations

import uuid

import pytest

from services import partners, volunteering
from services.enums import AreaLevel, MembershipStatus, PartnerUnitKind, TeamKind
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import Area, PartnerUnit, TeamMembership
from tests.conftest import Database, actor_for
from tests.services.points_support import OTHER_COMMUNITY, person_id
from tests.services.volunteering_support import community, member, memberships, outsider, team

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


PROPERTY_COMPANY = "博山颜山物业服务有限公司"


class TestCreateTeam:
    """create_team: admins of the area, a local leader, unique names, units."""

    async def test_a_team_has_its_leader_as_a_member(self, db: Database) -> None:
        # when the community admin sets up a team led by the micro-grid leader
        made = await team()
        # then the leader is an approved member and the team lives in the community
        assert made.kind is TeamKind.PARTY_MEMBER_SERVICE_TEAM
        assert made.area_path == (await community()).path
        assert await memberships(made, MembershipStatus.APPROVED) == 1
        assert made.id in [t.id for t in await volunteering.my_teams(person_id=made.leader_id)]

    @pytest.mark.parametrize(
        ("by", "leader", "error", "field"),
        [
            ("grid_leader", "microgrid_leader", Forbidden, None),  # leaders do not set up teams
            ("volunteer", "microgrid_leader", Forbidden, None),
            ("community_admin", "outsider", InvalidInput, "leaderId"),  # lives elsewhere
        ],
    )
    async def test_only_admins_set_up_teams_with_a_local_leader(
        self, db: Database, by: str, leader: str, error: type[Exception], field: str | None
    ) -> None:
        await outsider()
        before = await TeamMembership.all().count()
        with pytest.raises(error) as raised:
            await team(by=by, leader=leader)
        assert getattr(raised.value, "field", None) == field
        assert await TeamMembership.all().count() == before

    async def test_team_names_are_unique_in_an_area_and_teams_sit_low(self, db: Database) -> None:
        await team()
        with pytest.raises(Conflict):
            await team(leader="volunteer")
        street = await Area.get(level=AreaLevel.STREET, name="城西街道")
        with pytest.raises(InvalidInput) as raised:
            await volunteering.create_team(
                actor=await actor_for("street_admin"),
                area_id=street.id,
                name="街道队",
                kind=TeamKind.YOUTH_VOLUNTEER_TEAM,
                leader_id=await person_id("volunteer"),
            )
        assert raised.value.field == "areaId"
        with pytest.raises(NotFound) as missing:
            await volunteering.create_team(
                actor=await actor_for("community_admin"),
                area_id=(await community()).id,
                name="物业队",
                kind=TeamKind.PROFESSIONAL_SERVICE_TEAM,
                leader_id=await person_id("volunteer"),
                unit_id=999_999,
            )
        assert missing.value.field == "unitId"

    async def test_a_unit_s_team(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        company = await PartnerUnit.get(name=PROPERTY_COMPANY)
        made = await volunteering.create_team(
            actor=admin,
            area_id=(await community()).id,
            name="物业志愿服务队",
            kind=TeamKind.PROFESSIONAL_SERVICE_TEAM,
            leader_id=await person_id("partner"),
            unit_id=company.id,
        )
        assert made.unit_id == company.id
        # a pending unit does not own teams yet
        pending = await partners.register_unit(
            actor=await actor_for("resident"),
            community_id=(await community()).id,
            name=f"待审单位{uuid.uuid4().hex[:6]}",
            kind=PartnerUnitKind.MERCHANT,
            address="",
            phone=None,
            description="",
        )
        with pytest.raises(Conflict) as conflict:
            await volunteering.create_team(
                actor=admin,
                area_id=(await community()).id,
                name="待审队",
                kind=TeamKind.GENERAL_VOLUNTEER_TEAM,
                leader_id=await person_id("volunteer"),
                unit_id=pending.id,
            )
        assert conflict.value.field == "unitId"
        # a unit of another community does not own a team here
        with pytest.raises(InvalidInput) as wrong:
            await volunteering.create_team(
                actor=await actor_for("street_admin"),
                area_id=(await community(OTHER_COMMUNITY)).id,
                name="外社区物业队",
                kind=TeamKind.GENERAL_VOLUNTEER_TEAM,
                leader_id=await person_id("street_admin"),
                unit_id=company.id,
            )
        assert wrong.value.field == "unitId"


class TestMembership:
    """join_team, review_member, leave_team."""

    async def test_membership_apply_review_leave_and_apply_again(self, db: Database) -> None:
        made = await team()
        volunteer = await actor_for("volunteer")
        # applying makes a pending membership; applying twice is a conflict
        applied = await volunteering.join_team(actor=volunteer, team_id=made.id)
        assert applied.status is MembershipStatus.PENDING
        with pytest.raises(Conflict):
            await volunteering.join_team(actor=volunteer, team_id=made.id)
        # another member may not review; a rejection needs a reason
        with pytest.raises(Forbidden):
            await volunteering.review_member(
                actor=volunteer, membership_id=applied.id, approve=True, reason=None
            )
        leader = await actor_for("microgrid_leader")
        with pytest.raises(InvalidInput):
            await volunteering.review_member(
                actor=leader, membership_id=applied.id, approve=False, reason=" "
            )
        approved = await volunteering.review_member(
            actor=leader, membership_id=applied.id, approve=True, reason=None
        )
        assert approved.status is MembershipStatus.APPROVED
        # reviewing again is a conflict (the first review stands)
        with pytest.raises(Conflict):
            await volunteering.review_member(
                actor=await actor_for("community_admin"),
                membership_id=applied.id,
                approve=False,
                reason="重复",
            )
        # the member leaves, the leader cannot
        left = await volunteering.leave_team(actor=volunteer, team_id=made.id)
        assert left.status is MembershipStatus.LEFT and left.left_at is not None
        with pytest.raises(NotFound):
            await volunteering.leave_team(actor=volunteer, team_id=made.id)
        with pytest.raises(Conflict):
            await volunteering.leave_team(actor=leader, team_id=made.id)
        # and applying again is a new application, the old record kept
        again = await volunteering.join_team(actor=volunteer, team_id=made.id)
        assert again.id != applied.id and again.status is MembershipStatus.PENDING
        assert (await TeamMembership.get(id=applied.id)).status is MembershipStatus.LEFT

    async def test_a_rejected_applicant_is_not_a_member(self, db: Database) -> None:
        made = await team()
        applied = await volunteering.join_team(actor=await actor_for("resident"), team_id=made.id)
        rejected = await volunteering.review_member(
            actor=await actor_for("community_admin"),
            membership_id=applied.id,
            approve=False,
            reason="请先参加一次活动",
        )
        assert rejected.status is MembershipStatus.REJECTED
        assert rejected.review_reason == "请先参加一次活动"
        assert await memberships(made, MembershipStatus.APPROVED) == 1

    async def test_people_join_teams_of_their_own_community_only(self, db: Database) -> None:
        made = await team()
        with pytest.raises(Forbidden):
            await volunteering.join_team(actor=await actor_for(await outsider()), team_id=made.id)


class TestTeamMembers:
    """team_members: who sees the list."""

    async def test_members_lists_are_for_the_team_and_its_area(self, db: Database) -> None:
        made = await team()
        await member(made, "volunteer")
        for username in ("volunteer", "microgrid_leader", "community_admin"):
            page = await volunteering.team_members(
                actor=await actor_for(username), team=made, status=None, window=Window(first=10)
            )
            assert len(page.items) == 2
        with pytest.raises(Forbidden):
            await volunteering.team_members(
                actor=await actor_for("rider"), team=made, status=None, window=Window(first=10)
            )
