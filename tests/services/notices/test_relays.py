"""Relaying notices to households (services.notices.relays) and the households reached in
coverage."""

from __future__ import annotations

import pytest

from services import notices
from services.enums import RelayChannel
from services.errors import Forbidden, InvalidInput, NotFound
from services.models import Area, Household, Notice, NoticeRelay
from tests.conftest import Database, actor_for

M = "颜山花园1-2号楼微网格"  # micro-grid M of the demo story
M2 = "颜山花园3-4号楼微网格"
FIRE = "关于开展冬季消防安全检查的通知"  # relayed to three homes of M by the demo (seed)
WASTE = "关于进一步做好垃圾分类工作的通知"


async def homes(name: str) -> list[Household]:
    return await Household.filter(micro_grid__name=name).order_by("id")


async def notice(title: str) -> Notice:
    return await Notice.get(title=title)


class TestRecordNoticeRelay:
    async def test_the_micro_grid_leader_records_households_told(self, db: Database) -> None:
        # given the community's waste notice and three homes of M
        leader = await actor_for("microgrid_leader")
        waste, told = await notice(WASTE), (await homes(M))[:3]
        # when the leader records telling them by phone
        found, relays = await notices.record_notice_relay(
            actor=leader,
            notice_id=waste.id,
            household_ids=[h.id for h in told],
            channel=RelayChannel.PHONE,
        )
        # then each has a relay: who, how
        assert found.id == waste.id
        assert [(r.household_id, r.channel, r.relayed_by_id) for r in relays] == [
            (h.id, RelayChannel.PHONE, leader.person_id) for h in told
        ]
        # and telling one again keeps the first relay
        _, again = await notices.record_notice_relay(
            actor=leader,
            notice_id=waste.id,
            household_ids=[told[0].id],
            channel=RelayChannel.VISIT,
        )
        assert [(r.id, r.channel) for r in again] == [(relays[0].id, RelayChannel.PHONE)]
        assert await NoticeRelay.filter(notice_id=waste.id).count() == 3

    async def test_the_central_household_relays_to_the_homes_it_looks_after(
        self, db: Database
    ) -> None:
        central = await actor_for("central_household")
        resident = await actor_for("resident")
        _, relays = await notices.record_notice_relay(
            actor=central,
            notice_id=(await notice(WASTE)).id,
            household_ids=[resident.household_id or 0],
            channel=RelayChannel.VISIT,
        )
        assert relays[0].relayed_by_id == central.person_id

    async def test_a_leader_may_not_relay_to_another_micro_grid(self, db: Database) -> None:
        leader = await actor_for("microgrid_leader")
        before = await NoticeRelay.all().count()
        with pytest.raises(NotFound):
            await notices.record_notice_relay(
                actor=leader,
                notice_id=(await notice(WASTE)).id,
                household_ids=[(await homes(M2))[0].id],
                channel=RelayChannel.PHONE,
            )
        with pytest.raises(Forbidden):
            await notices.record_notice_relay(
                actor=await actor_for("community_admin"),
                notice_id=(await notice(WASTE)).id,
                household_ids=[(await homes(M))[0].id],
                channel=RelayChannel.PHONE,
            )
        assert await NoticeRelay.all().count() == before

    @pytest.mark.parametrize("bad", ["none", "twice"])
    async def test_bad_household_lists_are_refused(self, db: Database, bad: str) -> None:
        leader = await actor_for("microgrid_leader")
        home = (await homes(M))[0].id
        before = await NoticeRelay.all().count()
        with pytest.raises(InvalidInput) as caught:
            await notices.record_notice_relay(
                actor=leader,
                notice_id=(await notice(WASTE)).id,
                household_ids={"none": [], "twice": [home, home]}[bad],
                channel=RelayChannel.PHONE,
            )
        assert caught.value.field == "householdIds"
        assert await NoticeRelay.all().count() == before

    async def test_a_household_outside_the_notices_area_is_refused(self, db: Database) -> None:
        # given a notice of M's sibling micro-grid, published by the grid leader
        sibling = await Area.get(name=M2)
        made = await notices.publish_notice(
            actor=await actor_for("grid_leader"),
            area_id=sibling.id,
            title="停水通知",
            body="明日停水。",
            roles=[],
        )
        with pytest.raises(InvalidInput):
            await notices.record_notice_relay(
                actor=await actor_for("grid_leader"),
                notice_id=made.id,
                household_ids=[(await homes(M))[0].id],
                channel=RelayChannel.PHONE,
            )


class TestHouseholdsReached:
    async def test_coverage_counts_households_reached(self, db: Database) -> None:
        # given the fire notice, relayed to three homes of M by the demo
        fire = await notice(FIRE)
        admin = await actor_for("community_admin")
        grid = await Area.get(id=(await Area.get(name=M)).parent_id)
        # when its coverage is read under the grid
        (figure,) = await notices.notice_coverage(
            actor=admin, keys=[notices.CoverageKey(fire.id, fire.area_path, grid.id)]
        )
        # then three households are reached, all in M
        assert isinstance(figure, notices.NoticeCoverage)
        assert figure.under.households_reached == 3
        by_area = {a.area_id: a.households_reached for a in figure.areas}
        assert by_area[(await Area.get(name=M)).id] == 3
        assert sum(by_area.values()) == 3
