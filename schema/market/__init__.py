"""GraphQL of the points marketplace (积分超市)."""

from schema.market.operations import MarketMutation, MarketQuery
from schema.market.types import Redemption, RedemptionStatus, Reward

__all__ = ["MarketMutation", "MarketQuery", "Redemption", "RedemptionStatus", "Reward"]
