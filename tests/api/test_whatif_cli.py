"""`python -m api simulate-evaluation` on the demo: the README's scenario from the shell."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from services.enums import PeriodStatus
from services.kit import clock
from services.models import Area, EvaluationPeriod, EvaluationResult, PointsAward, PointsRule
from tests.api.test_cli import _cli
from tests.conftest import Database

PROBLEMS_FIRST = (
    "--weight",
    "PROBLEM_HANDLING=70",
    "--weight",
    "POLICY_COMMUNICATION=10",
    "--weight",
    "MANAGEMENT_SERVICE=10",
    "--weight",
    "INFORMATION_REPORTING=10",
)


async def test_problem_handling_first_from_the_shell(db: Database) -> None:
    # given the demo community's published last quarter
    community = await Area.get(name="颜山社区")
    period = await EvaluationPeriod.get(area_id=community.id, status=PeriodStatus.PUBLISHED)
    totals = await EvaluationResult.filter(period_id=period.id).order_by("id").values_list("total")
    args = ("--under", str(community.code), "--quarter", period.quarter)
    # when problem handling weighs 70
    code, out = await _cli(db.url, "simulate-evaluation", *args, *PROBLEMS_FIRST)
    # then the moves and a red flag gained are printed, and nothing changed
    assert code == 0, out
    assert "gains RED_FLAG" in out and "rank" in out
    after = await EvaluationResult.filter(period_id=period.id).order_by("id").values_list("total")
    assert after == totals
    # and weights that do not sum to 100 are refused with the reason
    code, out = await _cli(db.url, "simulate-evaluation", *args, "--weight", "PROBLEM_HANDLING=70")
    assert code == 1 and "sum to 100" in out, out


async def _cli_later(url: str, *args: str) -> tuple[int, str]:
    """_cli with the command's clock a day after the test's (the demo's seeding ran on past
    CLOCK_START, so a window ending after its last award must end before the command's now)."""
    later = (clock.now() + timedelta(days=1)).isoformat()
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test", "CLOCK_START": later}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_a_tighter_volunteer_hour_cap_from_the_shell(db: Database) -> None:
    # given the demo's VOLUNTEER_HOUR awards (颜山社区: 12 a unit, 96 a day; the last volunteer
    # got 4 hours, then 2 the same day)
    community = await Area.get(name="颜山社区")
    rule_ids = await PointsRule.filter(code="VOLUNTEER_HOUR").values_list("id", flat=True)
    made = sorted(
        await PointsAward.filter(rule_id__in=rule_ids).values_list("created_at", flat=True)
    )
    window = (
        "--from",
        (made[0] - timedelta(days=1)).isoformat(),
        "--to",
        (made[-1] + timedelta(seconds=1)).isoformat(),
    )
    awards = await PointsAward.all().count()
    args = ("--rule", "VOLUNTEER_HOUR", "--under", str(community.code), *window)
    # when a day cap of 60 is tried
    code, out = await _cli_later(db.url, "simulate-points-rule", *args, "--cap-per-day", "60")
    # then the 2 hours of the last volunteer are refused (48 + 24 > 60), and nothing changed
    assert code == 0, out
    assert "1 refused" in out and "72 -> 48 (-24), capped DAY (refused 1" in out, out
    assert await PointsAward.all().count() == awards
    # and a cap of 0 is refused with the reason
    code, out = await _cli_later(db.url, "simulate-points-rule", *args, "--cap-per-day", "0")
    assert code == 1 and "A cap is between 1" in out, out
