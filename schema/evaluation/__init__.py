"""GraphQL of the evaluation scheme: schemes, periods, results, red flags, exit, training."""

from schema.evaluation.mutations import EvaluationMutation
from schema.evaluation.queries import EvaluationQuery
from schema.evaluation.types import Evaluation, Honour, TrainingCoverage

__all__ = ["Evaluation", "EvaluationMutation", "EvaluationQuery", "Honour", "TrainingCoverage"]
