"""Individual dual reporting (个人双报到): a party member reports to the community they live in."""

from __future__ import annotations

import pytest

from services import party
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from services.kit.pagination import Window
from services.kit.paths import is_under
from services.models import Area, Household, PartyMemberReport, Person, UserAccount
from tests.conftest import Database, actor_for

YANSHAN = "颜山社区"


async def person_of(username: str) -> Person:
    return await Person.get(id=(await UserAccount.get(username=username)).person_id)


async def community(name: str = YANSHAN) -> Area:
    return await Area.get(name=name)


class TestReportToCommunity:
    async def test_a_member_reports_themselves(self, db: Database) -> None:
        # given `volunteer`, a party member living in 颜山社区 who has not reported
        actor = await actor_for("volunteer")
        home = await community()
        # when she reports to it
        report = await party.report_to_community(actor=actor, community_id=home.id)
        # then it is recorded for her, dated and by her
        assert (report.person_id, report.community_id, report.recorded_by_id, report.ended_at) == (
            actor.person_id,
            home.id,
            actor.person_id,
            None,
        )
        assert report.reported_at is not None
        # and it is listed for the community, latest first
        page = await party.community_reports(
            actor=await actor_for("community_admin"), area_id=home.id, window=Window(first=10)
        )
        assert page.items[0].id == report.id
        assert len(page.items) == 2  # and the seeded central household's
        # and reporting again is a conflict
        with pytest.raises(Conflict):
            await party.report_to_community(actor=actor, community_id=home.id)
        assert await PartyMemberReport.filter(person_id=actor.person_id).count() == 1

    async def test_an_admin_records_it_and_a_move_ends_the_old_one(self, db: Database) -> None:
        # given the central household's seeded report to 颜山社区, and his move to 古窑社区
        central = await person_of("central_household")
        old = await PartyMemberReport.get(person_id=central.id, ended_at=None)
        other = await community("古窑社区")
        household = await Household.filter(path__startswith=other.path).first()
        assert household is not None
        await Person.filter(id=central.id).update(household_id=household.id)
        # when the district admin records his report to 古窑社区
        admin = await actor_for("district_admin")
        new = await party.report_to_community(
            actor=admin, community_id=other.id, person_id=central.id
        )
        # then the new one is current, recorded by the admin, and the old one ended
        assert (new.community_id, new.recorded_by_id) == (other.id, admin.person_id)
        assert (await PartyMemberReport.get(id=old.id)).ended_at is not None
        assert await PartyMemberReport.filter(person_id=central.id, ended_at=None).count() == 1

    @pytest.mark.parametrize(
        ("username", "target", "community_name", "error", "field"),
        [
            # not a party member
            ("resident", None, YANSHAN, InvalidInput, "personId"),
            # not where they live
            ("volunteer", None, "古窑社区", InvalidInput, "communityId"),
            # a grid is not a community
            ("volunteer", None, "颜山第一网格", InvalidInput, "communityId"),
            # someone else's report is for the community's admins
            ("grid_leader", "volunteer", YANSHAN, Forbidden, "personId"),
            ("street_admin", "volunteer", "古窑社区", Forbidden, "personId"),
        ],
    )
    async def test_refusals_write_nothing(
        self,
        db: Database,
        username: str,
        target: str | None,
        community_name: str,
        error: type[Exception],
        field: str,
    ) -> None:
        area = await Area.get(name=community_name)
        person_id = (await person_of(target)).id if target else None
        before = await PartyMemberReport.all().count()
        with pytest.raises(error) as raised:
            await party.report_to_community(
                actor=await actor_for(username), community_id=area.id, person_id=person_id
            )
        assert raised.value.field == field  # type: ignore[attr-defined]
        assert await PartyMemberReport.all().count() == before

    async def test_anonymous_and_unknown(self, db: Database) -> None:
        home = await community()
        with pytest.raises(Unauthenticated):
            await party.report_to_community(actor=None, community_id=home.id)
        with pytest.raises(NotFound):
            await party.report_to_community(
                actor=await actor_for("community_admin"), community_id=home.id, person_id=10**9
            )


class TestCommunityReports:
    async def test_admins_of_the_area_only(self, db: Database) -> None:
        home = await community()
        # the street admin sees the reports to the street's communities
        street = await Area.get(name="城西街道")
        page = await party.community_reports(
            actor=await actor_for("street_admin"), area_id=street.id, window=Window(first=10)
        )
        assert [is_under(r.community_path, street.path) for r in page.items] == [True]
        # leaders and residents do not
        for username in ("grid_leader", "resident"):
            with pytest.raises(Forbidden):
                await party.community_reports(
                    actor=await actor_for(username), area_id=home.id, window=Window(first=10)
                )
        # and a grid has no reports
        grid = await Area.get(name="颜山第一网格")
        with pytest.raises(InvalidInput):
            await party.community_reports(
                actor=await actor_for("community_admin"), area_id=grid.id, window=Window(first=10)
            )

    async def test_by_id_for_the_member_and_the_admins(self, db: Database) -> None:
        central = await person_of("central_household")
        report = await PartyMemberReport.get(person_id=central.id)
        for username, seen in (
            ("central_household", True),
            ("community_admin", True),
            ("grid_leader", False),
            ("resident", False),
        ):
            (found,) = await party.reports_by_ids(
                actor=await actor_for(username), report_ids=[report.id]
            )
            assert (found is not None) is seen, username
        assert await party.reports_by_ids(actor=None, report_ids=[report.id]) == [None]
