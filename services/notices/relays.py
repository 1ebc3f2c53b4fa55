"""Relaying notices to households (入户/电话/微信群): a micro-grid leader or central household
records which households they told, and how; coverage counts the households reached."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.care_links import cared_households
from services.enums import RelayChannel, Role
from services.errors import Forbidden, InvalidInput, NotFound
from services.kit import clock
from services.kit.auth import Actor, require_actor
from services.kit.paths import is_under
from services.models import Household, Notice, NoticeRelay
from services.notices.reading import get_notice

# The most households one call records (a micro-grid has a few dozen).
MAX_RELAY_HOUSEHOLDS = 100
# Leaders who pass notices on to the households of their area (central households pass them
# on to the households they look after).
RELAYING_LEADERS = (Role.MICRO_GRID_LEADER, Role.GRID_LEADER)


async def record_notice_relay(
    *,
    actor: Actor | None,
    notice_id: int,
    household_ids: Sequence[int],
    channel: RelayChannel,
) -> tuple[Notice, list[NoticeRelay]]:
    """Record that the actor told these households of a notice: households of the area they
    lead, or that they look after as a central household, under the notice's area. A
    household told before keeps its first relay (who, how, when); the relays of all the
    households named are returned (with the notice), in the order named."""
    actor = require_actor(actor)
    ids = list(household_ids)
    if not ids:
        raise InvalidInput("Name at least one household.", field="householdIds")
    if len(ids) > MAX_RELAY_HOUSEHOLDS:
        raise InvalidInput(
            f"Record at most {MAX_RELAY_HOUSEHOLDS} households at once.", field="householdIds"
        )
    if len(set(ids)) != len(ids):
        raise InvalidInput("A household is named twice.", field="householdIds")
    notice = await get_notice(actor, notice_id)
    found = {h.id: h for h in await Household.filter(id__in=ids)}
    cared = await cared_households(actor, {h.id: h.path for h in found.values()})
    led = actor.paths_for(RELAYING_LEADERS)
    for hid in ids:
        household = found.get(hid)
        if household is None or not (
            actor.reads(household.path) or hid in cared or actor.household_id == hid
        ):
            raise NotFound("No such household.", field="householdIds")
        if hid not in cared and not any(is_under(household.path, root) for root in led):
            raise Forbidden(
                "Notices are relayed by the leaders of the household's area and its central "
                "household.",
                field="householdIds",
            )
        if not is_under(household.path, notice.area_path):
            raise InvalidInput(
                "The notice was not published to that household's area.", field="householdIds"
            )
    now = clock.now()
    told = {
        r.household_id for r in await NoticeRelay.filter(notice_id=notice.id, household_id__in=ids)
    }
    new = [
        NoticeRelay(
            notice_id=notice.id,
            household_id=hid,
            household_path=found[hid].path,
            channel=channel,
            relayed_by_id=actor.person_id,
            relayed_at=now,
        )
        for hid in ids
        if hid not in told
    ]
    if new:
        try:
            async with in_transaction():
                await NoticeRelay.bulk_create(new)
        except IntegrityError:
            # Someone recorded one of them at the same moment (the unique (notice, household)
            # index): theirs is the first relay; record the rest one by one.
            for relay in new:
                try:
                    async with in_transaction():
                        await relay.save()
                except IntegrityError:
                    continue
    relays = {
        r.household_id: r
        for r in await NoticeRelay.filter(notice_id=notice.id, household_id__in=ids)
    }
    return notice, [relays[h] for h in ids]
