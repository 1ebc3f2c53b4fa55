"""GraphQL of work orders (工单): categories, placing orders and reporting problems, every step
of the lifecycle, lists, timelines and figures."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.workorders.enums  # noqa: F401
from schema.workorders.mutations import WorkOrdersMutation
from schema.workorders.queries import WorkOrdersQuery
from schema.workorders.subscriptions import WorkOrdersSubscription, WorkOrderUpdate
from schema.workorders.types import WorkOrder, WorkOrderCategory, WorkOrderStats

__all__ = [
    "WorkOrder",
    "WorkOrderCategory",
    "WorkOrderStats",
    "WorkOrderUpdate",
    "WorkOrdersMutation",
    "WorkOrdersQuery",
    "WorkOrdersSubscription",
]
