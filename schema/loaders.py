"""Per-request DataLoaders: every relation is fetched in batches, never row by row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from services import (
    evaluation,
    grids,
    households,
    market,
    partners,
    people,
    points,
    volunteering,
)
from services.auth import Actor
from services.enums import MatchStatus
from services.pagination import PageKey

K = TypeVar("K")
V = TypeVar("V")


def _loader(fn: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    return DataLoader(load_fn=fn)


class Loaders:
    """One set per request, so cached rows never leak between users."""

    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor
        self.area: DataLoader[int, Any] = _loader(lambda ids: grids.areas_by_ids(area_ids=ids))
        self.station: DataLoader[int, Any] = _loader(
            lambda ids: grids.stations_by_grid(grid_ids=ids)
        )
        self.party_units: DataLoader[int, Any] = _loader(
            lambda ids: grids.party_units_by_area(area_ids=ids)
        )
        self.household_count: DataLoader[int, Any] = _loader(
            lambda ids: grids.household_counts(area_ids=ids)
        )
        self.coverage: DataLoader[int, Any] = _loader(
            lambda ids: grids.coverage(actor=actor, area_ids=ids)
        )
        self.role_holders: DataLoader[int, Any] = _loader(
            lambda ids: people.role_holders_by_area(area_ids=ids)
        )
        self.person: DataLoader[int, Any] = _loader(
            lambda ids: people.people_by_ids(actor=actor, person_ids=ids)
        )
        self.roles: DataLoader[int, Any] = _loader(
            lambda ids: people.roles_by_person(person_ids=ids)
        )
        self.role_history: DataLoader[int, Any] = _loader(
            lambda ids: people.roles_by_person(person_ids=ids, include_ended=True)
        )
        self.household: DataLoader[int, Any] = _loader(
            lambda ids: households.households_by_ids(actor=actor, household_ids=ids)
        )
        self.care_link: DataLoader[int, Any] = _loader(
            lambda ids: households.care_links_by_household(household_ids=ids)
        )
        self.members: DataLoader[int, Any] = _loader(
            lambda ids: households.members_by_household(household_ids=ids)
        )
        # Nested pages (children of each area, households under each area), keyed by PageKey.
        self.child_count: DataLoader[int, Any] = _loader(
            lambda ids: grids.child_counts(area_ids=ids)
        )
        self.children_page: DataLoader[PageKey, Any] = DataLoader(
            load_fn=lambda keys: grids.children_pages(keys=keys)
        )
        self.households_page: DataLoader[PageKey, Any] = DataLoader(
            load_fn=lambda keys: households.household_pages(actor=actor, keys=keys)
        )
        # Duty-card holders: name and phone are public on the card, so no actor is involved.
        self.holder: DataLoader[int, Any] = _loader(lambda ids: people.card_holders(person_ids=ids))
        # Points rules and rewards are public (residents read how points are won and spent).
        self.points_rule: DataLoader[int, Any] = _loader(
            lambda ids: points.rules_by_ids(rule_ids=ids)
        )
        self.points_transaction: DataLoader[int, Any] = _loader(
            lambda ids: points.transactions_by_ids(actor=actor, transaction_ids=ids)
        )
        self.reward: DataLoader[int, Any] = _loader(
            lambda ids: market.rewards_by_ids(reward_ids=ids)
        )
        # Evaluations: visibility is decided by the services (results, honours) or by the
        # object they are reached from (adjustments of a visible evaluation).
        self.evaluation_period: DataLoader[int, Any] = _loader(
            lambda ids: evaluation.periods_by_ids(period_ids=ids)
        )
        self.evaluation: DataLoader[int, Any] = _loader(
            lambda ids: evaluation.results_by_ids(actor=actor, result_ids=ids)
        )
        self.evaluation_adjustments: DataLoader[int, Any] = _loader(
            lambda ids: evaluation.adjustments_of(result_ids=ids)
        )
        self.evaluation_objections: DataLoader[int, Any] = _loader(
            lambda ids: evaluation.objections_of(adjustment_ids=ids)
        )
        self.person_honours: DataLoader[int, Any] = _loader(
            lambda ids: evaluation.honours_of_people(actor=actor, person_ids=ids)
        )
        self.area_honours: DataLoader[int, Any] = _loader(
            lambda ids: evaluation.honours_of_areas(actor=actor, area_ids=ids)
        )
        self.attendance_count: DataLoader[int, Any] = _loader(
            lambda ids: evaluation.attendance_counts(session_ids=ids)
        )
        # Volunteering: teams and activities are public to signed-in users; "my" rows are the
        # actor's own (nothing without an actor).
        self.team: DataLoader[int, Any] = _loader(
            lambda ids: volunteering.teams_by_ids(team_ids=ids)
        )
        self.team_member_count: DataLoader[int, Any] = _loader(
            lambda ids: volunteering.member_counts(team_ids=ids)
        )
        self.activity: DataLoader[int, Any] = _loader(
            lambda ids: volunteering.activities_by_ids(activity_ids=ids)
        )
        self.my_membership: DataLoader[int, Any] = _loader(
            lambda ids: _mine(actor, ids, volunteering.memberships_of, "team_ids")
        )
        self.my_sign_up: DataLoader[int, Any] = _loader(
            lambda ids: _mine(actor, ids, volunteering.my_sign_ups, "activity_ids")
        )
        self.points_award: DataLoader[int, Any] = _loader(
            lambda ids: points.awards_by_ids(actor=actor, award_ids=ids)
        )
        self.training_coverage: DataLoader[tuple[int, int | None], Any] = DataLoader(
            load_fn=_training_coverage
        )
        # Partners: units decide their own visibility; lists, matches and projects are read
        # by every signed-in user.
        self.partner_unit: DataLoader[int, Any] = _loader(
            lambda ids: partners.units_by_ids(actor=actor, unit_ids=ids)
        )
        self.unit_members: DataLoader[int, Any] = _loader(
            lambda ids: partners.members_of(unit_ids=ids)
        )
        self.unit_resources: DataLoader[int, Any] = _loader(
            lambda ids: partners.resources_of_units(unit_ids=ids)
        )
        self.unit_rewards: DataLoader[int, Any] = _loader(
            lambda ids: partners.rewards_of_units(unit_ids=ids)
        )
        self.resource_offer: DataLoader[int, Any] = _loader(
            lambda ids: partners.resources_by_ids(actor=actor, resource_ids=ids)
        )
        self.served_areas: DataLoader[int, Any] = _loader(
            lambda ids: partners.served_areas_of(resource_ids=ids)
        )
        self.need: DataLoader[int, Any] = _loader(
            lambda ids: partners.needs_by_ids(actor=actor, need_ids=ids)
        )
        self.match: DataLoader[int, Any] = _loader(
            lambda ids: partners.matches_by_ids(actor=actor, match_ids=ids)
        )
        self.need_matches: DataLoader[int, Any] = _loader(
            lambda ids: partners.matches_of(column="need_id", owner_ids=ids)
        )
        self.resource_matches: DataLoader[int, Any] = _loader(
            lambda ids: partners.matches_of(column="resource_id", owner_ids=ids)
        )
        self.project_matches: DataLoader[int, Any] = _loader(
            lambda ids: partners.matches_of(
                column="project_id", owner_ids=ids, status=MatchStatus.ACCEPTED
            )
        )
        self.project: DataLoader[int, Any] = _loader(
            lambda ids: partners.projects_by_ids(actor=actor, project_ids=ids)
        )
        self.project_units: DataLoader[int, Any] = _loader(
            lambda ids: partners.participants_of(project_ids=ids)
        )
        self.project_milestones: DataLoader[int, Any] = _loader(
            lambda ids: partners.milestones_of(project_ids=ids)
        )
        self.project_needs: DataLoader[int, Any] = _loader(
            lambda ids: partners.needs_of_projects(project_ids=ids)
        )
        self.project_totals: DataLoader[int, Any] = _loader(
            lambda ids: partners.totals_of(project_ids=ids)
        )
        self.cadre_services: DataLoader[int, Any] = _loader(
            lambda ids: partners.services_of(assignment_ids=ids)
        )
        self.cadre_minutes: DataLoader[int, Any] = _loader(
            lambda ids: partners.minutes_served(assignment_ids=ids)
        )


async def _mine(
    actor: Actor | None, ids: list[int], fetch: Callable[..., Awaitable[list[Any]]], name: str
) -> list[Any]:
    """The actor's own rows keyed by `ids` (none for an anonymous caller)."""
    if actor is None:
        return [None for _ in ids]
    return await fetch(person_id=actor.person_id, **{name: ids})


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
