"""Work-order categories: set by district admins, with their service levels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import workorders
from services.enums import WorkOrderKind
from services.errors import Conflict, Forbidden, InvalidInput
from tests.conftest import Database, actor_for
from tests.services.workorders_support import place

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestCreateAndUpdateCategory:
    async def test_district_admins_set_categories(self, db: Database) -> None:
        district = await actor_for("district_admin")
        created = await workorders.create_category(
            actor=district,
            kind=WorkOrderKind.RESIDENT_REQUEST,
            code="gas_repair",
            name="燃气维修",
            accept_within_minutes=15,
            resolve_within_hours=6,
        )
        assert created.code == "GAS_REPAIR"
        with pytest.raises(Conflict):
            await workorders.create_category(
                actor=district,
                kind=WorkOrderKind.PROBLEM_REPORT,
                code="GAS_REPAIR",
                name="重复",
                accept_within_minutes=15,
                resolve_within_hours=6,
            )
        for bad in ({"code": "1X"}, {"accept_within_minutes": 0}, {"resolve_within_hours": 10**6}):
            args: dict[str, object] = {
                "kind": WorkOrderKind.RESIDENT_REQUEST,
                "code": "OTHER",
                "name": "其他",
                "accept_within_minutes": 15,
                "resolve_within_hours": 6,
                **bad,
            }
            with pytest.raises(InvalidInput):
                await workorders.create_category(actor=district, **args)  # type: ignore[arg-type]
        with pytest.raises(Forbidden):
            await workorders.create_category(
                actor=await actor_for("community_admin"),
                kind=WorkOrderKind.RESIDENT_REQUEST,
                code="OTHER",
                name="其他",
                accept_within_minutes=15,
                resolve_within_hours=6,
            )
        with pytest.raises(Forbidden):
            await workorders.update_category(
                actor=await actor_for("community_admin"), category_id=created.id, name="改名"
            )
        updated = await workorders.update_category(
            actor=district, category_id=created.id, accept_within_minutes=20
        )
        assert (updated.name, updated.accept_within_minutes) == ("燃气维修", 20)
        # the new service level applies to orders placed from now on
        order = await place(category="GAS_REPAIR")
        assert order.accept_due == order.submitted_at + timedelta(minutes=20)
