"""GraphQL types of the evaluation scheme: schemes, periods, results, honours, exit, training."""

from schema.evaluation.types.adjustments import EvaluationAdjustment, EvaluationObjection
from schema.evaluation.types.exits import ExitReview
from schema.evaluation.types.honours import Honour
from schema.evaluation.types.periods import EvaluationPeriod
from schema.evaluation.types.results import AreaEvaluation, DimensionScore, Evaluation, ScoreDetail
from schema.evaluation.types.schemes import (
    DetailedRules,
    DimensionWeight,
    EvaluationScheme,
    HonourRule,
    ManualItem,
    MetricRule,
    RoleScheme,
    RuleLink,
)
from schema.evaluation.types.training import TrainingCoverage, TrainingSession

__all__ = [
    "AreaEvaluation",
    "DetailedRules",
    "DimensionScore",
    "DimensionWeight",
    "Evaluation",
    "EvaluationAdjustment",
    "EvaluationObjection",
    "EvaluationPeriod",
    "EvaluationScheme",
    "ExitReview",
    "Honour",
    "HonourRule",
    "ManualItem",
    "MetricRule",
    "RoleScheme",
    "RuleLink",
    "ScoreDetail",
    "TrainingCoverage",
    "TrainingSession",
]
