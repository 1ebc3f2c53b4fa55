"""Calendar periods in the configured time zone (TIMEZONE): the day, month and quarter around a
moment, evaluation quarters ("2026Q4") and the years a period may name. Instants go in and come
out in UTC; only the calendar arithmetic is local."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from services.errors import InvalidInput
from services.kit.settings import get_settings


def period_of(moment: datetime) -> str:
    """The evaluation quarter of a moment in the configured time zone, e.g. "2026Q4"."""
    local = moment.astimezone(get_settings().tz)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def local_windows(moment: datetime) -> dict[str, tuple[datetime, datetime]]:
    """The day, month and quarter containing `moment` in the configured time zone (UTC bounds)."""
    tz = get_settings().tz
    local = moment.astimezone(tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    quarter = month.replace(month=(local.month - 1) // 3 * 3 + 1)

    def plus_months(start: datetime, months: int) -> datetime:
        year, index = divmod(start.month - 1 + months, 12)
        return start.replace(year=start.year + year, month=index + 1)

    return {
        "day": (day.astimezone(UTC), (day + timedelta(days=1)).astimezone(UTC)),
        "month": (month.astimezone(UTC), plus_months(month, 1).astimezone(UTC)),
        "quarter": (quarter.astimezone(UTC), plus_months(quarter, 3).astimezone(UTC)),
    }


QUARTER = re.compile(r"(\d{4})Q([1-4])")

# Periods people name (quarters, months, days) lie in these years, which also keeps every
# bound representable.
MIN_YEAR, MAX_YEAR = 2000, 2100


def quarter_window(quarter: str, *, field: str = "quarter") -> tuple[datetime, datetime]:
    """[start, end) of a quarter like "2026Q4" in the configured time zone (UTC instants);
    InvalidInput on `field` for anything else or a year outside 2000-2100."""
    found = QUARTER.fullmatch(quarter.strip())
    if not found:
        raise InvalidInput("A quarter reads like 2026Q4.", field=field)
    year = int(found[1])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"Give a year from {MIN_YEAR} to {MAX_YEAR}.", field=field)
    start = datetime(year, (int(found[2]) - 1) * 3 + 1, 1, tzinfo=get_settings().tz)
    return local_windows(start)["quarter"]
