"""Per-request DataLoaders: every relation is fetched in batches, never row by row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

from services import (
    evaluation,
    grids,
    households,
    market,
    notices,
    partners,
    party,
    people,
    photos,
    points,
    volunteering,
    workorders,
)
from services.enums import MatchStatus
from services.geo.boundaries import boundaries_by_area
from services.kit.auth import Actor
from services.kit.pagination import PageKey

if TYPE_CHECKING:
    from services.evaluation import TrainingCoverage
    from services.grids import Coverage
    from services.kit.pagination import Page
    from services.models.evaluation import (
        EvaluationAdjustment,
        EvaluationHonour,
        EvaluationObjection,
        EvaluationPeriod,
        EvaluationResult,
        EvaluationScheme,
    )
    from services.models.grids import Area, AreaMove, GridStation
    from services.models.households import CareLink, Household
    from services.models.market import Reward
    from services.models.notices import Notice, NoticeAcknowledgement
    from services.models.partners import (
        CadreService,
        NeedEntry,
        PartnerMember,
        PartnerUnit,
        Project,
        ProjectMilestone,
        ProjectUnit,
        ResourceMatch,
        ResourceOffer,
    )
    from services.models.party import PartyMemberReport, PartyMembership, PartyUnit
    from services.models.people import Person, RoleAssignment
    from services.models.photos import Photo
    from services.models.points import PointsAward, PointsRule, PointsTransaction
    from services.models.volunteering import (
        ActivitySignUp,
        TeamMembership,
        VolunteerActivity,
        VolunteerTeam,
    )
    from services.models.workorders import (
        WorkOrder,
        WorkOrderCategory,
        WorkOrderErrand,
        WorkOrderEvent,
    )
    from services.notices import AcknowledgementsKey, CoverageKey, NoticeCoverage
    from services.partners import ProjectTotals
    from services.people import DutyHolder, PersonView
    from services.points import Proof

# The rule for the loaders whose service function takes no actor. A loader that takes the
# actor (`self.actor`) leaves visibility to its service. One that does not is safe for one of
# two reasons, and must be listed below with it (tests/schema/core/test_loaders.py fails for
# an actor-less loader listed nowhere, for a listed one that takes the actor, and for a
# BEHIND_PARENT loader read anywhere but in the fields of its parent types):
#
# - PUBLIC: what any caller who may run the query may read (the grid of areas, points rules,
#   rewards, work-order categories, teams and activities, duty-card holders, evaluation
#   periods and schemes). These may be read from anywhere, a root field or a node included.
# - BEHIND_PARENT: rows that belong to one object (a project's milestones, a unit's members,
#   an order's timeline). They are read only in the fields of that object's type, and that
#   object was authorised before its fields are resolved: it was returned by a service that
#   took the actor (`projects_by_ids(actor=...)`, `get_work_order(actor=...)`, ...) or is
#   itself PUBLIC (an area). They must never be read from a root field, a node resolver or a
#   type not listed: there nothing has checked the actor.
PUBLIC: frozenset[str] = frozenset(
    {
        "activity",  # volunteering.activities_by_ids
        "area",  # grids.areas_by_ids
        "boundary",  # geo.boundaries_by_area (boundaries are public: the map hangs on the wall)
        "evaluation_period",  # evaluation.periods_by_ids
        "holder",  # people.card_holders (name and phone are public on the duty card)
        "party_unit",  # party.units_by_ids (party units are public, like their areas)
        "points_rule",  # points.rules_by_ids
        "points_rule_as_of",  # points.rules_as_of
        "reward",  # market.rewards_by_ids
        "scheme_version",  # evaluation.schemes_by_ids
        "team",  # volunteering.teams_by_ids
        "work_order_category",  # workorders.categories_by_ids
    }
)
# Loader -> the (Python) names of the types whose fields may read it.
BEHIND_PARENT: dict[str, frozenset[str]] = {
    "attendance_count": frozenset({"TrainingSession"}),  # evaluation.attendance_counts
    "cadre_minutes": frozenset({"CadreAssignment"}),  # partners.minutes_served
    "cadre_services": frozenset({"CadreAssignment"}),  # partners.services_of
    "care_link": frozenset({"Household"}),  # households.care_links_by_household
    "child_count": frozenset({"Area"}),  # grids.child_counts
    "children_page": frozenset({"Area"}),  # grids.children_pages
    "evaluation_adjustments": frozenset({"Evaluation"}),  # evaluation.adjustments_of
    "evaluation_objections": frozenset({"EvaluationAdjustment"}),  # evaluation.objections_of
    "household_count": frozenset({"Area"}),  # grids.household_counts
    "members": frozenset({"Household"}),  # households.members_by_household
    "need_matches": frozenset({"Need"}),  # partners.matches_of(column="need_id")
    "notice_acknowledged_count": frozenset({"Notice"}),  # notices.acknowledged_counts
    "party_member_count": frozenset({"PartyUnit"}),  # party.member_counts
    "party_memberships": frozenset({"Person"}),  # party.memberships_by_person
    "party_report": frozenset({"Person"}),  # party.current_reports
    "party_units": frozenset({"Area"}),  # party.units_by_area
    "photos_of_activity": frozenset({"VolunteerActivity"}),  # photos.photos_of_activities
    "photos_of_order": frozenset({"WorkOrder"}),  # photos.photos_of_orders
    "photos_of_step": frozenset({"WorkOrderEvent"}),  # photos.photos_of_steps
    "project_matches": frozenset({"Project"}),  # partners.matches_of(column="project_id")
    "project_milestones": frozenset({"Project"}),  # partners.milestones_of
    "project_needs": frozenset({"Project"}),  # partners.needs_of_projects
    "project_totals": frozenset({"Project"}),  # partners.totals_of
    "project_units": frozenset({"Project"}),  # partners.participants_of
    "resource_matches": frozenset({"ResourceOffer"}),  # partners.matches_of(column="resource_id")
    "role_history": frozenset({"Person"}),  # people.roles_by_person(include_ended=True)
    "role_holders": frozenset({"Area"}),  # people.role_holders_by_area
    "roles": frozenset({"Person"}),  # people.roles_by_person
    "served_areas": frozenset({"ResourceOffer"}),  # partners.served_areas_of
    "station": frozenset({"Area"}),  # grids.stations_by_grid
    "team_member_count": frozenset({"VolunteerTeam"}),  # volunteering.member_counts
    "training_coverage": frozenset({"Area"}),  # evaluation.training_coverage
    "unit_members": frozenset({"PartnerUnit"}),  # partners.members_of
    "unit_resources": frozenset({"PartnerUnit"}),  # partners.resources_of_units
    "unit_rewards": frozenset({"PartnerUnit"}),  # partners.rewards_of_units
    "work_order_errand": frozenset({"WorkOrder"}),  # workorders.errands_by_order
    "work_order_timeline": frozenset({"WorkOrder"}),  # workorders.timelines
}

K = TypeVar("K")
V = TypeVar("V")


def _loader(fn: Callable[[list[K]], Awaitable[Sequence[V | BaseException]]]) -> DataLoader[K, V]:
    """A loader of `fn`'s rows, in the order of the keys; an exception in the list is raised to
    the one field that asked for that key (a page or coverage the actor may not read)."""
    return DataLoader(load_fn=fn)


async def load_existing(loader: DataLoader[K, V | None], key: K) -> V:
    """The row a foreign key points at (a redemption's reward, a match's need): there by the
    database's constraint, so a missing one is a broken invariant, raised, not a null."""
    found = await loader.load(key)
    if found is None:
        raise LookupError(f"no row {key!r} behind a foreign key")
    return found


