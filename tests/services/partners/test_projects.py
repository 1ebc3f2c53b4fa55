"""Co-building projects (services/partners/projects.py): the status machine, milestones, claims."""

from __future__ import annotations

import asyncio

import pytest

from services import partners
from services.enums import (
    PartnerUnitKind,
    ProjectRole,
    ProjectStatus,
)
from services.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from services.models import (
    Project,
    ProjectUnit,
)
from tests.conftest import Database, actor_for
from tests.services.partners_support import (
    DEMO_COMMUNITY,
    MERCHANT_NAME,
    PARTNER_UNIT_NAME,
    SIBLING,
    area,
    new_unit,
    unit,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestUpdateProject:
    async def test_a_project_runs_proposed_active_completed_with_milestones(
        self, db: Database
    ) -> None:
        admin = await actor_for("community_admin")
        community = await area(DEMO_COMMUNITY)
        project = await partners.create_project(
            actor=admin,
            community_id=community.id,
            title="党员联合培训",
            description="",
            claimable=False,
            people_served=0,
        )
        assert project.status is ProjectStatus.PROPOSED
        with pytest.raises(Forbidden):
            await partners.create_project(
                actor=await actor_for("partner"),
                community_id=community.id,
                title="x",
                description="",
                claimable=False,
                people_served=0,
            )

        async def move(status: ProjectStatus, by: str = "community_admin") -> Project:
            return await partners.update_project(
                actor=await actor_for(by),
                project_id=project.id,
                title=None,
                description=None,
                status=status,
                people_served=None,
                claimable=None,
            )

        with pytest.raises(InvalidTransition):
            await move(ProjectStatus.COMPLETED)  # not from PROPOSED
        with pytest.raises(Forbidden):
            await move(ProjectStatus.ACTIVE, by="partner")  # not a participant
        assert (await move(ProjectStatus.ACTIVE)).started_at is not None
        milestone = await partners.add_milestone(
            actor=admin, project_id=project.id, title="场地落实", due_on=None, progress=0
        )
        with pytest.raises(InvalidInput):
            await partners.update_milestone(
                actor=admin,
                milestone_id=milestone.id,
                changes={"progress": 101},
            )
        done = await partners.update_milestone(
            actor=admin,
            milestone_id=milestone.id,
            changes={"progress": 100, "note": "已完成"},
        )
        assert done.done_at is not None and done.progress == 100
        completed = await move(ProjectStatus.COMPLETED)
        assert completed.closed_at is not None
        with pytest.raises(InvalidTransition):
            await move(ProjectStatus.CANCELLED)
        with pytest.raises(Conflict):  # a closed project keeps its milestones
            await partners.add_milestone(
                actor=admin, project_id=project.id, title="迟到", due_on=None, progress=0
            )


class TestClaimProject:
    async def test_a_property_company_claims_a_claimable_project_once(self, db: Database) -> None:
        # given the demo's claimable project and two property companies of the community
        project = await Project.get(claimable=True)
        company = await unit(PARTNER_UNIT_NAME)
        partner = await actor_for("partner")
        rival, rival_manager = await new_unit(DEMO_COMMUNITY, kind=PartnerUnitKind.PROPERTY_COMPANY)
        merchant = await unit(MERCHANT_NAME)
        with pytest.raises(Forbidden):  # merchants do not claim (by default)
            await partners.claim_project(
                actor=await actor_for("merchant"), project_id=project.id, unit_id=merchant.id
            )
        # when both companies claim at once
        outcomes = await asyncio.gather(
            partners.claim_project(actor=partner, project_id=project.id, unit_id=company.id),
            partners.claim_project(actor=rival_manager, project_id=project.id, unit_id=rival.id),
            return_exceptions=True,
        )
        # then one wins and owns it, the other gets a Conflict
        assert sum(isinstance(o, Conflict) for o in outcomes) == 1
        claimed = await Project.get(id=project.id)
        winner = claimed.claimed_by_unit_id
        assert winner in {company.id, rival.id}
        assert await ProjectUnit.filter(project_id=project.id, role=ProjectRole.OWNER).values_list(
            "unit_id", flat=True
        ) == [winner]
        # and a company of another community may not claim
        far, far_manager = await new_unit(SIBLING, kind=PartnerUnitKind.PROPERTY_COMPANY)
        with pytest.raises(Forbidden):
            await partners.claim_project(actor=far_manager, project_id=project.id, unit_id=far.id)


class TestClaimKinds:
    async def test_by_default_property_companies_and_social_organisations_claim(
        self, db: Database
    ) -> None:
        community = await area(DEMO_COMMUNITY)
        kinds = await partners.claim_kinds(
            actor=await actor_for("resident"), community_id=community.id
        )
        assert kinds == [PartnerUnitKind.SOCIAL_ORGANIZATION, PartnerUnitKind.PROPERTY_COMPANY]

    async def test_the_community_lets_an_enterprise_claim(self, db: Database) -> None:
        # given the demo's claimable project and an enterprise of the community
        project = await Project.get(claimable=True)
        enterprise = await unit("山东博山琉璃制品有限公司")
        staff = await actor_for("enterprise_staff")
        community = await area(DEMO_COMMUNITY)
        with pytest.raises(Forbidden):  # not yet
            await partners.claim_project(actor=staff, project_id=project.id, unit_id=enterprise.id)
        # a partner member does not choose
        with pytest.raises(Forbidden):
            await partners.set_claim_kinds(
                actor=await actor_for("partner"),
                community_id=community.id,
                kinds=[PartnerUnitKind.ENTERPRISE],
            )
        assert community.parent_id is not None
        with pytest.raises(InvalidInput):  # the setting is per community
            await partners.set_claim_kinds(
                actor=await actor_for("community_admin"),
                community_id=community.parent_id,
                kinds=[PartnerUnitKind.ENTERPRISE],
            )
        # when the community's admin allows enterprises (given twice, in any order)
        kinds = await partners.set_claim_kinds(
            actor=await actor_for("community_admin"),
            community_id=community.id,
            kinds=[
                PartnerUnitKind.ENTERPRISE,
                PartnerUnitKind.MERCHANT,
                PartnerUnitKind.ENTERPRISE,
            ],
        )
        assert kinds == [PartnerUnitKind.ENTERPRISE, PartnerUnitKind.MERCHANT]
        # then property companies no longer claim there, and the enterprise does
        with pytest.raises(Forbidden):
            await partners.claim_project(
                actor=await actor_for("partner"),
                project_id=project.id,
                unit_id=(await unit(PARTNER_UNIT_NAME)).id,
            )
        claimed = await partners.claim_project(
            actor=staff, project_id=project.id, unit_id=enterprise.id
        )
        assert claimed.claimed_by_unit_id == enterprise.id
        # and other communities keep the default
        sibling = await area(SIBLING)
        assert PartnerUnitKind.PROPERTY_COMPANY in await partners.claim_kinds(
            actor=staff, community_id=sibling.id
        )
