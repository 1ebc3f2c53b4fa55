"""Mutations of the party organisation."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import node_key, require_key
from schema.core.inputs import given
from schema.party.inputs import (
    AddPartyMemberInput,
    CreatePartyUnitInput,
    DissolvePartyUnitInput,
    RemovePartyMemberInput,
    ReportToCommunityInput,
    UpdatePartyUnitInput,
)
from schema.party.payloads import (
    AddPartyMemberResult,
    AddPartyMemberSuccess,
    CreatePartyUnitResult,
    CreatePartyUnitSuccess,
    DissolvePartyUnitResult,
    DissolvePartyUnitSuccess,
    RemovePartyMemberResult,
    RemovePartyMemberSuccess,
    ReportToCommunityResult,
    ReportToCommunitySuccess,
    UpdatePartyUnitResult,
    UpdatePartyUnitSuccess,
)
from schema.party.types import PartyMemberReport, PartyMembership, PartyUnit
from services import party


@strawberry.type
class PartyMutation:
    @strawberry.mutation(
        description="Attach a party unit to an area of its level (admins of the area)."
    )
    async def create_party_unit(
        self, info: Info, input: Annotated[CreatePartyUnitInput, MUTATION_INPUT]
    ) -> CreatePartyUnitResult:
        unit = await party.create_unit(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            kind=input.kind,
            name=input.name,
            secretary_id=node_key(input.secretary_id, "Person", "secretaryId"),
            secretary_name=input.secretary_name,
        )
        return CreatePartyUnitSuccess(party_unit=PartyUnit.from_model(unit))

    @strawberry.mutation(
        description="Rename a party unit or change its secretary (admins of its area)."
    )
    async def update_party_unit(
        self, info: Info, input: Annotated[UpdatePartyUnitInput, MUTATION_INPUT]
    ) -> UpdatePartyUnitResult:
        changes = given(input, exclude=("party_unit_id",))
        if "secretary_id" in changes:
            changes["secretary_id"] = node_key(changes["secretary_id"], "Person", "secretaryId")
        unit = await party.update_unit(
            actor=info.context.actor,
            unit_id=require_key(input.party_unit_id, "PartyUnit", "partyUnitId"),
            changes=changes,
        )
        return UpdatePartyUnitSuccess(party_unit=PartyUnit.from_model(unit))

    @strawberry.mutation(description="Add a party member to a unit (admins of its area).")
    async def add_party_member(
        self, info: Info, input: Annotated[AddPartyMemberInput, MUTATION_INPUT]
    ) -> AddPartyMemberResult:
        membership = await party.add_member(
            actor=info.context.actor,
            unit_id=require_key(input.party_unit_id, "PartyUnit", "partyUnitId"),
            person_id=require_key(input.person_id, "Person", "personId"),
        )
        return AddPartyMemberSuccess(
            membership=PartyMembership.from_model(membership),
            party_unit=await PartyUnit.load(info, membership.unit_id),
        )

    @strawberry.mutation(
        description="Remove a member from a party unit, kept as history (admins of its area)."
    )
    async def remove_party_member(
        self, info: Info, input: Annotated[RemovePartyMemberInput, MUTATION_INPUT]
    ) -> RemovePartyMemberResult:
        membership = await party.remove_member(
            actor=info.context.actor,
            unit_id=require_key(input.party_unit_id, "PartyUnit", "partyUnitId"),
            person_id=require_key(input.person_id, "Person", "personId"),
            reason=input.reason,
        )
        return RemovePartyMemberSuccess(
            membership=PartyMembership.from_model(membership),
            party_unit=await PartyUnit.load(info, membership.unit_id),
        )

    @strawberry.mutation(
        description="Dissolve a party unit with a reason: kept as history, its memberships "
        "end, and it is no longer listed as active (admins of its area)."
    )
    async def dissolve_party_unit(
        self, info: Info, input: Annotated[DissolvePartyUnitInput, MUTATION_INPUT]
    ) -> DissolvePartyUnitResult:
        unit = await party.dissolve_unit(
            actor=info.context.actor,
            unit_id=require_key(input.party_unit_id, "PartyUnit", "partyUnitId"),
            reason=input.reason,
        )
        return DissolvePartyUnitSuccess(party_unit=PartyUnit.from_model(unit))

    @strawberry.mutation(
        description="A party member reports to the community where they live (个人双报到), or "
        "an admin of the community records it; dated by the service clock."
    )
    async def report_to_community(
        self, info: Info, input: Annotated[ReportToCommunityInput, MUTATION_INPUT]
    ) -> ReportToCommunityResult:
        report = await party.report_to_community(
            actor=info.context.actor,
            community_id=require_key(input.community_id, "Area", "communityId"),
            person_id=node_key(input.person_id, "Person", "personId"),
        )
        return ReportToCommunitySuccess(report=PartyMemberReport.from_model(report))
