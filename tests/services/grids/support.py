"""Helpers shared by the territory's service tests."""

from __future__ import annotations

from services.models import Area


async def area(name: str) -> Area:
    return await Area.get(name=name)
