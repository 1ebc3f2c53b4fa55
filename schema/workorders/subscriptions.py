"""Live work orders: dispatches and every later step, for the workers of an area."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.ids import id_argument
from schema.core.live import area_events
from schema.workorders.types import WorkOrder
from services import workorders
from services.enums import WorkOrderAction, WorkOrderStatus
from services.kit.auth import require_actor
from services.kit.events import Event, Topic


@strawberry.type(description="A step a work order just took, and the order as it is after it.")
class WorkOrderUpdate:
    action: WorkOrderAction = strawberry.field(
        description="What happened (DISPATCH for a new order, ACCEPT, TRANSFER, ESCALATE, ...)."
    )
    status: WorkOrderStatus = strawberry.field(description="The status the step left it in.")
    work_order: WorkOrder = strawberry.field(description="The order, read after the step.")


@strawberry.type
class WorkOrdersSubscription:
    @strawberry.subscription(
        description="Work orders handled under `under`, as they are dispatched there and at "
        "every later step (accepted, assigned, transferred, escalated, resolved, confirmed, "
        "...). For admins and leaders of the area, and for the central households, part-time "
        "grid members and volunteers working at, above or below it, who are shown the orders "
        "they may see (FORBIDDEN otherwise). A transfer is announced to the area that receives "
        "the order and to the one it left (whose watchers get it while they may still see the "
        "order; above both areas, once for each); an escalation to the area handling it."
    )
    async def work_order_events(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="The area.")],
    ) -> AsyncGenerator[WorkOrderUpdate, None]:
        async def load(event: Event) -> WorkOrderUpdate | None:
            found = await workorders.followed_order(
                actor=require_actor(info.context.actor), event=event
            )
            if found is None:
                return None
            order, area = found
            # Read once for every subscriber of the event: the loaders start from it.
            info.context.loaders.area.prime(area.id, area)
            return WorkOrderUpdate(
                action=WorkOrderAction(event.payload["action"]),
                status=WorkOrderStatus(event.payload["status"]),
                work_order=WorkOrder.from_model(order),
            )

        return await area_events(
            info,
            topic=Topic.WORK_ORDER,
            under=under,
            load=load,
            may_watch=workorders.may_follow,
        )
