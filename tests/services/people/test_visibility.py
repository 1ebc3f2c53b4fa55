"""Who sees whom on the lists they run: a team's leader sees its members and applicants, an
activity's organisers its sign-ups (name and roles, not the phone), through the list and by
id alike; fellow members and strangers do not."""

from __future__ import annotations

from services import volunteering
from services.kit.pagination import Window
from services.people import people_by_ids
from tests.conftest import Database, actor_for
from tests.services.points_support import person_id
from tests.services.volunteering_support import activity, member, newcomer, sign_up, team


async def _level(viewer: str, person: int) -> bool | None:
    """True: everything; False: name and roles; None: hidden."""
    (view,) = await people_by_ids(actor=await actor_for(viewer), person_ids=[person])
    return None if view is None else view.full


class TestListVisibility:
    async def test_a_team_leader_sees_its_members_and_applicants_by_name(
        self, db: Database
    ) -> None:
        # given a team the micro-grid leader of M leads: a newcomer (a volunteer living nowhere
        # in M) is a member, another has applied
        item = await team()
        await member(item, await newcomer("joined"))
        await volunteering.join_team(
            actor=await actor_for(await newcomer("applied")), team_id=item.id
        )
        joined, applied = await person_id("joined"), await person_id("applied")
        # then the leader sees both by name (not their phone), the members list shows them so
        assert await _level("microgrid_leader", joined) is False
        assert await _level("microgrid_leader", applied) is False
        page = await volunteering.team_members(
            actor=await actor_for("microgrid_leader"),
            team=item,
            status=None,
            window=Window(first=10),
        )
        assert {m.person_id for m in page.items} >= {joined, applied}
        # and a fellow member, a member of M's own, sees neither
        await member(item, "resident")
        assert await _level("resident", joined) is None
        assert await _level("resident", applied) is None

    async def test_an_organiser_sees_who_signed_up(self, db: Database) -> None:
        # given an activity of the team the micro-grid leader leads, a newcomer signed up
        planned = await activity(by="microgrid_leader", item=await team())
        await sign_up(await newcomer("walker"), planned)
        walker = await person_id("walker")
        # then its organiser sees them by name, someone else who signed up does not
        assert await _level("microgrid_leader", walker) is False
        await sign_up("resident", planned)
        assert await _level("resident", walker) is None
        # and a leader of another area (the rider's grid leader reads G, not the community) only
        # if they organise it
        assert await _level("grid_leader", walker) is None
