"""Per-operation metrics and logs: how many operations of each name and type ran, how long they
took, and the errors by code (GraphQL errors, and the typed errors of mutation results).

Operation names come from clients: only well-formed names become labels, and at most
MAX_OPERATION_NAMES distinct ones per process (then "other"), so made-up names cannot grow the
metrics without bound.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

logger = logging.getLogger("gridpoints.graphql.operations")

OPERATIONS = Counter(
    "gridpoints_graphql_operations_total",
    "GraphQL operations by name, type and outcome (ok, or error: the response has errors)",
    ["operation", "type", "outcome"],
)
DURATION = Histogram(
    "gridpoints_graphql_operation_seconds",
    "GraphQL operation latency (parsing, validation and execution)",
    ["operation", "type"],
)
ERRORS = Counter(
    "gridpoints_graphql_errors_total",
    "Errors by code: GraphQL errors, and typed errors returned in mutation results",
    ["code"],
)
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_seen: set[str] = set()


def operation_label(name: str | None) -> str:
    """The label of an operation name: itself if well-formed and among the first
    MAX_OPERATION_NAMES seen, "anonymous" without a name, "other" otherwise."""
    if not name:
        return "anonymous"
    if name in _seen:
        return name
    if _NAME.fullmatch(name) and len(_seen) < MAX_OPERATION_NAMES:
        _seen.add(name)
        return name
    return "other"


def count_error(code: str) -> None:
    """Count one error of `code`."""
    ERRORS.labels(code).inc()


class OperationMetrics(SchemaExtension):
    """Times each operation, counts it and its errors, and logs it (INFO, with its duration)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        context = self.execution_context
        name = operation_label(context.operation_name)
        try:
            kind = context.operation_type.value
        except Exception:  # a document that does not parse has no type
            kind = "invalid"
        result = context.result
        errors = (result.errors if result is not None else None) or context.pre_execution_errors
        for error in errors or []:
            code = (error.extensions or {}).get("code") or "GRAPHQL_ERROR"
            count_error(str(code))
        OPERATIONS.labels(name, kind, "error" if errors else "ok").inc()
        DURATION.labels(name, kind).observe(elapsed)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s %.1f ms",
                kind,
                name,
                elapsed * 1000,
                extra={
                    "operation": name,
                    "operation_type": kind,
                    "duration_ms": round(elapsed * 1000, 2),
                    "errors": len(errors or []),
                },
            )
