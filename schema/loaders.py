"""Per-request DataLoaders: every relation is fetched in batches, never row by row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from services import grids, households, market, people, points
from services.auth import Actor
from services.pagination import PageKey

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
