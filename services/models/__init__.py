"""Tortoise models, one module per domain; imported here so Tortoise discovers them."""

from tortoise.models import Model

from services.models.accounts import LoginFailure, RefreshToken, Session, UserAccount
from services.models.audit import AuditEntry
from services.models.columns import typed_column_lengths
from services.models.evaluation import (
    AreaEvaluation,
    EvaluationAdjustment,
    EvaluationHonour,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationResult,
    EvaluationScheme,
    ExitReview,
    TrainingAttendance,
    TrainingSession,
)
from services.models.grids import Area, AreaBoundary, AreaMove, GridStation
from services.models.households import CareLink, EndedCareLink, Household, HouseholdClaim
from services.models.imports import ImportJob, ImportRowError
from services.models.market import Redemption, RedemptionLot, Reward
from services.models.notices import (
    Notice,
    NoticeAcknowledgement,
    NoticeRecipient,
    NoticeRelay,
)
from services.models.partners import (
    CadreAssignment,
    CadreService,
    NeedEntry,
    PartnerMember,
    PartnerUnit,
    Project,
    ProjectClaimSetting,
    ProjectMilestone,
    ProjectUnit,
    ResourceArea,
    ResourceMatch,
    ResourceOffer,
)
from services.models.party import PartyMemberReport, PartyMembership, PartyUnit
from services.models.people import Person, RoleAssignment
from services.models.photos import Photo
from services.models.points import (
    EvaluationCredit,
    IdempotencyRecord,
    LedgerCheckpoint,
    PointsAccount,
    PointsAward,
    PointsBatchRefusal,
    PointsChainHead,
    PointsEntry,
    PointsLot,
    PointsPolicy,
    PointsRule,
    PointsRuleVersion,
    PointsTransaction,
)
from services.models.volunteering import (
    ActivitySignUp,
    TeamMembership,
    VolunteerActivity,
    VolunteerTeam,
)
from services.models.workorders import (
    WorkOrder,
    WorkOrderCategory,
    WorkOrderErrand,
    WorkOrderEvent,
)

__all__ = [
    "ActivitySignUp",
    "Area",
    "AreaBoundary",
    "AreaEvaluation",
    "AreaMove",
    "AuditEntry",
    "CadreAssignment",
    "CadreService",
    "CareLink",
    "EndedCareLink",
    "EvaluationAdjustment",
    "EvaluationCredit",
    "EvaluationHonour",
    "EvaluationObjection",
    "EvaluationPeriod",
    "EvaluationResult",
    "EvaluationScheme",
    "ExitReview",
    "GridStation",
    "Household",
    "HouseholdClaim",
    "IdempotencyRecord",
    "ImportJob",
    "ImportRowError",
    "LedgerCheckpoint",
    "LoginFailure",
    "NeedEntry",
    "Notice",
    "NoticeAcknowledgement",
    "NoticeRecipient",
    "NoticeRelay",
    "PartnerMember",
    "PartnerUnit",
    "PartyMemberReport",
    "PartyMembership",
    "PartyUnit",
    "Person",
    "Photo",
    "PointsAccount",
    "PointsAward",
    "PointsBatchRefusal",
    "PointsChainHead",
    "PointsEntry",
    "PointsLot",
    "PointsPolicy",
    "PointsRule",
    "PointsRuleVersion",
    "PointsTransaction",
    "Project",
    "ProjectClaimSetting",
    "ProjectMilestone",
    "ProjectUnit",
    "Redemption",
    "RedemptionLot",
    "RefreshToken",
    "ResourceArea",
    "ResourceMatch",
    "ResourceOffer",
    "Reward",
    "RoleAssignment",
    "Session",
    "TeamMembership",
    "TrainingAttendance",
    "TrainingSession",
    "UserAccount",
    "VolunteerActivity",
    "VolunteerTeam",
    "WorkOrder",
    "WorkOrderCategory",
    "WorkOrderErrand",
    "WorkOrderEvent",
]

# Every model is imported by now: over-long text in any of them is a typed input error.
typed_column_lengths(
    [m for m in map(globals().get, __all__) if isinstance(m, type) and issubclass(m, Model)]
)
