"""The per-request context: who is asking, the settings, and the request's DataLoaders."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from strawberry.types import Info as StrawberryInfo

from schema.core.loaders import Loaders
from services import accounts
from services.errors import Unauthenticated
from services.kit import clock
from services.kit.auth import Actor
from services.kit.settings import Settings

TOKEN_CHECK_SECONDS = 30.0
"""A running subscription looks at its token's expiry at least this often, events or not."""

TOKEN_EXPIRED = "token expired: reconnect with a fresh token"


@dataclass
class Context:
    """Built by the HTTP layer for every request, and for every WebSocket connection (then
    copied for each operation on it: see `for_operation`).

    A WebSocket connection lives longer than the token it was opened with and than the roles
    its person held then: `revalidate` (run before each operation on it and before each event a
    subscription delivers) ends what runs once the token has expired, and re-reads the actor
    every `settings.live_actor_recheck_seconds` (session ended, account disabled, roles
    changed)."""

    settings: Settings
    actor: Actor | None
    request_id: str
    client: str
    loaders: Loaders
    request: Any = None
    response: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The payload of a WebSocket's `connection_init` message (Strawberry sets it).
    connection_params: dict[str, Any] | None = None
    # True on a WebSocket connection: subscriptions run there and nowhere else.
    websocket: bool = False
    # When the access token the actor came from expires (set on WebSocket connections).
    token_expires_at: datetime | None = None
    # When the actor was read from the database (time.monotonic()).
    actor_read_at: float = field(default_factory=time.monotonic)

    def for_operation(self) -> Context:
        """A copy for one operation on a long-lived connection: same actor, its own loaders (a
        loader caches what it read, and one operation must not see another's old rows)."""
        return replace(self, loaders=Loaders(self.actor), extra={})

    def refresh_loaders(self) -> None:
        """Forget everything read so far (a subscription does this before each event)."""
        self.loaders = Loaders(self.actor)

    def check_token(self) -> None:
        """Unauthenticated once the token the actor came from has expired."""
        if self.token_expires_at is not None and clock.now() >= self.token_expires_at:
            raise Unauthenticated(TOKEN_EXPIRED)

    def seconds_to_token_check(self) -> float | None:
        """How long a subscription waiting for events may wait before `check_token` (None:
        no token, nothing to check)."""
        if self.token_expires_at is None:
            return None
        left = (self.token_expires_at - clock.now()).total_seconds()
        return min(max(left, 0.0), TOKEN_CHECK_SECONDS)

    async def revalidate(self) -> None:
        """Check the token's expiry, then re-read the actor if it was read longer ago than
        `settings.live_actor_recheck_seconds` (the loaders start afresh with it). Raises
        Unauthenticated when the token has expired or its session has ended (logout, account
        disabled)."""
        self.check_token()
        if self.actor is None:
            return
        now = time.monotonic()
        if now - self.actor_read_at < self.settings.live_actor_recheck_seconds:
            return
        actor = await accounts.load_actor(
            account_id=self.actor.account_id, session_id=self.actor.session_id
        )
        if actor is None:
            raise Unauthenticated(
                "Your session has ended (signed out, expired or account disabled); sign in "
                "again and reconnect."
            )
        self.actor, self.actor_read_at = actor, now
        self.refresh_loaders()


Info = StrawberryInfo[Context, None]
