"""The points ledger: accounts, transactions, entries, lots, rules, awards, evaluation credit."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.enums import (
    AccountKind,
    AwardStatus,
    Dimension,
    ExpiryKind,
    TransactionKind,
)
from services.kit import clock


class PointsAccount(Model):
    """A ledger account: the spendable points of a person, the issuing pool of a community or
    the sink of a provider. `balance` caches the sum of the entries of the account, `held` is
    reserved by open redemptions (available = balance - held).

    Migration 0006 adds CHECKs: balance and held never negative (pools excepted, they are the
    source of awarded points and run negative), held never above balance.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(AccountKind, max_length=8)
    person_id = fields.IntField(null=True, unique=True)
    # The community of a pool or sink (null for person accounts).
    area_id = fields.IntField(null=True)
    name = fields.CharField(max_length=100)
    balance = fields.BigIntField(default=0)
    held = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "points_account"
        unique_together = (("kind", "area_id", "name"),)


class PointsTransaction(Model):
    """One balanced movement of points (its entries sum to zero). Append-only: a correction is a
    new REVERSAL transaction pointing at the original (at most one per original)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(TransactionKind, max_length=16)
    # The person whose points (or evaluation credit) this concerns, if any.
    person_id = fields.IntField(null=True)
    # The community whose pool or marketplace it went through, and that community's path.
    community_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    rule_id = fields.IntField(null=True)
    # The version of the rule it was posted by (PointsRuleVersion.version).
    rule_version = fields.IntField(null=True)
    dimension = fields.CharEnumField(Dimension, max_length=32, null=True)
    # Points moved to (+) or from (-) the person's account.
    points = fields.BigIntField(default=0)
    # Effect on the person's evaluation credit in `period`: a penalty counts in full even when
    # the balance could not cover it (the uncovered part is `shortfall`).
    credit = fields.BigIntField(default=0)
    period = fields.CharField(max_length=8, null=True)
    shortfall = fields.BigIntField(default=0)
    reason = fields.CharField(max_length=500, default="")
    source_type = fields.CharField(max_length=40, null=True)
    source_id = fields.CharField(max_length=40, null=True)
    reverses_id = fields.IntField(null=True, unique=True)
    redemption_id = fields.IntField(null=True)
    actor_account_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(default=clock.now)
    # The hash chain of the community (services.points.chain): the SHA-256 of this
    # transaction's canonical content, which includes `previous_hash`, the hash of the
    # community's transaction before it. Migration 0033 indexes (community_id, id): the
    # chains are read in that order.
    content_hash = fields.CharField(max_length=64, null=True)
    previous_hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "points_transaction"
        indexes = (("area_path", "kind"), ("person_id", "period"))


class PointsChainHead(Model):
    """The head of a community's hash chain: its last transaction and hash, and its length.
    Appending locks this row (services.points.chain.lock_head)."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField(unique=True)
    head_hash = fields.CharField(max_length=64)
    transaction_id = fields.IntField(null=True)
    length = fields.IntField(default=0)

    class Meta:
        table = "points_chain_head"


class LedgerCheckpoint(Model):
    """A signed checkpoint of a community's hash chain (services.points.checkpoints): the
    transactions at chain positions `from_length` + 1 .. `length` (ids `first_transaction_id`
    .. `last_transaction_id`), their Merkle root (services.points.merkle), the chain's head hash
    after them, and the service's Ed25519 signature over all of it. A community's checkpoints
    follow each other without gaps (`sequence` 1, 2, ...; each starts where the one before
    ended). DAILY ones cover the local day `day` (the job, after the day has ended); ON_DEMAND
    ones cover the chain up to the moment they were asked for (`covers_until`)."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    sequence = fields.IntField()
    kind = fields.CharField(max_length=16)
    day = fields.DateField()
    covers_until = fields.DatetimeField()
    from_length = fields.IntField()
    length = fields.IntField()
    first_transaction_id = fields.IntField()
    last_transaction_id = fields.IntField()
    head_hash = fields.CharField(max_length=64)
    merkle_root = fields.CharField(max_length=64)
    # The signing key's id (services.points.signing.key_id) and the signature (hex).
    key_id = fields.CharField(max_length=16)
    signature = fields.CharField(max_length=128)
    # Who asked for it (null: the daily job), and the notice it was published as (公示).
    created_by_id = fields.IntField(null=True)
    notice_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "ledger_checkpoint"
        unique_together = (("community_id", "sequence"),)
        indexes = (("community_id", "day"),)


class PointsEntry(Model):
    """One posting of a transaction to one account, with the balance of the account right after
    it (`balance_after`). Append-only (triggers refuse UPDATE and DELETE)."""

    id = fields.IntField(primary_key=True)
    transaction_id = fields.IntField()
    account_id = fields.IntField()
    points = fields.BigIntField()
    balance_after = fields.BigIntField()
    kind = fields.CharEnumField(TransactionKind, max_length=16)
    rule_id = fields.IntField(null=True)
    # The version of the rule it was posted by (PointsRuleVersion.version).
    rule_version = fields.IntField(null=True)
    dimension = fields.CharEnumField(Dimension, max_length=32, null=True)
    reason = fields.CharField(max_length=500, default="")
    source_type = fields.CharField(max_length=40, null=True)
    source_id = fields.CharField(max_length=40, null=True)
    actor_account_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "points_entry"
        indexes = (("account_id", "id"), ("transaction_id",))


class PointsLot(Model):
    """Points received together (an award) that expire together. Spending takes the soonest
    expiring lots first, and the lot remainders of a person sum to balance - held."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField()
    transaction_id = fields.IntField()
    points = fields.BigIntField()
    remaining = fields.BigIntField()
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "points_lot"
        indexes = (("account_id", "expires_at"), ("expires_at",))


