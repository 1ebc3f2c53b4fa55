"""Success types and result unions of the party organisation's mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import Conflict, UserErrors
from schema.party.types import PartyMemberReport, PartyMembership, PartyUnit


@strawberry.type(description="The party unit was created.")
class CreatePartyUnitSuccess:
    party_unit: PartyUnit = strawberry.field(description="The new party unit.")


CreatePartyUnitResult = Annotated[
    CreatePartyUnitSuccess | UserErrors | Conflict,
    strawberry.union("CreatePartyUnitResult", description="The new party unit or why not."),
]


@strawberry.type(description="The party unit was changed.")
class UpdatePartyUnitSuccess:
    party_unit: PartyUnit = strawberry.field(description="The unit as it is now.")


UpdatePartyUnitResult = Annotated[
    UpdatePartyUnitSuccess | UserErrors | Conflict,
    strawberry.union("UpdatePartyUnitResult", description="The changed unit or why not."),
]


@strawberry.type(description="The person is a member of the unit now.")
class AddPartyMemberSuccess:
    membership: PartyMembership = strawberry.field(description="The new membership.")
    party_unit: PartyUnit = strawberry.field(description="The unit.")


AddPartyMemberResult = Annotated[
    AddPartyMemberSuccess | UserErrors | Conflict,
    strawberry.union("AddPartyMemberResult", description="The new membership or why not."),
]


@strawberry.type(description="The membership ended (kept as history).")
class RemovePartyMemberSuccess:
    membership: PartyMembership = strawberry.field(description="The ended membership.")
    party_unit: PartyUnit = strawberry.field(description="The unit.")


RemovePartyMemberResult = Annotated[
    RemovePartyMemberSuccess | UserErrors | Conflict,
    strawberry.union("RemovePartyMemberResult", description="The ended membership or why not."),
]


@strawberry.type(description="The party unit was dissolved (kept as history).")
class DissolvePartyUnitSuccess:
    party_unit: PartyUnit = strawberry.field(description="The dissolved unit.")


DissolvePartyUnitResult = Annotated[
    DissolvePartyUnitSuccess | UserErrors | Conflict,
    strawberry.union("DissolvePartyUnitResult", description="The dissolved unit or why not."),
]


@strawberry.type(description="The report was recorded.")
class ReportToCommunitySuccess:
    report: PartyMemberReport = strawberry.field(description="The new report.")


ReportToCommunityResult = Annotated[
    ReportToCommunitySuccess | UserErrors | Conflict,
    strawberry.union("ReportToCommunityResult", description="The report or why not."),
]
