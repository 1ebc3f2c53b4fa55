"""Fixtures shared by the tests of this package."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.kit import clock as service_clock
from tests.services.points_support import Clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Two days ahead: the demo's own acknowledgements leave the daily caps of that day alone."""
    return Clock(service_clock.now().replace(microsecond=0) + timedelta(days=2))
