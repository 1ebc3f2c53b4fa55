"""Queries of people and duty cards."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

import schema.people.enums  # noqa: F401  (registers the enum annotated below)
from schema.core.context import Info
from schema.core.ids import area_key, id_argument
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.people.types import DutyCard, Person
from services import people
from services.enums import Role


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="People living or serving under an area (admins and leaders).")
    async def people(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument(
                "Area", description="Area subtree; all areas the viewer runs when omitted."
            ),
        ] = None,
        role: Annotated[
            Role | None,
            strawberry.argument(description="Only holders of this role."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Part of the name, or the start of the phone number (at most 100 "
                "characters)."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Person]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: people.list_people(
                actor=info.context.actor,
                under_id=area_key(under, "under"),
                role=role,
                search=search,
                window=window,
            ),
            Person.from_view,
        )

    @strawberry.field(
        description="Public duty cards (便民服务牌) under an area; no sign-in needed."
    )
    async def duty_cards(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area subtree; the whole district when omitted."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[DutyCard]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: people.duty_cards(under_id=area_key(under, "under"), window=window),
            DutyCard.from_model,
        )
