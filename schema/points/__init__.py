"""GraphQL of points: the ledger as people see it, rules, awards, leaderboards."""

from schema.points.operations import PointsMutation, PointsQuery
from schema.points.subscriptions import PointsSubscription
from schema.points.types import (
    Dimension,
    PointsAccount,
    PointsAward,
    PointsEntry,
    PointsRule,
    PointsTransaction,
)

__all__ = [
    "Dimension",
    "PointsAccount",
    "PointsAward",
    "PointsEntry",
    "PointsMutation",
    "PointsQuery",
    "PointsRule",
    "PointsSubscription",
    "PointsTransaction",
]
