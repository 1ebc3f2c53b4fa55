"""The one clock, and the calendar arithmetic that reads it, at the edges that break calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.enums import ExpiryKind
from services.kit import calendar, clock
from services.models import PointsPolicy
from services.points import ledger
from tests.conftest import TEST_NOW

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


class TestClock:
    def test_every_test_starts_at_the_pinned_moment_and_the_clock_runs_on(self) -> None:
        first = clock.now()
        assert first.tzinfo is UTC
        assert timedelta(0) <= first - TEST_NOW < timedelta(minutes=1)
        assert clock.now() >= first

    def test_frozen_stands_still_and_gives_back_the_clock_it_found(self) -> None:
        moment = local(2028, 2, 29, 12)
        with clock.frozen(moment):
            assert clock.now() == moment == clock.now()
            assert clock.today() == date(2028, 2, 29)
        assert clock.now() - TEST_NOW < timedelta(minutes=1)

    def test_today_is_the_local_date_not_the_utc_one(self) -> None:
        # 00:30 on 1 January in Shanghai is still 31 December in UTC
        clock.freeze(local(2027, 1, 1, 0, 30))
        assert clock.now().date() == date(2026, 12, 31)
        assert clock.today() == date(2027, 1, 1)

    def test_start_at_runs_from_the_moment_given(self) -> None:
        clock.start_at(local(2027, 6, 30, 23, 59))
        assert timedelta(0) <= clock.now() - local(2027, 6, 30, 23, 59) < timedelta(seconds=5)

    def test_naive_moments_are_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            clock.freeze(datetime(2027, 1, 1))


class TestPeriods:
    @pytest.mark.parametrize(
        ("moment", "quarter"),
        [
            (local(2026, 12, 31, 23, 59, 59), "2026Q4"),
            (local(2027, 1, 1, 0, 0), "2027Q1"),
            (local(2027, 3, 31, 23, 59), "2027Q1"),
            (local(2027, 4, 1, 0, 0), "2027Q2"),
            (local(2028, 2, 29, 12), "2028Q1"),
        ],
    )
    def test_the_quarter_is_the_local_one(self, moment: datetime, quarter: str) -> None:
        assert calendar.period_of(moment) == quarter

    def test_windows_around_new_year(self) -> None:
        windows = calendar.local_windows(local(2026, 12, 31, 23, 59))
        assert windows["day"] == (local(2026, 12, 31), local(2027, 1, 1))
        assert windows["month"] == (local(2026, 12, 1), local(2027, 1, 1))
        assert windows["quarter"] == (local(2026, 10, 1), local(2027, 1, 1))

    def test_windows_on_a_leap_day(self) -> None:
        windows = calendar.local_windows(local(2028, 2, 29, 8))
        assert windows["day"] == (local(2028, 2, 29), local(2028, 3, 1))
        assert windows["month"] == (local(2028, 2, 1), local(2028, 3, 1))
        assert windows["quarter"] == (local(2028, 1, 1), local(2028, 4, 1))

    def test_quarter_window_bounds(self) -> None:
        assert calendar.quarter_window("2027Q4") == (local(2027, 10, 1), local(2028, 1, 1))
        assert calendar.quarter_window("2028Q1") == (local(2028, 1, 1), local(2028, 4, 1))


class TestExpiry:
    @pytest.mark.parametrize(
        ("awarded", "months", "expires"),
        [
            # the last day of a 31-day month: one month on is the last day of the next
            (local(2027, 1, 31, 10), 1, local(2027, 2, 28, 10)),
            (local(2028, 1, 31, 10), 1, local(2028, 2, 29, 10)),
            (local(2027, 3, 31, 10), 1, local(2027, 4, 30, 10)),
            # 31 December 23:59 local (still 15:59 UTC): into the next year
            (local(2026, 12, 31, 23, 59), 1, local(2027, 1, 31, 23, 59)),
            (local(2026, 12, 31, 23, 59), 12, local(2027, 12, 31, 23, 59)),
            # a leap day, a year on
            (local(2028, 2, 29, 9), 12, local(2029, 2, 28, 9)),
            (local(2027, 2, 28, 9), 12, local(2028, 2, 28, 9)),
        ],
    )
    def test_months_follow_the_local_calendar(
        self, awarded: datetime, months: int, expires: datetime
    ) -> None:
        policy = PointsPolicy(expiry=ExpiryKind.MONTHS, expiry_months=months)
        assert ledger.expiry_from(policy, awarded) == expires

    def test_end_of_next_year_is_local_midnight(self) -> None:
        policy = PointsPolicy(expiry=ExpiryKind.END_OF_NEXT_YEAR)
        # 00:00 on 1 January local is 31 December in UTC: still this year's award
        assert ledger.expiry_from(policy, local(2027, 1, 1, 0, 0)) == local(2029, 1, 1)
        assert ledger.expiry_from(policy, local(2026, 12, 31, 23, 59)) == local(2028, 1, 1)
