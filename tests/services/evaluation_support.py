"""Factories and probes for the evaluation tests (data built through services).

The demo may one day carry evaluation data of its own (a published previous quarter and the
current quarter open in the demo community, a scheme version): the tests evaluate quarters of
2025, mostly in the sibling community, and write the scheme they rely on explicitly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services import evaluation, points
from services.accounts import create_account, load_actor
from services.enums import (
    EVALUATED_ROLES,
    EVALUATION_DIMENSIONS,
    AreaLevel,
    Dimension,
    HonourKind,
    Role,
)
from services.evaluation import DimensionSpec, HonourSpec, RoleSpec, SchemeInput
from services.evaluation.periods import HONOUR_SOURCE
from services.kit import clock as service_clock
from services.kit.auth import Actor
from services.kit.calendar import quarter_window
from services.models import (
    Area,
    EvaluationAdjustment,
    EvaluationHonour,
    EvaluationPeriod,
    EvaluationResult,
    ExitReview,
    PointsTransaction,
    RoleAssignment,
)
from services.people import assign_role
from tests.conftest import actor_for
from tests.services.points_support import OTHER_COMMUNITY, Clock

TZ = ZoneInfo("Asia/Shanghai")
POLICY = Dimension.POLICY_COMMUNICATION
MANAGEMENT = Dimension.MANAGEMENT_SERVICE
INFORMATION = Dimension.INFORMATION_REPORTING
PROBLEMS = Dimension.PROBLEM_HANDLING
VOLUNTEER = Dimension.VOLUNTEER_SERVICE
# Rules of the tests' own, one point a unit, one per dimension (and a penalty).
CODES = {
    POLICY: "E_POL",
    MANAGEMENT: "E_MGT",
    INFORMATION: "E_INF",
    PROBLEMS: "E_PRB",
    VOLUNTEER: "E_VOL",
}
FINE = "E_FINE"  # -1 a unit, in INFORMATION_REPORTING
SIBLING = OTHER_COMMUNITY
DEMO = "颜山社区"
STREET = "城西街道"
DEMO_GRID = "颜山第一网格"


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment in the configured (Beijing) time zone."""
    return datetime(year, month, day, hour, tzinfo=TZ)


# A moment inside each quarter the tests evaluate.
IN_QUARTER = {
    "2025Q1": local(2025, 2, 14),
    "2025Q2": local(2025, 5, 14),
    "2025Q3": local(2025, 8, 14),
    "2025Q4": local(2025, 11, 14),
}


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def set_scheme(
    *,
    weights: Sequence[int] = (25, 25, 25, 25),
    max_scores: Sequence[int] = (100, 100, 100, 100),
    honours: dict[HonourKind, tuple[int, int]] | None = None,
    training_points: int = 10,
    exit_threshold: int = 60,
) -> evaluation.SchemeView:
    """Write a district scheme version with every field given (the same for every role);
    `weights` and `max_scores` in the order of EVALUATION_DIMENSIONS, honours as (top, bonus)."""
    tops = honours or {
        HonourKind.RED_FLAG_GRID: (1, 50),
        HonourKind.RED_FLAG_MICRO_GRID: (2, 30),
        HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD: (3, 20),
    }
    dims = tuple(
        DimensionSpec(d, w, m)
        for d, w, m in zip(EVALUATION_DIMENSIONS, weights, max_scores, strict=True)
    )
    return await evaluation.update_scheme(
        actor=await actor_for("district_admin"),
        area_id=(await district()).id,
        data=SchemeInput(
            roles=[RoleSpec(role, dims) for role in EVALUATED_ROLES],
            honours=[HonourSpec(kind, top, bonus) for kind, (top, bonus) in tops.items()],
            training_points=training_points,
            exit_threshold=exit_threshold,
        ),
    )


async def district() -> Area:
    found = await Area.filter(level=AreaLevel.DISTRICT).order_by("id").first()
    assert found is not None
    return found


async def make_rules() -> None:
    """The tests' rules, as district defaults."""
    admin = await actor_for("district_admin")
    for dimension, code in [*CODES.items(), (INFORMATION, FINE)]:
        await points.create_rule(
            actor=admin,
            code=code,
            area_id=None,
            data=points.RuleInput(
                name=f"{code} 规则", dimension=dimension, points=-1 if code == FINE else 1
            ),
        )


