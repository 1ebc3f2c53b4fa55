"""Fixtures of the marketplace's service tests."""

from __future__ import annotations

import pytest

from tests.conftest import Database
from tests.services.points_support import award, rule


@pytest.fixture
async def funded(db: Database) -> Database:
    """The demo district with 100 points for the resident (who has none in the demo) and 50
    more for the volunteer."""
    await rule()
    await award("resident", quantity=10)
    await award("volunteer", quantity=5)
    return db
