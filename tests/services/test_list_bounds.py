"""The caps behind the bounds of schema/core/list_bounds.py: what the API's cost estimate multiplies
by must be what the services let a list grow to.

Write caps refuse one more item with Conflict and change nothing (each test lowers the cap to
what is there, then raises it by one to show that the cap, and nothing else, refused it). Read
caps list the newest (or first) items only, in the list's own order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import services.evaluation.adjustments
import services.evaluation.results
import services.evaluation.training
import services.grids.areas
import services.partners.cadres
import services.partners.lists
import services.partners.projects
import services.partners.units
import services.people.persons
import services.people.roles
import services.points.rules
import services.volunteering.teams
import services.workorders.categories
import services.workorders.orders
from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import evaluation, grids, households, partners, people, points, volunteering
from services.enums import AreaLevel, Dimension, Role, TeamKind
from services.errors import Conflict
from services.evaluation.results import honours_of_areas, red_flags
from services.models import (
    Area,
    CadreAssignment,
    CadreService,
    EvaluationAdjustment,
    EvaluationHonour,
    EvaluationObjection,
    EvaluationResult,
    Household,
    PartnerMember,
    Person,
    PointsRule,
    ProjectMilestone,
    ResourceOffer,
    RoleAssignment,
    TeamMembership,
    TrainingAttendance,
    VolunteerTeam,
    WorkOrderEvent,
)
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import adjust, local, scored
from tests.services.partners_support import SIBLING, new_actor, new_unit
from tests.services.points_support import person_id

M = "颜山花园1-2号楼微网格"  # a micro-grid of the demo community


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def newcomer() -> Person:
    """A person without household or role, registered by the district admin."""
    return await people.create_person(
        actor=await actor_for("district_admin"), name="新人", phone=None
    )


# --- write caps ----------------------------------------------------------------------------------


async def test_a_household_takes_members_up_to_its_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a household of the demo community and the cap set at its members now
    admin = await actor_for("community_admin")
    home = await Household.get(id=(await actor_for("resident")).household_id)
    members = await Person.filter(household_id=home.id).count()
    monkeypatch.setattr(services.people.persons, "MAX_HOUSEHOLD_MEMBERS", members)
    person = await newcomer()
    # when one more is added, or registered into it
    with pytest.raises(Conflict) as err:
        await households.add_member(actor=admin, household_id=home.id, person_id=person.id)
    assert err.value.field == "householdId"
    with pytest.raises(Conflict):
        await people.create_person(actor=admin, name="新成员", household_id=home.id)
    # then nobody joined
    assert await Person.filter(household_id=home.id).count() == members
    assert not await Person.exists(name="新成员")
    # while one place more lets them in
    monkeypatch.setattr(services.people.persons, "MAX_HOUSEHOLD_MEMBERS", members + 1)
    await households.add_member(actor=admin, household_id=home.id, person_id=person.id)
    assert await Person.filter(household_id=home.id).count() == members + 1


async def test_a_person_holds_roles_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a newcomer with one role, and the cap at one
    admin = await actor_for("district_admin")
    person = await newcomer()
    grid, community = await area(DEMO_GRID), await area(DEMO_COMMUNITY)
    await people.assign_role(
        actor=admin, person_id=person.id, role=Role.PART_TIME_GRID_MEMBER, area_id=grid.id
    )
    monkeypatch.setattr(services.people.roles, "MAX_OPEN_ROLES", 1)
    # when a second role is given, then it is refused on the person
    with pytest.raises(Conflict) as err:
        await people.assign_role(
            actor=admin, person_id=person.id, role=Role.VOLUNTEER, area_id=community.id
        )
    assert err.value.field == "personId"
    assert await RoleAssignment.filter(person_id=person.id, until=None).count() == 1
    monkeypatch.setattr(services.people.roles, "MAX_OPEN_ROLES", 2)
    await people.assign_role(
        actor=admin, person_id=person.id, role=Role.VOLUNTEER, area_id=community.id
    )
    assert await RoleAssignment.filter(person_id=person.id, until=None).count() == 2


async def test_an_area_has_duty_role_holders_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the demo grid's duty-role holders now as the cap
    admin = await actor_for("district_admin")
    grid, community = await area(DEMO_GRID), await area(DEMO_COMMUNITY)
    holders = await RoleAssignment.filter(
        area_id=grid.id, until=None, role__in=list(people.DUTY_CARD_ROLES)
    ).count()
    monkeypatch.setattr(services.people.roles, "MAX_DUTY_HOLDERS", holders)
    person = await newcomer()
    # when one more part-time grid member is appointed there, then it is refused on the area
    with pytest.raises(Conflict) as err:
        await people.assign_role(
            actor=admin, person_id=person.id, role=Role.PART_TIME_GRID_MEMBER, area_id=grid.id
        )
    assert err.value.field == "areaId"
    assert not await RoleAssignment.exists(person_id=person.id)
    # while roles without a duty card are not counted
    await people.assign_role(
        actor=admin, person_id=person.id, role=Role.VOLUNTEER, area_id=community.id
    )
    monkeypatch.setattr(services.people.roles, "MAX_DUTY_HOLDERS", holders + 1)
    await people.assign_role(
        actor=admin, person_id=person.id, role=Role.PART_TIME_GRID_MEMBER, area_id=grid.id
    )


async def test_a_partner_unit_has_members_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an approved unit with its manager, and the cap at one member
    unit, manager = await new_unit(SIBLING)
    monkeypatch.setattr(services.partners.units, "MAX_UNIT_MEMBERS", 1)
    newcomer_actor = await new_actor("新员工")
    # when a second member is added, then it is refused and nobody joined
    with pytest.raises(Conflict) as err:
        await partners.add_member(
            actor=manager, unit_id=unit.id, person_id=newcomer_actor.person_id, manager=False
        )
    assert err.value.field == "unitId"
    assert await PartnerMember.filter(unit_id=unit.id).count() == 1
    assert not await RoleAssignment.exists(
        person_id=newcomer_actor.person_id, role=Role.PARTNER_MEMBER
    )
    monkeypatch.setattr(services.partners.units, "MAX_UNIT_MEMBERS", 2)
    await partners.add_member(
        actor=manager, unit_id=unit.id, person_id=newcomer_actor.person_id, manager=False
    )


async def test_an_evaluation_takes_adjustments_and_objections_up_to_the_caps(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the grid leader's result in a period being scored, adjusted once
    period = await scored(DEMO_COMMUNITY, "2025Q1", by="community_admin")
    leader = await actor_for("grid_leader")
    result = await EvaluationResult.get(period_id=period.id, person_id=leader.person_id)
    made = await adjust(result, -5, by="community_admin")
    # when the cap of adjustments is what is there, then another is refused
    monkeypatch.setattr(services.evaluation.adjustments, "MAX_ADJUSTMENTS", 1)
    with pytest.raises(Conflict) as err:
        await adjust(result, 3, by="community_admin")
    assert err.value.field == "evaluationId"
    assert await EvaluationAdjustment.filter(result_id=result.id).count() == 1
    monkeypatch.setattr(services.evaluation.adjustments, "MAX_ADJUSTMENTS", 2)
    await adjust(result, 3, by="community_admin")
    # and an objection rejected once may be raised again only up to its cap
    admin = await actor_for("community_admin")
    first = await evaluation.object_to_adjustment(
        actor=leader, adjustment_id=made.id, reason="当天在岗"
    )
    await evaluation.resolve_objection(
        actor=admin, objection_id=first.id, upheld=False, resolution="记录属实"
    )
    monkeypatch.setattr(services.evaluation.adjustments, "MAX_OBJECTIONS", 1)
    with pytest.raises(Conflict) as err:
        await evaluation.object_to_adjustment(actor=leader, adjustment_id=made.id, reason="再议")
    assert err.value.field == "adjustmentId"
    assert await EvaluationObjection.filter(adjustment_id=made.id).count() == 1
    monkeypatch.setattr(services.evaluation.adjustments, "MAX_OBJECTIONS", 2)
    await evaluation.object_to_adjustment(actor=leader, adjustment_id=made.id, reason="再议")


async def test_a_project_has_milestones_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await actor_for("community_admin")
    project = await partners.create_project(
        actor=admin,
        community_id=(await area(DEMO_COMMUNITY)).id,
        title="党员联合培训",
        description="",
        claimable=False,
        people_served=0,
    )

    async def add(title: str) -> None:
        await partners.add_milestone(
            actor=admin, project_id=project.id, title=title, due_on=None, progress=0
        )

    monkeypatch.setattr(services.partners.projects, "MAX_MILESTONES", 1)
    await add("场地落实")
    with pytest.raises(Conflict) as err:
        await add("人员到位")
    assert err.value.field == "projectId"
    assert await ProjectMilestone.filter(project_id=project.id).count() == 1
    monkeypatch.setattr(services.partners.projects, "MAX_MILESTONES", 2)
    await add("人员到位")


async def test_a_person_is_in_teams_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two teams of the demo community, and a resident at the cap after joining one
    admin = await actor_for("community_admin")
    resident = await actor_for("resident")
    made = [
        await volunteering.create_team(
            actor=admin,
            area_id=(await area(DEMO_COMMUNITY)).id,
            name=f"测试队{i}",
            kind=TeamKind.PARTY_MEMBER_SERVICE_TEAM,
            leader_id=await person_id("microgrid_leader"),
        )
        for i in range(2)
    ]
    await volunteering.join_team(actor=resident, team_id=made[0].id)
    mine = await TeamMembership.filter(
        person_id=resident.person_id, status__in=["PENDING", "APPROVED"]
    ).count()
    monkeypatch.setattr(services.volunteering.teams, "MAX_TEAMS", mine)
    # when they apply to the second, then it is refused
    with pytest.raises(Conflict) as err:
        await volunteering.join_team(actor=resident, team_id=made[1].id)
    assert err.value.field == "teamId"
    assert not await TeamMembership.exists(team_id=made[1].id, person_id=resident.person_id)
    # and nobody at the cap is made the leader of a new team
    active = await TeamMembership.filter(
        person_id=await person_id("microgrid_leader"), status__in=["PENDING", "APPROVED"]
    ).count()
    monkeypatch.setattr(services.volunteering.teams, "MAX_TEAMS", active)
    with pytest.raises(Conflict) as err:
        await volunteering.create_team(
            actor=admin,
            area_id=(await area(DEMO_COMMUNITY)).id,
            name="又一队",
            kind=TeamKind.PARTY_MEMBER_SERVICE_TEAM,
            leader_id=await person_id("microgrid_leader"),
        )
    assert err.value.field == "leaderId"
    assert not await VolunteerTeam.exists(name="又一队")
    monkeypatch.setattr(services.volunteering.teams, "MAX_TEAMS", mine + 1)
    await volunteering.join_team(actor=resident, team_id=made[1].id)


async def test_an_area_has_children_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await actor_for("community_admin")
    community = await area(DEMO_COMMUNITY)
    children = await Area.filter(parent_id=community.id).count()
    monkeypatch.setattr(services.grids.areas, "MAX_CHILDREN", children)
    with pytest.raises(Conflict) as err:
        await grids.create_area(
            actor=admin, parent_id=community.id, name="新网格", level=AreaLevel.GRID
        )
    assert err.value.field == "parentId"
    assert await Area.filter(parent_id=community.id).count() == children
    monkeypatch.setattr(services.grids.areas, "MAX_CHILDREN", children + 1)
    await grids.create_area(
        actor=admin, parent_id=community.id, name="新网格", level=AreaLevel.GRID
    )


async def test_a_training_session_records_people_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await actor_for("community_admin")
    session = await evaluation.create_session(
        actor=admin,
        area_id=(await area(DEMO_COMMUNITY)).id,
        topic="政策宣传培训",
        place="党群服务中心",
        starts_at=local(2025, 3, 1),
    )

    async def record(*usernames: str) -> None:
        await evaluation.record_attendance(
            actor=admin,
            session_id=session.id,
            person_ids=[await person_id(u) for u in usernames],
        )

    monkeypatch.setattr(services.evaluation.training, "MAX_ATTENDEES", 2)
    await record("grid_leader", "microgrid_leader")
    await record("microgrid_leader")  # recorded already: nothing new, nothing refused
    with pytest.raises(Conflict) as err:
        await record("central_household")
    assert err.value.field == "personIds"
    assert await TrainingAttendance.filter(session_id=session.id).count() == 2
    monkeypatch.setattr(services.evaluation.training, "MAX_ATTENDEES", 3)
    await record("central_household")


async def test_a_district_defines_rule_codes_up_to_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await actor_for("district_admin")
    codes = set(await PointsRule.filter(area_id=None).values_list("code", flat=True))
    monkeypatch.setattr(services.points.rules, "MAX_RULE_CODES", len(codes))
    data = points.RuleInput(name="新规则", dimension=Dimension.VOLUNTEER_SERVICE, points=5)
    # a new code is refused at the cap
    with pytest.raises(Conflict) as err:
        await points.create_rule(actor=admin, code="NEW_CODE", area_id=None, data=data)
    assert err.value.field == "code"
    assert not await PointsRule.exists(code="NEW_CODE")
    # while a community still overrides an existing code
    community_admin = await actor_for("community_admin")
    existing = sorted(codes)[0]
    if not await PointsRule.exists(code=existing, area_id=(await area(DEMO_COMMUNITY)).id):
        await points.create_rule(
            actor=community_admin,
            code=existing,
            area_id=(await area(DEMO_COMMUNITY)).id,
            data=data,
        )
    monkeypatch.setattr(services.points.rules, "MAX_RULE_CODES", len(codes) + 1)
    await points.create_rule(actor=admin, code="NEW_CODE", area_id=None, data=data)


# --- read caps -----------------------------------------------------------------------------------


async def _role_history() -> list[Any]:
    busiest = await _busiest(RoleAssignment, "person_id")
    (history,) = await people.roles_by_person(person_ids=[busiest], include_ended=True)
    return [r.id for r in history]


async def _area_honours() -> list[Any]:
    busiest = await _busiest(EvaluationHonour, "area_id")
    actor = await actor_for("district_admin")
    (found,) = await honours_of_areas(actor=actor, area_ids=[busiest])
    return [h.id for h in found]


async def _red_flags() -> list[Any]:
    district = await Area.get(level=AreaLevel.DISTRICT)
    found = await red_flags(
        actor=await actor_for("district_admin"), under_id=district.id, period_id=None
    )
    return [h.id for h in found]


async def _timeline() -> list[Any]:
    busiest = await _busiest(WorkOrderEvent, "work_order_id")
    (steps,) = await services.workorders.orders.timelines(work_order_ids=[busiest])
    return [s.id for s in steps]


async def _categories() -> list[Any]:
    found = await services.workorders.categories.list_categories(kind=None, district_id=None)
    return [c.id for c in found]


async def _cadre_services() -> list[Any]:
    busiest = await _busiest(CadreService, "assignment_id")
    assert await CadreAssignment.exists(id=busiest)
    (found,) = await services.partners.cadres.services_of(assignment_ids=[busiest])
    return [s.id for s in found]


async def _unit_resources() -> list[Any]:
    busiest = await _busiest(ResourceOffer, "unit_id")
    (found,) = await services.partners.lists.resources_of_units(unit_ids=[busiest])
    return [r.id for r in found]


async def _busiest(model: Any, column: str) -> int:
    """The `column` value with the most rows of `model` (at least two in the demo)."""
    rows = await model.all().values_list(column, flat=True)
    counts: dict[int, int] = {}
    for value in rows:
        counts[value] = counts.get(value, 0) + 1
    value, count = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))
    assert count >= 2, f"the demo has no {model.__name__} list of two"
    return value


READ_CAPS: list[tuple[str, Any, str, Callable[[], Awaitable[list[Any]]], str]] = [
    ("role history", services.people.roles, "ROLE_HISTORY_LIMIT", _role_history, "latest"),
    ("area honours", services.evaluation.results, "HONOURS_LIMIT", _area_honours, "first"),
    ("red flags", services.evaluation.results, "RED_FLAGS_LIMIT", _red_flags, "first"),
    ("timeline", services.workorders.orders, "TIMELINE_LIMIT", _timeline, "latest"),
    ("categories", services.workorders.categories, "CATEGORIES_LIMIT", _categories, "first"),
    ("cadre services", services.partners.cadres, "SERVICES_LIMIT", _cadre_services, "first"),
    ("unit resources", services.partners.lists, "UNIT_RESOURCES_LIMIT", _unit_resources, "first"),
]


@pytest.mark.parametrize(
    ("module", "name", "read", "kept"), [c[1:] for c in READ_CAPS], ids=[c[0] for c in READ_CAPS]
)
async def test_read_caps_keep_the_lists_order_and_cut_the_rest(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    read: Callable[[], Awaitable[list[Any]]],
    kept: str,
) -> None:
    # given a list of several items under the cap
    full = await read()
    assert len(full) >= 2
    # when the cap is one item
    monkeypatch.setattr(module, name, 1)
    # then the list holds the first item of its order (or the latest, for histories shown
    # oldest first)
    assert await read() == (full[:1] if kept == "first" else full[-1:])
