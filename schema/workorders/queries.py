"""Queries of work orders: categories, lists and figures."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.arguments import Under
from schema.core.context import Info
from schema.core.ids import id_argument, node_key, require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.workorders.types import WorkOrder, WorkOrderCategory, WorkOrderStats
from services import workorders
from services.enums import WorkOrderKind, WorkOrderStatus
from services.workorders.categories import CATEGORIES_LIMIT


@strawberry.type
class WorkOrdersQuery:
    @strawberry.field(
        description="Work-order categories with their service levels (public), by kind and "
        "code: of the district of `areaId`, else of the viewer's district, else all (at most "
        f"{CATEGORIES_LIMIT})."
    )
    async def work_order_categories(
        self,
        info: Info,
        kind: Annotated[
            WorkOrderKind | None,
            strawberry.argument(description="Only requests or only reports."),
        ] = None,
        area_id: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="An area whose district's categories to list."),
        ] = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also retired categories.")
        ] = False,
    ) -> list[WorkOrderCategory]:
        found = await workorders.categories_for(
            actor=info.context.actor,
            kind=kind,
            area_id=node_key(area_id, "Area", "areaId"),
            include_inactive=include_inactive,
        )
        return [WorkOrderCategory.from_model(c) for c in found]

    @strawberry.field(
        description="Work orders handled under an area (its admins and leaders), newest first; "
        "without `under`, those handled in all your areas. `assignedToMe`: the orders assigned "
        "to you (central households, volunteers), wherever they are."
    )
    async def work_orders(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None, id_argument("Area", description="Area (default: yours).")
        ] = None,
        kind: Annotated[
            WorkOrderKind | None,
            strawberry.argument(description="Only this kind."),
        ] = None,
        status: Annotated[
            WorkOrderStatus | None,
            strawberry.argument(description="Only this status."),
        ] = None,
        category: Annotated[
            relay.GlobalID | None,
            id_argument("WorkOrderCategory", description="Only this category."),
        ] = None,
        overdue_only: Annotated[
            bool, strawberry.argument(description="Only orders past a due time now.")
        ] = False,
        assigned_to_me: Annotated[
            bool, strawberry.argument(description="Only orders assigned to you.")
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WorkOrder]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: workorders.list_orders(
                actor=info.context.actor,
                under_id=node_key(under, "Area", "under"),
                kind=kind,
                status=status,
                category_id=node_key(category, "WorkOrderCategory", "category"),
                overdue_only=overdue_only,
                assigned_to_me=assigned_to_me,
                window=window,
            ),
            WorkOrder.from_model,
        )

    @strawberry.field(
        description="Work-order figures under an area for a period (its admins and leaders): "
        "orders, median minutes to accept and to resolve, SLA breach rate, satisfaction."
    )
    async def work_order_stats(
        self,
        info: Info,
        under: Under,
        period: Annotated[
            str,
            strawberry.argument(
                description="A quarter (2026Q4), a month (2026-11) or days "
                "(2026-10-01..2026-12-31, at most 1098), in the service's time zone, in the "
                "years 2000 to 2100 (INVALID_INPUT otherwise)."
            ),
        ],
    ) -> WorkOrderStats:
        stats = await workorders.work_order_stats(
            actor=info.context.actor, under_id=require_key(under, "Area", "under"), period=period
        )
        return WorkOrderStats.from_stats(stats)
