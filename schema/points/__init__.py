"""GraphQL of points: the ledger as people see it, rules, awards, leaderboards."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.points.enums  # noqa: F401
from schema.points.checkpoints import CheckpointsMutation, CheckpointsQuery, LedgerCheckpoint
from schema.points.mutations import PointsMutation
from schema.points.queries import PointsQuery
from schema.points.subscriptions import PointsSubscription
from schema.points.types import (
    PointsAccount,
    PointsAward,
    PointsEntry,
    PointsRule,
    PointsTransaction,
)
from schema.points.whatif import PointsWhatIfMutation

__all__ = [
    "CheckpointsMutation",
    "CheckpointsQuery",
    "LedgerCheckpoint",
    "PointsAccount",
    "PointsAward",
    "PointsEntry",
    "PointsMutation",
    "PointsQuery",
    "PointsRule",
    "PointsSubscription",
    "PointsTransaction",
    "PointsWhatIfMutation",
]
