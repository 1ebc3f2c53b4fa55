"""Separation of duties: nobody approves, reverses, adjusts, verifies or hands over anything
that pays or benefits themselves.

One table: every action that moves points, hours, evaluation scores or redemptions, each
arranged on the demo district so that the same action can be taken once on the actor's own
benefit (`mine`: refused with Forbidden, and the database is left exactly as it was) and once
on someone else's (`theirs`: done).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from seed.volunteering import PAST
from services import evaluation, market, notices, points, volunteering
from services.accounts import load_actor
from services.enums import Dimension, PeriodStatus, Role
from services.errors import Forbidden
from services.evaluation.periods import HONOUR_SOURCE
from services.kit import clock
from services.kit.auth import Actor, RoleGrant
from services.models import (
    ActivitySignUp,
    Area,
    EvaluationHonour,
    EvaluationPeriod,
    EvaluationResult,
    ExitReview,
    PointsTransaction,
    RoleAssignment,
    UserAccount,
    VolunteerActivity,
)
from services.people import assign_role
from tests.conftest import Database, actor_for
from tests.services.database_support import fingerprint
from tests.services.points_support import award, community, key, penalize, redeem, reward, rule
from tests.services.workorders_support import act, grid, place, report

Action = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class Scene:
    """The same action twice: on the actor's own benefit, and on someone else's."""

    mine: Action
    theirs: Action


# --- people of the demo, promoted where the story needs an admin who is also a beneficiary -------


async def promote(username: str) -> Actor:
    """The demo account `username`, made a second admin of the demo community (by the street
    admin), as an actor: an admin who is also a role holder, a receiver of points."""
    account = await UserAccount.get(username=username)
    await assign_role(
        actor=await actor_for("street_admin"),
        person_id=account.person_id,
        role=Role.COMMUNITY_ADMIN,
        area_id=(await community()).id,
    )
    actor = await load_actor(account_id=account.id)
    assert actor is not None
    return actor


async def promote_person(person_id: int) -> Actor:
    """A person without a sign-in, made an admin of the demo community, as an actor."""
    area = await community()
    await assign_role(
        actor=await actor_for("street_admin"),
        person_id=person_id,
        role=Role.COMMUNITY_ADMIN,
        area_id=area.id,
    )
    held = await RoleAssignment.filter(person_id=person_id, until=None).exclude(area_id=None)
    grants = []
    for r in held:
        place = await Area.get(id=r.area_id)
        grants.append(RoleGrant(r.role, place.id, place.path, place.level))
    return Actor(account_id=0, person_id=person_id, username="promoted", grants=tuple(grants))


async def pid(username: str) -> int:
    return (await actor_for(username)).person_id


# --- points --------------------------------------------------------------------------------------


async def award_points() -> Scene:
    await rule("SOD_HOUR")
    admin = await actor_for("community_admin")

    def call(username: str) -> Action:
        async def run() -> Any:
            return await points.award_points(
                actor=admin,
                person_id=await pid(username),
                rule_code="SOD_HOUR",
                quantity=1,
                reason="社区清扫",
                source=None,
                idempotency_key=key(),
            )

        return run

    return Scene(mine=call("community_admin"), theirs=call("volunteer"))


async def award_points_batch() -> Scene:
    await rule("SOD_HOUR")
    admin = await actor_for("community_admin")

    def call(usernames: tuple[str, ...]) -> Action:
        async def run() -> Any:
            return await points.award_points_batch(
                actor=admin,
                person_ids=[await pid(u) for u in usernames],
                rule_code="SOD_HOUR",
                quantity=1,
                reason="社区清扫",
                source=None,
                idempotency_key=key(),
            )

        return run

    return Scene(mine=call(("volunteer", "community_admin")), theirs=call(("volunteer", "rider")))


async def penalize_points() -> Scene:
    await rule("SOD_FINE", -5)
    admin = await actor_for("community_admin")

    def call(username: str) -> Action:
        async def run() -> Any:
            return await points.penalize_points(
                actor=admin,
                person_id=await pid(username),
                rule_code="SOD_FINE",
                quantity=1,
                reason="无故缺岗",
                source=None,
                idempotency_key=key(),
            )

        return run

    return Scene(mine=call("community_admin"), theirs=call("volunteer"))


async def _pending_awards() -> tuple[int, int]:
    """Awards waiting for review, asked for by the street admin: one paid to the community
    admin, one to the volunteer."""
    await rule("SOD_DEED", 30, requires_review=True)
    mine = await award("community_admin", code="SOD_DEED", by="street_admin")
    theirs = await award("volunteer", code="SOD_DEED", by="street_admin")
    return mine.id, theirs.id


async def approve_award() -> Scene:
    mine, theirs = await _pending_awards()
    admin = await actor_for("community_admin")
    return Scene(
        mine=lambda: points.approve_award(actor=admin, award_id=mine),
        theirs=lambda: points.approve_award(actor=admin, award_id=theirs),
    )


async def reject_award() -> Scene:
    mine, theirs = await _pending_awards()
    admin = await actor_for("community_admin")
    return Scene(
        mine=lambda: points.reject_award(actor=admin, award_id=mine, reason="不符合条件"),
        theirs=lambda: points.reject_award(actor=admin, award_id=theirs, reason="不符合条件"),
    )


def _reverse(admin: Actor, transaction_id: int) -> Action:
    return lambda: points.reverse_transaction(
        actor=admin, transaction_id=transaction_id, reason="更正", idempotency_key=key()
    )


async def reverse_penalty() -> Scene:
    # The penalties were imposed by the district admin: the community admin may correct the
    # volunteer's, never their own.
    await rule("SOD_FINE", -5)
    mine = await penalize("community_admin", code="SOD_FINE", by="district_admin")
    theirs = await penalize("volunteer", code="SOD_FINE", by="district_admin")
    admin = await actor_for("community_admin")
    return Scene(mine=_reverse(admin, mine.id), theirs=_reverse(admin, theirs.id))


async def reverse_award() -> Scene:
    await rule("SOD_HOUR")
    mine = await award("community_admin", code="SOD_HOUR", by="street_admin")
    theirs = await award("volunteer", code="SOD_HOUR", by="street_admin")
    assert mine.transaction_id is not None and theirs.transaction_id is not None
    admin = await actor_for("community_admin")
    return Scene(
        mine=_reverse(admin, mine.transaction_id), theirs=_reverse(admin, theirs.transaction_id)
    )


# --- the marketplace -----------------------------------------------------------------------------


async def fulfil_redemption() -> Scene:
    # The grid leader hands over the community's rewards (station staff); they redeemed one
    # themselves, and so did the volunteer.
    await rule("SOD_HOUR")
    await award("grid_leader", code="SOD_HOUR", quantity=5)
    await award("volunteer", code="SOD_HOUR", quantity=5)
    item = await reward(price=10)
    mine = await redeem("grid_leader", item)
    theirs = await redeem("volunteer", item)
    staff = await actor_for("grid_leader")
    return Scene(
        mine=lambda: market.fulfil(actor=staff, pickup_code=mine.pickup_code),
        theirs=lambda: market.fulfil(actor=staff, pickup_code=theirs.pickup_code),
    )


# --- volunteer hours -----------------------------------------------------------------------------


async def _past_activity() -> VolunteerActivity:
    """The demo's last activity (two days ago) of the team the micro-grid leader leads."""
    return await VolunteerActivity.get(title=PAST[-1][0])