class PointsPolicy(Model):
    """The expiry and pickup policy of a community (or, with no area, of the district)."""

    id = fields.IntField(primary_key=True)
    area_id = fields.IntField(null=True, unique=True)
    expiry = fields.CharEnumField(ExpiryKind, max_length=24, default=ExpiryKind.NONE)
    expiry_months = fields.IntField(null=True)
    hold_days = fields.IntField(default=7)
    updated_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "points_policy"


class PointsRule(Model):
    """A points rule (积分规则): the district default (no area) or the override of a community.
    Its current fields; every change makes a new version (PointsRuleVersion), and ledger entries
    name the version they were posted by."""

    id = fields.IntField(primary_key=True)
    version = fields.IntField(default=1)
    code = fields.CharField(max_length=40)
    name = fields.CharField(max_length=100)
    dimension = fields.CharEnumField(Dimension, max_length=32)
    points = fields.IntField()
    requires_review = fields.BooleanField(default=False)
    cap_per_day = fields.IntField(null=True)
    cap_per_month = fields.IntField(null=True)
    cap_per_quarter = fields.IntField(null=True)
    receiver_roles: list[str] = fields.JSONField(default=list)
    granter_roles: list[str] = fields.JSONField(default=list)
    area_id = fields.IntField(null=True)
    area_path = fields.CharField(max_length=255, default="")
    retired_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "points_rule"
        indexes = (("code", "area_id"),)


class PointsRuleVersion(Model):
    """A rule as it was from `created_at` on (version 1: as created), kept when the rule
    changes so that entries keep showing the rule they were awarded by."""

    id = fields.IntField(primary_key=True)
    rule_id = fields.IntField()
    version = fields.IntField()
    name = fields.CharField(max_length=100)
    dimension = fields.CharEnumField(Dimension, max_length=32)
    points = fields.IntField()
    requires_review = fields.BooleanField(default=False)
    cap_per_day = fields.IntField(null=True)
    cap_per_month = fields.IntField(null=True)
    cap_per_quarter = fields.IntField(null=True)
    receiver_roles: list[str] = fields.JSONField(default=list)
    granter_roles: list[str] = fields.JSONField(default=list)
    # Who made this version (null: created before versions were kept, or by the system).
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "points_rule_version"
        unique_together = (("rule_id", "version"),)


class PointsBatchRefusal(Model):
    """A person an awardPointsBatch call did not award, and why (the typed error), kept with
    the call's idempotency record so that a retry answers with the same outcomes."""

    id = fields.IntField(primary_key=True)
    batch_id = fields.IntField(db_index=True)
    person_id = fields.IntField()
    code = fields.CharField(max_length=32)
    message = fields.CharField(max_length=500)
    field = fields.CharField(max_length=40, null=True)

    class Meta:
        table = "points_batch_refusal"


class PointsAward(Model):
    """A request to award points by a rule: APPROVED at once, or PENDING until reviewed."""

    id = fields.IntField(primary_key=True)
    person_id = fields.IntField()
    rule_id = fields.IntField()
    # The version of the rule it was requested under (PointsRuleVersion.version).
    rule_version = fields.IntField(null=True)
    community_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    quantity = fields.IntField()
    points = fields.IntField()
    status = fields.CharEnumField(AwardStatus, max_length=16)
    reason = fields.CharField(max_length=500)
    source_type = fields.CharField(max_length=40, null=True)
    source_id = fields.CharField(max_length=40, null=True)
    requested_by_id = fields.IntField(null=True)
    # The idempotency record of the awardPointsBatch call that made it, if any.
    batch_id = fields.IntField(null=True, db_index=True)
    reviewed_by_id = fields.IntField(null=True)
    review_reason = fields.CharField(max_length=500, null=True)
    transaction_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    reviewed_at = fields.DatetimeField(null=True)
    # When the points were earned, if before the award was made (volunteer hours: the
    # check-in): the rule's caps count the award in that day, month and quarter. Null: when
    # it was made (created_at).
    earned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "points_award"
        indexes = (("person_id", "rule_id", "created_at"), ("area_path", "status"))


class EvaluationCredit(Model):
    """Evaluation credit (评估积分) of a person in a quarter and dimension: points earned minus
    penalties, untouched by spending or expiry. Rankings read this, never the balance."""

    id = fields.IntField(primary_key=True)
    person_id = fields.IntField()
    period = fields.CharField(max_length=8)
    dimension = fields.CharEnumField(Dimension, max_length=32)
    points = fields.BigIntField(default=0)

    class Meta:
        table = "evaluation_credit"
        unique_together = (("person_id", "period", "dimension"),)
        indexes = (("period", "dimension"),)


class IdempotencyRecord(Model):
    """The first result of a mutation sent with an idempotency key (per account and mutation)."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField()
    operation = fields.CharField(max_length=40)
    key = fields.CharField(max_length=100)
    request_hash = fields.CharField(max_length=64)
    result_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "idempotency_record"
        unique_together = (("account_id", "operation", "key"),)