class Loaders:
    """One set per request, so cached rows never leak between users. Each loader is made on
    first use: a request uses a few of them, and making all of them cost ~20 µs a request.
    A loader takes the actor from a local, never from `self`: a loader referring back to its
    set would make every request's set a reference cycle, left to the garbage collector."""

    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor

    @cached_property
    def area(self) -> DataLoader[int, Area | None]:
        return _loader(lambda ids: grids.areas_by_ids(area_ids=ids))

    @cached_property
    def boundary(self) -> DataLoader[int, str | None]:
        return _loader(lambda ids: boundaries_by_area(area_ids=ids))

    @cached_property
    def station(self) -> DataLoader[int, GridStation | None]:
        return _loader(lambda ids: grids.stations_by_grid(grid_ids=ids))

    @cached_property
    def party_units(self) -> DataLoader[int, list[PartyUnit]]:
        return _loader(lambda ids: party.units_by_area(area_ids=ids))

    @cached_property
    def party_unit(self) -> DataLoader[int, PartyUnit | None]:
        return _loader(lambda ids: party.units_by_ids(unit_ids=ids))

    @cached_property
    def party_member_count(self) -> DataLoader[int, int]:
        return _loader(lambda ids: party.member_counts(unit_ids=ids))

    @cached_property
    def party_memberships(self) -> DataLoader[int, list[PartyMembership]]:
        return _loader(lambda ids: party.memberships_by_person(person_ids=ids))

    @cached_property
    def party_report(self) -> DataLoader[int, PartyMemberReport | None]:
        return _loader(lambda ids: party.current_reports(person_ids=ids))

    @cached_property
    def household_count(self) -> DataLoader[int, int]:
        return _loader(lambda ids: grids.household_counts(area_ids=ids))

    @cached_property
    def coverage(self) -> DataLoader[int, Coverage]:
        actor = self.actor
        return _loader(lambda ids: grids.coverage(actor=actor, area_ids=ids))

    @cached_property
    def role_holders(self) -> DataLoader[int, list[DutyHolder]]:
        return _loader(lambda ids: people.role_holders_by_area(area_ids=ids))

    @cached_property
    def person(self) -> DataLoader[int, PersonView | None]:
        actor = self.actor
        return _loader(lambda ids: people.people_by_ids(actor=actor, person_ids=ids))

    @cached_property
    def roles(self) -> DataLoader[int, list[RoleAssignment]]:
        return _loader(lambda ids: people.roles_by_person(person_ids=ids))

    @cached_property
    def role_history(self) -> DataLoader[int, list[RoleAssignment]]:
        return _loader(lambda ids: people.roles_by_person(person_ids=ids, include_ended=True))

    @cached_property
    def household(self) -> DataLoader[int, Household | None]:
        actor = self.actor
        return _loader(lambda ids: households.households_by_ids(actor=actor, household_ids=ids))

    @cached_property
    def care_link(self) -> DataLoader[int, CareLink | None]:
        return _loader(lambda ids: households.care_links_by_household(household_ids=ids))

    @cached_property
    def members(self) -> DataLoader[int, list[Person]]:
        return _loader(lambda ids: households.members_by_household(household_ids=ids))

    # Nested pages (children of each area, households under each area), keyed by PageKey.
    @cached_property
    def child_count(self) -> DataLoader[int, int]:
        return _loader(lambda ids: grids.child_counts(area_ids=ids))

    @cached_property
    def children_page(self) -> DataLoader[PageKey, Page[Area]]:
        return DataLoader(load_fn=lambda keys: grids.children_pages(keys=keys))

    @cached_property
    def households_page(self) -> DataLoader[PageKey, Page[Household]]:
        actor = self.actor
        return DataLoader(load_fn=lambda keys: households.household_pages(actor=actor, keys=keys))

    @cached_property
    def area_moves_page(self) -> DataLoader[PageKey, Page[AreaMove]]:
        actor = self.actor
        return DataLoader(load_fn=lambda keys: grids.area_move_pages(actor=actor, keys=keys))

    # Duty-card holders: name and phone are public on the card, so no actor is involved.
    @cached_property
    def holder(self) -> DataLoader[int, Person | None]:
        return _loader(lambda ids: people.card_holders(person_ids=ids))

    # Points rules and rewards are public (residents read how points are won and spent).
    @cached_property
    def points_rule(self) -> DataLoader[int, PointsRule | None]:
        return _loader(lambda ids: points.rules_by_ids(rule_ids=ids))

    @cached_property
    def points_rule_as_of(self) -> DataLoader[tuple[int, int | None], PointsRule | None]:
        return _loader(lambda keys: points.rules_as_of(keys=keys))

    @cached_property
    def points_transaction(self) -> DataLoader[int, PointsTransaction | None]:
        actor = self.actor
        return _loader(lambda ids: points.transactions_by_ids(actor=actor, transaction_ids=ids))

    @cached_property
    def points_transaction_proof(self) -> DataLoader[int, Proof | None]:
        actor = self.actor
        return _loader(lambda ids: points.proofs_for(actor=actor, transaction_ids=ids))

    @cached_property
    def reward(self) -> DataLoader[int, Reward | None]:
        return _loader(lambda ids: market.rewards_by_ids(reward_ids=ids))

    # Evaluations: visibility is decided by the services (results, honours) or by the
    # object they are reached from (adjustments of a visible evaluation).
    @cached_property
    def evaluation_period(self) -> DataLoader[int, EvaluationPeriod | None]:
        return _loader(lambda ids: evaluation.periods_by_ids(period_ids=ids))

    @cached_property
    def scheme_version(self) -> DataLoader[int, EvaluationScheme | None]:
        return _loader(_scheme_versions)

    @cached_property
    def evaluation(self) -> DataLoader[int, EvaluationResult | None]:
        actor = self.actor
        return _loader(lambda ids: evaluation.results_by_ids(actor=actor, result_ids=ids))

    @cached_property
    def evaluation_adjustments(self) -> DataLoader[int, list[EvaluationAdjustment]]:
        return _loader(lambda ids: evaluation.adjustments_of(result_ids=ids))

    @cached_property
    def evaluation_objections(self) -> DataLoader[int, list[EvaluationObjection]]:
        return _loader(lambda ids: evaluation.objections_of(adjustment_ids=ids))

    @cached_property
    def person_honours(self) -> DataLoader[int, list[EvaluationHonour]]:
        actor = self.actor
        return _loader(lambda ids: evaluation.honours_of_people(actor=actor, person_ids=ids))

    @cached_property
    def area_honours(self) -> DataLoader[int, list[EvaluationHonour]]:
        actor = self.actor
        return _loader(lambda ids: evaluation.honours_of_areas(actor=actor, area_ids=ids))

    @cached_property
    def attendance_count(self) -> DataLoader[int, int]:
        return _loader(lambda ids: evaluation.attendance_counts(session_ids=ids))

    # Volunteering: teams and activities are public to signed-in users; "my" rows are the
    # actor's own (nothing without an actor).
    @cached_property
    def team(self) -> DataLoader[int, VolunteerTeam | None]:
        return _loader(lambda ids: volunteering.teams_by_ids(team_ids=ids))

    @cached_property
    def team_member_count(self) -> DataLoader[int, int]:
        return _loader(lambda ids: volunteering.member_counts(team_ids=ids))

    @cached_property
    def activity(self) -> DataLoader[int, VolunteerActivity | None]:
        return _loader(lambda ids: volunteering.activities_by_ids(activity_ids=ids))

    @cached_property
    def my_membership(self) -> DataLoader[int, TeamMembership | None]:
        actor = self.actor
        return _loader(
            lambda ids: _mine(
                actor,
                ids,
                lambda person: volunteering.memberships_of(person_id=person, team_ids=ids),
            )
        )

    @cached_property
    def my_sign_up(self) -> DataLoader[int, ActivitySignUp | None]:
        actor = self.actor
        return _loader(
            lambda ids: _mine(
                actor,
                ids,
                lambda person: volunteering.my_sign_ups(person_id=person, activity_ids=ids),
            )
        )

    @cached_property
    def points_award(self) -> DataLoader[int, PointsAward | None]:
        actor = self.actor
        return _loader(lambda ids: points.awards_by_ids(actor=actor, award_ids=ids))

    @cached_property
    def training_coverage(self) -> DataLoader[tuple[int, int | None], TrainingCoverage]:
        return DataLoader(load_fn=_training_coverage)

    # Partners: units decide their own visibility; lists, matches and projects are read
    # by every signed-in user.
    @cached_property
    def partner_unit(self) -> DataLoader[int, PartnerUnit | None]:
        actor = self.actor
        return _loader(lambda ids: partners.units_by_ids(actor=actor, unit_ids=ids))

    @cached_property
    def unit_members(self) -> DataLoader[int, list[PartnerMember]]:
        return _loader(lambda ids: partners.members_of(unit_ids=ids))

    @cached_property
    def unit_resources(self) -> DataLoader[int, list[ResourceOffer]]:
        return _loader(lambda ids: partners.resources_of_units(unit_ids=ids))

    @cached_property
    def unit_rewards(self) -> DataLoader[int, list[Reward]]:
        return _loader(lambda ids: partners.rewards_of_units(unit_ids=ids))

    @cached_property
    def resource_offer(self) -> DataLoader[int, ResourceOffer | None]:
        actor = self.actor
        return _loader(lambda ids: partners.resources_by_ids(actor=actor, resource_ids=ids))

    @cached_property
    def served_areas(self) -> DataLoader[int, list[int]]:
        return _loader(lambda ids: partners.served_areas_of(resource_ids=ids))

    @cached_property
    def need(self) -> DataLoader[int, NeedEntry | None]:
        actor = self.actor
        return _loader(lambda ids: partners.needs_by_ids(actor=actor, need_ids=ids))

    @cached_property
    def match(self) -> DataLoader[int, ResourceMatch | None]:
        actor = self.actor
        return _loader(lambda ids: partners.matches_by_ids(actor=actor, match_ids=ids))

    @cached_property
    def need_matches(self) -> DataLoader[int, list[ResourceMatch]]:
        return _loader(lambda ids: partners.matches_of(column="need_id", owner_ids=ids))

    @cached_property
    def resource_matches(self) -> DataLoader[int, list[ResourceMatch]]:
        return _loader(lambda ids: partners.matches_of(column="resource_id", owner_ids=ids))

    @cached_property
    def project_matches(self) -> DataLoader[int, list[ResourceMatch]]:
        return _loader(
            lambda ids: partners.matches_of(
                column="project_id", owner_ids=ids, status=MatchStatus.ACCEPTED
            )
        )

    @cached_property
    def project(self) -> DataLoader[int, Project | None]:
        actor = self.actor
        return _loader(lambda ids: partners.projects_by_ids(actor=actor, project_ids=ids))

    @cached_property
    def project_units(self) -> DataLoader[int, list[ProjectUnit]]:
        return _loader(lambda ids: partners.participants_of(project_ids=ids))

    @cached_property
    def project_milestones(self) -> DataLoader[int, list[ProjectMilestone]]:
        return _loader(lambda ids: partners.milestones_of(project_ids=ids))

    @cached_property
    def project_needs(self) -> DataLoader[int, list[NeedEntry]]:
        return _loader(lambda ids: partners.needs_of_projects(project_ids=ids))

    @cached_property
    def project_totals(self) -> DataLoader[int, ProjectTotals]:
        return _loader(lambda ids: partners.totals_of(project_ids=ids))

    @cached_property
    def cadre_services(self) -> DataLoader[int, list[CadreService]]:
        return _loader(lambda ids: partners.services_of(assignment_ids=ids))

    @cached_property
    def cadre_minutes(self) -> DataLoader[int, int]:
        return _loader(lambda ids: partners.minutes_served(assignment_ids=ids))

    # Notices: read as the actor may (see services/notices/reading.py); receipts are the
    # actor's own, coverage is checked per (notice, area).
    @cached_property
    def notice(self) -> DataLoader[int, Notice | None]:
        actor = self.actor
        return _loader(lambda ids: notices.notices_by_ids(actor=actor, notice_ids=ids))

    @cached_property
    def notice_acknowledged_count(self) -> DataLoader[int, int]:
        return _loader(lambda ids: notices.acknowledged_counts(notice_ids=ids))

    @cached_property
    def notice_acknowledgements(
        self,
    ) -> DataLoader[AcknowledgementsKey, Page[NoticeAcknowledgement]]:
        actor = self.actor
        return DataLoader(
            load_fn=lambda keys: notices.acknowledgement_pages(actor=actor, keys=keys)
        )

    @cached_property
    def notice_receipt(self) -> DataLoader[int, notices.Receipt]:
        actor = self.actor
        return _loader(lambda ids: _receipts(actor, ids))

    @cached_property
    def notice_coverage(self) -> DataLoader[CoverageKey, NoticeCoverage | None]:
        actor = self.actor
        return DataLoader(load_fn=lambda keys: notices.notice_coverage(actor=actor, keys=keys))

    # Work orders: visibility is decided by the service; categories are public; a timeline
    # is reached through an order the viewer sees.
    @cached_property
    def work_order(self) -> DataLoader[int, WorkOrder | None]:
        actor = self.actor
        return _loader(lambda ids: workorders.orders_by_ids(actor=actor, work_order_ids=ids))

    @cached_property
    def work_order_category(self) -> DataLoader[int, WorkOrderCategory | None]:
        return _loader(lambda ids: workorders.categories_by_ids(category_ids=ids))

    @cached_property
    def work_order_errand(self) -> DataLoader[int, WorkOrderErrand | None]:
        return _loader(lambda ids: workorders.errands_by_order(work_order_ids=ids))

    @cached_property
    def work_order_timeline(self) -> DataLoader[int, list[WorkOrderEvent]]:
        return _loader(lambda ids: workorders.timelines(work_order_ids=ids))

    # Photos: behind the order, step or activity they belong to (services.photos).
    @cached_property
    def photos_of_order(self) -> DataLoader[int, list[Photo]]:
        return _loader(lambda ids: photos.photos_of_orders(work_order_ids=ids))

    @cached_property
    def photos_of_step(self) -> DataLoader[int, list[Photo]]:
        return _loader(lambda ids: photos.photos_of_steps(work_order_event_ids=ids))

    @cached_property
    def photos_of_activity(self) -> DataLoader[int, list[Photo]]:
        return _loader(lambda ids: photos.photos_of_activities(activity_ids=ids))


