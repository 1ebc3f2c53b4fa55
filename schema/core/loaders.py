"""Per-request DataLoaders: every relation is fetched in batches, never row by row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from services import (
    evaluation,
    grids,
    households,
    market,
    notices,
    partners,
    people,
    points,
    volunteering,
    workorders,
)
from services.enums import MatchStatus
from services.kit.auth import Actor
from services.kit.pagination import PageKey

K = TypeVar("K")
V = TypeVar("V")


def _loader(fn: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    return DataLoader(load_fn=fn)


class Loaders:
    """One set per request, so cached rows never leak between users. Each loader is made on
    first use: a request uses a few of them, and making all of them cost ~20 µs a request.
    A loader takes the actor from a local, never from `self`: a loader referring back to its
    set would make every request's set a reference cycle, left to the garbage collector."""

    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor

    @cached_property
    def area(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: grids.areas_by_ids(area_ids=ids))

    @cached_property
    def station(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: grids.stations_by_grid(grid_ids=ids))

    @cached_property
    def party_units(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: grids.party_units_by_area(area_ids=ids))

    @cached_property
    def household_count(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: grids.household_counts(area_ids=ids))

    @cached_property
    def coverage(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: grids.coverage(actor=actor, area_ids=ids))

    @cached_property
    def role_holders(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: people.role_holders_by_area(area_ids=ids))

    @cached_property
    def person(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: people.people_by_ids(actor=actor, person_ids=ids))

    @cached_property
    def roles(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: people.roles_by_person(person_ids=ids))

    @cached_property
    def role_history(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: people.roles_by_person(person_ids=ids, include_ended=True))

    @cached_property
    def household(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: households.households_by_ids(actor=actor, household_ids=ids))

    @cached_property
    def care_link(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: households.care_links_by_household(household_ids=ids))

    @cached_property
    def members(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: households.members_by_household(household_ids=ids))

    # Nested pages (children of each area, households under each area), keyed by PageKey.
    @cached_property
    def child_count(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: grids.child_counts(area_ids=ids))

    @cached_property
    def children_page(self) -> DataLoader[PageKey, Any]:
        return DataLoader(load_fn=lambda keys: grids.children_pages(keys=keys))

    @cached_property
    def households_page(self) -> DataLoader[PageKey, Any]:
        actor = self.actor
        return DataLoader(load_fn=lambda keys: households.household_pages(actor=actor, keys=keys))

    # Duty-card holders: name and phone are public on the card, so no actor is involved.
    @cached_property
    def holder(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: people.card_holders(person_ids=ids))

    # Points rules and rewards are public (residents read how points are won and spent).
    @cached_property
    def points_rule(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: points.rules_by_ids(rule_ids=ids))

    @cached_property
    def points_transaction(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: points.transactions_by_ids(actor=actor, transaction_ids=ids))

    @cached_property
    def reward(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: market.rewards_by_ids(reward_ids=ids))

    # Evaluations: visibility is decided by the services (results, honours) or by the
    # object they are reached from (adjustments of a visible evaluation).
    @cached_property
    def evaluation_period(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: evaluation.periods_by_ids(period_ids=ids))

    @cached_property
    def scheme_version(self) -> DataLoader[int, Any]:
        return _loader(_scheme_versions)

    @cached_property
    def evaluation(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: evaluation.results_by_ids(actor=actor, result_ids=ids))

    @cached_property
    def evaluation_adjustments(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: evaluation.adjustments_of(result_ids=ids))

    @cached_property
    def evaluation_objections(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: evaluation.objections_of(adjustment_ids=ids))

    @cached_property
    def person_honours(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: evaluation.honours_of_people(actor=actor, person_ids=ids))

    @cached_property
    def area_honours(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: evaluation.honours_of_areas(actor=actor, area_ids=ids))

    @cached_property
    def attendance_count(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: evaluation.attendance_counts(session_ids=ids))

    # Volunteering: teams and activities are public to signed-in users; "my" rows are the
    # actor's own (nothing without an actor).
    @cached_property
    def team(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: volunteering.teams_by_ids(team_ids=ids))

    @cached_property
    def team_member_count(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: volunteering.member_counts(team_ids=ids))

    @cached_property
    def activity(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: volunteering.activities_by_ids(activity_ids=ids))

    @cached_property
    def my_membership(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: _mine(actor, ids, volunteering.memberships_of, "team_ids"))

    @cached_property
    def my_sign_up(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: _mine(actor, ids, volunteering.my_sign_ups, "activity_ids"))

    @cached_property
    def points_award(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: points.awards_by_ids(actor=actor, award_ids=ids))

    @cached_property
    def training_coverage(self) -> DataLoader[tuple[int, int | None], Any]:
        return DataLoader(load_fn=_training_coverage)

    # Partners: units decide their own visibility; lists, matches and projects are read
    # by every signed-in user.
    @cached_property
    def partner_unit(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: partners.units_by_ids(actor=actor, unit_ids=ids))

    @cached_property
    def unit_members(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.members_of(unit_ids=ids))

    @cached_property
    def unit_resources(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.resources_of_units(unit_ids=ids))

    @cached_property
    def unit_rewards(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.rewards_of_units(unit_ids=ids))

    @cached_property
    def resource_offer(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: partners.resources_by_ids(actor=actor, resource_ids=ids))

    @cached_property
    def served_areas(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.served_areas_of(resource_ids=ids))

    @cached_property
    def need(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: partners.needs_by_ids(actor=actor, need_ids=ids))

    @cached_property
    def match(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: partners.matches_by_ids(actor=actor, match_ids=ids))

    @cached_property
    def need_matches(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.matches_of(column="need_id", owner_ids=ids))

    @cached_property
    def resource_matches(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.matches_of(column="resource_id", owner_ids=ids))

    @cached_property
    def project_matches(self) -> DataLoader[int, Any]:
        return _loader(
            lambda ids: partners.matches_of(
                column="project_id", owner_ids=ids, status=MatchStatus.ACCEPTED
            )
        )

    @cached_property
    def project(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: partners.projects_by_ids(actor=actor, project_ids=ids))

    @cached_property
    def project_units(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.participants_of(project_ids=ids))

    @cached_property
    def project_milestones(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.milestones_of(project_ids=ids))

    @cached_property
    def project_needs(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.needs_of_projects(project_ids=ids))

    @cached_property
    def project_totals(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.totals_of(project_ids=ids))

    @cached_property
    def cadre_services(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.services_of(assignment_ids=ids))

    @cached_property
    def cadre_minutes(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: partners.minutes_served(assignment_ids=ids))

    # Notices: read as the actor may (see services/notices/reading.py); receipts are the
    # actor's own, coverage is checked per (notice, area).
    @cached_property
    def notice(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: notices.notices_by_ids(actor=actor, notice_ids=ids))

    @cached_property
    def notice_acknowledged_count(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: notices.acknowledged_counts(notice_ids=ids))

    @cached_property
    def notice_acknowledgements(self) -> DataLoader[Any, Any]:
        actor = self.actor
        return DataLoader(
            load_fn=lambda keys: notices.acknowledgement_pages(actor=actor, keys=keys)
        )

    @cached_property
    def notice_receipt(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: _receipts(actor, ids))

    @cached_property
    def notice_coverage(self) -> DataLoader[Any, Any]:
        actor = self.actor
        return DataLoader(load_fn=lambda keys: notices.notice_coverage(actor=actor, keys=keys))

    # Work orders: visibility is decided by the service; categories are public; a timeline
    # is reached through an order the viewer sees.
    @cached_property
    def work_order(self) -> DataLoader[int, Any]:
        actor = self.actor
        return _loader(lambda ids: workorders.orders_by_ids(actor=actor, work_order_ids=ids))

    @cached_property
    def work_order_category(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: workorders.categories_by_ids(category_ids=ids))

    @cached_property
    def work_order_timeline(self) -> DataLoader[int, Any]:
        return _loader(lambda ids: workorders.timelines(work_order_ids=ids))


