"""Queries and mutations of points: rules, awards, penalties, reversals, leaderboards."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from schema.core.arguments import IDEMPOTENCY_KEY, source_of
from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    LimitExceeded,
    NotFound,
    Unauthenticated,
)
from schema.core.ids import area_key, id_argument, id_field, node_key, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.people import Role
from schema.points.types import (
    Dimension,
    ExpiryKind,
    LeaderboardEntry,
    PointsAccount,
    PointsAward,
    PointsPolicy,
    PointsRule,
    PointsStatistics,
    PointsTransaction,
)
from services import points
from services.errors import InvalidInput as InvalidInputError


def _unset_to_none(value: Any) -> Any:
    return None if value is strawberry.UNSET else value


@strawberry.input(description="Award points to a person by a rule.")
class AwardPointsInput:
    person_id: relay.GlobalID = id_field("Person", description="Who earns them.")
    rule_code: str = strawberry.field(description="The rule's code (e.g. VOLUNTEER_HOUR).")
    quantity: int = strawberry.field(
        default=1, description="Units the rule's points multiply (e.g. hours), 1-1000."
    )
    reason: str = strawberry.field(description="Why, in words (kept on the entry).")
    source_id: relay.GlobalID | None = id_field(
        default=None, description="The object earned for (activity, work order, ...)."
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type(description="The award was recorded (and posted unless it awaits review).")
class AwardPointsSuccess:
    award: PointsAward = strawberry.field(description="The award; PENDING when under review.")


AwardPointsResult = Annotated[
    AwardPointsSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | LimitExceeded
    | IdempotencyConflict,
    strawberry.union("AwardPointsResult", description="The award or why not."),
]


@strawberry.input(description="Award the same rule to several people at once (all or nothing).")
class AwardPointsBatchInput:
    person_ids: list[relay.GlobalID] = id_field("Person", description="1-200 different people.")
    rule_code: str = strawberry.field(description="The rule's code.")
    quantity: int = strawberry.field(default=1, description="Units per person, 1-1000.")
    reason: str = strawberry.field(description="Why, in words.")
    source_id: relay.GlobalID | None = id_field(default=None, description="The object earned for.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type(description="Everybody was awarded.")
class AwardPointsBatchSuccess:
    awards: list[PointsAward] = strawberry.field(description="One award per person.")


AwardPointsBatchResult = Annotated[
    AwardPointsBatchSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | LimitExceeded
    | IdempotencyConflict,
    strawberry.union(
        "AwardPointsBatchResult", description="The awards, or why nobody was awarded."
    ),
]


@strawberry.input(description="Approve an award that awaits review.")
class ApproveAwardInput:
    award_id: relay.GlobalID = id_field("PointsAward", description="The pending award.")


@strawberry.type(description="Approved: the points are posted.")
class ApproveAwardSuccess:
    award: PointsAward = strawberry.field(description="The approved award.")


ApproveAwardResult = Annotated[
    ApproveAwardSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("ApproveAwardResult", description="The approved award or why not."),
]


@strawberry.input(description="Reject an award that awaits review.")
class RejectAwardInput:
    award_id: relay.GlobalID = id_field("PointsAward", description="The pending award.")
    reason: str = strawberry.field(description="Why (shown to the requester).")


@strawberry.type(description="Rejected: nothing was posted.")
class RejectAwardSuccess:
    award: PointsAward = strawberry.field(description="The rejected award.")


RejectAwardResult = Annotated[
    RejectAwardSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("RejectAwardResult", description="The rejected award or why not."),
]


@strawberry.input(description="Take points from a person by a penalty rule.")
class PenalizePointsInput:
    person_id: relay.GlobalID = id_field("Person", description="Who is penalized.")
    rule_code: str = strawberry.field(description="The penalty rule's code.")
    quantity: int = strawberry.field(default=1, description="Units, 1-1000.")
    reason: str = strawberry.field(description="Why, in words.")
    source_id: relay.GlobalID | None = id_field(default=None, description="The object it is for.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type(
    description="Penalized. If the available balance was too small, it took what was there "
    "and `shortfall` says how much still counted against the evaluation credit."
)
class PenalizePointsSuccess:
    transaction: PointsTransaction = strawberry.field(description="The penalty.")


PenalizePointsResult = Annotated[
    PenalizePointsSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | LimitExceeded
    | IdempotencyConflict,
    strawberry.union("PenalizePointsResult", description="The penalty or why not."),
]


@strawberry.input(description="Correct an award or a penalty by a compensating transaction.")
class ReverseTransactionInput:
    transaction_id: relay.GlobalID = id_field(
        "PointsTransaction", description="The award or penalty."
    )
    reason: str = strawberry.field(description="Why (kept on the reversal).")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type(description="Reversed: a REVERSAL transaction points at the original.")
class ReverseTransactionSuccess:
    transaction: PointsTransaction = strawberry.field(description="The reversal.")


ReverseTransactionResult = Annotated[
    ReverseTransactionSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | Conflict
    | IdempotencyConflict,
    strawberry.union("ReverseTransactionResult", description="The reversal or why not."),
]


@strawberry.input(description="A new points rule (district default, or a community's override).")
class CreatePointsRuleInput:
    code: str = strawberry.field(description="1-40 letters, digits, underscores (upper-cased).")
    name: str = strawberry.field(description="Name shown to people.")
    dimension: Dimension = strawberry.field(description="Evaluation dimension.")  # type: ignore[valid-type]
    points: int = strawberry.field(description="Per unit: positive reward, negative penalty.")
    requires_review: bool = strawberry.field(
        default=False, description="Awards wait for an admin's approval."
    )
    cap_per_day: int | None = strawberry.field(default=None, description="Per-person daily cap.")
    cap_per_month: int | None = strawberry.field(default=None, description="Monthly cap.")
    cap_per_quarter: int | None = strawberry.field(default=None, description="Quarterly cap.")
    receiver_roles: list[Role] | None = strawberry.field(
        default=None, description="Roles a receiver must hold (absent: anyone in scope)."
    )
    granter_roles: list[Role] | None = strawberry.field(
        default=None, description="Roles that may grant it (absent: admins and leaders)."
    )
    area_id: relay.GlobalID | None = id_field(
        "Area",
        default=None,
        description="A community to override in (absent: the district default).",
    )


@strawberry.type(description="The rule is in force.")
class CreatePointsRuleSuccess:
    rule: PointsRule = strawberry.field(description="The new rule.")


CreatePointsRuleResult = Annotated[
    CreatePointsRuleSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CreatePointsRuleResult", description="The rule or why not."),
]


@strawberry.input(
    description="Change a rule: absent fields stay; an explicit null clears a cap. Past "
    "entries keep the points and dimension they were posted with."
)
class UpdatePointsRuleInput:
    rule_id: relay.GlobalID = id_field("PointsRule", description="The rule.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    dimension: Dimension | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="New dimension."
    )
    points: int | None = strawberry.field(default=strawberry.UNSET, description="New points.")
    requires_review: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether awards need review."
    )
    cap_per_day: int | None = strawberry.field(
        default=strawberry.UNSET, description="Daily cap (null: none)."
    )
    cap_per_month: int | None = strawberry.field(
        default=strawberry.UNSET, description="Monthly cap (null: none)."
    )
    cap_per_quarter: int | None = strawberry.field(
        default=strawberry.UNSET, description="Quarterly cap (null: none)."
    )
    receiver_roles: list[Role] | None = strawberry.field(
        default=strawberry.UNSET, description="Receiver roles (empty or null: anyone)."
    )
    granter_roles: list[Role] | None = strawberry.field(
        default=strawberry.UNSET, description="Granter roles (empty or null: admins, leaders)."
    )


@strawberry.type(description="The rule was changed.")
class UpdatePointsRuleSuccess:
    rule: PointsRule = strawberry.field(description="The rule as it is now.")


UpdatePointsRuleResult = Annotated[
    UpdatePointsRuleSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("UpdatePointsRuleResult", description="The rule or why not."),
]


@strawberry.input(description="Retire a rule (no new awards by it; history stays).")
class RetirePointsRuleInput:
    rule_id: relay.GlobalID = id_field("PointsRule", description="The rule.")


@strawberry.type(description="The rule is retired.")
class RetirePointsRuleSuccess:
    rule: PointsRule = strawberry.field(description="The retired rule.")


RetirePointsRuleResult = Annotated[
    RetirePointsRuleSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("RetirePointsRuleResult", description="The retired rule or why not."),
]


@strawberry.input(description="Set when points expire and how long redemptions are held.")
class SetPointsPolicyInput:
    area_id: relay.GlobalID | None = id_field(
        "Area", default=None, description="A community (absent: the district default)."
    )
    expiry: ExpiryKind = strawberry.field(description="When awarded points expire.")  # type: ignore[valid-type]
    expiry_months: int | None = strawberry.field(
        default=None, description="Months (1-120), for MONTHS."
    )
    hold_days: int = strawberry.field(
        default=7, description="Days a redemption is held for pickup (1-365)."
    )


@strawberry.type(description="The policy applies to awards and redemptions from now on.")
class SetPointsPolicySuccess:
    policy: PointsPolicy = strawberry.field(description="The policy.")


SetPointsPolicyResult = Annotated[
    SetPointsPolicySuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("SetPointsPolicyResult", description="The policy or why not."),
]


def _rule_input(input: Any) -> tuple[points.RuleInput, set[str]]:
    values = {
        name: _unset_to_none(getattr(input, name))
        for name in (
            "name",
            "dimension",
            "points",
            "requires_review",
            "cap_per_day",
            "cap_per_month",
            "cap_per_quarter",
            "receiver_roles",
            "granter_roles",
        )
    }
    clear = {
        name
        for name in ("cap_per_day", "cap_per_month", "cap_per_quarter")
        if getattr(input, name) is None
    }
    for roles in ("receiver_roles", "granter_roles"):
        if getattr(input, roles, strawberry.UNSET) is None:
            values[roles] = []
    return points.RuleInput(**values), clear


@strawberry.type
class PointsQuery:
    @strawberry.field(description="Rules in force under an area (public): defaults + overrides.")
    async def points_rules(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area; every rule when omitted."),
        ] = None,
        dimension: Annotated[
            Dimension | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this dimension."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[PointsRule]:
        size, key = page_args(info, first, after)
        page = await points.list_rules(
            under_id=area_key(under, "under"), dimension=dimension, first=size, after=key
        )
        return Connection.build(page, PointsRule.from_model)

    @strawberry.field(description="Awards waiting for review in the areas the viewer runs.")
    async def pending_awards(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area; all the viewer administers when omitted."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[PointsAward]:
        size, key = page_args(info, first, after)
        page = await points.pending_awards(
            actor=info.context.actor, under_id=area_key(under, "under"), first=size, after=key
        )
        return Connection.build(page, PointsAward.from_model)

    @strawberry.field(description="A person's points account (the person, or who runs their area).")
    async def points_account(
        self,
        info: Info,
        person_id: Annotated[relay.GlobalID, id_argument("Person", description="The person.")],
    ) -> PointsAccount:
        key = require_key(person_id, "Person", "personId")
        await points.person_in_scope(actor=info.context.actor, person_id=key)
        return PointsAccount.from_summary(await points.account_summary(person_id=key))

    @strawberry.field(
        description="People under an area ranked by evaluation credit in a quarter. The admins "
        "and leaders of the area see every line; the people of its community see the lines of "
        "the people they may see anywhere else (at their true ranks); others get FORBIDDEN."
    )
    async def leaderboard(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        period: Annotated[
            str | None,
            strawberry.argument(description='Quarter such as "2026Q4" (current when omitted).'),
        ] = None,
        dimension: Annotated[
            Dimension | None,  # type: ignore[valid-type]
            strawberry.argument(description="One dimension (all when omitted)."),
        ] = None,
        role: Annotated[
            Role | None,
            strawberry.argument(description="Only holders of this role under the area."),
        ] = None,
        first: First = None,
    ) -> list[LeaderboardEntry]:
        size, _ = page_args(info, first, None)
        standings = await points.leaderboard(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            period=period,
            dimension=dimension,
            role=role,
            first=size,
        )
        return [
            LeaderboardEntry(rank=s.rank, points=s.points, name=s.name, person_id=s.person_id)
            for s in standings
        ]

    @strawberry.field(description="Issued, redeemed, expired and outstanding points under an area.")
    async def points_statistics(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
    ) -> PointsStatistics:
        figures = await points.statistics(
            actor=info.context.actor, under_id=require_key(under, "Area", "under")
        )
        return PointsStatistics.from_statistics(figures)


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

    @strawberry.mutation(description="Award one rule to several people: all or nothing.")
    async def award_points_batch(
        self, info: Info, input: Annotated[AwardPointsBatchInput, MUTATION_INPUT]
    ) -> AwardPointsBatchResult:
        if len(input.person_ids) > points.MAX_BATCH:
            raise InvalidInputError(
                f"At most {points.MAX_BATCH} people at once.", field="personIds"
            )
        awards = await points.award_points_batch(
            actor=info.context.actor,
            person_ids=[require_key(p, "Person", "personIds") for p in input.person_ids],
            rule_code=input.rule_code,
            quantity=input.quantity,
            reason=input.reason,
            source=source_of(input.source_id),
            idempotency_key=input.idempotency_key,
        )
        return AwardPointsBatchSuccess(awards=[PointsAward.from_model(a) for a in awards])

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
        data, _ = _rule_input(input)
        rule = await points.create_rule(
            actor=info.context.actor,
            code=input.code,
            area_id=node_key(input.area_id, "Area", "areaId"),
            data=data,
        )
        return CreatePointsRuleSuccess(rule=PointsRule.from_model(rule))

    @strawberry.mutation(description="Change a rule (who may create it may change it).")
    async def update_points_rule(
        self, info: Info, input: Annotated[UpdatePointsRuleInput, MUTATION_INPUT]
    ) -> UpdatePointsRuleResult:
        data, clear = _rule_input(input)
        rule = await points.update_rule(
            actor=info.context.actor,
            rule_id=require_key(input.rule_id, "PointsRule", "ruleId"),
            data=data,
            clear_caps=clear,
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
