"""Work-order figures: counts, medians, breach rate and satisfaction per area and period, and
the per-person counts the evaluation reads. The orders are placed in 2025Q1 (a set clock), so
the demo's own orders (placed in the last days) stay out of the figures."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services import workorders
from services.enums import WorkOrderStatus
from services.errors import Forbidden, InvalidInput
from services.kit import db as db_module
from services.models import WorkOrder
from tests.conftest import Database, actor_for
from tests.services.points_support import Clock, person_id
from tests.services.workorders_support import act, grid, micro_grid, place, report

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


T0 = datetime(2025, 2, 10, 1, 0, tzinfo=UTC)  # 2025-02-10 09:00 in Asia/Shanghai


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(T0)


async def at(clock: Clock, minutes: int) -> None:
    clock.set(T0 + timedelta(minutes=minutes))


async def request(
    clock: Clock,
    start: int,
    *,
    accept: int | None = None,
    resolve: int | None = None,
    rating: int | None = None,
    confirm: bool = False,
) -> WorkOrder:
    """A 水电维修 order (30 minutes to accept, 24 hours to resolve) placed `start` minutes
    after T0, accepted and resolved the given minutes after it was placed."""
    await at(clock, start)
    order = await place()
    if accept is not None:
        await at(clock, start + accept)
        order = await act("microgrid_leader", "accept", order)
        order = await act("microgrid_leader", "start", order)
    if resolve is not None:
        await at(clock, start + resolve)
        order = await act("microgrid_leader", "resolve", order, note="已处理")
    if rating is not None:
        order = await act("resident", "rate", order, rating=rating, comment=None)
    if confirm:
        order = await act("resident", "confirm", order)
    return order


class TestWorkOrderStats:
    async def test_figures_of_a_quarter(self, db: Database, clock: Clock) -> None:
        # given four requests in M in 2025Q1
        await request(clock, 0, accept=10, resolve=100, rating=4, confirm=True)
        await request(clock, 1000, accept=30, resolve=200, rating=2)
        await request(clock, 2000, accept=50)  # accepted 20 minutes late
        await at(clock, 3000)
        await act("microgrid_leader", "reject", await place(), reason="不属于受理范围")
        # and one in the next quarter, which does not count
        clock.set(datetime(2025, 4, 2, tzinfo=UTC))
        await place()
        leader = await actor_for("microgrid_leader")
        # when the figures of 2025Q1 under M are read
        stats = await workorders.work_order_stats(
            actor=leader, under_id=(await micro_grid()).id, period="2025Q1"
        )
        # then
        assert (stats.orders, stats.open, stats.closed, stats.rejected) == (4, 2, 1, 1)
        assert stats.median_minutes_to_accept == 30.0
        assert stats.median_minutes_to_resolve == 150.0
        assert (stats.breached, stats.breach_rate) == (1, 0.25)
        assert (stats.rated, stats.mean_rating) == (2, 3.0)
        # the grid's figures include M's; a range of days and a month read the same orders
        grid_leader = await actor_for("grid_leader")
        wider = await workorders.work_order_stats(
            actor=grid_leader, under_id=(await grid()).id, period="2025-01-01..2025-03-31"
        )
        assert wider.orders == 4
        february = await workorders.work_order_stats(
            actor=grid_leader, under_id=(await grid()).id, period="2025-02"
        )
        assert february.orders == 4

    async def test_suspended_time_is_not_resolution_time(self, db: Database, clock: Clock) -> None:
        order = await request(clock, 0, accept=10)
        await at(clock, 20)
        order = await act("microgrid_leader", "suspend", order, reason="等待配件")
        await at(clock, 620)
        order = await act("microgrid_leader", "resume", order)
        await at(clock, 650)
        await act("microgrid_leader", "resolve", order, note="已处理")
        stats = await workorders.work_order_stats(
            actor=await actor_for("microgrid_leader"),
            under_id=(await micro_grid()).id,
            period="2025Q1",
        )
        assert stats.median_minutes_to_resolve == 50.0
        assert stats.breached == 0

    async def test_who_reads_figures(self, db: Database) -> None:
        micro = await micro_grid()
        with pytest.raises(Forbidden):
            await workorders.work_order_stats(
                actor=await actor_for("resident"), under_id=micro.id, period="2025Q1"
            )


class TestParsePeriod:
    @pytest.mark.parametrize(
        "period",
        [
            "2025Q5",
            "2025",
            "2025-13",
            "2025-00",
            "2025-02-30..2025-03-01",
            "2025-03-01..2025-02-01",
            "2020-01-01..2025-01-01",
            # years outside 2000-2100, some not even representable as dates or instants
            "9999Q4",
            "0000Q1",
            "1999Q4",
            "2101Q1",
            "0001-01",
            "9999-12",
            "1999-12",
            "9999-12-01..9999-12-31",
            "0001-01-01..0001-01-02",
            "2100-12-31..2101-01-01",
        ],
    )
    def test_bad_periods_are_invalid_input(self, period: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            workorders.parse_period(period)
        assert refused.value.field == "period"

    @pytest.mark.parametrize(
        ("period", "days"),
        [
            ("2000Q1", 91),
            ("2100Q4", 92),
            ("2000-01", 31),
            ("2100-12", 31),
            ("2000-01-01..2000-01-01", 1),
            ("2100-12-01..2100-12-31", 31),
        ],
    )
    def test_periods_at_the_edges_of_the_years_allowed(self, period: str, days: int) -> None:
        start, end = workorders.parse_period(period)
        assert end - start == timedelta(days=days)


class TestPersonMetrics:
    async def test_person_metrics_for_the_evaluation(self, db: Database, clock: Clock) -> None:
        # given in 2025Q1: a report verified, a report never verified, a request auto-confirmed,
        # a request handled in time by the central household and one handled late by the
        # micro-grid leader
        helper = await person_id("central_household")
        leader = await person_id("microgrid_leader")
        rider = await person_id("rider")
        verified = await report()
        verified = await act("microgrid_leader", "accept", verified)
        verified = await act("microgrid_leader", "start", verified)
        await at(clock, 60)
        verified = await act("microgrid_leader", "resolve", verified, note="已清理")
        await act("grid_leader", "verify", verified)
        await at(clock, 100)
        unverified = await report()
        unverified = await act("microgrid_leader", "accept", unverified)
        unverified = await act("microgrid_leader", "start", unverified)
        unverified = await act("microgrid_leader", "resolve", unverified, note="已清理")
        silent = await act("microgrid_leader", "accept", await place())
        silent = await act("microgrid_leader", "start", silent)
        silent = await act("microgrid_leader", "resolve", silent, note="已修好")
        assert silent.resolved_at is not None
        await workorders.run_timers(silent.resolved_at + timedelta(days=8))
        await at(clock, 200)
        in_time = await act("microgrid_leader", "accept", await place())
        in_time = await act("microgrid_leader", "assign", in_time, person_id=helper)
        in_time = await act("central_household", "start", in_time)
        in_time = await act("central_household", "resolve", in_time, note="已修好")
        await act("resident", "confirm", in_time)
        await at(clock, 300)
        late = await place()
        await at(clock, 400)
        late = await act("microgrid_leader", "accept", late)
        late = await act("microgrid_leader", "start", late)
        late = await act("microgrid_leader", "resolve", late, note="已修好")
        await act("resident", "confirm", late)
        # when the evaluation asks for 2025Q1
        metrics = await workorders.person_metrics("2025Q1", [rider, leader, helper, 999999])
        # then
        assert metrics[rider] == {"reports_verified": 1, "orders_within_sla": 0}
        assert metrics[leader] == {"reports_verified": 0, "orders_within_sla": 2}
        assert metrics[helper] == {"reports_verified": 0, "orders_within_sla": 1}
        assert metrics[999999] == {"reports_verified": 0, "orders_within_sla": 0}
        assert (await workorders.person_metrics("2025Q2", [rider]))[rider]["reports_verified"] == 0


class TestFigures:
    async def test_medians_read_only_the_middle_rows(
        self, db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given orders in 2025Q1 accepted and resolved at different speeds, one of them suspended
        speeds = [
            (5, 70),
            (40, None),
            (12, 300),
            (25, 95),
            (8, None),
            (33, 33),
            (19, 410),
            (50, 61),
        ]
        for i, (accept, resolve) in enumerate(speeds):
            await request(clock, i * 1000, accept=accept, resolve=resolve)
        paused = await request(clock, 9000, accept=7)
        await at(clock, 9010)
        paused = await act("microgrid_leader", "suspend", paused, reason="等待配件")
        await at(clock, 9500)
        paused = await act("microgrid_leader", "resume", paused)
        await at(clock, 9520)
        await act("microgrid_leader", "resolve", paused, note="已处理")
        await request(clock, 10000)  # never accepted
        micro = await micro_grid()
        start, end = workorders.parse_period("2025Q1")
        read: list[int] = []
        fetch = db_module.fetch

        async def counting(sql: str, params: list[Any]) -> list[dict[str, Any]]:
            rows = await fetch(sql, params)
            read.append(len(rows))
            return rows

        monkeypatch.setattr(db_module, "fetch", counting)
        for extra in (False, True):  # an odd, then an even number of accepted orders
            if extra:
                await request(clock, 11000, accept=21, resolve=200)
            read.clear()
            # when the figures are computed
            stats = await workorders.figures(path=micro.path, start=start, end=end)
            # then they are those of every order, computed in full ...
            orders = await WorkOrder.filter(
                handling_path__startswith=micro.path, submitted_at__gte=start, submitted_at__lt=end
            )
            to_accept = [
                (o.accepted_at - o.submitted_at).total_seconds() / 60
                for o in orders
                if o.accepted_at
            ]
            to_resolve = [
                max(0.0, (o.resolved_at - o.submitted_at).total_seconds() - o.suspended_seconds)
                / 60
                for o in orders
                if o.resolved_at
            ]
            assert stats.orders == len(orders) == len(speeds) + 2 + extra
            assert stats.median_minutes_to_accept == round(statistics.median(to_accept), 1)
            assert stats.median_minutes_to_resolve == round(statistics.median(to_resolve), 1)
            assert stats.open == sum(o.status is not WorkOrderStatus.CLOSED for o in orders)
            # ... read from one row of counts and at most two rows per median
            assert len(read) == 3 and read[0] == 1 and max(read[1:]) <= 2, read
