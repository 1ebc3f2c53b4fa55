"""Queries of the territory."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

import schema.grids.enums  # noqa: F401  (registers the enums annotated below)
from schema.core.context import Info
from schema.core.ids import area_key, id_argument
from schema.core.pagination import After, Before, Connection, First, Last, page_window
from schema.grids.types import Area
from services import grids
from services.enums import AreaKind, AreaLevel


@strawberry.type
class GridsQuery:
    @strawberry.field(description="Areas filtered by level, kind, subtree (`under`) and name.")
    async def areas(
        self,
        info: Info,
        level: Annotated[
            AreaLevel | None,
            strawberry.argument(description="Only areas of this level."),
        ] = None,
        kind: Annotated[
            AreaKind | None,
            strawberry.argument(description="Only areas of this kind."),
        ] = None,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Only areas in this area's subtree (itself included)."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Part of the name (at most 100 characters)."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Area]:
        # Not `paged`: the page's rows are read ahead for the selected nested fields.
        window = page_window(info, first, after, last, before)
        page = await grids.list_areas(
            level=level,
            kind=kind,
            under_id=area_key(under, "under"),
            search=search,
            window=window,
        )
        connection = Connection.build(page, Area.from_model)
        await Area.read_ahead(info, page, [edge.node for edge in connection.edges])
        return connection

    @strawberry.field(
        description="The area with the district's own code (区划/网格编码), or null if none has it."
    )
    async def area_by_code(
        self,
        code: Annotated[
            str, strawberry.argument(description="The area's code (at most 32 characters).")
        ],
    ) -> Area | None:
        found = await grids.find_area_by_code(code=code)
        return Area.from_model(found) if found else None
