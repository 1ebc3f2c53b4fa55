"""Demo evaluation: the district scheme, 颜山社区's detailed rules, a training session, last
quarter evaluated and published (with its red flags), and the current quarter open."""

from __future__ import annotations

import random
from datetime import timedelta

from seed.points import demo_actor
from services import evaluation
from services.enums import EVALUATED_ROLES, EVALUATION_DIMENSIONS, Dimension
from services.evaluation.scoring import previous_quarter, quarter_bounds
from services.kit import clock
from services.kit.calendar import period_of
from services.models import Area, EvaluationResult, RoleAssignment

# (code, name, dimension, most points): what 颜山社区's admins score by hand each quarter.
MANUAL_ITEMS: tuple[tuple[str, str, Dimension, int], ...] = (
    ("HOUSEHOLD_VISITS", "入户走访与政策宣传", Dimension.POLICY_COMMUNICATION, 20),
    ("DUTY_ATTENDANCE", "例会与值班出勤", Dimension.MANAGEMENT_SERVICE, 15),
    ("INFO_COLLECTION", "社情民意收集上报", Dimension.INFORMATION_REPORTING, 20),
    ("REQUESTS_HANDLED", "群众诉求办理", Dimension.PROBLEM_HANDLING, 20),
)
# Points rules as 颜山社区 counts them: volunteer hours count in management and service, and
# no single rule may carry a dimension on its own.
RULE_LINKS: tuple[tuple[str, Dimension | None, int], ...] = (
    ("VOLUNTEER_HOUR", Dimension.MANAGEMENT_SERVICE, 5),
    ("NOTICE_RELAYED", None, 5),
    ("PROBLEM_REPORTED", None, 5),
    ("ORDER_RESOLVED", None, 5),
)
# The demo story's people evaluate best (its grid, micro-grid and central household).
STORY = ("grid_leader", "microgrid_leader", "central_household")


async def seed_evaluation(*, community: Area) -> None:
    """Scheme, detailed rules, training, a published last quarter and the current one open."""
    district = await demo_actor("district_admin")
    admin = await demo_actor("community_admin")
    district_area = await Area.get(path="/" + community.path.strip("/").split("/")[0] + "/")
    # 25 points per dimension with equal weights: a total is simply the sum of the four.
    await evaluation.update_scheme(
        actor=district,
        area_id=district_area.id,
        data=evaluation.SchemeInput(
            roles=[
                evaluation.RoleSpec(
                    role, tuple(evaluation.DimensionSpec(d, 25, 25) for d in EVALUATION_DIMENSIONS)
                )
                for role in EVALUATED_ROLES
            ],
            training_points=5,
        ),
    )
    await evaluation.update_scheme(
        actor=admin,
        area_id=community.id,
        data=evaluation.SchemeInput(
            rule_links=[evaluation.RuleLink(c, d, cap) for c, d, cap in RULE_LINKS],
            manual_items=[evaluation.ManualItem(*item) for item in MANUAL_ITEMS],
        ),
    )
    last = previous_quarter(period_of(clock.now()))
    _, start, _ = quarter_bounds(last)
    holders = await RoleAssignment.filter(
        role__in=list(EVALUATED_ROLES),
        until=None,
        area_path__startswith=community.path,
    ).order_by("id")
    # The community's training on the new notice workflow, mid last quarter.
    session = await evaluation.create_session(
        actor=admin,
        area_id=community.id,
        topic="网格员业务培训：政策传达与诉求办理流程",
        place="颜山社区党群服务中心",
        starts_at=start + timedelta(days=40, hours=1),
    )
    rng = random.Random(20260401)
    story = {(await demo_actor(u)).person_id for u in STORY}
    attended = sorted({h.person_id for h in holders if h.person_id in story or rng.random() < 0.6})
    await evaluation.record_attendance(actor=admin, session_id=session.id, person_ids=attended)
    period = await evaluation.open_period(actor=admin, area_id=community.id, quarter=last)
    await evaluation.start_scoring(actor=admin, period_id=period.id)
    for result in await EvaluationResult.filter(period_id=period.id).order_by("id"):
        best = result.person_id in story
        for code, name, _, most in MANUAL_ITEMS:
            score = most - rng.randint(0, 1) if best else rng.randint(most // 2, most - 1)
            await evaluation.adjust_score(
                actor=admin,
                result_id=result.id,
                dimension=None,
                points=score,
                reason=f"{last} {name}考核",
                item_code=code,
            )
    await evaluation.publish_period(actor=admin, period_id=period.id)
    await evaluation.open_period(actor=admin, area_id=community.id, quarter=None)
