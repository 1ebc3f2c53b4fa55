"""Sunk-down cadres (下沉干部) and their service records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.grids import Area
from schema.partners.types.units import PartnerUnit
from schema.people import Person
from services import partners
from services.partners.cadres import SERVICES_LIMIT

if TYPE_CHECKING:
    from services.models import partners as models


@strawberry.type(description="A day of service of a sunk-down cadre.")
class CadreService:
    served_on: date = strawberry.field(description="The day.")
    minutes: int = strawberry.field(description="Minutes served.")
    description: str = strawberry.field(description="What was done.")
    created_at: datetime = strawberry.field(description="When it was recorded.")


@strawberry.type(
    description="A sunk-down cadre (下沉干部): a unit member assigned to a grid or micro-grid "
    "for a period, with service records. Readable by signed-in users."
)
class CadreAssignment(relay.Node):
    id: relay.NodeID[int]
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date = strawberry.field(description="Last day.")
    duties: str = strawberry.field(description="What the cadre does there.")
    created_at: datetime = strawberry.field(description="When it was made.")
    person_id: strawberry.Private[int]
    unit_id: strawberry.Private[int]
    area_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, a: models.CadreAssignment) -> CadreAssignment:
        return cls(
            id=a.id,
            starts_on=a.starts_on,
            ends_on=a.ends_on,
            duties=a.duties,
            created_at=a.created_at,
            person_id=a.person_id,
            unit_id=a.unit_id,
            area_id=a.area_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CadreAssignment | None]:
        found = await partners.cadres_by_ids(
            actor=info.context.actor, assignment_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(a) if a else None for a in found]

    @strawberry.field(description="The cadre (null if the viewer may not see them).")
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None

    @strawberry.field(description="The cadre's unit.")
    async def unit(self, info: Info) -> PartnerUnit | None:
        found = await info.context.loaders.partner_unit.load(self.unit_id)
        return PartnerUnit.from_model(found) if found else None

    @strawberry.field(description="The grid or micro-grid served.")
    async def area(self, info: Info) -> Area:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="Minutes of service recorded in all.")
    async def minutes_served(self, info: Info) -> int:
        minutes: int = await info.context.loaders.cadre_minutes.load(self.id)
        return minutes

    @strawberry.field(
        description=f"Service records, newest day first (the latest {SERVICES_LIMIT}; "
        "`minutesServed` counts all)."
    )
    async def services(self, info: Info) -> list[CadreService]:
        found = await info.context.loaders.cadre_services.load(self.id)
        return [
            CadreService(
                served_on=s.served_on,
                minutes=s.minutes,
                description=s.description,
                created_at=s.created_at,
            )
            for s in found
        ]