async def _served(activity: VolunteerActivity, username: str) -> ActivitySignUp:
    """`username` checked in and out of the activity by the community admin (an organiser)."""
    admin = await actor_for("community_admin")
    person = await pid(username)
    await volunteering.check_in(
        actor=admin, activity_id=activity.id, person_id=person, at=activity.starts_at
    )
    await volunteering.check_out(
        actor=admin, activity_id=activity.id, person_id=person, at=activity.ends_at
    )
    return await ActivitySignUp.get(activity_id=activity.id, person_id=person)


async def _hours() -> tuple[Actor, int, int]:
    """The team leader (an organiser) with pending hours of their own and the volunteer's."""
    activity = await _past_activity()
    mine = await _served(activity, "microgrid_leader")
    theirs = await ActivitySignUp.get(activity_id=activity.id, person_id=await pid("volunteer"))
    return await actor_for("microgrid_leader"), mine.id, theirs.id


async def approve_hours() -> Scene:
    leader, mine, theirs = await _hours()
    return Scene(
        mine=lambda: volunteering.approve_hours(
            actor=leader, sign_up_ids=[mine], idempotency_key=key()
        ),
        theirs=lambda: volunteering.approve_hours(
            actor=leader, sign_up_ids=[theirs], idempotency_key=key()
        ),
    )


async def decline_hours() -> Scene:
    leader, mine, theirs = await _hours()
    return Scene(
        mine=lambda: volunteering.decline_hours(actor=leader, sign_up_ids=[mine], reason="未到"),
        theirs=lambda: volunteering.decline_hours(
            actor=leader, sign_up_ids=[theirs], reason="未到"
        ),
    )


async def check_in() -> Scene:
    # An organiser records others' attendance, at a time of their choosing; their own goes
    # by the code, like everyone's.
    activity = await _past_activity()
    leader = await actor_for("microgrid_leader")

    def call(username: str) -> Action:
        async def run() -> Any:
            return await volunteering.check_in(
                actor=leader,
                activity_id=activity.id,
                person_id=await pid(username),
                at=activity.starts_at,
            )

        return run

    return Scene(mine=call("microgrid_leader"), theirs=call("resident"))


