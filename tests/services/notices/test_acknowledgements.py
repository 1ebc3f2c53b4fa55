"""Acknowledging notices: paying once (also when concurrent), coverage per area, the lists
of acknowledgements, quarter figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import notices
from services.enums import AreaLevel, Dimension, Role
from services.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from services.kit import calendar
from services.kit.pagination import Window
from services.models import (
    Area,
    EvaluationCredit,
    Notice,
    NoticeAcknowledgement,
    NoticeRecipient,
    PointsAward,
    RoleAssignment,
)
from services.people import end_role
from tests.conftest import Database, actor_for
from tests.services.notices_support import acknowledge, area, micro_grid_m, publish
from tests.services.points_support import Clock, assert_ledger_ok, person_id
from tests.services.volunteering_support import outsider

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


async def _coverage(
    username: str, made: Notice, under: Area | None = None
) -> notices.NoticeCoverage:
    (figure,) = await notices.notice_coverage(
        actor=await actor_for(username),
        keys=[notices.CoverageKey(made.id, made.area_path, under.id if under else None)],
    )
    if isinstance(figure, Exception):
        raise figure
    assert figure is not None
    return figure


class TestAcknowledgeNotice:
    async def test_acknowledging_pays_once(self, db: Database, clock: Clock) -> None:
        made = await publish()
        leader = await person_id("microgrid_leader")
        # when 赵桂兰 acknowledges
        first = await acknowledge("microgrid_leader", made)
        # then it is recorded at the clock's time and NOTICE_RELAYED paid her from the community
        assert first.first
        assert first.acknowledgement.acknowledged_at == clock.moment
        award = await PointsAward.get(id=first.acknowledgement.award_id)
        assert (award.person_id, award.points, award.source_type) == (
            leader,
            5,
            "NoticeAcknowledgement",
        )
        assert award.source_id == str(first.acknowledgement.id)
        assert award.community_id == (await area(DEMO_COMMUNITY)).id
        credit = await EvaluationCredit.get(
            person_id=leader,
            period=calendar.period_of(clock.moment),
            dimension=Dimension.POLICY_COMMUNICATION,
        )
        # when she acknowledges again, later
        clock.set(clock.moment + timedelta(hours=1))
        again = await acknowledge("microgrid_leader", made)
        # then the first acknowledgement comes back and nothing more is paid
        assert not again.first
        assert again.acknowledgement.id == first.acknowledgement.id
        assert again.acknowledgement.acknowledged_at == first.acknowledgement.acknowledged_at
        assert await PointsAward.filter(
            source_type="NoticeAcknowledgement", person_id=leader
        ).count() == (
            await NoticeAcknowledgement.filter(person_id=leader, award_id__not_isnull=True).count()
        )
        assert (await EvaluationCredit.get(id=credit.id)).points == credit.points
        await assert_ledger_ok()

    async def test_concurrent_acknowledgements_pay_once(self, db: Database, clock: Clock) -> None:
        made = await publish()
        actor = await actor_for("central_household")
        before = await PointsAward.filter(person_id=actor.person_id).count()
        # when 陈志强 acknowledges four times at once
        results = await asyncio.gather(
            *(notices.acknowledge_notice(actor=actor, notice_id=made.id) for _ in range(4))
        )
        # then one acknowledgement exists, one call made it, and one award was paid
        assert [r.first for r in results].count(True) == 1
        assert len({r.acknowledgement.id for r in results}) == 1
        assert await NoticeAcknowledgement.filter(notice_id=made.id).count() == 1
        assert await PointsAward.filter(person_id=actor.person_id).count() == before + 1
        await assert_ledger_ok()

    @pytest.mark.parametrize(
        ("username", "error"),
        [
            ("grid_leader", Forbidden),  # reads it, but is no recipient
            ("resident", Forbidden),
            ("community_admin", Forbidden),  # the publisher
        ],
    )
    async def test_only_recipients_acknowledge(
        self, db: Database, clock: Clock, username: str, error: type[Exception]
    ) -> None:
        made = await publish()
        with pytest.raises(error):
            await acknowledge(username, made)
        assert await NoticeAcknowledgement.filter(notice_id=made.id).count() == 0

    async def test_outsiders_do_not_find_the_notice(self, db: Database, clock: Clock) -> None:
        made = await publish()
        stranger = await actor_for(await outsider())
        with pytest.raises(NotFound):
            await notices.acknowledge_notice(actor=stranger, notice_id=made.id)
        with pytest.raises(NotFound):
            await notices.acknowledge_notice(actor=stranger, notice_id=10**9)

    async def test_a_recipient_whose_role_ended_still_acknowledges(
        self, db: Database, clock: Clock
    ) -> None:
        # given a notice to central households only and 陈志强's role ended after it came
        made = await publish(roles=(Role.CENTRAL_HOUSEHOLD,))
        held = await RoleAssignment.get(
            person_id=await person_id("central_household"), role=Role.CENTRAL_HOUSEHOLD, until=None
        )
        await end_role(
            actor=await actor_for("community_admin"), assignment_id=held.id, reason="搬家"
        )
        # then the notice still reaches him and he still acknowledges it
        done = await acknowledge("central_household", made)
        assert done.first

    async def test_the_demo_has_notices_with_partial_acknowledgement(self, db: Database) -> None:
        seeded = await Notice.all().order_by("id")
        titles = [n.title for n in seeded]
        assert "关于开展冬季消防安全检查的通知" in titles
        leader = await person_id("microgrid_leader")
        central = await person_id("central_household")
        acknowledged = await NoticeAcknowledgement.all()
        assert {a.person_id for a in acknowledged} == {leader}
        assert 0 < len(acknowledged) < len(seeded)
        # 陈志强 has some waiting, and the acknowledgements were paid through the service
        waiting = await notices.my_notices(
            actor=await actor_for("central_household"),
            unacknowledged_only=True,
            window=Window(first=10),
        )
        assert waiting.items
        assert await NoticeRecipient.filter(person_id=central).count() == len(waiting.items)
        for a in acknowledged:
            award = await PointsAward.get(id=a.award_id)
            assert (award.source_type, award.source_id) == ("NoticeAcknowledgement", str(a.id))
        await assert_ledger_ok()


class TestNoticeCoverage:
    async def test_coverage_per_area(self, db: Database, clock: Clock) -> None:
        community = await area(DEMO_COMMUNITY)
        grid = await area(DEMO_GRID)
        m = await micro_grid_m()
        made = await publish()
        # when 赵桂兰 and 陈志强 (both in M, in grid G) acknowledge
        await acknowledge("microgrid_leader", made)
        await acknowledge("central_household", made)
        recipients = await NoticeRecipient.filter(notice_id=made.id)
        # then the community sees 2 of all, per grid: 2 in G, none elsewhere
        figure = await _coverage("community_admin", made)
        assert figure.under.area_id == community.id
        assert (figure.under.recipients, figure.under.acknowledged) == (len(recipients), 2)
        assert figure.under.share == pytest.approx(2 / len(recipients))
        grids = await Area.filter(parent_id=community.id).order_by("id")
        assert [a.area_id for a in figure.areas] == [g.id for g in grids]
        for a, g in zip(figure.areas, grids, strict=True):
            in_grid = [r for r in recipients if r.area_path.startswith(g.path)]
            assert a.recipients == len(in_grid)
            assert a.acknowledged == (2 if g.id == grid.id else 0)
            assert a.share == (a.acknowledged / a.recipients if a.recipients else None)
        assert sum(a.recipients for a in figure.areas) == figure.under.recipients
        # and under G, per micro-grid: M has both
        below = await _coverage("community_admin", made, grid)
        for a in below.areas:
            in_micro = [
                r for r in recipients if r.area_path.startswith((await Area.get(id=a.area_id)).path)
            ]
            assert a.recipients == len(in_micro)
            assert a.acknowledged == (2 if a.area_id == m.id else 0)
        # the grid leader sees their own grid by default
        assert (await _coverage("grid_leader", made)).under.area_id == grid.id

    async def test_coverage_is_for_admins_and_leaders_of_the_area(self, db: Database) -> None:
        made = await publish("street_admin", "城西街道")
        # a resident follows no part of it: no coverage (and no error) by default
        key = notices.CoverageKey(made.id, made.area_path, None)
        for username in ("resident", "volunteer"):
            actor = await actor_for(username)
            assert await notices.notice_coverage(actor=actor, keys=[key]) == [None]
        with pytest.raises(Forbidden):
            await _coverage("resident", made, await area(DEMO_COMMUNITY))
        with pytest.raises(Forbidden):  # the community admin may not look at the whole street
            await _coverage("community_admin", made, await area("城西街道"))
        with pytest.raises(Forbidden):  # nor at a sibling community
            await _coverage("community_admin", made, await area("西冶街社区"))
        with pytest.raises(InvalidInput):  # above the notice
            await _coverage("district_admin", made, await area("博山区"))
        # by default the community admin sees their community's part of the street's notice
        mine = await _coverage("community_admin", made)
        assert mine.under.area_id == (await area(DEMO_COMMUNITY)).id
        whole = await _coverage("street_admin", made)
        assert whole.under.recipients == made.recipient_count
        assert mine.under.recipients < whole.under.recipients

    async def test_coverage_of_a_micro_grid_has_no_children(
        self, db: Database, clock: Clock
    ) -> None:
        m = await micro_grid_m()
        made = await publish("grid_leader", "M")
        await acknowledge("microgrid_leader", made)
        figure = await _coverage("grid_leader", made)
        assert figure.under.area_id == m.id
        assert figure.areas == []
        assert figure.under.acknowledged == 1
        assert figure.under.recipients == made.recipient_count >= 2


class TestNoticeAcknowledgements:
    async def test_acknowledgements_are_listed_to_the_area_s_admins_and_leaders(
        self, db: Database, clock: Clock
    ) -> None:
        made = await publish("street_admin", "城西街道")
        await acknowledge("microgrid_leader", made)
        for username, count in (("street_admin", 1), ("community_admin", 1), ("grid_leader", 1)):
            page = await notices.notice_acknowledgements(
                actor=await actor_for(username), notice=made, window=Window(first=10)
            )
            assert len(page.items) == count, username
        other = await Area.get(name="西冶街社区")
        assert other.level is AreaLevel.COMMUNITY
        with pytest.raises(Forbidden):
            await notices.notice_acknowledgements(
                actor=await actor_for("resident"), notice=made, window=Window(first=10)
            )

    async def test_acknowledgement_pages_of_many_notices_match_the_one_by_one_lists(
        self, db: Database, clock: Clock
    ) -> None:
        made = [await publish("street_admin", "城西街道") for _ in range(3)]
        made.append(await publish("community_admin", DEMO_COMMUNITY))
        # acknowledgements by recipients all over the street (rows as acknowledging writes them)
        for i, notice in enumerate(made):
            recipients = await NoticeRecipient.filter(notice_id=notice.id).order_by("id")
            for r in recipients[i :: 2 + i]:
                await NoticeAcknowledgement.create(
                    notice_id=notice.id,
                    person_id=r.person_id,
                    area_id=r.area_id,
                    area_path=r.area_path,
                    acknowledged_at=clock.moment,
                )
        ids = sorted(await NoticeAcknowledgement.all().values_list("id", flat=True))
        # the street's admin and the community's see everything, the grid leader a part (below
        # the notices' areas), the resident nothing
        for username in ("street_admin", "community_admin", "grid_leader", "resident"):
            actor = await actor_for(username)
            middle = ids[len(ids) // 2]
            windows = (
                Window(first=2),
                Window(first=7, after=middle),
                Window(first=0),
                Window(first=100),
                Window(last=2),
                Window(last=3, before=middle),
                Window(last=4, after=ids[0], before=middle),
                Window(last=100),
            )
            for window in windows:
                keys = [notices.AcknowledgementsKey(n.id, n.area_path, window) for n in made]
                for batch in (keys, keys[:1]):  # many notices, and one alone
                    pages = await notices.acknowledgement_pages(actor=actor, keys=batch)
                    for notice, page in zip(made, pages, strict=False):
                        try:
                            one = await notices.notice_acknowledgements(
                                actor=actor, notice=notice, window=window
                            )
                        except Forbidden:
                            assert isinstance(page, Forbidden), username
                            continue
                        assert not isinstance(page, Exception), (username, page)
                        assert page.keys == one.keys, (username, window)
                        assert [
                            (a.person_id, a.area_path, a.acknowledged_at) for a in page.items
                        ] == [(a.person_id, a.area_path, a.acknowledged_at) for a in one.items]
                        assert (page.has_next, page.has_previous) == (
                            one.has_next,
                            one.has_previous,
                        )
                        assert await page.count() == await one.count() > 0, username
        anonymous = await notices.acknowledgement_pages(actor=None, keys=keys)
        assert all(isinstance(page, Unauthenticated) for page in anonymous)


class TestPersonMetrics:
    async def test_person_metrics_count_acknowledgements_per_quarter(
        self, db: Database, clock: Clock
    ) -> None:
        leader = await person_id("microgrid_leader")
        central = await person_id("central_household")
        quarter = calendar.period_of(clock.moment)
        year, number = int(quarter[:4]), int(quarter[5])
        earlier = f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"
        before = await notices.person_metrics(quarter=quarter, person_ids=[leader, central])
        # (the demo's own acknowledgements may lie in the quarter before, near a quarter's start)
        before_earlier = await notices.person_metrics(quarter=earlier, person_ids=[leader])
        for made in (await publish(), await publish(roles=(Role.MICRO_GRID_LEADER,))):
            await acknowledge("microgrid_leader", made)
        after = await notices.person_metrics(quarter=quarter, person_ids=[leader, central])
        assert after == {leader: before[leader] + 2, central: before[central]}
        assert await notices.person_metrics(quarter=earlier, person_ids=[leader]) == before_earlier
        for bad in ("2026Q5", "2026-Q1", "Q1"):
            with pytest.raises(InvalidInput):
                await notices.person_metrics(quarter=bad, person_ids=[leader])

    async def test_quarter_windows_follow_the_time_zone(self, db: Database) -> None:
        start, end = calendar.quarter_window("2026Q4")
        assert start == datetime(2026, 9, 30, 16, tzinfo=UTC)  # Asia/Shanghai is UTC+8
        assert end == datetime(2026, 12, 31, 16, tzinfo=UTC)
