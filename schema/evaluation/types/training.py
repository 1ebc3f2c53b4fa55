"""Training sessions (培训) and training coverage."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.grids import Area
from schema.people import Person
from services import evaluation, models
from services.enums import AreaLevel


@strawberry.type(
    description="A training session (培训) organised by a district, street or community."
)
class TrainingSession(relay.Node):
    id: relay.NodeID[int]
    level: AreaLevel = strawberry.field(description="The organiser's level.")
    topic: str = strawberry.field(description="What it is about.")
    place: str = strawberry.field(description="Where.")
    starts_at: datetime = strawberry.field(description="When it begins.")
    area_id: strawberry.Private[int]
    model: strawberry.Private[models.TrainingSession]

    @classmethod
    def from_model(cls, s: models.TrainingSession) -> TrainingSession:
        return cls(
            id=s.id,
            level=s.level,
            topic=s.topic,
            place=s.place,
            starts_at=s.starts_at,
            area_id=s.area_id,
            model=s,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TrainingSession | None]:
        if info.context.actor is None:
            return [None for _ in node_ids]
        found = await evaluation.sessions_by_ids(session_ids=[int(i) for i in node_ids])
        return [cls.from_model(s) if s else None for s in found]

    @strawberry.field(description="The organising area.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="How many attended.")
    async def attendance_count(self, info: Info) -> int:
        return int(await info.context.loaders.attendance_count.load(self.id))

    @strawberry.field(description="Who attended (admins and leaders of the organising area).")
    async def attendees(self, info: Info) -> list[Person]:
        ids = await evaluation.attendees(actor=info.context.actor, session=self.model)
        found = await info.context.loaders.holder.load_many(ids)
        return [Person.from_model(p, full=None) for p in found if p is not None]


@strawberry.type(description="Training coverage of an area: role holders trained in a year.")
class TrainingCoverage:
    year: int = strawberry.field(description="The year (local calendar).")
    holders: int = strawberry.field(
        description="Grid leaders, micro-grid leaders and central households in the area now."
    )
    trained: int = strawberry.field(description="Those of them who attended training that year.")
    share: float = strawberry.field(description="trained / holders (0..1; 0 without holders).")

    @classmethod
    def from_coverage(cls, c: evaluation.TrainingCoverage) -> TrainingCoverage:
        return cls(year=c.year, holders=c.holders, trained=c.trained, share=c.share)
