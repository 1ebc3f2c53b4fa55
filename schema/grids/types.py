"""GraphQL types of the territory: areas, stations, coverage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

import schema.grids.enums  # noqa: F401  (registers the enums annotated below)
from schema.core.context import Info
from schema.core.loaders import load_existing
from schema.core.pagination import After, Before, Connection, First, Last, page_window, paged
from schema.core.selection import selected_below
from schema.geo.types import DATUM_ARGUMENT, GeoPoint, point_field
from services import grids, party, people
from services.enums import AreaKind, AreaLevel, Datum, MoveSubject
from services.evaluation.results import HONOURS_LIMIT
from services.geo.boundaries import boundary_in
from services.kit.pagination import Page, PageKey

if TYPE_CHECKING:
    from schema.evaluation import Honour, TrainingCoverage
    from schema.households import Household
    from schema.party import PartyMemberReport, PartyUnit
    from schema.people import Person, RoleAssignment
    from services.models.grids import Area as AreaModel
    from services.models.grids import AreaMove as AreaMoveModel


@strawberry.type(description="Full-coverage (全覆盖) figures of an area.")
class Coverage:
    households: int = strawberry.field(description="Households registered under the area.")
    assigned_households: int = strawberry.field(description="Households in a micro-grid.")
    unassigned_households: int = strawberry.field(
        description="Households registered in the community but in no micro-grid yet (gaps)."
    )
    micro_grids: int = strawberry.field(description="Micro-grids under the area.")
    micro_grids_without_leader: int = strawberry.field(
        description="Micro-grids with no micro-grid leader (微网格长) in office."
    )
    central_household_coverage: float = strawberry.field(
        description="Share (0..1) of households looked after by a central household (中心户)."
    )
    households_without_central_household: int = strawberry.field(
        description="Households that no central household of their micro-grid looks after "
        "(gaps; unassigned ones included)."
    )

    @classmethod
    def from_service(cls, c: grids.Coverage) -> Coverage:
        return cls(
            households=c.households,
            assigned_households=c.assigned_households,
            unassigned_households=c.unassigned_households,
            micro_grids=c.micro_grids,
            micro_grids_without_leader=c.micro_grids_without_leader,
            central_household_coverage=round(c.central_household_coverage, 4),
            households_without_central_household=(
                c.households - c.households_with_central_household
            ),
        )


@strawberry.type(description="A grid station (网格驿站): where residents get services on the spot.")
class GridStation:
    name: str = strawberry.field(description="Station name.")
    address: str = strawberry.field(description="Where it is.")
    hours: str = strawberry.field(description="Opening hours, as posted.")
    longitude: strawberry.Private[float | None] = None
    latitude: strawberry.Private[float | None] = None
    position: GeoPoint | None = point_field("the station")


@strawberry.type(
    description="The gaps behind an area's full-coverage (全覆盖) figures, so an admin can fix "
    "them: each list holds as many items as its figure counts. For the admins of the area "
    "(elsewhere the list asked for is null, with a FORBIDDEN error at its path)."
)
class CoverageGaps:
    area_id: strawberry.Private[int]

    @strawberry.field(
        description="Households registered under the area but in no micro-grid yet, by id "
        "(as many as `Coverage.unassignedHouseholds`)."
    )
    async def unassigned_households(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[Household, strawberry.lazy("schema.households")]]:
        from schema.households import Household

        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: grids.unassigned_households(
                actor=info.context.actor, area_id=self.area_id, window=window
            ),
            Household.from_model,
        )

    @strawberry.field(
        description="Micro-grids under the area with no micro-grid leader (微网格长) now, by id "
        "(as many as `Coverage.microGridsWithoutLeader`)."
    )
    async def micro_grids_without_leader(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Area]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: grids.micro_grids_without_leader(
                actor=info.context.actor, area_id=self.area_id, window=window
            ),
            Area.from_model,
        )

    @strawberry.field(
        description="Households under the area that no central household (中心户) of their "
        "micro-grid looks after, unassigned ones and those handed to the micro-grid leader "
        "included, by id (as many as `Coverage.householdsWithoutCentralHousehold`)."
    )
    async def households_without_central_household(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[Household, strawberry.lazy("schema.households")]]:
        from schema.households import Household

        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: grids.households_without_central_household(
                actor=info.context.actor, area_id=self.area_id, window=window
            ),
            Household.from_model,
        )


@strawberry.type(
    description="An area of the net. Its name, level, kind, station and role holders are public "
    "(the grid map hangs on the wall); coverage and households are for its admins and leaders."
)
class Area(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name, e.g. 颜山社区.")
    code: str | None = strawberry.field(
        description="The district's own code (区划/网格编码), by which imports, exports and "
        "boundary files name the area; null if it has none."
    )
    level: AreaLevel = strawberry.field(description="Level in the net.")
    kind: AreaKind = strawberry.field(description="Residential or dedicated grid.")
    contact_group_name: str | None = strawberry.field(
        description="The grid's contact group (一格一群), e.g. a WeChat group name."
    )
    contact_group_link: str | None = strawberry.field(description="Link to join the group.")
    path: strawberry.Private[str]
    parent_id: strawberry.Private[int | None]
    # Read ahead for a whole page by the list resolver (None: not read, ask the loader). Plain
    # values let the field resolvers below stay synchronous: an awaitable per field and item
    # costs graphql-core far more than the data.
    read_coverage: strawberry.Private[grids.Coverage | Exception | None] = None
    read_role_holders: strawberry.Private[list[people.DutyHolder] | None] = None

    @classmethod
    def from_model(cls, area: AreaModel | grids.AreaRow) -> Area:
        return cls(
            id=area.id,
            name=area.name,
            code=area.code,
            level=area.level,
            kind=area.kind,
            contact_group_name=area.contact_group_name,
            contact_group_link=area.contact_group_link,
            path=area.path,
            parent_id=area.parent_id,
        )

    @classmethod
    async def load(cls, info: Info, area_id: int) -> Area:
        """The area a row is placed in, by id (there by the row's foreign key), batched."""
        found: AreaModel = await load_existing(info.context.loaders.area, area_id)
        return cls.from_model(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Area | None]:
        areas = await info.context.loaders.area.load_many([int(i) for i in node_ids])
        return [cls.from_model(a) if a else None for a in areas]

    @strawberry.field(
        description="The boundary (网格边界) as a GeoJSON Polygon or MultiPolygon geometry in the "
        "datum asked for; null if none is drawn."
    )
    async def boundary(
        self, info: Info, datum: Annotated[Datum, DATUM_ARGUMENT] = Datum.WGS84
    ) -> JSON | None:
        text = await info.context.loaders.boundary.load(self.id)
        return cast("JSON | None", boundary_in(text, datum))

    @strawberry.field(description="The area one level up (null for the district).")
    async def parent(self, info: Info) -> Area | None:
        if self.parent_id is None:
            return None
        return await Area.load(info, self.parent_id)

    @strawberry.field(description="All areas above, from the district down to the parent.")
    async def ancestors(self, info: Info) -> list[Area]:
        ids = [int(p) for p in self.path.strip("/").split("/")[:-1]]
        return [Area.from_model(a) for a in await info.context.loaders.area.load_many(ids) if a]

    @strawberry.field(description="Areas one level down.")
    async def children(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Area]:
        window = page_window(info, first, after, last, before)
        loaders = info.context.loaders
        page = await loaders.children_page.load(PageKey(self.id, window))
        # Totals of many nested pages are counted together, like the pages themselves.
        page = replace(page, count=lambda: loaders.child_count.load(self.id))
        return Connection.build(page, Area.from_model)

    @strawberry.field(description="Households registered under this area (a public aggregate).")
    async def household_count(self, info: Info) -> int:
        return int(await info.context.loaders.household_count.load(self.id))

    @strawberry.field(
        description="Full-coverage figures; for admins and leaders of the area (elsewhere null, "
        "with a FORBIDDEN error at this path)."
    )
    def coverage(self, info: Info) -> Coverage | None:
        figure = self.read_coverage
        if figure is None:
            # A sync resolver may hand graphql-core an awaitable; it awaits it like an async one.
            return self._load_coverage(info)  # type: ignore[return-value]
        if isinstance(figure, Exception):
            raise figure
        return Coverage.from_service(figure)

    async def _load_coverage(self, info: Info) -> Coverage:
        return Coverage.from_service(await info.context.loaders.coverage.load(self.id))

    @strawberry.field(
        description="The lists behind the coverage figures (which households, which "
        "micro-grids), for the admins of the area."
    )
    def coverage_gaps(self) -> CoverageGaps | None:
        return CoverageGaps(area_id=self.id)

    @strawberry.field(description="Who holds duty roles at this area now (public duty cards).")
    def role_holders(
        self, info: Info
    ) -> list[Annotated[RoleAssignment, strawberry.lazy("schema.people")]]:
        from schema.people import RoleAssignment

        holders = self.read_role_holders
        if holders is None:
            return self._load_role_holders(info)  # type: ignore[return-value]
        return [RoleAssignment.from_model(h) for h in holders]

    async def _load_role_holders(self, info: Info) -> list[RoleAssignment]:
        from schema.people import RoleAssignment

        holders = await info.context.loaders.role_holders.load(self.id)
        return [RoleAssignment.from_model(h) for h in holders]

    @classmethod
    async def read_ahead(cls, info: Info, page: Page[grids.AreaRow], nodes: Sequence[Area]) -> None:
        """Read the coverage and role holders of a page of areas at once, if selected."""
        wanted = selected_below(info, "edges", "node")
        if "coverage" in wanted:
            figures = await grids.coverage_of(actor=info.context.actor, areas=page.items)
            for node, figure in zip(nodes, figures, strict=True):
                node.read_coverage = figure
        if "roleHolders" in wanted:
            holders = await people.role_holders_by_area(area_ids=[n.id for n in nodes])
            for node, held in zip(nodes, holders, strict=True):
                node.read_role_holders = held

    @strawberry.field(description="The grid station (网格驿站); grids only.")
    async def station(self, info: Info) -> GridStation | None:
        station = await info.context.loaders.station.load(self.id)
        if station is None:
            return None
        return GridStation(
            name=station.name,
            address=station.address,
            hours=station.hours,
            longitude=station.longitude,
            latitude=station.latitude,
        )

    @strawberry.field(
        description="The active party units attached to this area (one of its level's kind)."
    )
    async def party_units(
        self, info: Info
    ) -> list[Annotated[PartyUnit, strawberry.lazy("schema.party")]]:
        from schema.party import PartyUnit

        return [
            PartyUnit.from_model(u) for u in await info.context.loaders.party_units.load(self.id)
        ]

    @strawberry.field(
        description="Party units of this area that were dissolved (history), latest first."
    )
    async def dissolved_party_units(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[PartyUnit, strawberry.lazy("schema.party")]]:
        from schema.party import PartyUnit

        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: party.dissolved_units(area_id=self.id, window=window),
            PartyUnit.from_model,
        )

    @strawberry.field(
        description="Party members' current individual reports (个人双报到) to this community "
        "(of a street or the district: to its communities), latest first; for the admins of "
        "the area (others get a FORBIDDEN error, grids and micro-grids INVALID_INPUT, at this "
        "path)."
    )
    async def party_member_reports(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[PartyMemberReport, strawberry.lazy("schema.party")]] | None:
        from schema.party import PartyMemberReport

        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: party.community_reports(
                actor=info.context.actor, area_id=self.id, window=window
            ),
            PartyMemberReport.from_model,
        )

    @strawberry.field(
        description="Red-flag honours of this grid or micro-grid (a micro-grid's include its "
        f"central households'), newest first: the history (the latest {HONOURS_LIMIT}). Public "
        "within the community."
    )
    async def honours(
        self, info: Info
    ) -> list[Annotated[Honour, strawberry.lazy("schema.evaluation")]]:
        from schema.evaluation import Honour

        return [Honour.from_model(h) for h in await info.context.loaders.area_honours.load(self.id)]

    @strawberry.field(
        description="Share of the grid leaders, micro-grid leaders and central households "
        "under this area who attended training in a year (public aggregate)."
    )
    async def training_coverage(
        self,
        info: Info,
        year: Annotated[
            int | None, strawberry.argument(description="The year (the current one if omitted).")
        ] = None,
    ) -> Annotated[TrainingCoverage, strawberry.lazy("schema.evaluation")]:
        from schema.evaluation import TrainingCoverage

        figure = await info.context.loaders.training_coverage.load((self.id, year))
        return TrainingCoverage.from_coverage(figure)

    @strawberry.field(
        description="Households under this area; for its admins and leaders (elsewhere null, "
        "with a FORBIDDEN, or for anonymous callers UNAUTHENTICATED, error at this path)."
    )
    async def households(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[Household, strawberry.lazy("schema.households")]] | None:
        from schema.households import Household

        window = page_window(info, first, after, last, before)
        loaders = info.context.loaders
        page = await loaders.households_page.load(PageKey(self.id, window))
        page = replace(page, count=lambda: loaders.household_count.load(self.id))
        return Connection.build(page, Household.from_model)

    @strawberry.field(
        description="The history of moves (调整网格) of this area and of the areas and "
        "households moved into or out of it, oldest first; for its admins and leaders "
        "(elsewhere null, with a FORBIDDEN error at this path)."
    )
    async def moves(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[AreaMove] | None:
        window = page_window(info, first, after, last, before)
        page = await info.context.loaders.area_moves_page.load(PageKey(self.id, window))
        return Connection.build(page, AreaMove.from_model)


@strawberry.type(
    description="One move of the net (调整网格), kept as history: an area moved under another "
    "parent with its subtree, or a household moved to another micro-grid; from where to where, "
    "when and by whom."
)
class AreaMove(relay.Node):
    id: relay.NodeID[int]
    subject: MoveSubject = strawberry.field(description="What was moved.")
    moved_at: datetime = strawberry.field(description="When.")
    area_id: strawberry.Private[int | None]
    household_id: strawberry.Private[int | None]
    from_area_id: strawberry.Private[int]
    to_area_id: strawberry.Private[int]
    moved_by_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: AreaMoveModel) -> AreaMove:
        return cls(
            id=m.id,
            subject=m.subject,
            moved_at=m.moved_at,
            area_id=m.area_id,
            household_id=m.household_id,
            from_area_id=m.from_area_id,
            to_area_id=m.to_area_id,
            moved_by_id=m.moved_by_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AreaMove | None]:
        found = await grids.moves_by_ids(
            actor=info.context.actor, move_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(m) if m else None for m in found]

    @strawberry.field(description="The area moved (AREA moves; null for a household).")
    async def area(self, info: Info) -> Area | None:
        return None if self.area_id is None else await Area.load(info, self.area_id)

    @strawberry.field(
        description="The household moved (HOUSEHOLD moves; null when it is not yours to read)."
    )
    async def household(
        self, info: Info
    ) -> Annotated[Household, strawberry.lazy("schema.households")] | None:
        from schema.households import Household

        if self.household_id is None:
            return None
        found = await info.context.loaders.household.load(self.household_id)
        return Household.from_model(found) if found else None

    @strawberry.field(
        description="Where it was: the old parent area (for a household, its old micro-grid, "
        "or its community while it had none)."
    )
    async def from_area(self, info: Info) -> Area:
        return await Area.load(info, self.from_area_id)

    @strawberry.field(description="Where it went: the new parent area (or micro-grid).")
    async def to_area(self, info: Info) -> Area:
        return await Area.load(info, self.to_area_id)

    @strawberry.field(description="Who moved it (null when hidden from you).")
    async def moved_by(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        from schema.people import Person

        view = await info.context.loaders.person.load(self.moved_by_id)
        return Person.from_view(view) if view else None
