"""Inputs of the party organisation's mutations."""

from __future__ import annotations

import strawberry
from strawberry import relay

import schema.grids.enums  # noqa: F401  (registers the enum annotated below)
from schema.core.ids import id_field
from services.enums import PartyUnitKind


@strawberry.input(description="A party unit for an area of its level (one active per kind).")
class CreatePartyUnitInput:
    area_id: relay.GlobalID = id_field(
        "Area", description="The district, street, community, grid or micro-grid."
    )
    kind: PartyUnitKind = strawberry.field(description="Which party unit (matches the level).")
    name: str = strawberry.field(description="Its name, e.g. 中共颜山社区委员会.")
    secretary_id: relay.GlobalID | None = id_field(
        "Person",
        default=None,
        description="Its secretary (书记/组长), a person the admin may place; they become the "
        "unit's first member (and are recorded as a party member).",
    )
    secretary_name: str | None = strawberry.field(
        default=None,
        description="The secretary's name as text, for one not on record (not with secretaryId).",
        deprecation_reason="Name the secretary by `secretaryId`.",
    )


@strawberry.input(description="Changes to a party unit; omitted fields stay as they are.")
class UpdatePartyUnitInput:
    party_unit_id: relay.GlobalID = id_field("PartyUnit", description="The active unit.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    secretary_id: relay.GlobalID | None = id_field(
        "Person",
        default=strawberry.UNSET,
        description="New secretary (they become a member if not one yet); null: none.",
    )


@strawberry.input(description="A party member to add to a unit.")
class AddPartyMemberInput:
    party_unit_id: relay.GlobalID = id_field("PartyUnit", description="The active unit.")
    person_id: relay.GlobalID = id_field(
        "Person",
        description="The person (in the admin's scope, or a new sign-up placed nowhere yet); "
        "recorded as a party member (党员) if not yet. One unit of each level a person.",
    )


@strawberry.input(description="A member to remove from a unit (kept as history).")
class RemovePartyMemberInput:
    party_unit_id: relay.GlobalID = id_field("PartyUnit", description="The active unit.")
    person_id: relay.GlobalID = id_field(
        "Person", description="The member (not the secretary: name another first)."
    )
    reason: str | None = strawberry.field(default=None, description="Why (optional).")


@strawberry.input(description="A party unit to dissolve (kept as history).")
class DissolvePartyUnitInput:
    party_unit_id: relay.GlobalID = id_field("PartyUnit", description="The active unit.")
    reason: str = strawberry.field(description="Why it is dissolved (required).")


@strawberry.input(
    description="A party member's report to the community where they live (个人双报到)."
)
class ReportToCommunityInput:
    community_id: relay.GlobalID = id_field(
        "Area", description="The community where the member lives."
    )
    person_id: relay.GlobalID | None = id_field(
        "Person",
        default=None,
        description="The member (omitted: the viewer). Admins of the community record others.",
    )
