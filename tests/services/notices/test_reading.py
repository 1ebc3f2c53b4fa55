"""Reading notices: who reads which, the viewer's own list, an area's notices, by index."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import notices
from services.enums import Role
from services.errors import Forbidden
from services.kit import db as dbapi
from services.kit.pagination import Window
from services.models import Notice
from services.notices import reading
from tests.conftest import Database, actor_for
from tests.services.notices_support import acknowledge, area, publish
from tests.services.points_support import Clock
from tests.services.volunteering_support import outsider

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


async def _mine(username: str, *, unacknowledged_only: bool = False) -> list[int]:
    page = await notices.my_notices(
        actor=await actor_for(username),
        unacknowledged_only=unacknowledged_only,
        window=Window(first=100),
    )
    return [n.id for n in page.items]


class TestNoticesByIds:
    async def test_who_reads_which_notice(self, db: Database) -> None:
        stranger = await outsider()
        everyone = await publish()
        street = await publish("street_admin", "城西街道")
        to_central = await publish(roles=(Role.CENTRAL_HOUSEHOLD,))
        to_residents = await publish(roles=(Role.RESIDENT,))
        assert (await Notice.get(id=to_residents.id)).roles == ["RESIDENT"]
        elsewhere = await publish("street_admin", "西冶街社区")
        other_grid = await publish("community_admin", "颜山第二网格")
        cases = {
            # resident of M: what is addressed to everyone above M, or to residents
            "resident": {everyone, street, to_residents},
            # central household of M: also what is addressed to central households
            "central_household": {everyone, street, to_central, to_residents},
            # the grid leader oversees the line of their grid, whatever the roles
            "grid_leader": {everyone, street, to_central, to_residents},
            # the community admin oversees their community and what is above it
            "community_admin": {everyone, street, to_central, to_residents, other_grid},
            "street_admin": {everyone, street, to_central, to_residents, elsewhere, other_grid},
            # a volunteer of 西冶街社区 reads the street's notice and their community's
            stranger: {street, elsewhere},
        }
        made = {n.id for n in (everyone, street, to_central, to_residents, elsewhere, other_grid)}
        for username, expected in cases.items():
            ids = {n.id for n in expected}
            # the viewer's list, newest first
            listed = [i for i in await _mine(username) if i in made]
            assert set(listed) == ids, username
            assert listed == sorted(listed, reverse=True)
            # and reading by id agrees with it
            found = await notices.notices_by_ids(
                actor=await actor_for(username), notice_ids=sorted(made)
            )
            assert {n.id for n in found if n is not None} == ids, username


class TestMyNotices:
    async def test_unacknowledged_only_lists_what_awaits_me(
        self, db: Database, clock: Clock
    ) -> None:
        first = await publish()
        second = await publish(roles=(Role.MICRO_GRID_LEADER,))
        await acknowledge("microgrid_leader", first)
        waiting = await _mine("microgrid_leader", unacknowledged_only=True)
        assert second.id in waiting and first.id not in waiting
        assert second.id not in await _mine("central_household", unacknowledged_only=True)
        assert first.id in await _mine("central_household", unacknowledged_only=True)
        assert await _mine("resident", unacknowledged_only=True) == []

    @pytest.mark.parametrize("username", ["resident", "central_household", "community_admin"])
    async def test_a_viewer_s_notices_are_an_indexed_lookup(
        self, db: Database, username: str
    ) -> None:
        where, params = reading.visible_sql(await actor_for(username))
        query = f"SELECT n.* FROM notice n WHERE {where} ORDER BY n.id DESC LIMIT 21"
        if db.backend == "sqlite":
            plan = [
                str(r["detail"]) for r in await dbapi.fetch(f"EXPLAIN QUERY PLAN {query}", params)
            ]
            # then every access to the notices goes through an index (its path, or its key)
            assert not [step for step in plan if step.startswith("SCAN")], plan
            assert any("idx_notice_area" in step for step in plan), plan
        else:
            async with in_transaction():
                await dbapi.execute("SET LOCAL enable_seqscan = off", [])
                plan = [str(r["QUERY PLAN"]) for r in await dbapi.fetch(f"EXPLAIN {query}", params)]
            assert not [step for step in plan if "Seq Scan on notice" in step], plan


class TestListNotices:
    async def test_notices_of_an_area_for_the_people_in_it(self, db: Database) -> None:
        stranger = await actor_for(await outsider())
        community = await area(DEMO_COMMUNITY)
        everyone = await publish()
        below = await publish("grid_leader", DEMO_GRID)
        street = await publish("street_admin", "城西街道")
        elsewhere = await publish("street_admin", "西冶街社区")
        page = await notices.list_notices(
            actor=await actor_for("resident"), under_id=community.id, window=Window(first=100)
        )
        ids = [n.id for n in page.items]
        assert {everyone.id, below.id, street.id} <= set(ids)
        assert elsewhere.id not in ids
        assert await page.count() == len(ids)
        # rows read by raw SQL come back as the models hold them
        read = {n.id: n for n in page.items}[everyone.id]
        stored = await Notice.get(id=everyone.id)
        assert (read.roles, read.published_at, read.title) == (
            stored.roles,
            stored.published_at,
            stored.title,
        )
        # keyset paging walks the same list
        walked: list[int] = []
        after = None
        while True:
            part = await notices.list_notices(
                actor=await actor_for("resident"),
                under_id=community.id,
                window=Window(first=2, after=after),
            )
            walked += [n.id for n in part.items]
            if not part.has_next:
                break
            after = part.keys[-1]
        assert walked == ids
        with pytest.raises(Forbidden):
            await notices.list_notices(
                actor=stranger, under_id=community.id, window=Window(first=10)
            )
