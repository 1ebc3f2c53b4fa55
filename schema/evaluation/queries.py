"""Queries of the evaluation scheme, periods, results, red flags, exit and training."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.arguments import Under
from schema.core.context import Info
from schema.core.ids import id_argument, node_key, require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.evaluation.types import (
    AreaEvaluation,
    Evaluation,
    EvaluationPeriod,
    EvaluationScheme,
    ExitReview,
    Honour,
    TrainingSession,
)
from services import evaluation
from services.enums import AreaLevel, ExitReviewStatus, Role
from services.evaluation.results import EXIT_REVIEWS_LIMIT, RED_FLAGS_LIMIT


@strawberry.type
class EvaluationQuery:
    @strawberry.field(
        description="The evaluation scheme in force for an area, with its community's "
        "detailed rules inside a community (signed-in users)."
    )
    async def evaluation_scheme(
        self,
        info: Info,
        under: Under,
    ) -> EvaluationScheme:
        view = await evaluation.evaluation_scheme(
            actor=info.context.actor, under_id=require_key(under, "Area", "under")
        )
        return EvaluationScheme.build(view.scheme, view.details)

    @strawberry.field(
        description="Periods of an area, of the areas above it and below it, newest first."
    )
    async def evaluation_periods(
        self,
        info: Info,
        under: Under,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[EvaluationPeriod]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: evaluation.list_periods(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                window=window,
            ),
            EvaluationPeriod.from_model,
        )

    @strawberry.field(
        description="A person's evaluation in a period (null if none or not visible): for "
        "`role`, else their highest evaluated role."
    )
    async def evaluation(
        self,
        info: Info,
        person_id: Annotated[relay.GlobalID, id_argument("Person", description="The person.")],
        period_id: Annotated[
            relay.GlobalID, id_argument("EvaluationPeriod", description="The period.")
        ],
        role: Annotated[
            Role | None,
            strawberry.argument(description="The role (when they hold several)."),
        ] = None,
    ) -> Evaluation | None:
        found = await evaluation.evaluation(
            actor=info.context.actor,
            person_id=require_key(person_id, "Person", "personId"),
            period_id=require_key(period_id, "EvaluationPeriod", "periodId"),
            role=role,
        )
        return Evaluation.from_model(found) if found else None

    @strawberry.field(
        description="Evaluations of one role ranked under a street (by street rank) or a "
        "community or below (by community rank). Admins of the area once scoring starts; "
        "members of the community once published."
    )
    async def rankings(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Street or below.")],
        period_id: Annotated[
            relay.GlobalID, id_argument("EvaluationPeriod", description="The period.")
        ],
        role: Annotated[Role, strawberry.argument(description="The evaluated role.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Evaluation]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: evaluation.rankings(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                period_id=require_key(period_id, "EvaluationPeriod", "periodId"),
                role=role,
                window=window,
            ),
            Evaluation.from_model,
        )

    @strawberry.field(
        description="Grids or micro-grids of a community ranked by their score in a period "
        "(see AreaEvaluation for how it is computed)."
    )
    async def area_rankings(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Community or below.")],
        period_id: Annotated[
            relay.GlobalID, id_argument("EvaluationPeriod", description="The period.")
        ],
        level: Annotated[AreaLevel, strawberry.argument(description="GRID or MICRO_GRID.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[AreaEvaluation]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: evaluation.area_rankings(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                period_id=require_key(period_id, "EvaluationPeriod", "periodId"),
                level=level,
                window=window,
            ),
            AreaEvaluation.from_model,
        )

    @strawberry.field(
        description="Red-flag honours under an area: of one period, or all published ones "
        f"(the history), newest quarter first (at most {RED_FLAGS_LIMIT}). Public within each "
        "community."
    )
    async def red_flags(
        self,
        info: Info,
        under: Under,
        period_id: Annotated[
            relay.GlobalID | None,
            id_argument("EvaluationPeriod", description="One period (all when omitted)."),
        ] = None,
    ) -> list[Honour]:
        found = await evaluation.red_flags(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            period_id=node_key(period_id, "EvaluationPeriod", "periodId"),
        )
        return [Honour.from_model(h) for h in found]

    @strawberry.field(
        description="Dynamic-exit reviews under an area, newest first (the latest "
        f"{EXIT_REVIEWS_LIMIT}; admins)."
    )
    async def exit_reviews(
        self,
        info: Info,
        under: Under,
        status: Annotated[
            ExitReviewStatus | None,
            strawberry.argument(description="Only this status (all when omitted)."),
        ] = None,
    ) -> list[ExitReview]:
        found = await evaluation.exit_reviews(
            actor=info.context.actor, under_id=require_key(under, "Area", "under"), status=status
        )
        return [ExitReview.from_model(r) for r in found]

    @strawberry.field(
        description="Training sessions organised in an area, above it or below it, newest "
        "first (signed-in users)."
    )
    async def training_sessions(
        self,
        info: Info,
        under: Under,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[TrainingSession]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: evaluation.list_sessions(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                window=window,
            ),
            TrainingSession.from_model,
        )
