"""Results (services.evaluation.results): exit reviews cleared or closed, and who sees what."""

from __future__ import annotations

import pytest

from services import evaluation, households
from services.accounts import create_account, load_actor
from services.enums import (
    ExitReviewStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit.auth import Actor
from services.kit.pagination import Window
from services.models import (
    EvaluationHonour,
    EvaluationResult,
    ExitReview,
    Household,
    RoleAssignment,
)
from services.people import end_role
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import (
    DEMO,
    SIBLING,
    account_in,
    area,
    open_period,
    past,
    publish,
    scored,
    set_scheme,
)
from tests.services.points_support import person_id

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


async def _sibling_resident() -> Actor:
    """A signed-up resident living in the sibling community."""
    account = await create_account(
        username="sibling_resident", password="quiet-harbour-lantern", name="邻社区居民", phone=None
    )
    sibling = await area(SIBLING)
    home = await Household.filter(path__startswith=sibling.path).order_by("id").first()
    assert home is not None
    await households.add_member(
        actor=await actor_for("street_admin"), household_id=home.id, person_id=account.person_id
    )
    actor = await load_actor(account_id=account.id)
    assert actor is not None and actor.household_path is not None
    return actor


class TestClearExitReview:
    """A review is cleared once, or closed by ending the role."""

    async def test_a_review_is_cleared_once_with_a_reason_or_closed_by_ending_the_role(
        self,
        db: Database,
    ) -> None:
        await set_scheme(exit_threshold=60)
        for quarter in ("2025Q1", "2025Q2"):
            period = await publish(await scored(SIBLING, quarter))
        reviews = await ExitReview.filter(period_id=period.id).order_by("id")
        kept, ended = reviews[:2]
        admin = await actor_for("street_admin")
        # a non-admin cannot clear a review, nor an empty reason
        with pytest.raises(NotFound):
            await evaluation.clear_exit_review(
                actor=await actor_for("grid_leader"), review_id=kept.id, reason="继续任职"
            )
        with pytest.raises(InvalidInput):
            await evaluation.clear_exit_review(actor=admin, review_id=kept.id, reason=" ")
        # when an admin clears one
        cleared = await evaluation.clear_exit_review(
            actor=admin, review_id=kept.id, reason="新任不满半年"
        )
        assert (cleared.status, cleared.resolution) == (ExitReviewStatus.CLEARED, "新任不满半年")
        assert cleared.resolved_by_id == admin.person_id
        # then it cannot be cleared again
        with pytest.raises(Conflict):
            await evaluation.clear_exit_review(actor=admin, review_id=kept.id, reason="再次")
        # and ending the other's role closes theirs, the reason kept
        await end_role(actor=admin, assignment_id=ended.assignment_id, reason="连续两季度末位")
        closed = await ExitReview.get(id=ended.id)
        assert (closed.status, closed.resolution) == (ExitReviewStatus.ROLE_ENDED, "连续两季度末位")
        assert closed.resolved_by_id == admin.person_id
        assert (await RoleAssignment.get(id=ended.assignment_id)).until is not None
        with pytest.raises(Conflict):
            await evaluation.clear_exit_review(actor=admin, review_id=ended.id, reason="继续任职")
        # and the list of open reviews no longer shows either
        open_ones = await evaluation.exit_reviews(
            actor=admin, under_id=(await area(SIBLING)).id, status=ExitReviewStatus.OPEN
        )
        assert {kept.id, ended.id}.isdisjoint(r.id for r in open_ones)


class TestEvaluation:
    """Who sees a result, while scoring and once published."""

    async def test_holders_see_their_own_result_while_scoring_and_the_community_all_once_published(
        self,
        db: Database,
    ) -> None:
        # given a scheme that names red flags (threshold 0) and the demo community's 2025Q2
        await set_scheme(exit_threshold=0)
        demo = await area(DEMO)
        leader = await actor_for("grid_leader")
        other = await person_id("microgrid_leader")
        period = await open_period(DEMO, "2025Q2", by="community_admin")
        # while open, nobody's result exists nor shows
        mine_before = await evaluation.my_evaluations(person_id=leader.person_id)
        assert all(r.period_id != period.id for r in mine_before)
        past("2025Q2")
        period = await evaluation.start_scoring(
            actor=await actor_for("community_admin"), period_id=period.id
        )
        # while scoring, the leader sees their own result, not other people's, nor the rankings
        mine = await evaluation.evaluation(
            actor=leader, person_id=leader.person_id, period_id=period.id, role=None
        )
        assert mine is not None and mine.role is Role.GRID_LEADER
        listed = await evaluation.my_evaluations(person_id=leader.person_id)
        assert [r.id for r in listed if r.period_id == period.id] == [mine.id]
        theirs = await EvaluationResult.get(period_id=period.id, person_id=other)
        assert (
            await evaluation.evaluation(
                actor=leader, person_id=other, period_id=period.id, role=None
            )
            is None
        )
        assert await evaluation.results_by_ids(actor=leader, result_ids=[theirs.id, mine.id]) == [
            None,
            mine,
        ]
        resident = await actor_for("resident")
        stranger = await account_in("sibling_admin", Role.COMMUNITY_ADMIN, SIBLING)
        for actor in (leader, resident, stranger):
            with pytest.raises(Forbidden):
                await evaluation.rankings(
                    actor=actor,
                    under_id=demo.id,
                    period_id=period.id,
                    role=Role.GRID_LEADER,
                    window=Window(first=10),
                )
        # while the community admin sees them all
        admin_view = await evaluation.rankings(
            actor=await actor_for("community_admin"),
            under_id=demo.id,
            period_id=period.id,
            role=Role.MICRO_GRID_LEADER,
            window=Window(first=100),
        )
        assert [r.community_rank for r in admin_view.items] == list(
            range(1, len(admin_view.items) + 1)
        )
        # when it is published
        await publish(period, by="community_admin")
        flags = await EvaluationHonour.filter(period_id=period.id).order_by("id")
        assert flags
        # then members of the community see the rankings, other results and the red flags
        for username in ("resident", "volunteer", "grid_leader"):
            member = await actor_for(username)
            page = await evaluation.rankings(
                actor=member,
                under_id=demo.id,
                period_id=period.id,
                role=Role.MICRO_GRID_LEADER,
                window=Window(first=100),
            )
            assert [r.id for r in page.items] == [r.id for r in admin_view.items]
            assert await evaluation.results_by_ids(actor=member, result_ids=[theirs.id]) == [theirs]
            seen = await evaluation.red_flags(actor=member, under_id=demo.id, period_id=period.id)
            assert sorted(h.id for h in seen) == [h.id for h in flags]
        # and people of another community do not
        outsider = await _sibling_resident()
        for actor in (outsider, stranger):
            with pytest.raises(Forbidden):
                await evaluation.rankings(
                    actor=actor,
                    under_id=demo.id,
                    period_id=period.id,
                    role=Role.MICRO_GRID_LEADER,
                    window=Window(first=100),
                )
            assert await evaluation.results_by_ids(actor=actor, result_ids=[theirs.id]) == [None]
            assert (
                await evaluation.red_flags(actor=actor, under_id=demo.id, period_id=period.id) == []
            )
            assert (
                await evaluation.evaluation(
                    actor=actor, person_id=other, period_id=period.id, role=None
                )
                is None
            )
