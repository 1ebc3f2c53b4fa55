"""What-if (试算) of a points rule: its input, result types and mutation. Writes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, UserErrors
from schema.core.ids import id_field, require_key
from schema.grids import Area
from schema.people import Person
from services import points
from services.enums import CapWindow
from services.points.whatif import (
    CAPPED_LIMIT,
    COMMUNITIES_LIMIT,
    PEOPLE_LIMIT,
    Caps,
    CommunityResult,
    PersonResult,
    PointsRuleChanges,
)


async def person_of(info: Info, person_id: int) -> Person | None:
    found = await info.context.loaders.holder.load(person_id)
    return Person.from_model(found, full=None) if found else None


@strawberry.input(
    description="Points and caps to try; what is left out stays as each community's version of "
    "the rule has it."
)
class PointsRuleChangesInput:
    points: int | None = strawberry.field(default=None, description="Points per unit, 1-10000.")
    cap_per_day: int | None = strawberry.field(
        default=None, description="Points per person per local day, 1-10000000."
    )
    cap_per_month: int | None = strawberry.field(
        default=None, description="Points per person per local month, 1-10000000."
    )
    cap_per_quarter: int | None = strawberry.field(
        default=None, description="Points per person per local quarter, 1-10000000."
    )
    clear_caps: list[CapWindow] | None = strawberry.field(
        default=None, description="Windows to try without a cap (not also set above)."
    )


@strawberry.input(description="A points rule, an area and a past window to replay under changes.")
class SimulatePointsRuleInput:
    rule_code: str = strawberry.field(description="The rule's code (every community's version).")
    under: relay.GlobalID = id_field(
        "Area", description="A community, street or the district the viewer administers."
    )
    changes: PointsRuleChangesInput = strawberry.field(description="What to try.")
    from_: datetime = strawberry.field(
        name="from", description="Start of the window (with its offset), at most 366 days long."
    )
    to: datetime = strawberry.field(description="End of the window (excluded), now at the latest.")


@strawberry.type(description="A rule's points per unit and caps (null: no cap).")
class PointsRuleCaps:
    points: int = strawberry.field(description="Points per unit.")
    cap_per_day: int | None = strawberry.field(description="Per person per local day.")
    cap_per_month: int | None = strawberry.field(description="Per person per local month.")
    cap_per_quarter: int | None = strawberry.field(description="Per person per local quarter.")

    @classmethod
    def build(cls, caps: Caps) -> PointsRuleCaps:
        return cls(
            points=caps.points,
            cap_per_day=caps.day,
            cap_per_month=caps.month,
            cap_per_quarter=caps.quarter,
        )


@strawberry.type(description="What a person received by the rule in the window, and would.")
class SimulatedPointsPerson:
    name: str = strawberry.field(description="The person's name.")
    awards: int = strawberry.field(description="Their awards replayed.")
    received: int = strawberry.field(description="Points received (pending awards included).")
    simulated: int = strawberry.field(description="Points they would receive under the changes.")
    difference: int = strawberry.field(description="simulated - received.")
    refused: int = strawberry.field(description="Awards a cap would refuse whole.")
    clamped: int = strawberry.field(
        description="Service awards (volunteer hours, ...) a cap would cut to the units that fit."
    )
    caps_hit: list[CapWindow] = strawberry.field(description="The caps that would bind.")
    person_id: strawberry.Private[int]
    community_id: strawberry.Private[int]

    @classmethod
    def build(cls, p: PersonResult) -> SimulatedPointsPerson:
        return cls(
            name=p.name,
            awards=p.awards,
            received=p.received,
            simulated=p.simulated,
            difference=p.difference,
            refused=p.refused,
            clamped=p.clamped,
            caps_hit=sorted(p.caps_hit),
            person_id=p.person_id,
            community_id=p.community_id,
        )

    @strawberry.field(description="The person.")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)

    @strawberry.field(description="The community of their first award replayed.")
    async def community(self, info: Info) -> Area | None:
        return await Area.load(info, self.community_id)


@strawberry.type(description="A community's pool: what it issued by the rule, and would.")
class SimulatedPointsPool:
    awards: int = strawberry.field(description="Awards replayed.")
    cost: int = strawberry.field(description="Points the pool issued (pending included).")
    simulated_cost: int = strawberry.field(description="Points it would issue.")
    difference: int = strawberry.field(description="simulatedCost - cost.")
    people: int = strawberry.field(description="People with awards replayed.")
    capped_people: int = strawberry.field(description="Of them, those a cap would bind.")
    rule: PointsRuleCaps = strawberry.field(description="The community's version of the rule.")
    simulated_rule: PointsRuleCaps = strawberry.field(description="That version with the changes.")
    community_id: strawberry.Private[int]

    @classmethod
    def build(cls, c: CommunityResult) -> SimulatedPointsPool:
        return cls(
            awards=c.awards,
            cost=c.cost,
            simulated_cost=c.simulated_cost,
            difference=c.difference,
            people=c.people,
            capped_people=c.capped_people,
            rule=PointsRuleCaps.build(c.caps),
            simulated_rule=PointsRuleCaps.build(c.simulated_caps),
            community_id=c.community_id,
        )

    @strawberry.field(description="The community.")
    async def community(self, info: Info) -> Area | None:
        return await Area.load(info, self.community_id)


@strawberry.type(
    description="A rule's awards of a past window replayed under changes, beside what was "
    "given. Nothing was written."
)
class SimulatePointsRuleSuccess:
    rule_code: str = strawberry.field(description="The rule's code.")
    awards: int = strawberry.field(description="Awards replayed.")
    refused: int = strawberry.field(description="Of them, refused whole by a cap.")
    clamped: int = strawberry.field(description="Of them, cut to the units that fit.")
    cost: int = strawberry.field(description="Points the pools issued for them.")
    simulated_cost: int = strawberry.field(description="Points they would issue.")
    difference: int = strawberry.field(description="simulatedCost - cost.")
    people_count: int = strawberry.field(description="People with awards replayed.")
    changed_count: int = strawberry.field(
        description="Of them, those who would receive more or less."
    )
    capped_count: int = strawberry.field(description="Of them, those a cap would bind.")
    people: list[SimulatedPointsPerson] = strawberry.field(
        description=f"Those who would receive more or less, largest difference first (at most "
        f"{PEOPLE_LIMIT})."
    )
    capped: list[SimulatedPointsPerson] = strawberry.field(
        description=f"Those a cap would bind, largest difference first (at most {CAPPED_LIMIT})."
    )
    communities: list[SimulatedPointsPool] = strawberry.field(
        description="The pools of the communities with awards replayed, by community (at most "
        f"{COMMUNITIES_LIMIT})."
    )
    community_count: int = strawberry.field(description="Communities with awards replayed.")


SimulatePointsRuleResult = Annotated[
    SimulatePointsRuleSuccess | UserErrors,
    strawberry.union(
        "SimulatePointsRuleResult", description="The simulation, or why it cannot be run."
    ),
]


def _changes(input: PointsRuleChangesInput) -> PointsRuleChanges:
    return PointsRuleChanges(
        points=input.points,
        cap_per_day=input.cap_per_day,
        cap_per_month=input.cap_per_month,
        cap_per_quarter=input.cap_per_quarter,
        clear_caps=frozenset(input.clear_caps or []),
    )


@strawberry.type
class PointsWhatIfMutation:
    @strawberry.mutation(
        description="Try points or caps on a rule (试算): its awards of a past window replayed "
        "under the changes (each community's own version of the rule), per person and per "
        "community pool, and who would hit a cap. Writes nothing. Admins of the area "
        "(community admins on their community, street and district admins above)."
    )
    async def simulate_points_rule(
        self, info: Info, input: Annotated[SimulatePointsRuleInput, MUTATION_INPUT]
    ) -> SimulatePointsRuleResult:
        sim = await points.simulate_points_rule(
            actor=info.context.actor,
            under_id=require_key(input.under, "Area", "under"),
            rule_code=input.rule_code,
            changes=_changes(input.changes),
            start=input.from_,
            end=input.to,
        )
        return SimulatePointsRuleSuccess(
            rule_code=sim.rule_code,
            awards=sim.awards,
            refused=sim.refused,
            clamped=sim.clamped,
            cost=sim.cost,
            simulated_cost=sim.simulated_cost,
            difference=sim.difference,
            people_count=sim.people_count,
            changed_count=sim.changed_count,
            capped_count=sim.capped_count,
            people=[SimulatedPointsPerson.build(p) for p in sim.people],
            capped=[SimulatedPointsPerson.build(p) for p in sim.capped],
            communities=[SimulatedPointsPool.build(c) for c in sim.communities],
            community_count=sim.community_count,
        )
