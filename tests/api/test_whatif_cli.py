"""`python -m api simulate-evaluation` on the demo: the README's scenario from the shell."""

from __future__ import annotations

from services.enums import PeriodStatus
from services.models import Area, EvaluationPeriod, EvaluationResult
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
