"""Notices (政策传达): who publishes where, delivery to the right recipients, who reads them,
acknowledgement paying once (also when concurrent), coverage per area, quarter figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import notices
from services.enums import AreaLevel, Dimension, Role
from services.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from services.kit import calendar, events
from services.kit import clock as service_clock
from services.kit import db as dbapi
from services.kit.paths import in_subtree
from services.models import (
    Area,
    EvaluationCredit,
    Household,
    Notice,
    NoticeAcknowledgement,
    NoticeRecipient,
    PointsAward,
    RoleAssignment,
)
from services.notices import reading
from services.people import end_role
from tests.conftest import Database, actor_for
from tests.services.points_support import Clock, assert_ledger_ok, person_id
from tests.services.volunteering_support import outsider

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

TITLE = "关于测试通知的通知"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Two days ahead: the demo's own acknowledgements leave the daily caps of that day alone."""
    return Clock(service_clock.now().replace(microsecond=0) + timedelta(days=2))


async def micro_grid_m() -> Area:
    """M: the micro-grid of the demo story (resident, 赵桂兰 and 陈志强 live there)."""
    account_person = await person_id("resident")
    home = await Household.get(members__id=account_person)
    return await Area.get(id=home.micro_grid_id)


async def area(name: str) -> Area:
    if name == "M":
        return await micro_grid_m()
    return await Area.get(name=name)


async def publish(
    by: str = "community_admin", where: str = DEMO_COMMUNITY, roles: tuple[Role, ...] = ()
) -> Notice:
    return await notices.publish_notice(
        actor=await actor_for(by),
        area_id=(await area(where)).id,
        title=TITLE,
        body="请各网格做好相关工作。",
        roles=roles,
    )


async def acknowledge(username: str, notice: Notice) -> notices.Acknowledged:
    return await notices.acknowledge_notice(actor=await actor_for(username), notice_id=notice.id)


# --- publishing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "where", "allowed"),
    [
        ("district_admin", "博山区", True),
        ("district_admin", "古窑社区", True),
        ("street_admin", "城西街道", True),
        ("street_admin", DEMO_COMMUNITY, True),
        ("street_admin", "山头街道", False),  # another street
        ("street_admin", "博山区", False),  # above
        ("community_admin", DEMO_COMMUNITY, True),
        ("community_admin", DEMO_GRID, True),  # own subtree
        ("community_admin", "M", True),
        ("community_admin", "西冶街社区", False),  # sibling
        ("community_admin", "城西街道", False),  # ancestor
        ("community_admin", "古窑社区", False),  # another street
        ("grid_leader", DEMO_GRID, True),
        ("grid_leader", "M", True),
        ("grid_leader", "颜山第二网格", False),  # sibling grid
        ("grid_leader", DEMO_COMMUNITY, False),  # above the grid
        ("microgrid_leader", "M", False),  # leaders of micro-grids relay, never publish
        ("central_household", "M", False),
        ("rider", DEMO_GRID, False),
        ("resident", "M", False),
    ],
)
async def test_who_may_publish_where(db: Database, by: str, where: str, allowed: bool) -> None:
    before = (await Notice.all().count(), await NoticeRecipient.all().count())
    if allowed:
        made = await publish(by, where)
        assert made.area_id == (await area(where)).id
        assert made.publisher_id == await person_id(by)
    else:
        with pytest.raises(Forbidden) as raised:
            await publish(by, where)
        assert raised.value.field == "under"
        assert (await Notice.all().count(), await NoticeRecipient.all().count()) == before


