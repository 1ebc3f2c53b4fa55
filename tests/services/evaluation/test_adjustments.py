"""Adjustments and objections (services.evaluation.adjustments): manual items, free
adjustments, objections and who may make or judge them.
"""

from __future__ import annotations

import pytest

from services import evaluation, households
from services.enums import (
    Dimension,
    ObjectionStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evaluation import ManualItem, SchemeInput
from services.models import (
    EvaluationAdjustment,
    EvaluationObjection,
    EvaluationResult,
    Household,
)
from services.people import assign_role
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import (
    DEMO,
    INFORMATION,
    MANAGEMENT,
    POLICY,
    PROBLEMS,
    SIBLING,
    VOLUNTEER,
    adjust,
    area,
    dimension_scores,
    holders,
    result_of,
    scored,
    set_scheme,
)
from tests.services.points_support import person_id

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestAdjustScore:
    """Manual items and free adjustments during scoring."""

    async def test_manual_items_and_free_adjustments_change_the_total(self, db: Database) -> None:
        # given detailed rules with a manual item (monthly meeting, POLICY, 0-5) and a period
        # being scored in the sibling community
        await set_scheme()
        await evaluation.update_scheme(
            actor=await actor_for("street_admin"),
            area_id=(await area(SIBLING)).id,
            data=SchemeInput(manual_items=[ManualItem("meeting", "参加月度例会", POLICY, 5)]),
        )
        period = await scored(SIBLING, "2025Q1")
        holder = (await holders(SIBLING, Role.CENTRAL_HOUSEHOLD))[0]
        result = await result_of(period, holder.id)
        assert result.total == 0
        # when the item is scored 3, then rescored 5
        first = await adjust(result, 3, dimension=None, item_code="MEETING")
        second = await adjust(result, 5, dimension=POLICY, item_code="meeting")
        # then only the newer score counts: 25 x 5/100
        result = await EvaluationResult.get(id=result.id)
        assert dimension_scores(result)[POLICY] == 5
        assert result.total == 125
        superseded = await EvaluationAdjustment.get(id=first.id)
        assert superseded.withdrawn_at is not None
        assert superseded.withdrawn_reason == f"superseded by #{second.id}"
        # when free adjustments take 4 from an empty PROBLEMS (clamped at 0) and add 10
        await adjust(result, -4)
        await adjust(result, 10)
        # then PROBLEMS scores 6: 25 x (5 + 6) / 100
        result = await EvaluationResult.get(id=result.id)
        assert dimension_scores(result) == {POLICY: 5, MANAGEMENT: 0, INFORMATION: 0, PROBLEMS: 6}
        assert result.total == 275

    @pytest.mark.parametrize(
        ("dimension", "points_", "item_code", "reason"),
        [
            (POLICY, 6, "MEETING", "走访"),  # above the item's maximum
            (POLICY, -1, "MEETING", "走访"),  # items score from 0
            (PROBLEMS, 3, "MEETING", "走访"),  # the item counts in POLICY
            (POLICY, 3, "NO_SUCH_ITEM", "走访"),
            (PROBLEMS, 0, None, "走访"),  # a free adjustment is never 0
            (PROBLEMS, 101, None, "走访"),
            (PROBLEMS, -101, None, "走访"),
            (None, 5, None, "走访"),  # a free adjustment names its dimension
            (VOLUNTEER, 5, None, "走访"),  # volunteering is not evaluated
            (PROBLEMS, 5, None, "   "),  # a reason is required
        ],
    )
    async def test_invalid_adjustments_are_refused_and_change_nothing(
        self,
        db: Database,
        dimension: Dimension | None,
        points_: int,
        item_code: str | None,
        reason: str,
    ) -> None:
        # given a period being scored, with a manual item MEETING (POLICY, 0-5)
        await evaluation.update_scheme(
            actor=await actor_for("street_admin"),
            area_id=(await area(SIBLING)).id,
            data=SchemeInput(manual_items=[ManualItem("MEETING", "参加月度例会", POLICY, 5)]),
        )
        period = await scored(SIBLING, "2025Q1")
        result = await result_of(period, (await holders(SIBLING, Role.GRID_LEADER))[0].id)
        await adjust(result, 2, dimension=None, item_code="MEETING")
        before = await EvaluationResult.get(id=result.id)
        # when an invalid adjustment is made, then it is refused
        with pytest.raises(InvalidInput):
            await evaluation.adjust_score(
                actor=await actor_for("street_admin"),
                result_id=result.id,
                dimension=dimension,
                points=points_,
                reason=reason,
                item_code=item_code,
            )
        # and nothing changed
        assert await EvaluationAdjustment.filter(result_id=result.id).count() == 1
        after = await EvaluationResult.get(id=result.id)
        assert (after.total, after.scores) == (before.total, before.scores)


class TestResolveObjection:
    """Objections to an adjustment, upheld or rejected."""

    async def test_an_upheld_objection_withdraws_the_adjustment_a_rejected_one_lets_it_stand(
        self,
        db: Database,
    ) -> None:
        # given the demo grid leader's result with two adjustments: +10 PROBLEMS, +20 POLICY
        await set_scheme()
        period = await scored(DEMO, "2025Q1", by="community_admin")
        admin = await actor_for("community_admin")
        leader = await actor_for("grid_leader")
        result = await EvaluationResult.get(period_id=period.id, person_id=leader.person_id)
        assert result.total == 0
        low = await adjust(result, 10, dimension=PROBLEMS, by="community_admin")
        high = await adjust(result, 20, dimension=POLICY, by="community_admin")
        assert (await EvaluationResult.get(id=result.id)).total == 750
        # then nobody else objects to them
        other = await actor_for("microgrid_leader")
        with pytest.raises(NotFound):
            await evaluation.object_to_adjustment(actor=other, adjustment_id=low.id, reason="不公")
        # when the leader objects to the first, and an admin upholds it
        objection = await evaluation.object_to_adjustment(
            actor=leader, adjustment_id=low.id, reason="应为 +15"
        )
        assert objection.status is ObjectionStatus.OPEN
        with pytest.raises(Conflict):  # once is enough
            await evaluation.object_to_adjustment(actor=leader, adjustment_id=low.id, reason="再次")
        with pytest.raises(Forbidden):  # the objector does not resolve it
            await evaluation.resolve_objection(
                actor=leader, objection_id=objection.id, upheld=True, resolution="同意"
            )
        upheld = await evaluation.resolve_objection(
            actor=admin, objection_id=objection.id, upheld=True, resolution="重新核定"
        )
        # then the adjustment is withdrawn and the total recomputed: 25 x 20/100
        assert (upheld.status, upheld.resolution) == (ObjectionStatus.UPHELD, "重新核定")
        assert (await EvaluationAdjustment.get(id=low.id)).withdrawn_at is not None
        after = await EvaluationResult.get(id=result.id)
        assert after.total == 500
        assert dimension_scores(after)[PROBLEMS] == 0
        with pytest.raises(Conflict):  # resolved once
            await evaluation.resolve_objection(
                actor=admin, objection_id=objection.id, upheld=False, resolution="改判"
            )
        with pytest.raises(Conflict):  # a withdrawn adjustment is no longer objected to
            await evaluation.object_to_adjustment(actor=leader, adjustment_id=low.id, reason="再次")
        # when the leader objects to the second, and it is rejected
        second = await evaluation.object_to_adjustment(
            actor=leader, adjustment_id=high.id, reason="应更高"
        )
        rejected = await evaluation.resolve_objection(
            actor=admin, objection_id=second.id, upheld=False, resolution="维持"
        )
        # then it stands
        assert rejected.status is ObjectionStatus.REJECTED
        assert (await EvaluationAdjustment.get(id=high.id)).withdrawn_at is None
        assert (await EvaluationResult.get(id=result.id)).total == 500


class TestOwnEvaluation:
    """Nobody adjusts or judges their own evaluation."""

    async def test_an_admin_holding_an_evaluated_role_neither_adjusts_nor_judges_their_own(
        self,
        db: Database,
    ) -> None:
        # given the community admin also a central household of micro-grid M (living there)
        district_admin = await actor_for("district_admin")
        household = await Household.get(id=(await actor_for("central_household")).household_id or 0)
        admin_person = await person_id("community_admin")
        await households.add_member(
            actor=district_admin, household_id=household.id, person_id=admin_person
        )
        await assign_role(
            actor=district_admin,
            person_id=admin_person,
            role=Role.CENTRAL_HOUSEHOLD,
            area_id=household.micro_grid_id or 0,
        )
        period = await scored(DEMO, "2025Q1", by="community_admin")
        admin = await actor_for("community_admin")
        own = await EvaluationResult.get(period_id=period.id, person_id=admin_person)
        # then they cannot adjust their own result
        with pytest.raises(Forbidden):
            await adjust(own, 5, by="community_admin")
        # and when the street admin adjusts it and they object
        made = await adjust(own, -5, by="street_admin")
        objection = await evaluation.object_to_adjustment(
            actor=admin, adjustment_id=made.id, reason="有误"
        )
        # then someone else resolves it
        with pytest.raises(Forbidden):
            await evaluation.resolve_objection(
                actor=admin, objection_id=objection.id, upheld=True, resolution="同意"
            )
        done = await evaluation.resolve_objection(
            actor=await actor_for("street_admin"),
            objection_id=objection.id,
            upheld=True,
            resolution="同意",
        )
        assert done.status is ObjectionStatus.UPHELD
        assert await EvaluationObjection.filter(period_id=period.id).count() == 1