async def _receipts(actor: Actor | None, ids: list[int]) -> list[notices.Receipt]:
    """The actor's receipt of each notice (nothing delivered to an anonymous caller)."""
    if actor is None:
        return [notices.Receipt(delivered=False, acknowledged_at=None) for _ in ids]
    return await notices.receipts(person_id=actor.person_id, notice_ids=ids)


async def _mine(
    actor: Actor | None, ids: list[int], fetch: Callable[..., Awaitable[list[Any]]], name: str
) -> list[Any]:
    """The actor's own rows keyed by `ids` (none for an anonymous caller)."""
    if actor is None:
        return [None for _ in ids]
    return await fetch(person_id=actor.person_id, **{name: ids})


async def _scheme_versions(ids: list[int]) -> list[Any]:
    """Stored scheme and detailed-rules versions by id (public rules), one query."""
    found = await evaluation.schemes_by_ids(ids)
    return [found.get(i) for i in ids]


async def _training_coverage(keys: list[tuple[int, int | None]]) -> list[Any]:
    """Training coverage keyed by (area id, year): one statement per distinct year."""
    found: dict[tuple[int, int | None], Any] = {}
    for year in {year for _, year in keys}:
        ids = [area for area, y in keys if y == year]
        for area, figure in zip(
            ids, await evaluation.training_coverage(area_ids=ids, year=year), strict=True
        ):
            found[(area, year)] = figure
    return [found[key] for key in keys]
