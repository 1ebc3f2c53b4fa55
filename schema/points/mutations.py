"""Mutations of points: awards, reviews, penalties, reversals, rules and policies."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.arguments import source_of
from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import node_key, require_key
from schema.core.inputs import given
from schema.points.inputs import (
    ApproveAwardInput,
    AwardPointsBatchInput,
    AwardPointsInput,
    CreatePointsRuleInput,
    PenalizePointsInput,
    RejectAwardInput,
    RetirePointsRuleInput,
    ReverseTransactionInput,
    SetPointsPolicyInput,
    UpdatePointsRuleInput,
)
from schema.points.payloads import (
    ApproveAwardResult,
    ApproveAwardSuccess,
    AwardPointsBatchOutcome,
    AwardPointsBatchRefused,
    AwardPointsBatchResult,
    AwardPointsBatchSuccess,
    AwardPointsResult,
    AwardPointsSuccess,
    CreatePointsRuleResult,
    CreatePointsRuleSuccess,
    PenalizePointsResult,
    PenalizePointsSuccess,
    RejectAwardResult,
    RejectAwardSuccess,
    RetirePointsRuleResult,
    RetirePointsRuleSuccess,
    ReverseTransactionResult,
    ReverseTransactionSuccess,
    SetPointsPolicyResult,
    SetPointsPolicySuccess,
    UpdatePointsRuleResult,
    UpdatePointsRuleSuccess,
)
from schema.points.types import PointsAward, PointsPolicy, PointsRule, PointsTransaction
from services import points


def _new_rule(input: CreatePointsRuleInput) -> points.RuleInput:
    """A new rule's fields (absent roles: none, i.e. anyone in scope, admins and leaders)."""
    return points.RuleInput(
        name=input.name,
        dimension=input.dimension,
        points=input.points,
        requires_review=input.requires_review,
        cap_per_day=input.cap_per_day,
        cap_per_month=input.cap_per_month,
        cap_per_quarter=input.cap_per_quarter,
        receiver_roles=[] if input.receiver_roles is None else input.receiver_roles,
        granter_roles=[] if input.granter_roles is None else input.granter_roles,
    )


