"""Partner units, cadres, resource and need lists, the match workflow, projects and marketplace
stocking: every state machine, who may do what, and no over-commitment under concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone

import pytest

from services import market, partners
from services.enums import (
    MatchStatus,
    NeedStatus,
    PartnerUnitKind,
    PartnerUnitStatus,
    ProjectRole,
    ProjectStatus,
    RedemptionStatus,
    ResourceCategory,
    ResourceStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, OutOfStock
from services.kit import clock
from services.models import (
    CadreAssignment,
    NeedEntry,
    PartnerMember,
    Project,
    ProjectUnit,
    ResourceMatch,
    ResourceOffer,
    Reward,
    RoleAssignment,
)
from tests.conftest import Database, actor_for
from tests.services.partners_support import (
    DEMO_COMMUNITY,
    MERCHANT_NAME,
    PARTNER_UNIT_NAME,
    SIBLING,
    area,
    need,
    new_actor,
    new_unit,
    reload,
    resource,
    unit,
)
from tests.services.points_support import HOUR, award, key, rule

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

# --- units ---------------------------------------------------------------------------------


async def test_a_unit_registers_and_an_admin_of_its_community_approves_it(db: Database) -> None:
    # given a person registering a unit with the sibling community
    made, manager = await new_unit(approve=False)
    assert made.status is PartnerUnitStatus.PENDING
    member = await PartnerMember.get(unit_id=made.id)
    assert (member.person_id, member.manager) == (manager.person_id, True)
    # then a pending unit grants no role, and only its members and admins above it see it
    assert not await RoleAssignment.exists(person_id=manager.person_id, role=Role.PARTNER_MEMBER)
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
    approved = await partners.review_unit(actor=street, unit_id=made.id, approve=True, reason="")
    # then its manager holds PARTNER_MEMBER at the community
    assert approved.status is PartnerUnitStatus.APPROVED
    grant = await RoleAssignment.get(person_id=manager.person_id, role=Role.PARTNER_MEMBER)
    assert grant.area_id == (await area(SIBLING)).id
    # and reviewing again is a Conflict
    with pytest.raises(Conflict):
        await partners.review_unit(actor=street, unit_id=made.id, approve=False, reason="晚了")


async def test_a_rejection_needs_a_reason_and_names_are_unique_per_community(db: Database) -> None:
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


async def test_pending_units_are_listed_for_their_admins_and_members_only(db: Database) -> None:
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


async def test_members_join_with_the_partner_member_role_and_report_home(db: Database) -> None:
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


# --- cadres --------------------------------------------------------------------------------


async def test_cadres_are_sunk_to_grids_and_record_their_service(db: Database) -> None:
    company = await unit(PARTNER_UNIT_NAME)
    partner = await actor_for("partner")
    grid = await area("颜山第二网格")
    admin = await actor_for("community_admin")
    start, end = clock.today() - timedelta(days=5), clock.today() + timedelta(days=25)

    async def assign(by: str = "community_admin", **change: object) -> CadreAssignment:
        values: dict[str, object] = {
            "unit_id": company.id,
            "person_id": partner.person_id,
            "area_id": grid.id,
            "starts_on": start,
            "ends_on": end,
            "duties": "楼道巡查",
        }
        values.update(change)
        return await partners.assign_cadre(actor=await actor_for(by), **values)  # type: ignore[arg-type]

    with pytest.raises(Forbidden):  # a grid leader is no admin
        await assign(by="grid_leader")
    with pytest.raises(InvalidInput):
        await assign(ends_on=start - timedelta(days=1))
    with pytest.raises(InvalidInput):  # cadres serve grids, not communities
        await assign(area_id=(await area(DEMO_COMMUNITY)).id)
    with pytest.raises(NotFound):  # not a member of the unit
        await assign(person_id=(await actor_for("resident")).person_id)
    made = await assign()
    with pytest.raises(Conflict):  # one grid at a time
        await assign(area_id=(await area("颜山第三网格")).id, starts_on=end)
    assert await CadreAssignment.filter(person_id=partner.person_id).count() == 1
    # the cadre records a day; the future and days outside the period are refused
    await partners.record_service(
        actor=partner,
        assignment_id=made.id,
        served_on=clock.today(),
        minutes=90,
        description="清理",
    )
    await partners.record_service(
        actor=admin, assignment_id=made.id, served_on=start, minutes=30, description="宣传"
    )
    for day in (clock.today() + timedelta(days=1), start - timedelta(days=1)):
        with pytest.raises(InvalidInput):
            await partners.record_service(
                actor=partner, assignment_id=made.id, served_on=day, minutes=30, description="x"
            )
    with pytest.raises(Forbidden):
        await partners.record_service(
            actor=await actor_for("resident"),
            assignment_id=made.id,
            served_on=clock.today(),
            minutes=30,
            description="x",
        )
    assert await partners.minutes_served(assignment_ids=[made.id]) == [120]


# --- lists ---------------------------------------------------------------------------------


async def test_a_unit_edits_only_its_own_resource_list(db: Database) -> None:
    # given the merchant's resource and the property company's manager
    merchant_unit = await unit(MERCHANT_NAME)
    offer = await ResourceOffer.filter(unit_id=merchant_unit.id).first()
    assert offer is not None
    partner = await actor_for("partner")
    before = (offer.title, offer.quantity, offer.remaining)
    # when the property company's manager touches the merchant's list, it is refused
    with pytest.raises(Forbidden):
        await partners.update_resource(
            actor=partner,
            resource_id=offer.id,
            changes={"title": "改掉", "quantity": 1},
        )
    with pytest.raises(Forbidden):
        await partners.post_resource(
            actor=partner,
            unit_id=merchant_unit.id,
            data=partners.ResourceInput(
                category=ResourceCategory.GOODS, title="冒名", quantity=1, unit_label="份"
            ),
        )
    # then nothing changed
    fresh = await ResourceOffer.get(id=offer.id)
    assert (fresh.title, fresh.quantity, fresh.remaining) == before
    assert not await ResourceOffer.exists(title="冒名")


async def test_a_pending_unit_posts_nothing_and_bad_input_writes_nothing(db: Database) -> None:
    pending, manager = await new_unit(approve=False)
    with pytest.raises(Conflict):
        await resource(pending, manager)
    made, manager = await new_unit()
    count = await ResourceOffer.all().count()
    with pytest.raises(InvalidInput):  # the window ends before it starts
        await resource(made, manager, until=clock.now() - timedelta(days=2))
    with pytest.raises(InvalidInput):
        await resource(made, manager, quantity=0)
    with pytest.raises(InvalidInput):  # grids are not served areas
        await resource(made, manager, served=[await area("颜山第一网格")])
    assert await ResourceOffer.all().count() == count


async def test_quantities_never_go_below_what_matches_committed(db: Database) -> None:
    made, manager = await new_unit()
    offer = await resource(made, manager, quantity=10)
    wanted = await need(await area(SIBLING), quantity=8)
    match = await partners.propose_match(
        actor=manager, need_id=wanted.id, resource_id=offer.id, quantity=6, covers=None, message=""
    )
    await partners.accept_match(actor=await actor_for("district_admin"), match_id=match.id)
    with pytest.raises(Conflict):
        await partners.update_resource(
            actor=manager,
            resource_id=offer.id,
            changes={"quantity": 5},
        )
    smaller = await partners.update_resource(
        actor=manager, resource_id=offer.id, changes={"quantity": 7}
    )
    assert (smaller.quantity, smaller.remaining) == (7, 1)
    admin = await actor_for("district_admin")
    with pytest.raises(Conflict):
        await partners.update_need(actor=admin, need_id=wanted.id, changes={"quantity": 5})
    fulfilled = await partners.update_need(actor=admin, need_id=wanted.id, changes={"quantity": 6})
    assert (fulfilled.committed, fulfilled.status) == (6, NeedStatus.FULFILLED)


async def test_needs_are_posted_by_admins_and_leaders_of_the_area(db: Database) -> None:
    grid = await area("颜山第一网格")
    made = await need(grid, by="grid_leader", category=ResourceCategory.SERVICE)
    assert (made.community_id, made.status) == ((await area(DEMO_COMMUNITY)).id, NeedStatus.OPEN)
    for who in ("rider", "resident", "partner"):
        with pytest.raises(Forbidden):
            await need(grid, by=who)
    with pytest.raises(InvalidInput):
        await need(grid, deadline=clock.now() - timedelta(hours=1))
    # cancel and reopen
    admin = await actor_for("community_admin")
    cancelled = await partners.update_need(
        actor=admin, need_id=made.id, changes={"status": NeedStatus.CANCELLED}
    )
    assert cancelled.status is NeedStatus.CANCELLED
    with pytest.raises(Conflict):
        await partners.update_need(
            actor=admin, need_id=made.id, changes={"status": NeedStatus.CANCELLED}
        )
    reopened = await partners.update_need(
        actor=admin, need_id=made.id, changes={"status": NeedStatus.OPEN}
    )
    assert reopened.status is NeedStatus.OPEN


# --- matches -------------------------------------------------------------------------------


async def test_a_match_is_proposed_accepted_and_builds_a_project(db: Database) -> None:
    # given a unit's goods and two needs of the sibling community
    made, manager = await new_unit()
    offer = await resource(made, manager, quantity=20)
    sibling = await area(SIBLING)
    first_need = await need(sibling, quantity=8)
    admin = await actor_for("district_admin")
    # when the need side proposes and the unit accepts
    match = await partners.propose_match(
        actor=admin,
        need_id=first_need.id,
        resource_id=offer.id,
        quantity=8,
        covers=None,
        message="",
    )
    assert match.status is MatchStatus.PROPOSED and match.score == 100
    with pytest.raises(Forbidden):  # the proposing side does not accept its own proposal
        await partners.accept_match(actor=admin, match_id=match.id)
    accepted = await partners.accept_match(actor=manager, match_id=match.id)
    # then the quantities are committed and an ACTIVE project has the unit as PARTNER
    assert accepted.status is MatchStatus.ACCEPTED and accepted.project_id is not None
    assert (await ResourceOffer.get(id=offer.id)).remaining == 12
    fresh = await NeedEntry.get(id=first_need.id)
    assert (fresh.committed, fresh.status, fresh.project_id) == (
        8,
        NeedStatus.FULFILLED,
        accepted.project_id,
    )
    project = await Project.get(id=accepted.project_id)
    assert (project.status, project.community_id) == (ProjectStatus.ACTIVE, sibling.id)
    assert (
        await ProjectUnit.get(project_id=project.id, unit_id=made.id).values_list("role", flat=True)
        == ProjectRole.PARTNER
    )
    with pytest.raises(Conflict):  # answered already
        await partners.accept_match(actor=manager, match_id=match.id)
    # and a second unit meeting a need of the same project extends it
    other, other_manager = await new_unit()
    second = await resource(other, other_manager, quantity=5)
    await NeedEntry.filter(id=fresh.id).update(quantity=12, status=NeedStatus.OPEN)
    match2 = await partners.propose_match(
        actor=other_manager,
        need_id=fresh.id,
        resource_id=second.id,
        quantity=4,
        covers=None,
        message="",
    )
    done = await partners.accept_match(actor=admin, match_id=match2.id)
    assert done.project_id == project.id
    totals = (await partners.totals_of(project_ids=[project.id]))[0]
    assert (totals.matches, totals.units) == (2, 2)


async def test_matches_are_declined_withdrawn_and_refused_when_they_do_not_fit(
    db: Database,
) -> None:
    made, manager = await new_unit()
    offer = await resource(made, manager, quantity=5)
    sibling = await area(SIBLING)
    wanted = await need(sibling, quantity=4)
    admin = await actor_for("district_admin")
    proposal = await partners.propose_match(
        actor=manager, need_id=wanted.id, resource_id=offer.id, quantity=4, covers=None, message=""
    )
    with pytest.raises(Conflict):  # one open proposal per pair
        await partners.propose_match(
            actor=admin,
            need_id=wanted.id,
            resource_id=offer.id,
            quantity=1,
            covers=None,
            message="",
        )
    with pytest.raises(Forbidden):  # only the proposer withdraws
        await partners.withdraw_match(actor=admin, match_id=proposal.id)
    declined = await partners.decline_match(actor=admin, match_id=proposal.id, reason="已解决")
    assert (declined.status, declined.decision_reason) == (MatchStatus.DECLINED, "已解决")
    again = await partners.propose_match(
        actor=manager, need_id=wanted.id, resource_id=offer.id, quantity=4, covers=None, message=""
    )
    withdrawn = await partners.withdraw_match(actor=manager, match_id=again.id)
    assert withdrawn.status is MatchStatus.WITHDRAWN
    with pytest.raises(Conflict):
        await partners.decline_match(actor=admin, match_id=again.id, reason="x")
    # the pair must match: another category, too much, another community
    venue_need = await need(sibling, category=ResourceCategory.VENUE)
    with pytest.raises(InvalidInput):
        await partners.propose_match(
            actor=manager,
            need_id=venue_need.id,
            resource_id=offer.id,
            quantity=1,
            covers=None,
            message="",
        )
    with pytest.raises(OutOfStock):
        await partners.propose_match(
            actor=manager,
            need_id=wanted.id,
            resource_id=offer.id,
            quantity=6,
            covers=None,
            message="",
        )
    far = await need(await area("福山社区"))
    with pytest.raises(InvalidInput):
        await partners.propose_match(
            actor=manager, need_id=far.id, resource_id=offer.id, quantity=1, covers=None, message=""
        )
    # a stranger proposes nothing
    with pytest.raises(Forbidden):
        await partners.propose_match(
            actor=await actor_for("resident"),
            need_id=wanted.id,
            resource_id=offer.id,
            quantity=1,
            covers=None,
            message="",
        )
    assert (await ResourceOffer.get(id=offer.id)).remaining == 5
    assert (
        await ResourceMatch.filter(status=MatchStatus.ACCEPTED, resource_id=offer.id).count() == 0
    )


async def test_concurrent_acceptances_never_over_commit_a_resource(db: Database) -> None:
    # given a resource of 10 and five needs, each with a proposal of 4 from the unit
    made, manager = await new_unit()
    offer = await resource(made, manager, quantity=10)
    sibling = await area(SIBLING)
    proposals = []
    for _ in range(5):
        wanted = await need(sibling, quantity=4)
        proposals.append(
            await partners.propose_match(
                actor=manager,
                need_id=wanted.id,
                resource_id=offer.id,
                quantity=4,
                covers=None,
                message="",
            )
        )
    # when the need side accepts all five at once
    admin = await actor_for("district_admin")
    outcomes = await asyncio.gather(
        *(partners.accept_match(actor=admin, match_id=p.id) for p in proposals),
        return_exceptions=True,
    )
    # then exactly two are accepted, the rest refused as out of stock, and nothing over-commits
    accepted = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(accepted) == 2
    assert all(isinstance(o, OutOfStock) for o in refused), refused
    assert (await ResourceOffer.get(id=offer.id)).remaining == 2
    assert (
        await ResourceMatch.filter(resource_id=offer.id, status=MatchStatus.ACCEPTED).count() == 2
    )
    assert (
        await ResourceMatch.filter(resource_id=offer.id, status=MatchStatus.PROPOSED).count() == 3
    )


async def test_concurrent_acceptances_never_over_commit_a_need(db: Database) -> None:
    # given a need of 10 and five units each proposing 4
    wanted = await need(await area(SIBLING), quantity=10)
    admin = await actor_for("district_admin")
    proposals = []
    managers = []
    for _ in range(5):
        made, manager = await new_unit()
        offer = await resource(made, manager, quantity=4)
        managers.append(manager)
        proposals.append(
            await partners.propose_match(
                actor=admin,
                need_id=wanted.id,
                resource_id=offer.id,
                quantity=4,
                covers=None,
                message="",
            )
        )
    outcomes = await asyncio.gather(
        *(
            partners.accept_match(actor=m, match_id=p.id)
            for m, p in zip(managers, proposals, strict=True)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 2
    fresh = await NeedEntry.get(id=wanted.id)
    assert fresh.committed == 8 and fresh.status is NeedStatus.OPEN
    # every accepted match went into the one project of the need
    projects = set(
        await ResourceMatch.filter(need_id=wanted.id, status=MatchStatus.ACCEPTED).values_list(
            "project_id", flat=True
        )
    )
    assert projects == {fresh.project_id}


# --- projects ------------------------------------------------------------------------------


async def test_a_project_runs_proposed_active_completed_with_milestones(db: Database) -> None:
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

    with pytest.raises(Conflict):
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
    with pytest.raises(Conflict):
        await move(ProjectStatus.CANCELLED)
    with pytest.raises(Conflict):  # a closed project keeps its milestones
        await partners.add_milestone(
            actor=admin, project_id=project.id, title="迟到", due_on=None, progress=0
        )


async def test_a_property_company_claims_a_claimable_project_once(db: Database) -> None:
    # given the demo's claimable project and two property companies of the community
    project = await Project.get(claimable=True)
    company = await unit(PARTNER_UNIT_NAME)
    partner = await actor_for("partner")
    rival, rival_manager = await new_unit(DEMO_COMMUNITY, kind=PartnerUnitKind.PROPERTY_COMPANY)
    merchant = await unit(MERCHANT_NAME)
    with pytest.raises(Forbidden):  # merchants do not claim
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


# --- marketplace ---------------------------------------------------------------------------


async def test_goods_stock_the_marketplace_and_the_units_members_hand_them_over(
    db: Database,
) -> None:
    # given the merchant's goods and a second member of the merchant's staff
    merchant_unit = await unit(MERCHANT_NAME)
    merchant = await actor_for("merchant")
    offer = await resource(merchant_unit, merchant, quantity=10)
    clerk = await new_actor("店员")
    await partners.add_member(
        actor=merchant, unit_id=merchant_unit.id, person_id=clerk.person_id, manager=False
    )
    clerk = await reload(clerk)
    # when the manager stocks 6 of them, twice with the same key
    stocked = await partners.stock_reward(
        actor=merchant,
        resource_id=offer.id,
        quantity=6,
        price_points=10,
        name=None,
        description=None,
        per_person_limit=None,
        pickup_location=None,
        idempotency_key="stock-1",
    )
    again = await partners.stock_reward(
        actor=merchant,
        resource_id=offer.id,
        quantity=6,
        price_points=10,
        name=None,
        description=None,
        per_person_limit=None,
        pickup_location=None,
        idempotency_key="stock-1",
    )
    # then one reward provided by the unit exists and the resource gave 6
    assert again.id == stocked.id
    assert (stocked.partner_unit_id, stocked.provider_name, stocked.stock) == (
        merchant_unit.id,
        MERCHANT_NAME,
        6,
    )
    assert (await ResourceOffer.get(id=offer.id)).remaining == 4
    with pytest.raises(OutOfStock):
        await partners.stock_reward(
            actor=merchant,
            resource_id=offer.id,
            quantity=5,
            price_points=10,
            name=None,
            description=None,
            per_person_limit=None,
            pickup_location=None,
            idempotency_key="stock-2",
        )
    assert await Reward.filter(resource_id=offer.id).count() == 1
    # and a resident redeems it, the clerk (a plain member) sees and hands it over
    await rule()
    await award("volunteer", code=HOUR, quantity=5)
    redemption = await market.redeem(
        actor=await actor_for("volunteer"), reward_id=stocked.id, quantity=1, idempotency_key=key()
    )
    page = await partners.unit_redemptions(
        actor=clerk, unit_id=merchant_unit.id, status=None, first=10, after=None
    )
    assert [r.id for r in page.items] == [redemption.id]
    (seen,) = await market.redemptions_by_ids(actor=clerk, redemption_ids=[redemption.id])
    assert seen is not None
    # the clerk hands over but does not cancel someone's hold; the unit's manager may
    with pytest.raises(Forbidden):
        await market.cancel(actor=clerk, redemption_id=redemption.id)
    second = await market.redeem(
        actor=await actor_for("volunteer"), reward_id=stocked.id, quantity=1, idempotency_key=key()
    )
    cancelled = await market.cancel(actor=merchant, redemption_id=second.id)
    assert cancelled.status is RedemptionStatus.CANCELLED
    done = await market.fulfil(actor=clerk, pickup_code=redemption.pickup_code)
    assert done.status is RedemptionStatus.FULFILLED
    # while the property company's manager sees nothing of it
    with pytest.raises(NotFound):
        await partners.unit_redemptions(
            actor=await actor_for("partner"),
            unit_id=merchant_unit.id,
            status=None,
            first=10,
            after=None,
        )


async def test_only_goods_and_services_stock_the_marketplace(db: Database) -> None:
    made, manager = await new_unit()
    venue = await resource(made, manager, category=ResourceCategory.VENUE)
    with pytest.raises(InvalidInput):
        await partners.stock_reward(
            actor=manager,
            resource_id=venue.id,
            quantity=1,
            price_points=10,
            name=None,
            description=None,
            per_person_limit=None,
            pickup_location=None,
            idempotency_key=key(),
        )
    withdrawn = await resource(made, manager, category=ResourceCategory.SERVICE)
    await partners.update_resource(
        actor=manager,
        resource_id=withdrawn.id,
        changes={"status": ResourceStatus.WITHDRAWN},
    )
    with pytest.raises(Conflict):
        await partners.stock_reward(
            actor=manager,
            resource_id=withdrawn.id,
            quantity=1,
            price_points=10,
            name=None,
            description=None,
            per_person_limit=None,
            pickup_location=None,
            idempotency_key=key(),
        )
    assert await Reward.filter(partner_unit_id=made.id).count() == 0


async def test_times_given_with_an_offset_compare_as_instants(db: Database) -> None:
    # a window that ended an hour ago, written in Beijing time, is over (SQLite compares stored
    # times as text: they are all stored in UTC, whatever offset the client wrote)
    beijing = timezone(timedelta(hours=8))
    now = clock.now()
    company = await unit(PARTNER_UNIT_NAME)
    partner = await actor_for("partner")
    ended = now.astimezone(beijing) - timedelta(hours=1)  # an hour ago, written in +08:00
    offer = await partners.post_resource(
        actor=partner,
        unit_id=company.id,
        data=partners.ResourceInput(
            category=ResourceCategory.VENUE,
            title="刚结束的场地",
            description="",
            quantity=1,
            unit_label="次",
            available_from=ended - timedelta(days=1),
            available_until=ended,
            served_area_ids=[(await area(DEMO_COMMUNITY)).id],
        ),
    )
    assert offer.available_until is not None
    assert offer.available_until.utcoffset() == timedelta(0)
    page = await partners.list_resources(
        actor=partner,
        under_id=(await area(DEMO_COMMUNITY)).id,
        category=ResourceCategory.VENUE,
        available_only=True,
        first=100,
        after=None,
    )
    assert offer.id not in {r.id for r in page.items}
