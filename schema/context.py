"""The per-request context: who is asking, the settings, and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from schema.loaders import Loaders
from services.auth import Actor
from services.settings import Settings


@dataclass
class Context:
    """Built by the HTTP layer for every request (and every WebSocket connection)."""

    settings: Settings
    actor: Actor | None
    request_id: str
    client: str
    loaders: Loaders
    request: Any = None
    response: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


Info = StrawberryInfo[Context, None]
