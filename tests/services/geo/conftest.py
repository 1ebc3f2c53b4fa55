"""Each test has its own database: the process-wide spatial index must not outlive it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.geo import index


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    index.forget()
    yield
    index.forget()
