"""The points marketplace (积分超市): rewards and redemptions."""

from services.market.redemptions import (
    cancel,
    expire_holds,
    fulfil,
    redeem,
    redemptions_by_ids,
    redemptions_of,
)
from services.market.rewards import (
    RewardInput,
    create_reward,
    is_available,
    list_rewards,
    restock_reward,
    rewards_by_ids,
    update_reward,
)

__all__ = [
    "RewardInput",
    "cancel",
    "create_reward",
    "expire_holds",
    "fulfil",
    "is_available",
    "list_rewards",
    "redeem",
    "redemptions_by_ids",
    "redemptions_of",
    "restock_reward",
    "rewards_by_ids",
    "update_reward",
]
