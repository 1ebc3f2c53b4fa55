"""Sunk-down cadres (services/partners/cadres.py): assignments and service records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import partners
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit import clock
from services.models import (
    CadreAssignment,
)
from tests.conftest import Database, actor_for
from tests.services.partners_support import (
    DEMO_COMMUNITY,
    PARTNER_UNIT_NAME,
    area,
    unit,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestAssignCadre:
    async def test_cadres_are_sunk_to_grids_and_record_their_service(self, db: Database) -> None:
        company = await unit(PARTNER_UNIT_NAME)
        partner = await actor_for("partner")
        grid = await area("颜山第二网格")
        admin = await actor_for("community_admin")
        start, end = clock.today() - timedelta(days=5), clock.today() + timedelta(days=25)

        async def assign(by: str = "community_admin", **change: object) -> CadreAssignment:
            values: dict[str, object] = {
                "unit_id": company.id,
                "person_id": partner.person_id,
                "area_id": grid.id,
                "starts_on": start,
                "ends_on": end,
                "duties": "楼道巡查",
            }
            values.update(change)
            return await partners.assign_cadre(actor=await actor_for(by), **values)  # type: ignore[arg-type]

        with pytest.raises(Forbidden):  # a grid leader is no admin
            await assign(by="grid_leader")
        with pytest.raises(InvalidInput):
            await assign(ends_on=start - timedelta(days=1))
        with pytest.raises(InvalidInput):  # cadres serve grids, not communities
            await assign(area_id=(await area(DEMO_COMMUNITY)).id)
        with pytest.raises(NotFound):  # not a member of the unit
            await assign(person_id=(await actor_for("resident")).person_id)
        made = await assign()
        with pytest.raises(Conflict):  # one grid at a time
            await assign(area_id=(await area("颜山第三网格")).id, starts_on=end)
        assert await CadreAssignment.filter(person_id=partner.person_id).count() == 1
        # the cadre records a day; the future and days outside the period are refused
        await partners.record_service(
            actor=partner,
            assignment_id=made.id,
            served_on=clock.today(),
            minutes=90,
            description="清理",
        )
        await partners.record_service(
            actor=admin, assignment_id=made.id, served_on=start, minutes=30, description="宣传"
        )
        for day in (clock.today() + timedelta(days=1), start - timedelta(days=1)):
            with pytest.raises(InvalidInput):
                await partners.record_service(
                    actor=partner, assignment_id=made.id, served_on=day, minutes=30, description="x"
                )
        with pytest.raises(Forbidden):
            await partners.record_service(
                actor=await actor_for("resident"),
                assignment_id=made.id,
                served_on=clock.today(),
                minutes=30,
                description="x",
            )
        assert await partners.minutes_served(assignment_ids=[made.id]) == [120]
