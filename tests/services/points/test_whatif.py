"""What-if of a points rule (services.points.whatif): past awards replayed under changed points
or caps, the caps deciding as the awards do (awards.fit_caps), nothing written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services import points
from services.enums import CapWindow
from services.errors import Forbidden, InvalidInput, NotFound
from services.kit import db as kit_db
from services.models import Area
from services.points.awards import CapFit, fit_caps
from services.points.whatif import (
    Caps,
    PointsRuleChanges,
    PointsRuleSimulation,
    Replayed,
    replay,
    simulate_points_rule,
)
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    FINE,
    HOUR,
    OTHER_COMMUNITY,
    Clock,
    award,
    community,
    local,
    outsider,
    person_id,
    reverse,
    rule,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

TABLES = (
    "points_award",
    "points_transaction",
    "points_entry",
    "points_lot",
    "points_account",
    "evaluation_credit",
    "audit_entry",
)


async def _snapshot() -> dict[str, Any]:
    """Row counts of the points tables and the chain heads."""
    out: dict[str, Any] = {
        t: int((await kit_db.fetch(f"SELECT COUNT(*) AS n FROM {t}", []))[0]["n"]) for t in TABLES
    }
    out["heads"] = await kit_db.fetch(
        "SELECT community_id, head_hash, transaction_id, length FROM points_chain_head "
        "ORDER BY community_id",
        [],
    )
    return out


async def _simulate(
    changes: PointsRuleChanges,
    start: datetime,
    end: datetime,
    *,
    by: str = "community_admin",
    under: Area | None = None,
    code: str = HOUR,
) -> PointsRuleSimulation:
    area = under or await community()
    return await simulate_points_rule(
        actor=await actor_for(by),
        under_id=area.id,
        rule_code=code,
        changes=changes,
        start=start,
        end=end,
    )


def _by_person(sim: PointsRuleSimulation) -> dict[int, tuple[int, int]]:
    return {p.person_id: (p.received, p.simulated) for p in sim.people}


class TestFitCaps:
    """The pure cap decision the awards and the simulation share."""

    def test_refusing_is_all_or_nothing_and_names_the_first_cap_passed(self) -> None:
        usage = [("day", 30, 10), ("month", 100, 90)]
        assert fit_caps(usage, 10, 2, clamp=False) == CapFit(0, ("month", 100, 90))
        assert fit_caps(usage, 10, 1, clamp=False) == CapFit(1)
        assert fit_caps([], 10, 1000, clamp=False) == CapFit(1000)

    def test_clamping_grants_the_units_that_fit_under_every_cap(self) -> None:
        usage = [("day", 50, 10), ("month", 100, 75)]
        # 4 units fit the day, 2 the month: 2, bound by the month
        assert fit_caps(usage, 10, 5, clamp=True) == CapFit(2, ("month", 100, 75))
        assert fit_caps(usage, 10, 2, clamp=True) == CapFit(2)
        assert fit_caps([("day", 20, 25)], 10, 3, clamp=True) == CapFit(0, ("day", 20, 25))

    def test_a_penalty_counts_its_points_as_a_size(self) -> None:
        assert fit_caps([("day", 20, 10)], -20, 1, clamp=False).units == 0
        assert fit_caps([("day", 20, 0)], -20, 1, clamp=False).units == 1


class TestReplay:
    """The replay of stored awards, pure."""

    def test_service_awards_are_clamped_others_refused(self) -> None:
        t = local(2026, 5, 4, 9)
        caps = {1: Caps(7, 10, 30, None, None)}
        awards = [
            Replayed(1, 100, 1, 2, 20, t, clamp=False),
            Replayed(2, 100, 1, 2, 20, t, clamp=False),  # 20 + 20 > 30: refused
            Replayed(3, 101, 1, 2, 20, t, clamp=True),
            Replayed(4, 101, 1, 2, 20, t, clamp=True),  # one unit fits
        ]
        people, pools = replay([], awards, caps)
        assert (people[100].simulated, people[100].refused, people[100].clamped) == (20, 1, 0)
        assert (people[101].simulated, people[101].refused, people[101].clamped) == (30, 0, 1)
        assert people[100].caps_hit == people[101].caps_hit == {CapWindow.DAY}
        assert pools[1] == (4, 80, 50, 2)

    def test_usage_before_the_window_counts_in_its_day(self) -> None:
        caps = {1: Caps(7, 10, 30, None, None)}
        before = [Replayed(1, 100, 1, 2, 20, local(2026, 5, 4, 9), clamp=False)]
        later_that_day = Replayed(2, 100, 1, 2, 20, local(2026, 5, 4, 15), clamp=False)
        next_day = Replayed(3, 100, 1, 2, 20, local(2026, 5, 5, 0, 10), clamp=False)
        people, _ = replay(before, [later_that_day, next_day], caps)
        assert (people[100].received, people[100].simulated) == (40, 20)

    def test_communities_sharing_the_district_rule_share_its_caps(self) -> None:
        t = local(2026, 5, 4, 9)
        caps = {1: Caps(7, 10, 30, None, None), 2: Caps(7, 10, 30, None, None)}
        awards = [
            Replayed(1, 100, 1, 2, 20, t, clamp=False),
            Replayed(2, 100, 2, 2, 20, t, clamp=False),
        ]
        people, pools = replay([], awards, caps)
        assert people[100].simulated == 20
        assert pools[2] == (1, 20, 0, 1)


class TestSimulation:
    """Replaying stored awards of the demo district."""

    async def test_unchanged_rules_give_what_was_given_and_nothing_is_written(
        self, db: Database
    ) -> None:
        clock = Clock(local(2026, 5, 4, 9))
        await rule(cap_per_day=40)
        await award("resident", quantity=2)
        await award("volunteer", quantity=3)
        clock.set(local(2026, 5, 5, 9))
        await award("resident", quantity=4)
        clock.set(local(2026, 5, 12, 9))
        before = await _snapshot()
        sim = await _simulate(PointsRuleChanges(), local(2026, 5, 1), local(2026, 5, 12))
        assert await _snapshot() == before
        assert (sim.awards, sim.cost, sim.simulated_cost) == (3, 90, 90)
        assert (sim.people_count, sim.changed_count, sim.capped_count) == (2, 0, 0)
        assert sim.people == [] and sim.capped == []
        (pool,) = sim.communities
        assert (pool.name, pool.cost, pool.simulated_cost, pool.people) == ("颜山社区", 90, 90, 2)

    async def test_a_tighter_day_cap_refuses_what_would_pass_it(self, db: Database) -> None:
        clock = Clock(local(2026, 5, 4, 9))
        await rule()
        await award("resident", quantity=2)
        clock.set(local(2026, 5, 4, 10))
        await award("resident", quantity=2)
        await award("volunteer", quantity=1)
        clock.set(local(2026, 5, 12, 9))
        before = await _snapshot()
        sim = await _simulate(
            PointsRuleChanges(cap_per_day=30), local(2026, 5, 1), local(2026, 5, 12)
        )
        assert await _snapshot() == before
        resident = await person_id("resident")
        assert _by_person(sim) == {resident: (40, 20)}
        (capped,) = sim.capped
        assert (capped.person_id, capped.refused, capped.caps_hit) == (resident, 1, {CapWindow.DAY})
        assert capped.name
        assert (sim.cost, sim.simulated_cost, sim.refused) == (50, 30, 1)

    async def test_points_per_unit_scale_and_cleared_caps_lift(self, db: Database) -> None:
        clock = Clock(local(2026, 5, 4, 9))
        await rule(cap_per_day=20)
        await award("resident", quantity=2)
        clock.set(local(2026, 5, 6, 9))
        await award("resident", quantity=2)
        clock.set(local(2026, 5, 12, 9))
        window = (local(2026, 5, 1), local(2026, 5, 12))
        resident = await person_id("resident")
        # 15 a unit: 30 a day passes the cap of 20, both are refused
        sim = await _simulate(PointsRuleChanges(points=15), *window)
        assert _by_person(sim) == {resident: (40, 0)}
        assert sim.capped_count == 1
        # without the day cap both count in full
        sim = await _simulate(
            PointsRuleChanges(points=15, clear_caps=frozenset({CapWindow.DAY})), *window
        )
        assert _by_person(sim) == {resident: (40, 60)}
        assert sim.capped_count == 0

    async def test_a_window_starting_mid_day_counts_the_day_before_it(self, db: Database) -> None:
        clock = Clock(local(2026, 5, 4, 9))
        await rule()
        await award("resident", quantity=2)
        clock.set(local(2026, 5, 4, 15))
        await award("resident", quantity=2)
        clock.set(local(2026, 5, 12, 9))
        sim = await _simulate(
            PointsRuleChanges(cap_per_day=30), local(2026, 5, 4, 12), local(2026, 5, 12)
        )
        assert sim.awards == 1
        assert _by_person(sim) == {await person_id("resident"): (20, 0)}

    async def test_reversed_awards_are_not_replayed(self, db: Database) -> None:
        clock = Clock(local(2026, 5, 4, 9))
        await rule()
        first = await award("resident", quantity=2)
        await award("resident", quantity=1)
        await reverse(first.transaction_id)
        clock.set(local(2026, 5, 12, 9))
        sim = await _simulate(PointsRuleChanges(), local(2026, 5, 1), local(2026, 5, 12))
        assert (sim.awards, sim.cost) == (1, 10)

    async def test_each_community_replays_under_its_own_version(self, db: Database) -> None:
        # the demo community overrides the rule: 10 a unit, at most 20 a day; its neighbour
        # keeps the district's (10 a unit, no cap)
        clock = Clock(local(2026, 5, 4, 9))
        await rule()
        await rule(area=await community(), cap_per_day=20)
        await award("resident", quantity=2)
        neighbour = await outsider()
        await points.award_points(
            actor=await actor_for("street_admin"),
            person_id=neighbour.id,
            rule_code=HOUR,
            quantity=2,
            reason="社区清扫",
            source=None,
            idempotency_key="neighbour",
        )
        clock.set(local(2026, 5, 12, 9))
        street = await Area.get(id=(await community()).parent_id)
        sim = await _simulate(
            PointsRuleChanges(points=20),
            local(2026, 5, 1),
            local(2026, 5, 12),
            by="street_admin",
            under=street,
        )
        resident = await person_id("resident")
        assert _by_person(sim) == {resident: (20, 0), neighbour.id: (20, 40)}
        pools = {c.name: (c.cost, c.simulated_cost, c.simulated_caps.day) for c in sim.communities}
        assert pools == {"颜山社区": (20, 0, 20), OTHER_COMMUNITY: (20, 40, None)}
        # the demo community's admin sees only their own community's
        with pytest.raises(Forbidden):
            await _simulate(
                PointsRuleChanges(), local(2026, 5, 1), local(2026, 5, 12), under=street
            )


class TestRefusals:
    """Bad input or no right: typed errors."""

    async def test_refusals(self, db: Database) -> None:
        Clock(local(2026, 5, 12, 9))
        await rule()
        await rule(FINE, -10)
        start, end = local(2026, 5, 1), local(2026, 5, 12)
        other = await Area.get(name=OTHER_COMMUNITY)
        with pytest.raises(Forbidden):
            await _simulate(PointsRuleChanges(), start, end, under=other)
        with pytest.raises(Forbidden):
            await _simulate(PointsRuleChanges(), start, end, by="resident")
        cases: list[tuple[PointsRuleChanges, datetime, datetime, str]] = [
            (PointsRuleChanges(), end, start, "from"),
            (PointsRuleChanges(), start, local(2026, 5, 13), "to"),
            (PointsRuleChanges(), local(2025, 1, 1), end, "to"),
            (PointsRuleChanges(points=0), start, end, "changes.points"),
            (PointsRuleChanges(cap_per_day=0), start, end, "changes.capPerDay"),
            (
                PointsRuleChanges(cap_per_day=5, clear_caps=frozenset({CapWindow.DAY})),
                start,
                end,
                "changes.clearCaps",
            ),
        ]
        for changes, a, b, field in cases:
            with pytest.raises(InvalidInput) as error:
                await _simulate(changes, a, b)
            assert error.value.field == field
        with pytest.raises(InvalidInput):
            await _simulate(PointsRuleChanges(), start, end, code=FINE)
        with pytest.raises(NotFound):
            await _simulate(PointsRuleChanges(), start, end, code="NO_SUCH_RULE")
