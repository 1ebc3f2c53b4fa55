"""The points domain's enums in GraphQL: registered once, the services.enums classes themselves."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import (
    AwardStatus,
    CapWindow,
    ChainFault,
    CheckpointFault,
    Dimension,
    ExpiryKind,
    TransactionKind,
)

strawberry.enum(
    Dimension, description="What points count towards in the evaluation scheme (评估办法)."
)
describe_values(
    Dimension,
    {
        "POLICY_COMMUNICATION": "Policy communication (政策传达): notices passed on and read.",
        "MANAGEMENT_SERVICE": "Management and service (管理服务): running the micro-grid.",
        "INFORMATION_REPORTING": "Information reporting (信息上报): problems reported.",
        "PROBLEM_HANDLING": "Problem handling (问题处置): requests and reports resolved.",
        "VOLUNTEER_SERVICE": "Volunteer service (志愿服务): activities and hours.",
    },
)
strawberry.enum(TransactionKind, description="Why points moved.")
describe_values(
    TransactionKind,
    {
        "AWARD": "Earned by a rule (积分奖励).",
        "PENALTY": "Taken by a penalty rule (扣分).",
        "REDEMPTION": "Spent in the points marketplace (兑换), at pickup.",
        "EXPIRY": "Expired and returned to the community's pool (过期).",
        "REVERSAL": "A correction of an earlier award or penalty (冲正).",
    },
)
strawberry.enum(AwardStatus, description="Where an award request stands.")
describe_values(
    AwardStatus,
    {
        "PENDING": "Waiting for a community admin's review.",
        "APPROVED": "Approved: the points are posted.",
        "REJECTED": "Rejected with a reason: nothing was posted.",
    },
)
strawberry.enum(ExpiryKind, description="When awarded points expire.")
describe_values(
    ExpiryKind,
    {
        "NONE": "Never.",
        "MONTHS": "After a number of months (`expiryMonths`).",
        "END_OF_NEXT_YEAR": "At the end of the year after the award (次年年底).",
    },
)

__all__ = ["AwardStatus", "CheckpointFault", "Dimension", "ExpiryKind", "TransactionKind"]
strawberry.enum(ChainFault, description="What is wrong with a broken ledger hash chain.")
describe_values(
    ChainFault,
    {
        "CONTENT_CHANGED": "The transaction's content no longer matches its hash: it was changed.",
        "LINK_BROKEN": "The transaction does not follow the one before it: a transaction was "
        "deleted, reordered or inserted before it.",
        "HEAD_MISMATCH": "The chain ends elsewhere than its head says: its last transaction was "
        "deleted, or one was appended behind the ledger's back.",
    },
)
strawberry.enum(CapWindow, description="A local calendar window a points rule caps per person.")
describe_values(
    CapWindow,
    {
        "DAY": "The local (Asia/Shanghai) day.",
        "MONTH": "The local month.",
        "QUARTER": "The local quarter.",
    },
)
strawberry.enum(CheckpointFault, description="What is wrong with a bad signed ledger checkpoint.")
describe_values(
    CheckpointFault,
    {
        "SIGNATURE_INVALID": "Its signature does not hold: the checkpoint row was changed.",
        "UNKNOWN_KEY": "It names a signing key that is neither the current one nor listed in "
        "LEDGER_PREVIOUS_PUBLIC_KEYS.",
        "ROOT_MISMATCH": "The transactions it covers no longer give its Merkle root: one was "
        "changed, deleted, reordered or inserted, even if every hash was recomputed.",
        "HEAD_MISMATCH": "Its last transaction no longer carries its head hash.",
        "GAP": "It does not follow the checkpoint before it (sequence or chain length): a "
        "checkpoint was deleted or changed.",
    },
)
