"""Typed errors: every expected failure is a member of the mutation's result union."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

import strawberry

from schema.core.observability import count_error
from services import errors


@strawberry.enum(description="Stable machine-readable error codes; clients switch on these.")
class ErrorCode(Enum):
    INVALID_INPUT = strawberry.enum_value("INVALID_INPUT", description="Malformed input.")
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="No such object (or not visible).")
    FORBIDDEN = strawberry.enum_value("FORBIDDEN", description="Not allowed for this user here.")
    UNAUTHENTICATED = strawberry.enum_value("UNAUTHENTICATED", description="Sign in first.")
    CONFLICT = strawberry.enum_value("CONFLICT", description="Clashes with the current state.")
    INVALID_CREDENTIALS = strawberry.enum_value(
        "INVALID_CREDENTIALS", description="Wrong username or password."
    )
    INVALID_TOKEN = strawberry.enum_value(
        "INVALID_TOKEN", description="Unknown, expired, revoked or reused refresh token."
    )
    TOO_MANY_ATTEMPTS = strawberry.enum_value(
        "TOO_MANY_ATTEMPTS", description="Too many failed sign-ins; wait and retry."
    )
    INSUFFICIENT_POINTS = strawberry.enum_value(
        "INSUFFICIENT_POINTS", description="Available points (balance minus held) too few."
    )
    OUT_OF_STOCK = strawberry.enum_value("OUT_OF_STOCK", description="Not enough items left.")
    LIMIT_EXCEEDED = strawberry.enum_value(
        "LIMIT_EXCEEDED",
        description="A rule's cap, a reward's per-person limit or a connection's subscription "
        "limit is reached.",
    )
    REWARD_UNAVAILABLE = strawberry.enum_value(
        "REWARD_UNAVAILABLE", description="The reward is withdrawn or outside its window."
    )
    IDEMPOTENCY_CONFLICT = strawberry.enum_value(
        "IDEMPOTENCY_CONFLICT", description="The idempotency key was used with another input."
    )
    FELL_BEHIND = strawberry.enum_value(
        "FELL_BEHIND",
        description="A subscription read too slowly and missed events: subscribe again and "
        "re-read what it follows.",
    )
    INVALID_TRANSITION = strawberry.enum_value(
        "INVALID_TRANSITION",
        description="The object's status does not allow this step (e.g. a work order).",
    )
    LEDGER_PROOF_MISMATCH = strawberry.enum_value(
        "LEDGER_PROOF_MISMATCH",
        description="A transaction no longer matches the signed ledger checkpoint (公示) that "
        "covers it: the ledger was changed after publication. Answered by "
        "`PointsTransaction.proof` instead of a proof that would not verify.",
    )
    QUERY_TOO_COMPLEX = strawberry.enum_value(
        "QUERY_TOO_COMPLEX",
        description="The operation's estimated cost (`extensions.cost`) exceeds the budget of "
        "one operation (smaller for anonymous callers); ask for smaller pages or fewer nested "
        "lists. Refused before anything ran.",
    )
    THROTTLED = strawberry.enum_value(
        "THROTTLED",
        description="The caller's budget over time (a leaky bucket per account or client "
        "address; see `extensions.cost.throttleStatus`) holds less than the operation costs; "
        "retry after `extensions.retryAfterSeconds` (also the `Retry-After` header). Refused "
        "before anything ran.",
    )
    INTERNAL = strawberry.enum_value(
        "INTERNAL", description="Unexpected server error (reported with a request id)."
    )


MAX_ECHO = 100
"""An error message quotes at most this many characters of a value the client sent."""
MAX_MESSAGE = 500
# A quoted value, closed or running to the end of the (pre-cut) message.
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*(?:"|$)|\'(?:[^\'\\\n]|\\.)*(?:\'|$)')


def bounded(message: str) -> str:
    """The message with every quoted value cut to MAX_ECHO characters, and at most MAX_MESSAGE
    characters in all (graphql-core and Strawberry quote the offending value whole: a 1 MB
    argument came back as a 1 MB message)."""
    if len(message) <= MAX_ECHO:
        return message
    message = message[: 4 * MAX_MESSAGE]  # nothing past this would be kept anyway

    def cut(found: re.Match[str]) -> str:
        text = found.group(0)
        if len(text) <= MAX_ECHO + 2:
            return text
        closed = len(text) > 1 and text[-1] == text[0]
        return f"{text[: MAX_ECHO + 1]}…{text[-1] if closed else ''}"

    message = _QUOTED.sub(cut, message)
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "…"
    return message


# Every mutation takes one argument, `input`.
MUTATION_INPUT = strawberry.argument(description="What to do; see the input type's fields.")


@strawberry.interface(description="What every typed error carries.")
class Error:
    code: ErrorCode = strawberry.field(description="Stable code to switch on.")
    message: str = strawberry.field(description="Human-readable explanation (Chinese or English).")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault, where there is one."
    )


@strawberry.type(description="The input is malformed or breaks a rule.")
class InvalidInput(Error):
    pass


@strawberry.type(description="No such object, or the user may not know it exists.")
class NotFound(Error):
    pass


@strawberry.type(description="The user is signed in but may not do this here.")
class Forbidden(Error):
    pass


@strawberry.type(description="This needs a signed-in user.")
class Unauthenticated(Error):
    pass


@strawberry.type(description="The change clashes with the current state.")
class Conflict(Error):
    pass


@strawberry.type(description="Wrong username or password (never says which).")
class InvalidCredentials(Error):
    pass


@strawberry.type(description="The refresh token is unknown, expired, revoked or was used before.")
class InvalidToken(Error):
    pass


@strawberry.type(description="Too many failed sign-ins for this account or client.")
class TooManyAttempts(Error):
    retry_after_seconds: int = strawberry.field(description="Seconds until the next try.")


@strawberry.type(description="Too few available points (balance minus held) for this.")
class InsufficientPoints(Error):
    pass


@strawberry.type(description="The reward has fewer items left than asked for.")
class OutOfStock(Error):
    pass


@strawberry.type(description="A cap is reached: a rule's per-person cap or a reward's limit.")
class LimitExceeded(Error):
    pass


@strawberry.type(description="The reward is withdrawn or outside its availability window.")
class RewardUnavailable(Error):
    pass


@strawberry.type(
    description="The idempotency key was used before with a different input; use a new key."
)
class IdempotencyConflict(Error):
    pass


@strawberry.type(
    description="The object's state does not allow this step (an illegal jump): a work order's "
    "or a co-building project's status (read its status, and a work order's timeline), or a "
    "sign-up already checked in."
)
class InvalidTransition(Error):
    pass


class _DomainErrorHandler:
    """Maps one services.errors exception class onto its GraphQL error type."""

    def __init__(self, exception_type: type[errors.DomainError], error_type: type[Error]) -> None:
        self.exception_type = exception_type
        self.error_type = error_type

    def handle(self, exception: errors.DomainError, *, field: Any, info: Any) -> Error:
        count_error(exception.code)
        values: dict[str, Any] = {
            "code": ErrorCode(exception.code),
            "message": bounded(exception.message),
            "field": exception.field,
        }
        if isinstance(exception, errors.TooManyAttempts):
            values["retry_after_seconds"] = exception.retry_after_seconds
        return self.error_type(**values)


# Which GraphQL error type each domain exception becomes. Strawberry tries a field's handlers in
# order and the first whose exception type matches wins, so they are sorted most derived class
# first: a subclass (InvalidTransition) is never taken by its base's handler (Conflict), however
# this table is ordered.
ERROR_TYPES: dict[type[errors.DomainError], type[Error]] = {
    errors.InvalidInput: InvalidInput,
    errors.NotFound: NotFound,
    errors.Forbidden: Forbidden,
    errors.Unauthenticated: Unauthenticated,
    errors.Conflict: Conflict,
    errors.InvalidTransition: InvalidTransition,
    errors.InvalidCredentials: InvalidCredentials,
    errors.InvalidToken: InvalidToken,
    errors.TooManyAttempts: TooManyAttempts,
    errors.InsufficientPoints: InsufficientPoints,
    errors.OutOfStock: OutOfStock,
    errors.LimitExceeded: LimitExceeded,
    errors.RewardUnavailable: RewardUnavailable,
    errors.IdempotencyConflict: IdempotencyConflict,
}
EXCEPTION_HANDLERS = [
    _DomainErrorHandler(exception_type, error_type)
    for exception_type, error_type in sorted(
        ERROR_TYPES.items(), key=lambda item: len(item[0].__mro__), reverse=True
    )
]


def error_of(exception: errors.DomainError) -> Error:
    """The typed error object of a domain error, for a result that lists several (a batch's
    refused people) rather than failing as a whole."""
    error_type = next(t for e, t in ERROR_TYPES.items() if type(exception) is e)
    return error_type(
        code=ErrorCode(exception.code), message=bounded(exception.message), field=exception.field
    )


# The errors nearly every mutation may answer with; a result union reads
# `Annotated[XSuccess | UserErrors | Conflict, strawberry.union("XResult", ...)]` (Python flattens
# the union in order, so the SDL lists the success type, then these, then the rest).
UserErrors = InvalidInput | NotFound | Forbidden | Unauthenticated


def describe_values(enum_type: Any, descriptions: dict[str, str]) -> None:
    """Give each value of a Strawberry-wrapped domain enum its description (API.md asks for one
    on every enum value; the domain enums themselves stay free of GraphQL)."""
    for value in enum_type.__strawberry_definition__.values:
        value.description = descriptions[value.name]
