"""The per-request context: who is asking, the settings, and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from strawberry.types import Info as StrawberryInfo

from schema.loaders import Loaders
from services.auth import Actor
from services.settings import Settings


@dataclass
class Context:
    """Built by the HTTP layer for every request, and for every WebSocket connection (then
    copied for each operation on it: see `for_operation`)."""

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

    def for_operation(self) -> Context:
        """A copy for one operation on a long-lived connection: same actor, its own loaders (a
        loader caches what it read, and one operation must not see another's old rows)."""
        return replace(self, loaders=Loaders(self.actor), extra={})

    def refresh_loaders(self) -> None:
        """Forget everything read so far (a subscription does this before each event)."""
        self.loaders = Loaders(self.actor)


Info = StrawberryInfo[Context, None]
