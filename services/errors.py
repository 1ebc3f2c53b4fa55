"""The one hierarchy of expected (domain) failures; the schema maps each onto a typed error."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure the client can act on. `code` is stable; `message` is for people."""

    code = "INVALID_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The input is malformed or breaks a rule; `field` names the culprit."""

    code = "INVALID_INPUT"


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists."""

    code = "NOT_FOUND"


class Forbidden(DomainError):
    """The actor is known but may not do this here."""

    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    """Signing in is required."""

    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    """The change clashes with the current state (a taken username, a role already filled)."""

    code = "CONFLICT"


class InvalidCredentials(DomainError):
    """Wrong username or password (never says which)."""

    code = "INVALID_CREDENTIALS"


class InvalidToken(DomainError):
    """A refresh token that is unknown, expired, revoked or reused."""

    code = "INVALID_TOKEN"


class TooManyAttempts(DomainError):
    """Too many failed sign-ins for this account or client; try again later."""

    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class InsufficientPoints(DomainError):
    """The available balance (balance minus held points) does not cover the cost."""

    code = "INSUFFICIENT_POINTS"


class OutOfStock(DomainError):
    """The reward has fewer items left than asked for."""

    code = "OUT_OF_STOCK"


class LimitExceeded(DomainError):
    """A cap would be exceeded: a rule's per-person cap or a reward's per-person limit."""

    code = "LIMIT_EXCEEDED"


class RewardUnavailable(DomainError):
    """The reward is withdrawn or outside its availability window."""

    code = "REWARD_UNAVAILABLE"


class IdempotencyConflict(DomainError):
    """The idempotency key was used before with a different input."""

    code = "IDEMPOTENCY_CONFLICT"


class FellBehind(DomainError):
    """A live subscriber read too slowly and events were dropped: subscribe again, re-read."""

    code = "FELL_BEHIND"


class InvalidTransition(Conflict):
    """The object's state does not allow this action (an illegal jump): a work order's or a
    co-building project's status, a sign-up already checked in."""

    code = "INVALID_TRANSITION"


class LedgerProofMismatch(DomainError):
    """A transaction's stored content or hashes no longer lead to the root of the signed
    checkpoint that covers it: the ledger was changed after the checkpoint was published."""

    code = "LEDGER_PROOF_MISMATCH"