async def _receipts(actor: Actor | None, ids: list[int]) -> list[notices.Receipt]:
    """The actor's receipt of each notice (nothing delivered to an anonymous caller)."""
    if actor is None:
        return [notices.Receipt(delivered=False, acknowledged_at=None) for _ in ids]
    return await notices.receipts(person_id=actor.person_id, notice_ids=ids)


async def _mine(
    actor: Actor | None, ids: list[int], fetch: Callable[[int], Awaitable[list[V | None]]]
) -> list[V | None]:
    """The actor's own rows keyed by `ids`, `fetch`ed for the actor's person (none for an
    anonymous caller)."""
    if actor is None:
        return [None for _ in ids]
    return await fetch(actor.person_id)


async def _scheme_versions(ids: list[int]) -> list[EvaluationScheme | None]:
    """Stored scheme and detailed-rules versions by id (public rules), one query."""
    found = await evaluation.schemes_by_ids(ids)
    return [found.get(i) for i in ids]


async def _training_coverage(
    keys: list[tuple[int, int | None]],
) -> list[TrainingCoverage]:
    """Training coverage keyed by (area id, year): one statement per distinct year."""
    found: dict[tuple[int, int | None], TrainingCoverage] = {}
    for year in {year for _, year in keys}:
        ids = [area for area, y in keys if y == year]
        for area, figure in zip(
            ids, await evaluation.training_coverage(area_ids=ids, year=year), strict=True
        ):
            found[(area, year)] = figure
    return [found[key] for key in keys]
