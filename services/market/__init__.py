"""The points marketplace (积分超市): rewards and redemptions."""

from services.market.redemptions import (
    cancel,
    expire_holds,
    fulfil,
    redeem,
    redemptions_by_ids,
    redemptions_of,
    shows_pickup_code,
)
from services.market.rewards import (
    MAX_STOCK,
    RewardInput,
    create_reward,
    hands_over,
    is_available,
    list_rewards,
    prepare_reward,
    restock_reward,
    rewards_by_ids,
    update_reward,
)

__all__ = [
    "MAX_STOCK",
    "RewardInput",
    "cancel",
    "create_reward",
    "expire_holds",
    "fulfil",
    "hands_over",
    "is_available",
    "list_rewards",
    "prepare_reward",
    "redeem",
    "redemptions_by_ids",
    "redemptions_of",
    "restock_reward",
    "rewards_by_ids",
    "shows_pickup_code",
    "update_reward",
]
