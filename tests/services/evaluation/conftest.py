"""Fixtures of the evaluation service tests."""

from __future__ import annotations

import pytest

from services.kit import clock as service_clock
from tests.services.points_support import Clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The ledger's clock, set by `give` to a moment inside the quarter being credited."""
    return Clock(service_clock.now())