async def give(
    clock: Clock,
    quarter: str,
    person_id: int,
    code: str,
    quantity: int,
    *,
    by: str = "street_admin",
) -> None:
    """Award (or, for a negative rule, penalize) `quantity` units inside `quarter`."""
    clock.set(IN_QUARTER[quarter])
    actor = await actor_for(by)
    if code == FINE:
        await points.penalize_points(
            actor=actor,
            person_id=person_id,
            rule_code=code,
            quantity=quantity,
            reason="迟报漏报",
            source=None,
            idempotency_key=uuid.uuid4().hex,
        )
    else:
        await points.award_points(
            actor=actor,
            person_id=person_id,
            rule_code=code,
            quantity=quantity,
            reason="网格工作",
            source=None,
            idempotency_key=uuid.uuid4().hex,
        )


async def holders(community: str, role: Role) -> list[RoleAssignment]:
    """Open assignments of an evaluated role in a community, earliest first."""
    found = await area(community)
    return await RoleAssignment.filter(
        role=role, until=None, area_path__startswith=found.path
    ).order_by("id")


async def all_holders(community: str) -> list[RoleAssignment]:
    found = await area(community)
    return await RoleAssignment.filter(
        role__in=list(EVALUATED_ROLES), until=None, area_path__startswith=found.path
    ).order_by("id")


async def open_period(
    community: str, quarter: str | None, *, by: str = "street_admin"
) -> EvaluationPeriod:
    return await evaluation.open_period(
        actor=await actor_for(by), area_id=(await area(community)).id, quarter=quarter
    )


def past(quarter: str) -> None:
    """Moves the service clock to the end of `quarter` (the first moment after it) when it is
    earlier: a quarter is scored and published once it is over. Later moments stay."""
    end = quarter_window(quarter)[1]
    if service_clock.now() < end:
        service_clock.freeze(end)


async def scored(community: str, quarter: str, *, by: str = "street_admin") -> EvaluationPeriod:
    """A period opened and being scored (the clock past its quarter)."""
    period = await open_period(community, quarter, by=by)
    past(quarter)
    return await evaluation.start_scoring(actor=await actor_for(by), period_id=period.id)


async def publish(period: EvaluationPeriod, *, by: str = "street_admin") -> EvaluationPeriod:
    """Publish the period (the clock past its quarter)."""
    past(period.quarter)
    return await evaluation.publish_period(actor=await actor_for(by), period_id=period.id)


async def result_of(period: EvaluationPeriod, assignment_id: int) -> EvaluationResult:
    return await EvaluationResult.get(period_id=period.id, assignment_id=assignment_id)


def dimension_scores(result: EvaluationResult) -> dict[Dimension, int]:
    return {Dimension(d["dimension"]): int(d["score"]) for d in json.loads(result.scores)}


def weights_of(result: EvaluationResult) -> dict[Dimension, int]:
    return {Dimension(d["dimension"]): int(d["weight"]) for d in json.loads(result.scores)}


async def adjust(
    result: EvaluationResult,
    points_: int,
    *,
    dimension: Dimension | None = PROBLEMS,
    item_code: str | None = None,
    by: str = "street_admin",
) -> EvaluationAdjustment:
    return await evaluation.adjust_score(
        actor=await actor_for(by),
        result_id=result.id,
        dimension=dimension,
        points=points_,
        reason="走访记录",
        item_code=item_code,
    )


async def account_in(username: str, role: Role, area_name: str) -> Actor:
    """A new account holding `role` at an area (admins appointed by the district admin)."""
    account = await create_account(
        username=username, password="quiet-harbour-lantern", name=username, phone=None
    )
    await assign_role(
        actor=await actor_for("district_admin"),
        person_id=account.person_id,
        role=role,
        area_id=(await area(area_name)).id,
    )
    actor = await load_actor(account_id=account.id)
    assert actor is not None
    return actor


@dataclass(frozen=True)
class Rewards:
    """What publishing gave: honours, their bonus transactions, exit reviews."""

    honours: int
    transactions: int
    reviews: int


async def rewards(period: EvaluationPeriod) -> Rewards:
    honours = await EvaluationHonour.filter(period_id=period.id).values_list("id", flat=True)
    return Rewards(
        honours=len(honours),
        transactions=await PointsTransaction.filter(
            source_type=HONOUR_SOURCE, source_id__in=[str(i) for i in honours]
        ).count(),
        reviews=await ExitReview.filter(period_id=period.id).count(),
    )


async def training(community: str, *attended: int, at: datetime) -> None:
    """A training session of a community at `at`, attended by these people."""
    admin = await actor_for("street_admin")
    session = await evaluation.create_session(
        actor=admin,
        area_id=(await area(community)).id,
        topic="网格员培训",
        place="社区会议室",
        starts_at=at,
    )
    # attendance is recorded once the session has begun
    with service_clock.frozen(at + timedelta(hours=1)):
        await evaluation.record_attendance(
            actor=admin, session_id=session.id, person_ids=list(attended)
        )
