"""GraphQL of the evaluation scheme: schemes, periods, results, red flags, exit, training."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.evaluation.enums  # noqa: F401
from schema.evaluation.mutations import EvaluationMutation
from schema.evaluation.queries import EvaluationQuery
from schema.evaluation.types import Evaluation, Honour, TrainingCoverage
from schema.evaluation.whatif import WhatIfMutation

__all__ = [
    "Evaluation",
    "EvaluationMutation",
    "EvaluationQuery",
    "Honour",
    "TrainingCoverage",
    "WhatIfMutation",
]