async def check_out() -> Scene:
    activity = await _past_activity()
    admin = await actor_for("community_admin")
    for username in ("microgrid_leader", "resident"):
        await volunteering.check_in(
            actor=admin,
            activity_id=activity.id,
            person_id=await pid(username),
            at=activity.starts_at,
        )
    leader = await actor_for("microgrid_leader")

    def call(username: str) -> Action:
        async def run() -> Any:
            return await volunteering.check_out(
                actor=leader,
                activity_id=activity.id,
                person_id=await pid(username),
                at=activity.ends_at,
            )

        return run

    return Scene(mine=call("microgrid_leader"), theirs=call("resident"))


# --- evaluation ----------------------------------------------------------------------------------


async def record_attendance() -> Scene:
    # Training attended scores in the evaluation (MANAGEMENT_SERVICE).
    promoted = await promote("microgrid_leader")
    session = await evaluation.create_session(
        actor=await actor_for("community_admin"),
        area_id=(await community()).id,
        topic="网格员业务培训",
        place="颜山社区党群服务中心",
        starts_at=clock.now() - timedelta(hours=2),
    )
    mine = [await pid("grid_leader"), promoted.person_id]
    theirs = [await pid("grid_leader")]
    return Scene(
        mine=lambda: evaluation.record_attendance(
            actor=promoted, session_id=session.id, person_ids=mine
        ),
        theirs=lambda: evaluation.record_attendance(
            actor=promoted, session_id=session.id, person_ids=theirs
        ),
    )


# The current quarter is still running: scoring and publishing it need an admin's reason.
EARLY = "换届前提前评估"


async def _scoring() -> EvaluationPeriod:
    """The demo community's current quarter (open in the demo), being scored (early, with
    the reason an admin gives for that)."""
    period = await EvaluationPeriod.get(status=PeriodStatus.OPEN)
    return await evaluation.start_scoring(
        actor=await actor_for("community_admin"), period_id=period.id, early_reason=EARLY
    )


async def _result(period: EvaluationPeriod, username: str) -> EvaluationResult:
    return await EvaluationResult.get(period_id=period.id, person_id=await pid(username))


async def adjust_evaluation_score() -> Scene:
    period = await _scoring()
    promoted = await promote("microgrid_leader")
    mine = await _result(period, "microgrid_leader")
    theirs = await _result(period, "grid_leader")

    def call(result: EvaluationResult) -> Action:
        return lambda: evaluation.adjust_score(
            actor=promoted,
            result_id=result.id,
            dimension=Dimension.PROBLEM_HANDLING,
            points=10,
            reason="群众诉求办理及时",
            item_code=None,
        )

    return Scene(mine=call(mine), theirs=call(theirs))


async def resolve_objection() -> Scene:
    period = await _scoring()
    admin = await actor_for("community_admin")
    objections = []
    for username in ("microgrid_leader", "grid_leader"):
        adjustment = await evaluation.adjust_score(
            actor=admin,
            result_id=(await _result(period, username)).id,
            dimension=Dimension.PROBLEM_HANDLING,
            points=-10,
            reason="诉求超时",
            item_code=None,
        )
        objections.append(
            await evaluation.object_to_adjustment(
                actor=await actor_for(username), adjustment_id=adjustment.id, reason="已按时办结"
            )
        )
    promoted = await promote("microgrid_leader")
    mine, theirs = objections
    return Scene(
        mine=lambda: evaluation.resolve_objection(
            actor=promoted, objection_id=mine.id, upheld=True, resolution="核实属实"
        ),
        theirs=lambda: evaluation.resolve_objection(
            actor=promoted, objection_id=theirs.id, upheld=True, resolution="核实属实"
        ),
    )


async def publish_evaluation_period() -> Scene:
    # The central household scores its manual items in full: the red flag (红旗中心户) and its
    # bonus points are theirs. Made an admin, they may not publish the period that pays them.
    period = await _scoring()
    admin = await actor_for("community_admin")
    result = await _result(period, "central_household")
    for code, most in (
        ("HOUSEHOLD_VISITS", 20),
        ("DUTY_ATTENDANCE", 15),
        ("INFO_COLLECTION", 20),
        ("REQUESTS_HANDLED", 20),
    ):
        await evaluation.adjust_score(
            actor=admin,
            result_id=result.id,
            dimension=None,
            points=most,
            reason="季度考核",
            item_code=code,
        )
    honoured = await promote("central_household")
    return Scene(
        mine=lambda: evaluation.publish_period(
            actor=honoured, period_id=period.id, early_reason=EARLY
        ),
        theirs=lambda: evaluation.publish_period(
            actor=admin, period_id=period.id, early_reason=EARLY
        ),
    )


