"""GraphQL of the evaluation scheme: schemes, periods, results, red flags, exit, training."""

# The domain's enums are registered with GraphQL before any type annotated with them is built.
import schema.evaluation.enums  # noqa: F401
from schema.evaluation.mutations import EvaluationMutation
from schema.evaluation.queries import EvaluationQuery
from schema.evaluation.types import Evaluation, Honour, TrainingCoverage

__all__ = ["Evaluation", "EvaluationMutation", "EvaluationQuery", "Honour", "TrainingCoverage"]
