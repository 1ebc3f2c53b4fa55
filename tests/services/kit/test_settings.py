"""Settings: a production server never starts with a guessable token secret."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.kit.settings import DEV_JWT_SECRET, Settings

STRONG = "s" * 40


@pytest.mark.parametrize("secret", ["", DEV_JWT_SECRET, "too-short"])
def test_production_refuses_a_missing_default_or_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(environment="production", jwt_secret=secret, clock_start=None)


def test_production_accepts_a_strong_secret() -> None:
    assert (
        Settings(environment="production", jwt_secret=STRONG, clock_start=None).jwt_secret == STRONG
    )


def test_dev_mode_runs_without_a_secret() -> None:
    assert Settings(environment="dev", jwt_secret="").jwt_secret == DEV_JWT_SECRET


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("GRAPHIQL", "false")
    settings = Settings(environment="dev")
    assert (settings.port, settings.timezone, settings.graphiql) == (9001, "Asia/Urumqi", False)


def test_an_unknown_time_zone_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="TIMEZONE"):
        Settings(environment="dev", timezone="Mars/Olympus_Mons")


def test_default_page_size_cannot_exceed_the_cap() -> None:
    with pytest.raises(ValidationError, match="DEFAULT_PAGE_SIZE"):
        Settings(environment="dev", default_page_size=200, max_page_size=100)


def test_tortoise_overwriting_timezone_does_not_change_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Tortoise.init writes its own zone (UTC) into the TIMEZONE variable; ours is kept.
    monkeypatch.setenv("TIMEZONE", "UTC")
    assert Settings(environment="dev").timezone == "Asia/Shanghai"
    monkeypatch.setenv("TIMEZONE", "Asia/Urumqi")
    assert Settings(environment="dev").timezone == "Asia/Urumqi"
    assert Settings(environment="dev", timezone="UTC").timezone == "UTC"


def test_the_clock_is_moved_only_outside_production() -> None:
    start = datetime(2027, 12, 31, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert Settings(environment="dev", clock_start=start).clock_start == start
    with pytest.raises(ValidationError, match="CLOCK_START"):
        Settings(environment="production", jwt_secret=STRONG, clock_start=start)
    with pytest.raises(ValidationError, match="CLOCK_START"):
        Settings(environment="dev", clock_start=datetime(2027, 12, 31, 23, 59))