@pytest.mark.parametrize(
    ("title", "body", "roles", "field"),
    [
        ("", "正文", (), "title"),
        ("   ", "正文", (), "title"),
        ("长" * 101, "正文", (), "title"),
        ("标题", "", (), "body"),
        ("标题", "正" * 5001, (), "body"),
        ("标题", "正文", ("MAYOR",), "roles"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    db: Database, title: str, body: str, roles: tuple[str, ...], field: str
) -> None:
    before = (await Notice.all().count(), await NoticeRecipient.all().count())
    with pytest.raises(InvalidInput) as raised:
        await notices.publish_notice(
            actor=await actor_for("community_admin"),
            area_id=(await area(DEMO_COMMUNITY)).id,
            title=title,
            body=body,
            roles=roles,
        )
    assert raised.value.field == field
    assert (await Notice.all().count(), await NoticeRecipient.all().count()) == before


async def test_limits_are_inclusive_and_unknown_areas_not_found(db: Database) -> None:
    admin = await actor_for("community_admin")
    made = await notices.publish_notice(
        actor=admin,
        area_id=(await area(DEMO_COMMUNITY)).id,
        title=" " + "长" * 100 + " ",
        body="正" * 5000,
        roles=[],
    )
    assert made.title == "长" * 100
    with pytest.raises(NotFound):
        await notices.publish_notice(actor=admin, area_id=10**9, title="t", body="b", roles=[])


async def test_publishing_announces_the_notice_after_it_committed(db: Database) -> None:
    with events.broker.subscribe(events.Topic.NOTICE) as subscription:
        made = await publish()
        event = subscription.queue.get_nowait()
    assert event.payload == {"id": made.id, "area_path": made.area_path}
    assert subscription.queue.empty()


# --- delivery ------------------------------------------------------------------------------


async def _holders(where: Area, roles: list[Role]) -> set[int]:
    rows = await RoleAssignment.filter(
        in_subtree(where.path, "area_path"), role__in=roles, until=None
    )
    return {r.person_id for r in rows}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ((), [Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD]),
        ((Role.CENTRAL_HOUSEHOLD,), [Role.CENTRAL_HOUSEHOLD]),
        ((Role.MICRO_GRID_LEADER, Role.VOLUNTEER), [Role.MICRO_GRID_LEADER]),
        ((Role.VOLUNTEER, Role.RESIDENT), []),
    ],
)
async def test_delivered_to_the_leaders_and_central_households_of_the_subtree(
    db: Database, roles: tuple[Role, ...], expected: list[Role]
) -> None:
    community = await area(DEMO_COMMUNITY)
    # when the community admin publishes to the community (to some roles)
    made = await publish(roles=roles)
    # then exactly the open holders of the acknowledging roles chosen are its recipients
    recipients = await NoticeRecipient.filter(notice_id=made.id)
    assert {r.person_id for r in recipients} == await _holders(community, expected)
    assert len(recipients) == made.recipient_count == (await Notice.get(id=made.id)).recipient_count
    assert made.roles == [r.value for r in Role if r in roles]
    # each with the area of their role, a micro-grid of the community
    for r in recipients:
        held = await RoleAssignment.get(
            person_id=r.person_id, role=r.role, area_id=r.area_id, until=None
        )
        assert held.area_path == r.area_path
        assert r.area_path.startswith(community.path)
    if expected:
        assert len(recipients) > 5
    # and nobody outside the community received it
    assert not [r for r in recipients if not r.area_path.startswith(community.path)]


async def test_a_grid_notice_reaches_its_grid_only(db: Database) -> None:
    made = await publish("grid_leader", DEMO_GRID)
    grid = await area(DEMO_GRID)
    roles = [Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD]
    assert {r.person_id for r in await NoticeRecipient.filter(notice_id=made.id)} == await _holders(
        grid, roles
    )


# --- acknowledging -------------------------------------------------------------------------


async def test_acknowledging_pays_once(db: Database, clock: Clock) -> None:
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


async def test_concurrent_acknowledgements_pay_once(db: Database, clock: Clock) -> None:
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
    db: Database, clock: Clock, username: str, error: type[Exception]
) -> None:
    made = await publish()
    with pytest.raises(error):
        await acknowledge(username, made)
    assert await NoticeAcknowledgement.filter(notice_id=made.id).count() == 0


async def test_outsiders_do_not_find_the_notice(db: Database, clock: Clock) -> None:
    made = await publish()
    stranger = await actor_for(await outsider())
    with pytest.raises(NotFound):
        await notices.acknowledge_notice(actor=stranger, notice_id=made.id)
    with pytest.raises(NotFound):
        await notices.acknowledge_notice(actor=stranger, notice_id=10**9)


async def test_a_recipient_whose_role_ended_still_acknowledges(db: Database, clock: Clock) -> None:
    # given a notice to central households only and 陈志强's role ended after it came
    made = await publish(roles=(Role.CENTRAL_HOUSEHOLD,))
    held = await RoleAssignment.get(
        person_id=await person_id("central_household"), role=Role.CENTRAL_HOUSEHOLD, until=None
    )
    await end_role(actor=await actor_for("community_admin"), assignment_id=held.id, reason="搬家")
    # then the notice still reaches him and he still acknowledges it
    done = await acknowledge("central_household", made)
    assert done.first


# --- coverage ------------------------------------------------------------------------------


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


async def test_coverage_per_area(db: Database, clock: Clock) -> None:
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


async def test_coverage_is_for_admins_and_leaders_of_the_area(db: Database) -> None:
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


async def test_coverage_of_a_micro_grid_has_no_children(db: Database, clock: Clock) -> None:
    m = await micro_grid_m()
    made = await publish("grid_leader", "M")
    await acknowledge("microgrid_leader", made)
    figure = await _coverage("grid_leader", made)
    assert figure.under.area_id == m.id
    assert figure.areas == []
    assert figure.under.acknowledged == 1
    assert figure.under.recipients == made.recipient_count >= 2


# --- reading -------------------------------------------------------------------------------


async def _mine(username: str, *, unacknowledged_only: bool = False) -> list[int]:
    page = await notices.my_notices(
        actor=await actor_for(username),
        unacknowledged_only=unacknowledged_only,
        first=100,
        after=None,
    )
    return [n.id for n in page.items]


async def test_who_reads_which_notice(db: Database) -> None:
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


async def test_unacknowledged_only_lists_what_awaits_me(db: Database, clock: Clock) -> None:
    first = await publish()
    second = await publish(roles=(Role.MICRO_GRID_LEADER,))
    await acknowledge("microgrid_leader", first)
    waiting = await _mine("microgrid_leader", unacknowledged_only=True)
    assert second.id in waiting and first.id not in waiting
    assert second.id not in await _mine("central_household", unacknowledged_only=True)
    assert first.id in await _mine("central_household", unacknowledged_only=True)
    assert await _mine("resident", unacknowledged_only=True) == []


