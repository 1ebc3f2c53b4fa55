"""Inputs of the points mutations."""

from __future__ import annotations

import strawberry
from strawberry import relay

from schema.core.arguments import IDEMPOTENCY_KEY
from schema.core.ids import id_field
from services.enums import Dimension, ExpiryKind, Role


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


@strawberry.input(description="Award the same rule to several people at once (all or nothing).")
class AwardPointsBatchInput:
    person_ids: list[relay.GlobalID] | None = id_field(
        "Person",
        default=None,
        description="1-200 different people (give this or `teamId`, exactly one).",
    )
    team_id: relay.GlobalID | None = id_field(
        "VolunteerTeam",
        default=None,
        description="A volunteer team (志愿服务队): every active member is awarded (give this or "
        "`personIds`, exactly one).",
    )
    atomic: bool = strawberry.field(
        default=False,
        description="All or nothing: when anybody cannot be awarded, nobody is (the result "
        "says who and why). By default the others are awarded.",
    )
    rule_code: str = strawberry.field(description="The rule's code.")
    quantity: int = strawberry.field(default=1, description="Units per person, 1-1000.")
    reason: str = strawberry.field(description="Why, in words.")
    source_id: relay.GlobalID | None = id_field(default=None, description="The object earned for.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input(description="Approve an award that awaits review.")
class ApproveAwardInput:
    award_id: relay.GlobalID = id_field("PointsAward", description="The pending award.")


@strawberry.input(description="Reject an award that awaits review.")
class RejectAwardInput:
    award_id: relay.GlobalID = id_field("PointsAward", description="The pending award.")
    reason: str = strawberry.field(description="Why (shown to the requester).")


@strawberry.input(description="Take points from a person by a penalty rule.")
class PenalizePointsInput:
    person_id: relay.GlobalID = id_field("Person", description="Who is penalized.")
    rule_code: str = strawberry.field(description="The penalty rule's code.")
    quantity: int = strawberry.field(default=1, description="Units, 1-1000.")
    reason: str = strawberry.field(description="Why, in words.")
    source_id: relay.GlobalID | None = id_field(default=None, description="The object it is for.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input(description="Correct an award or a penalty by a compensating transaction.")
class ReverseTransactionInput:
    transaction_id: relay.GlobalID = id_field(
        "PointsTransaction", description="The award or penalty."
    )
    reason: str = strawberry.field(description="Why (kept on the reversal).")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input(description="A new points rule (district default, or a community's override).")
class CreatePointsRuleInput:
    code: str = strawberry.field(description="1-40 letters, digits, underscores (upper-cased).")
    name: str = strawberry.field(description="Name shown to people.")
    dimension: Dimension = strawberry.field(description="Evaluation dimension.")
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


@strawberry.input(
    description="Change a rule: absent fields stay; an explicit null clears a cap. Past "
    "entries keep the points and dimension they were posted with."
)
class UpdatePointsRuleInput:
    rule_id: relay.GlobalID = id_field("PointsRule", description="The rule.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    dimension: Dimension | None = strawberry.field(
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


@strawberry.input(description="Retire a rule (no new awards by it; history stays).")
class RetirePointsRuleInput:
    rule_id: relay.GlobalID = id_field("PointsRule", description="The rule.")


@strawberry.input(description="Set when points expire and how long redemptions are held.")
class SetPointsPolicyInput:
    area_id: relay.GlobalID | None = id_field(
        "Area", default=None, description="A community (absent: the district default)."
    )
    expiry: ExpiryKind = strawberry.field(description="When awarded points expire.")
    expiry_months: int | None = strawberry.field(
        default=None, description="Months (1-120), for MONTHS."
    )
    hold_days: int = strawberry.field(
        default=7, description="Days a redemption is held for pickup (1-365)."
    )
