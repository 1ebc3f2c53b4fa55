"""GraphQL for household claims (认领家庭): a resident asks to join a household, and an admin of
its community approves or rejects the claim."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, Conflict, UserErrors, describe_values
from schema.core.ids import area_key, id_argument, id_field, require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from services import household_claims
from services.enums import ClaimStatus

if TYPE_CHECKING:
    from schema.households import Household
    from schema.people import Person
    from services.models.households import HouseholdClaim as HouseholdClaimModel

strawberry.enum(
    ClaimStatus,
    description="Where a request to join a household (认领家庭) stands.",
)
describe_values(
    ClaimStatus,
    {
        "PENDING": "Waiting for an admin of the household's community.",
        "APPROVED": "Approved: the claimant is a member of the household.",
        "REJECTED": "Rejected, with a reason.",
    },
)


@strawberry.type(
    description="A resident's request to join a household (认领家庭), reviewed by an admin of "
    "the household's community. Seen by the claimant and by the admins of the household's area."
)
class HouseholdClaim(relay.Node):
    id: relay.NodeID[int]
    status: ClaimStatus = strawberry.field(description="Pending, approved or rejected.")
    note: str | None = strawberry.field(description="What the claimant wrote (who they are).")
    reason: str | None = strawberry.field(description="The reviewer's reason (always on reject).")
    created_at: datetime = strawberry.field(description="When it was made.")
    reviewed_at: datetime | None = strawberry.field(description="When it was reviewed.")
    person_id: strawberry.Private[int]
    household_id: strawberry.Private[int]
    reviewed_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, c: HouseholdClaimModel) -> HouseholdClaim:
        return cls(
            id=c.id,
            status=c.status,
            note=c.note,
            reason=c.reason,
            created_at=c.created_at,
            reviewed_at=c.reviewed_at,
            person_id=c.person_id,
            household_id=c.household_id,
            reviewed_by_id=c.reviewed_by_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[HouseholdClaim | None]:
        found = await household_claims.claims_by_ids(
            actor=info.context.actor, claim_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(c) if c else None for c in found]

    @strawberry.field(description="Who asks to join (null when hidden from you).")
    async def person(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        from schema.people import Person

        view = await info.context.loaders.person.load(self.person_id)
        if view is None:
            # Admins reviewing a claim see the claimant, a new sign-up placed nowhere yet.
            found = await info.context.loaders.holder.load(self.person_id)
            return Person.from_model(found, full=False) if found else None
        return Person.from_view(view)

    @strawberry.field(
        description="The household asked for (null until the claimant may read it, i.e. for "
        "the claimant before approval)."
    )
    async def household(
        self, info: Info
    ) -> Annotated[Household, strawberry.lazy("schema.households")] | None:
        from schema.households import Household

        found = await info.context.loaders.household.load(self.household_id)
        return Household.from_model(found) if found else None

    @strawberry.field(description="Who reviewed it (null while pending).")
    async def reviewed_by(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        from schema.people import Person

        if self.reviewed_by_id is None:
            return None
        view = await info.context.loaders.person.load(self.reviewed_by_id)
        return Person.from_view(view) if view else None


@strawberry.input(description="Ask to join a household (认领家庭).")
class ClaimHouseholdInput:
    household_id: relay.GlobalID = id_field("Household", description="The household to join.")
    note: str | None = strawberry.field(
        default=None, description="Who you are to the household (at most 500 characters)."
    )


@strawberry.type(description="The claim was made; it waits for the community's review.")
class ClaimHouseholdSuccess:
    claim: HouseholdClaim = strawberry.field(description="The new claim (PENDING).")


ClaimHouseholdResult = Annotated[
    ClaimHouseholdSuccess | UserErrors | Conflict,
    strawberry.union("ClaimHouseholdResult", description="The claim or why not."),
]


@strawberry.input(description="Approve or reject a pending household claim.")
class ReviewHouseholdClaimInput:
    claim_id: relay.GlobalID = id_field("HouseholdClaim", description="The claim.")
    approve: bool = strawberry.field(
        description="True: the claimant becomes a member of the household; false: rejected."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why (required to reject; at most 500 characters)."
    )


@strawberry.type(description="The claim was reviewed.")
class ReviewHouseholdClaimSuccess:
    claim: HouseholdClaim = strawberry.field(description="The claim as it is now.")


ReviewHouseholdClaimResult = Annotated[
    ReviewHouseholdClaimSuccess | UserErrors | Conflict,
    strawberry.union("ReviewHouseholdClaimResult", description="The review or why not."),
]


@strawberry.type
class HouseholdClaimsQuery:
    @strawberry.field(
        description="Claims on the households under an area, oldest first (admins); pending "
        "ones unless another status is asked for."
    )
    async def household_claims(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area subtree; all areas you administer if omitted."),
        ] = None,
        status: Annotated[
            ClaimStatus | None,
            strawberry.argument(description="Only claims in this status (PENDING if omitted)."),
        ] = ClaimStatus.PENDING,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[HouseholdClaim]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: household_claims.household_claims(
                actor=info.context.actor,
                under_id=area_key(under, "under"),
                status=status,
                window=window,
            ),
            HouseholdClaim.from_model,
        )


@strawberry.type
class HouseholdClaimsMutation:
    @strawberry.mutation(
        description="Ask to join a household (认领家庭); an admin of its community reviews it. "
        "Refused (CONFLICT) when you live in a household already or have a pending claim."
    )
    async def claim_household(
        self, info: Info, input: Annotated[ClaimHouseholdInput, MUTATION_INPUT]
    ) -> ClaimHouseholdResult:
        claim = await household_claims.claim_household(
            actor=info.context.actor,
            household_id=require_key(input.household_id, "Household", "householdId"),
            note=input.note,
        )
        return ClaimHouseholdSuccess(claim=HouseholdClaim.from_model(claim))

    @strawberry.mutation(
        description="Approve (the claimant becomes a member) or reject (with a reason) a "
        "pending household claim; admins of the household's community."
    )
    async def review_household_claim(
        self, info: Info, input: Annotated[ReviewHouseholdClaimInput, MUTATION_INPUT]
    ) -> ReviewHouseholdClaimResult:
        claim = await household_claims.review_household_claim(
            actor=info.context.actor,
            claim_id=require_key(input.claim_id, "HouseholdClaim", "claimId"),
            approve=input.approve,
            reason=input.reason,
        )
        return ReviewHouseholdClaimSuccess(claim=HouseholdClaim.from_model(claim))
