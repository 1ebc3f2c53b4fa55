"""Tortoise models, one module per domain; imported here so Tortoise discovers them."""

from services.models.accounts import LoginFailure, RefreshToken, Session, UserAccount
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
from services.models.grids import Area, GridStation, PartyUnit
from services.models.households import CareLink, Household
from services.models.market import Redemption, RedemptionLot, Reward
from services.models.people import Person, RoleAssignment
from services.models.points import (
    EvaluationCredit,
    IdempotencyRecord,
    PointsAccount,
    PointsAward,
    PointsEntry,
    PointsLot,
    PointsPolicy,
    PointsRule,
    PointsTransaction,
)
from services.models.volunteering import (
    ActivitySignUp,
    TeamMembership,
    VolunteerActivity,
    VolunteerTeam,
)

__all__ = [
    "ActivitySignUp",
    "Area",
    "AreaEvaluation",
    "CareLink",
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
    "IdempotencyRecord",
    "LoginFailure",
    "PartyUnit",
    "Person",
    "PointsAccount",
    "PointsAward",
    "PointsEntry",
    "PointsLot",
    "PointsPolicy",
    "PointsRule",
    "PointsTransaction",
    "Redemption",
    "RedemptionLot",
    "RefreshToken",
    "Reward",
    "RoleAssignment",
    "Session",
    "TeamMembership",
    "TrainingAttendance",
    "TrainingSession",
    "UserAccount",
    "VolunteerActivity",
    "VolunteerTeam",
]
