"""Reading points: expiring soon, statistics, the leaderboard (services/points/statements.py)."""

from __future__ import annotations

import pytest

from services import points
from services.errors import Forbidden, InvalidInput
from services.models import Person
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    FINE,
    HOUR,
    OTHER_COMMUNITY,
    award,
    community,
    key,
    rule,
    summary,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestExpiringSoon:
    """Points expiring within some days."""

    @pytest.mark.parametrize(
        ("days", "allowed"), [(0, False), (1, True), (3660, True), (3661, False)]
    )
    async def test_expiring_soon_looks_1_to_3660_days_ahead(
        self, db: Database, days: int, allowed: bool
    ) -> None:
        # given an account with points (and one that has none yet)
        await rule()
        await award("resident")
        account_id = (await summary("resident")).account_id
        for account in (account_id, None):
            if allowed:
                # then a horizon within bounds is read
                assert isinstance(await points.expiring_soon(account_id=account, days=days), list)
            else:
                # then one outside them is refused, for an empty account too
                with pytest.raises(InvalidInput) as refused:
                    await points.expiring_soon(account_id=account, days=days)
                assert (refused.value.message, refused.value.field) == (
                    "`days` must be between 1 and 3660.",
                    "days",
                )


class TestStatistics:
    """Statistics and the leaderboard from the ledger."""

    async def test_statistics_and_the_leaderboard_read_the_ledger(self, db: Database) -> None:
        # given awards and a penalty in a community the demo leaves without points
        await rule()
        await rule(FINE, -5)
        district = await actor_for("district_admin")
        area = await community(OTHER_COMMUNITY)
        first, second, third = (
            await Person.filter(household__community__name=OTHER_COMMUNITY).order_by("id").limit(3)
        )
        for person, code, quantity in (
            (first, HOUR, 3),
            (second, HOUR, 1),
            (third, HOUR, 1),
            (second, FINE, 1),
            (third, FINE, 3),
        ):
            give = points.penalize_points if code == FINE else points.award_points
            await give(
                actor=district,
                person_id=person.id,
                rule_code=code,
                quantity=quantity,
                reason="记录",
                source=None,
                idempotency_key=key(),
            )
        # then the statistics add up the movements through the community
        stats = await points.statistics(actor=district, under_id=area.id)
        assert (stats.issued, stats.penalized, stats.redeemed, stats.expired) == (50, 15, 0, 0)
        assert (stats.reversed, stats.outstanding, stats.held) == (0, 35, 0)
        # and the leaderboard ranks evaluation credit (a penalty counts in full)
        board = await points.leaderboard(
            actor=district, under_id=area.id, period=None, dimension=None, role=None, first=10
        )
        assert [(s.rank, s.person_id, s.points) for s in board] == [
            (1, first.id, 30),
            (2, second.id, 5),
            (3, third.id, -5),
        ]
        with pytest.raises(Forbidden):
            await points.statistics(actor=await actor_for("resident"), under_id=area.id)
