"""The points marketplace (积分超市): rewards, redemptions and the lots they hold."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.enums import ProviderKind, RedemptionStatus, RewardCategory
from services.kit import clock


class Reward(Model):
    """A reward in the points marketplace of a community, given by the community or a partner unit.

    Migration 0006 adds CHECKs: stock never negative, price above zero.
    """

    id = fields.IntField(primary_key=True)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    community_id = fields.IntField()
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=1000, default="")
    category = fields.CharEnumField(RewardCategory, max_length=16)
    price_points = fields.IntField()
    stock = fields.IntField()
    per_person_limit = fields.IntField(null=True)
    provider_kind = fields.CharEnumField(ProviderKind, max_length=16)
    provider_name = fields.CharField(max_length=100)
    # The provider's sink account (captured redemptions land there).
    sink_account_id = fields.IntField()
    # The account that posted it for a partner unit: that unit's staff fulfil its redemptions.
    provider_account_id = fields.IntField(null=True)
    # A reward stocked from a partner unit resource (stockRewardFromResource): the members of
    # that unit hand it over and see its redemptions.
    partner_unit_id = fields.IntField(null=True, db_index=True)
    resource_id = fields.IntField(null=True)
    pickup_location = fields.CharField(max_length=200, default="")
    available_from = fields.DatetimeField(null=True)
    available_until = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "reward"
        indexes = (("area_path", "category"),)


class Redemption(Model):
    """A redemption: points and stock held until pickup (HELD), then FULFILLED, CANCELLED or
    EXPIRED. The pickup code is random and unique."""

    id = fields.IntField(primary_key=True)
    reward_id = fields.IntField()
    person_id = fields.IntField()
    account_id = fields.IntField()
    quantity = fields.IntField()
    points_spent = fields.BigIntField()
    status = fields.CharEnumField(RedemptionStatus, max_length=16)
    pickup_code = fields.CharField(max_length=20, unique=True)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    closed_by_id = fields.IntField(null=True)
    transaction_id = fields.IntField(null=True)

    class Meta:
        table = "redemption"
        indexes = (("person_id", "id"), ("reward_id", "person_id"), ("status", "expires_at"))


class RedemptionLot(Model):
    """Which lots a held redemption took its points from (given back on cancel or expiry)."""

    id = fields.IntField(primary_key=True)
    redemption_id = fields.IntField()
    lot_id = fields.IntField()
    points = fields.BigIntField()

    class Meta:
        table = "redemption_lot"
        indexes = (("redemption_id",),)
