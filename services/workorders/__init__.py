"""Work orders (工单): residents' requests (点单) and problem reports (事件上报), dispatched to
micro-grids (派单), accepted and handled (接单), confirmed or verified, with escalation,
auto-confirmation, points for the handlers and reporters, and figures per area."""

from services.workorders.access import parties_of, sees
from services.workorders.categories import (
    categories_by_ids,
    categories_for,
    create_category,
    list_categories,
    update_category,
)
from services.workorders.following import may_follow
from services.workorders.lifecycle import (
    SOURCE_TYPE,
    accept,
    assign,
    confirm,
    rate,
    reject,
    resolve,
    resume,
    start,
    suspend,
    transfer,
    verify,
)
from services.workorders.orders import (
    MAX_PHOTOS,
    is_overdue,
    list_orders,
    my_orders,
    orders_by_ids,
    place_order,
    report_problem,
    timelines,
)
from services.workorders.stats import (
    WorkOrderStats,
    figures,
    orders_within_sla_between,
    parse_period,
    person_metrics,
    verified_reports_between,
    work_order_stats,
)
from services.workorders.timers import auto_confirm, escalate_overdue, run_timers
from services.workorders.transitions import TRANSITIONS, USER_ACTIONS, Party, Rule, rule_for

__all__ = [
    "MAX_PHOTOS",
    "SOURCE_TYPE",
    "TRANSITIONS",
    "USER_ACTIONS",
    "Party",
    "Rule",
    "WorkOrderStats",
    "accept",
    "assign",
    "auto_confirm",
    "categories_by_ids",
    "categories_for",
    "confirm",
    "create_category",
    "escalate_overdue",
    "figures",
    "is_overdue",
    "list_categories",
    "list_orders",
    "may_follow",
    "my_orders",
    "orders_by_ids",
    "orders_within_sla_between",
    "parse_period",
    "parties_of",
    "person_metrics",
    "place_order",
    "rate",
    "reject",
    "report_problem",
    "resolve",
    "resume",
    "rule_for",
    "run_timers",
    "sees",
    "start",
    "suspend",
    "timelines",
    "transfer",
    "update_category",
    "verified_reports_between",
    "verify",
    "work_order_stats",
]