async def clear_exit_review() -> Scene:
    # Publishing the (poorly scored) current quarter flags holders poor two quarters running.
    period = await _scoring()
    await evaluation.publish_period(
        actor=await actor_for("community_admin"), period_id=period.id, early_reason=EARLY
    )
    mine, theirs = await ExitReview.filter(period_id=period.id).order_by("id").limit(2)
    flagged = await promote_person(mine.person_id)
    return Scene(
        mine=lambda: evaluation.clear_exit_review(actor=flagged, review_id=mine.id, reason="整改"),
        theirs=lambda: evaluation.clear_exit_review(
            actor=flagged, review_id=theirs.id, reason="整改"
        ),
    )


# --- work orders and notices (they pay points) ---------------------------------------------------


async def accept_work_order() -> Scene:
    # Accepting makes the actor the handler, paid on confirmation: never of their own order.
    mine = await place("microgrid_leader", description="楼道灯坏了")
    theirs = await place("resident")
    return Scene(
        mine=lambda: act("microgrid_leader", "accept", mine),
        theirs=lambda: act("microgrid_leader", "accept", theirs),
    )


async def verify_report() -> Scene:
    # Verifying pays the handler and the reporter: the grid leader handled the first report
    # (raised to the grid) and may not verify it; the second was handled in micro-grid M.
    mine = await report(area=await grid(), description="路灯不亮")
    await act("grid_leader", "accept", mine)
    await act("grid_leader", "start", mine)
    await act("grid_leader", "resolve", mine, note="已报修")
    theirs = await report()
    await act("microgrid_leader", "accept", theirs)
    await act("microgrid_leader", "start", theirs)
    await act("microgrid_leader", "resolve", theirs, note="已清运")
    return Scene(
        mine=lambda: act("grid_leader", "verify", mine),
        theirs=lambda: act("grid_leader", "verify", theirs),
    )


async def acknowledge_notice() -> Scene:
    # Acknowledging pays NOTICE_RELAYED: a publisher is never among their notice's recipients.
    publisher = await promote("microgrid_leader")
    notice = await notices.publish_notice(
        actor=publisher,
        area_id=(await community()).id,
        title="关于开展燃气安全检查的通知",
        body="请各微网格通知到户。",
        roles=[],
    )
    recipient = await actor_for("central_household")
    return Scene(
        mine=lambda: notices.acknowledge_notice(actor=publisher, notice_id=notice.id),
        theirs=lambda: notices.acknowledge_notice(actor=recipient, notice_id=notice.id),
    )


CASES: dict[str, Callable[[], Awaitable[Scene]]] = {
    "awardPoints": award_points,
    "awardPointsBatch": award_points_batch,
    "penalizePoints": penalize_points,
    "approveAward": approve_award,
    "rejectAward": reject_award,
    "reverseTransaction (penalty)": reverse_penalty,
    "reverseTransaction (award)": reverse_award,
    "fulfilRedemption": fulfil_redemption,
    "approveHours": approve_hours,
    "declineHours": decline_hours,
    "checkIn (by an organiser)": check_in,
    "checkOut (by an organiser)": check_out,
    "recordAttendance": record_attendance,
    "adjustEvaluationScore": adjust_evaluation_score,
    "resolveObjection": resolve_objection,
    "publishEvaluationPeriod": publish_evaluation_period,
    "clearExitReview": clear_exit_review,
    "acceptWorkOrder": accept_work_order,
    "verifyReport": verify_report,
    "acknowledgeNotice": acknowledge_notice,
}


@pytest.mark.parametrize("whose", ["mine", "theirs"])
@pytest.mark.parametrize("action", list(CASES))
async def test_nobody_acts_on_their_own_benefit(db: Database, action: str, whose: str) -> None:
    # given the action arranged on the demo district
    scene = await CASES[action]()
    before = await fingerprint()
    if whose == "mine":
        # when the actor takes it on their own benefit, then it is refused and nothing changes
        with pytest.raises(Forbidden):
            await scene.mine()
        assert await fingerprint() == before
    else:
        # when they take it on someone else's, then it is done
        assert await scene.theirs() is not None
        assert await fingerprint() != before


async def test_the_period_that_honours_an_admin_is_published_by_another(db: Database) -> None:
    # given the period whose red flag goes to the central household, now also an admin
    scene = await publish_evaluation_period()
    # when they try to publish it, and then the community admin does
    with pytest.raises(Forbidden):
        await scene.mine()
    period = await scene.theirs()
    # then it was published once, by the other admin, and the honour paid its bonus
    honour = await EvaluationHonour.get(
        period_id=period.id, person_id=await pid("central_household")
    )
    assert period.published_by_id == await pid("community_admin")
    assert await PointsTransaction.exists(source_type=HONOUR_SOURCE, source_id=str(honour.id))
