"""Volunteering meets partners: a unit's team, activities held under a co-building project, and
the project's hours counting the approved hours of its activities."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services import partners, volunteering
from services.enums import PartnerUnitKind, ProjectStatus, TeamKind
from services.errors import Conflict, Forbidden, InvalidInput
from services.kit import clock
from services.models import PartnerUnit, Project, VolunteerActivity
from tests.conftest import Database, actor_for
from tests.services.points_support import OTHER_COMMUNITY, person_id
from tests.services.volunteering_support import community

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

PROPERTY_COMPANY = "博山颜山物业服务有限公司"


async def _project(title: str = "楼道清理共建") -> Project:
    return await partners.create_project(
        actor=await actor_for("community_admin"),
        community_id=(await community()).id,
        title=title,
        description="",
        claimable=False,
        people_served=0,
    )


async def test_a_unit_s_team(db: Database) -> None:
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


async def test_activities_under_a_project_count_in_its_hours(db: Database) -> None:
    admin = await actor_for("community_admin")
    project = await _project()
    start = clock.now().replace(microsecond=0) - timedelta(days=1)
    held = await volunteering.create_activity(
        actor=admin,
        area_id=(await community()).id,
        team_id=None,
        project_id=project.id,
        title="楼道杂物清理",
        place="颜山花园 2 号楼",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=5,
    )
    assert held.project_id == project.id
    before = (await partners.totals_of(project_ids=[project.id]))[0].hours
    # the volunteer served the whole three hours and the admin approves them
    volunteer = await person_id("volunteer")
    await volunteering.check_in(actor=admin, activity_id=held.id, person_id=volunteer, at=start)
    done = await volunteering.check_out(
        actor=admin, activity_id=held.id, person_id=volunteer, at=start + timedelta(hours=3)
    )
    await volunteering.approve_hours(
        actor=admin, sign_up_ids=[done.id], idempotency_key=uuid.uuid4().hex
    )
    after = (await partners.totals_of(project_ids=[project.id]))[0].hours
    assert after == before + 3


async def test_who_holds_activities_under_which_project(db: Database) -> None:
    project = await _project("助老共建")
    start = clock.now().replace(microsecond=0) + timedelta(days=2)
    common = dict(
        title="助老陪伴",
        place="颜山社区日间照料中心",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
        team_id=None,
    )
    # a team leader who does not take part in the project may not hold activities under it
    team = await volunteering.create_team(
        actor=await actor_for("community_admin"),
        area_id=(await community()).id,
        name="助老队",
        kind=TeamKind.ELDERLY_CARE_TEAM,
        leader_id=await person_id("microgrid_leader"),
    )
    with pytest.raises(Forbidden):
        await volunteering.create_activity(
            actor=await actor_for("microgrid_leader"),
            area_id=None,
            project_id=project.id,
            **{**common, "team_id": team.id},  # type: ignore[arg-type]
        )
    # a project of another community is refused, and so is a closed one
    other = await partners.create_project(
        actor=await actor_for("street_admin"),
        community_id=(await community(OTHER_COMMUNITY)).id,
        title="外社区项目",
        description="",
        claimable=False,
        people_served=0,
    )
    with pytest.raises(InvalidInput) as wrong:
        await volunteering.create_activity(
            actor=await actor_for("street_admin"),
            area_id=(await community()).id,
            project_id=other.id,
            **common,  # type: ignore[arg-type]
        )
    assert wrong.value.field == "projectId"
    await partners.update_project(
        actor=await actor_for("community_admin"),
        project_id=project.id,
        title=None,
        description=None,
        status=ProjectStatus.CANCELLED,
        people_served=None,
        claimable=None,
    )
    with pytest.raises(Conflict):
        await volunteering.create_activity(
            actor=await actor_for("community_admin"),
            area_id=(await community()).id,
            project_id=project.id,
            **common,  # type: ignore[arg-type]
        )
    assert not await VolunteerActivity.filter(project_id=project.id).exists()
