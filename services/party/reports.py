"""Individual dual reporting (个人双报到): a party member reports to the community where they
live, to serve there, whether their party unit is there or elsewhere (at work). The member
reports themselves, or an admin of the community records it; the date is the service clock's.
One current report a person: reporting to another community (after a move) ends the earlier.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.enums import AreaLevel
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import get_area
from services.kit import clock
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import in_subtree, is_under
from services.models import Household, PartyMemberReport, Person

# Levels whose lists gather the reports to their communities.
REPORTED_TO_LEVELS = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY)


async def report_to_community(
    *, actor: Actor | None, community_id: int, person_id: int | None = None
) -> PartyMemberReport:
    """Record a party member's report to the community where they live: by the member
    (`person_id` omitted or their own) or by an admin of that community."""
    actor = require_actor(actor)
    community = await get_area(area_id=community_id)
    if community.level is not AreaLevel.COMMUNITY:
        raise InvalidInput("Party members report to a community.", field="communityId")
    person_id = actor.person_id if person_id is None else person_id
    if person_id != actor.person_id and not actor.administers(community.path):
        # Nobody learns whether someone exists by recording reports for them.
        raise Forbidden(
            "Members report themselves; admins of the community record reports.", field="personId"
        )
    person = await Person.get_or_none(id=person_id)
    if person is None:
        raise NotFound("No such person.", field="personId")
    if not person.party_member:
        raise InvalidInput("Only party members (党员) report individually.", field="personId")
    home = (
        await Household.get_or_none(id=person.household_id)
        if person.household_id is not None
        else None
    )
    if home is None or not is_under(home.path, community.path):
        raise InvalidInput(
            "A party member reports to the community where they live.", field="communityId"
        )
    moment = clock.now()
    try:
        async with in_transaction():
            current = await PartyMemberReport.filter(person_id=person.id, ended_at=None).first()
            if current is not None and current.community_id == community.id:
                raise Conflict(
                    f"{person.name} has reported to {community.name} already.", field="communityId"
                )
            if current is not None:  # moved house: the earlier report ends now
                await PartyMemberReport.filter(id=current.id).update(ended_at=moment)
            return await PartyMemberReport.create(
                person_id=person.id,
                community_id=community.id,
                community_path=community.path,
                reported_at=moment,
                recorded_by_id=actor.person_id,
            )
    except IntegrityError as exc:  # a concurrent report won the partial unique index
        raise Conflict("The report was recorded meanwhile.", field="communityId") from exc


async def community_reports(
    *, actor: Actor | None, area_id: int, window: Window
) -> Page[PartyMemberReport]:
    """The current reports to a community (or to the communities under a street or the
    district), latest first: for the admins of that area."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    if area.level not in REPORTED_TO_LEVELS:
        raise InvalidInput("Party members report to communities.", field="areaId")
    if not actor.administers(area.path):
        raise Forbidden("Reports are shown to the admins of the community.")
    query = PartyMemberReport.filter(in_subtree(area.path, "community_path"), ended_at=None)
    return await paginate(query, window, newest_first=True)


async def reports_by_ids(
    *, actor: Actor | None, report_ids: list[int]
) -> list[PartyMemberReport | None]:
    """Reports the actor may see: their own, and those to communities they administer."""
    if actor is None:
        return [None for _ in report_ids]
    found = {r.id: r for r in await PartyMemberReport.filter(id__in=report_ids)}
    return [
        r
        if (r := found.get(i)) is not None
        and (r.person_id == actor.person_id or actor.administers(r.community_path))
        else None
        for i in report_ids
    ]


async def current_reports(*, person_ids: list[int]) -> list[PartyMemberReport | None]:
    """Each person's current report (None: none); one query."""
    found = {
        r.person_id: r
        for r in await PartyMemberReport.filter(person_id__in=person_ids, ended_at=None)
    }
    return [found.get(i) for i in person_ids]