async def test_notices_of_an_area_for_the_people_in_it(db: Database) -> None:
    stranger = await actor_for(await outsider())
    community = await area(DEMO_COMMUNITY)
    everyone = await publish()
    below = await publish("grid_leader", DEMO_GRID)
    street = await publish("street_admin", "城西街道")
    elsewhere = await publish("street_admin", "西冶街社区")
    page = await notices.list_notices(
        actor=await actor_for("resident"), under_id=community.id, first=100, after=None
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
            actor=await actor_for("resident"), under_id=community.id, first=2, after=after
        )
        walked += [n.id for n in part.items]
        if not part.has_next:
            break
        after = part.keys[-1]
    assert walked == ids
    with pytest.raises(Forbidden):
        await notices.list_notices(actor=stranger, under_id=community.id, first=10, after=None)


async def test_acknowledgements_are_listed_to_the_area_s_admins_and_leaders(
    db: Database, clock: Clock
) -> None:
    made = await publish("street_admin", "城西街道")
    await acknowledge("microgrid_leader", made)
    for username, count in (("street_admin", 1), ("community_admin", 1), ("grid_leader", 1)):
        page = await notices.notice_acknowledgements(
            actor=await actor_for(username), notice=made, first=10, after=None
        )
        assert len(page.items) == count, username
    other = await Area.get(name="西冶街社区")
    assert other.level is AreaLevel.COMMUNITY
    with pytest.raises(Forbidden):
        await notices.notice_acknowledgements(
            actor=await actor_for("resident"), notice=made, first=10, after=None
        )


async def test_acknowledgement_pages_of_many_notices_match_the_one_by_one_lists(
    db: Database, clock: Clock
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
        for first, after in ((2, None), (7, ids[len(ids) // 2]), (0, None), (100, None)):
            keys = [notices.AcknowledgementsKey(n.id, n.area_path, first, after) for n in made]
            for batch in (keys, keys[:1]):  # many notices, and one alone
                pages = await notices.acknowledgement_pages(actor=actor, keys=batch)
                for notice, page in zip(made, pages, strict=False):
                    try:
                        one = await notices.notice_acknowledgements(
                            actor=actor, notice=notice, first=first, after=after
                        )
                    except Forbidden:
                        assert isinstance(page, Forbidden), username
                        continue
                    assert not isinstance(page, Exception), (username, page)
                    assert page.keys == one.keys, (username, first, after)
                    assert [(a.person_id, a.area_path, a.acknowledged_at) for a in page.items] == [
                        (a.person_id, a.area_path, a.acknowledged_at) for a in one.items
                    ]
                    assert (page.has_next, page.has_previous) == (one.has_next, one.has_previous)
                    assert await page.count() == await one.count() > 0, username
    anonymous = await notices.acknowledgement_pages(actor=None, keys=keys)
    assert all(isinstance(page, Unauthenticated) for page in anonymous)


# --- figures for evaluations ---------------------------------------------------------------


async def test_person_metrics_count_acknowledgements_per_quarter(
    db: Database, clock: Clock
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


async def test_quarter_windows_follow_the_time_zone(db: Database) -> None:
    start, end = calendar.quarter_window("2026Q4")
    assert start == datetime(2026, 9, 30, 16, tzinfo=UTC)  # Asia/Shanghai is UTC+8
    assert end == datetime(2026, 12, 31, 16, tzinfo=UTC)


async def test_the_demo_has_notices_with_partial_acknowledgement(db: Database) -> None:
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
        actor=await actor_for("central_household"), unacknowledged_only=True, first=10, after=None
    )
    assert waiting.items
    assert await NoticeRecipient.filter(person_id=central).count() == len(waiting.items)
    for a in acknowledged:
        award = await PointsAward.get(id=a.award_id)
        assert (award.source_type, award.source_id) == ("NoticeAcknowledgement", str(a.id))
    await assert_ledger_ok()


@pytest.mark.parametrize("username", ["resident", "central_household", "community_admin"])
async def test_a_viewer_s_notices_are_an_indexed_lookup(db: Database, username: str) -> None:
    where, params = reading.visible_sql(await actor_for(username))
    query = f"SELECT n.* FROM notice n WHERE {where} ORDER BY n.id DESC LIMIT 21"
    if db.backend == "sqlite":
        plan = [str(r["detail"]) for r in await dbapi.fetch(f"EXPLAIN QUERY PLAN {query}", params)]
        # then every access to the notices goes through an index (its path, or its key)
        assert not [step for step in plan if step.startswith("SCAN")], plan
        assert any("idx_notice_area" in step for step in plan), plan
    else:
        async with in_transaction():
            await dbapi.execute("SET LOCAL enable_seqscan = off", [])
            plan = [str(r["QUERY PLAN"]) for r in await dbapi.fetch(f"EXPLAIN {query}", params)]
        assert not [step for step in plan if "Seq Scan on notice" in step], plan