@strawberry.type
class PointsMutation:
    @strawberry.mutation(description="Award points by a rule (admins and leaders in scope).")
    async def award_points(
        self, info: Info, input: Annotated[AwardPointsInput, MUTATION_INPUT]
    ) -> AwardPointsResult:
        award = await points.award_points(
            actor=info.context.actor,
            person_id=require_key(input.person_id, "Person", "personId"),
            rule_code=input.rule_code,
            quantity=input.quantity,
            reason=input.reason,
            source=source_of(input.source_id),
            idempotency_key=input.idempotency_key,
        )
        return AwardPointsSuccess(award=PointsAward.from_model(award))

    @strawberry.mutation(
        description="Award one rule to several people or to every active member of a "
        "volunteer team: each person's outcome (all or nothing with `atomic`)."
    )
    async def award_points_batch(
        self, info: Info, input: Annotated[AwardPointsBatchInput, MUTATION_INPUT]
    ) -> AwardPointsBatchResult:
        result = await points.award_points_batch(
            actor=info.context.actor,
            person_ids=None
            if input.person_ids is None
            else [require_key(p, "Person", "personIds") for p in input.person_ids],
            team_id=node_key(input.team_id, "VolunteerTeam", "teamId"),
            rule_code=input.rule_code,
            quantity=input.quantity,
            reason=input.reason,
            source=source_of(input.source_id),
            idempotency_key=input.idempotency_key,
            atomic=input.atomic,
        )
        outcomes = [AwardPointsBatchOutcome.of(o) for o in result.outcomes]
        if result.refused:
            first = next(o.error for o in outcomes if o.error is not None)
            return AwardPointsBatchRefused(
                code=first.code,
                message=f"Nobody was awarded: {len(outcomes)} could not be. {first.message}",
                field="personIds" if input.person_ids is not None else "teamId",
                refusals=outcomes,
            )
        return AwardPointsBatchSuccess(
            awards=[PointsAward.from_model(a) for a in result.awards], outcomes=outcomes
        )

    @strawberry.mutation(description="Approve a pending award (community admins).")
    async def approve_award(
        self, info: Info, input: Annotated[ApproveAwardInput, MUTATION_INPUT]
    ) -> ApproveAwardResult:
        award = await points.approve_award(
            actor=info.context.actor,
            award_id=require_key(input.award_id, "PointsAward", "awardId"),
        )
        return ApproveAwardSuccess(award=PointsAward.from_model(award))

    @strawberry.mutation(description="Reject a pending award with a reason (community admins).")
    async def reject_award(
        self, info: Info, input: Annotated[RejectAwardInput, MUTATION_INPUT]
    ) -> RejectAwardResult:
        award = await points.reject_award(
            actor=info.context.actor,
            award_id=require_key(input.award_id, "PointsAward", "awardId"),
            reason=input.reason,
        )
        return RejectAwardSuccess(award=PointsAward.from_model(award))

    @strawberry.mutation(description="Take points by a penalty rule (never below zero).")
    async def penalize_points(
        self, info: Info, input: Annotated[PenalizePointsInput, MUTATION_INPUT]
    ) -> PenalizePointsResult:
        tx = await points.penalize_points(
            actor=info.context.actor,
            person_id=require_key(input.person_id, "Person", "personId"),
            rule_code=input.rule_code,
            quantity=input.quantity,
            reason=input.reason,
            source=source_of(input.source_id),
            idempotency_key=input.idempotency_key,
        )
        return PenalizePointsSuccess(transaction=PointsTransaction.from_model(tx))

    @strawberry.mutation(description="Reverse an award or penalty (admins of its community).")
    async def reverse_transaction(
        self, info: Info, input: Annotated[ReverseTransactionInput, MUTATION_INPUT]
    ) -> ReverseTransactionResult:
        tx = await points.reverse_transaction(
            actor=info.context.actor,
            transaction_id=require_key(input.transaction_id, "PointsTransaction", "transactionId"),
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        return ReverseTransactionSuccess(transaction=PointsTransaction.from_model(tx))

    @strawberry.mutation(
        description="Create a rule: district admins (default) or community admins."
    )
    async def create_points_rule(
        self, info: Info, input: Annotated[CreatePointsRuleInput, MUTATION_INPUT]
    ) -> CreatePointsRuleResult:
        rule = await points.create_rule(
            actor=info.context.actor,
            code=input.code,
            area_id=node_key(input.area_id, "Area", "areaId"),
            data=_new_rule(input),
        )
        return CreatePointsRuleSuccess(rule=PointsRule.from_model(rule))

    @strawberry.mutation(description="Change a rule (who may create it may change it).")
    async def update_points_rule(
        self, info: Info, input: Annotated[UpdatePointsRuleInput, MUTATION_INPUT]
    ) -> UpdatePointsRuleResult:
        rule = await points.update_rule(
            actor=info.context.actor,
            rule_id=require_key(input.rule_id, "PointsRule", "ruleId"),
            changes=given(input, exclude=("rule_id",)),
        )
        return UpdatePointsRuleSuccess(rule=PointsRule.from_model(rule))

    @strawberry.mutation(description="Retire a rule (who may create it may retire it).")
    async def retire_points_rule(
        self, info: Info, input: Annotated[RetirePointsRuleInput, MUTATION_INPUT]
    ) -> RetirePointsRuleResult:
        rule = await points.retire_rule(
            actor=info.context.actor, rule_id=require_key(input.rule_id, "PointsRule", "ruleId")
        )
        return RetirePointsRuleSuccess(rule=PointsRule.from_model(rule))

    @strawberry.mutation(description="Set the expiry and pickup policy (as for rules).")
    async def set_points_policy(
        self, info: Info, input: Annotated[SetPointsPolicyInput, MUTATION_INPUT]
    ) -> SetPointsPolicyResult:
        policy = await points.set_policy(
            actor=info.context.actor,
            area_id=node_key(input.area_id, "Area", "areaId"),
            expiry=input.expiry,
            expiry_months=input.expiry_months,
            hold_days=input.hold_days,
        )
        return SetPointsPolicySuccess(policy=PointsPolicy.from_model(policy))
