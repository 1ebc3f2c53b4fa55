"""What-if (试算) of a points rule: the awards of a past window replayed under changed points
per unit or caps, beside what was given. Reads only: nothing is written, no transaction.

What is replayed: the awards by the rule's code (every community's version of it) that still
count against its caps (PENDING and APPROVED, not reversed), made for communities under the
area, whose points were earned in [from, to) (`earned_at`, else when the award was made), in
that order. Each keeps its stored quantity, at the changed points per unit, under the changed
caps of its community's version of the rule (its override, else the district default), with
the caps' usage counted from the replay itself plus the stored awards earned before `from` in
the same local day, month and quarter. The caps decide as the awards do (services.points.awards
.fit_caps): the units of awards the service posts for a source (volunteer hours, ...) are
clamped to what fits, any other award is refused whole when it would pass a cap.

Limits, by construction: a quantity clamped at the time is replayed as stored (the units the cap
withheld then are not known), and awards refused at the time were never stored, so loosening a
cap cannot bring them back. PENDING awards count on both sides, as the caps count them. Only
the awards under the area count in the caps: a person's awards by the district's rule in a
community outside it are not seen (simulate at the street or district to include them). Penalty
rules are not simulated (InvalidInput). Usage is counted per community under the community's
rule as it is now: a community that switched from the district's rule to its own override
inside a cap's window counts that window's awards under both together, where the real caps
counted each rule's own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.enums import AreaLevel, AwardStatus, CapWindow
from services.errors import Forbidden, InvalidInput, NotFound
from services.grids import get_area
from services.kit import calendar, clock, db
from services.kit.auth import Actor, require_actor
from services.kit.paths import subtree_bounds
from services.models import Area, PointsRule
from services.points.awards import SERVICE_SOURCES, CapFit, fit_caps
from services.points.ledger import Community
from services.points.rules import MAX_CAP, MAX_RULE_POINTS, rule_for

# The people listed (largest difference first) and those who hit a cap; counts cover them all.
PEOPLE_LIMIT = 500
CAPPED_LIMIT = 500
# The community pools listed (by community id; a district has far fewer), counted in full.
COMMUNITIES_LIMIT = 200
# The longest window replayed.
MAX_WINDOW = timedelta(days=366)
WINDOWS = ("day", "month", "quarter")
_CAP_FIELDS = {"day": "cap_per_day", "month": "cap_per_month", "quarter": "cap_per_quarter"}
SIMULATED_AREA_LEVELS = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY)


@dataclass(frozen=True)
class PointsRuleChanges:
    """What to try; None: as each community's version of the rule has it. A cap is a number of
    points, 1 - MAX_CAP, as a rule may have (0 is refused, as update_rule refuses it: "no
    awards at all" is the current cost saved); `clear_caps` removes the caps of those windows,
    as update_rule's clearing does. A window may not be both set and cleared."""

    points: int | None = None
    cap_per_day: int | None = None
    cap_per_month: int | None = None
    cap_per_quarter: int | None = None
    clear_caps: frozenset[CapWindow] = frozenset()


@dataclass(frozen=True)
class Caps:
    """A community's version of the rule (its caps count per rule: an override apart from
    the district default): points per unit and caps (None: no cap in that window)."""

    rule_id: int
    points: int
    day: int | None
    month: int | None
    quarter: int | None

    def of(self, window: str) -> int | None:
        return {"day": self.day, "month": self.month, "quarter": self.quarter}[window]


@dataclass(frozen=True)
class Replayed:
    """A stored award as the replay reads it."""

    award_id: int
    person_id: int
    community_id: int
    quantity: int
    points: int
    at: datetime
    clamp: bool


@dataclass
class PersonResult:
    """One person: points received now (stored) and under the changes, the awards replayed,
    refused or clamped, and the caps (windows) that bound them."""

    person_id: int
    community_id: int
    name: str = ""
    awards: int = 0
    received: int = 0
    simulated: int = 0
    refused: int = 0
    clamped: int = 0
    caps_hit: set[CapWindow] = field(default_factory=set)

    @property
    def difference(self) -> int:
        return self.simulated - self.received

    @property
    def capped(self) -> bool:
        return bool(self.refused or self.clamped)


@dataclass
class CommunityResult:
    """One community's pool: what it issued for the replayed awards and would issue."""

    community_id: int
    name: str
    caps: Caps
    simulated_caps: Caps
    awards: int = 0
    cost: int = 0
    simulated_cost: int = 0
    people: int = 0
    capped_people: int = 0

    @property
    def difference(self) -> int:
        return self.simulated_cost - self.cost


@dataclass(frozen=True)
class PointsRuleSimulation:
    rule_code: str
    area: Area
    start: datetime
    end: datetime
    awards: int
    refused: int
    clamped: int
    cost: int
    simulated_cost: int
    people_count: int
    changed_count: int
    capped_count: int
    people: list[PersonResult]
    capped: list[PersonResult]
    communities: list[CommunityResult]
    community_count: int

    @property
    def difference(self) -> int:
        return self.simulated_cost - self.cost


# --- the pure part -----------------------------------------------------------------------


def apply_changes(caps: Caps, changes: PointsRuleChanges) -> Caps:
    """The caps with the changes (checked by `check_changes`)."""
    values = {w: caps.of(w) for w in WINDOWS}
    for window in WINDOWS:
        if CapWindow(window.upper()) in changes.clear_caps:
            values[window] = None
        changed = getattr(changes, _CAP_FIELDS[window])
        if changed is not None:
            values[window] = changed
    return Caps(
        caps.rule_id,
        changes.points if changes.points is not None else caps.points,
        values["day"],
        values["month"],
        values["quarter"],
    )


def check_changes(changes: PointsRuleChanges) -> None:
    """InvalidInput for changes a rule could not have (as services.points.rules checks them)."""
    if changes.points is not None and not 1 <= changes.points <= MAX_RULE_POINTS:
        raise InvalidInput(
            f"Points per unit are between 1 and {MAX_RULE_POINTS}.", field="changes.points"
        )
    for window in WINDOWS:
        camel = "capPer" + window.capitalize()
        value = getattr(changes, _CAP_FIELDS[window])
        if value is not None and not 1 <= value <= MAX_CAP:
            raise InvalidInput(
                f"A cap is between 1 and {MAX_CAP} points (clear it to have none).",
                field=f"changes.{camel}",
            )
        if value is not None and CapWindow(window.upper()) in changes.clear_caps:
            raise InvalidInput(
                f"Set the {window} cap or clear it, not both.", field="changes.clearCaps"
            )


# Windows are looked up once per bucket of this many seconds: local midnights fall on quarter
# hours in every time zone, so a bucket never straddles one.
_BUCKET = 900


class Usage:
    """Points used per person, rule and local window, as the caps count them."""

    def __init__(self) -> None:
        # (person, rule, window index in WINDOWS, window start as epoch seconds) -> points
        self.used: dict[tuple[int, int, int, int], int] = defaultdict(int)
        self._starts: dict[int, tuple[int, int, int]] = {}

    def starts(self, moment: datetime) -> tuple[int, int, int]:
        """The starts of the local day, month and quarter of a moment (epoch seconds)."""
        bucket = int(moment.timestamp()) // _BUCKET
        found = self._starts.get(bucket)
        if found is None:
            windows = calendar.local_windows(moment)
            found = (
                int(windows["day"][0].timestamp()),
                int(windows["month"][0].timestamp()),
                int(windows["quarter"][0].timestamp()),
            )
            self._starts[bucket] = found
        return found

    def add(self, person_id: int, rule_id: int, starts: tuple[int, int, int], points: int) -> None:
        used = self.used
        for index, start in enumerate(starts):
            used[(person_id, rule_id, index, start)] += points

    def caps(
        self,
        person_id: int,
        rule_id: int,
        starts: tuple[int, int, int],
        limits: tuple[int | None, int | None, int | None],
    ) -> list[tuple[str, int, int]]:
        """(window, cap, used) for each cap, as services.points.awards._cap_usage gives them."""
        used = self.used
        return [
            (WINDOWS[index], cap, used.get((person_id, rule_id, index, starts[index]), 0))
            for index, cap in enumerate(limits)
            if cap is not None
        ]


def replay(
    before: list[Replayed],
    awards: list[Replayed],
    caps: dict[int, Caps],
) -> tuple[dict[int, PersonResult], dict[int, tuple[int, int, int, int]]]:
    """The awards (in time order) under each community's caps (by community id), after the
    stored usage `before` (counted under its community's rule): per person their result, per
    community (awards, cost, simulated cost, awards refused or clamped)."""
    usage = Usage()
    for b in before:
        usage.add(b.person_id, caps[b.community_id].rule_id, usage.starts(b.at), b.points)
    versions = {c: (v.rule_id, v.points, (v.day, v.month, v.quarter)) for c, v in caps.items()}
    people: dict[int, PersonResult] = {}
    pools: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for a in awards:
        rule_id, unit, limits = versions[a.community_id]
        starts = usage.starts(a.at)
        if limits == (None, None, None):
            fit = CapFit(a.quantity)
        else:
            found = usage.caps(a.person_id, rule_id, starts, limits)
            fit = fit_caps(found, unit, a.quantity, clamp=a.clamp)
        points = fit.units * unit
        if points:
            usage.add(a.person_id, rule_id, starts, points)
        person = people.get(a.person_id)
        if person is None:
            person = people[a.person_id] = PersonResult(a.person_id, a.community_id)
        person.awards += 1
        person.received += a.points
        person.simulated += points
        pool = pools[a.community_id]
        pool[0] += 1
        pool[1] += a.points
        pool[2] += points
        if fit.bound is not None:
            person.caps_hit.add(CapWindow(fit.bound[0].upper()))
            if fit.units == 0 and not a.clamp:
                person.refused += 1
            else:
                person.clamped += 1
            pool[3] += 1
    return people, {k: (v[0], v[1], v[2], v[3]) for k, v in pools.items()}


# --- reading the inputs ------------------------------------------------------------------


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("Give the window's bounds with a time zone.", field="from")
    if start >= end:
        raise InvalidInput("The window's start comes before its end.", field="from")
    if end > clock.now():
        raise InvalidInput("The window lies in the past: its end is now at the latest.", field="to")
    if end - start > MAX_WINDOW:
        raise InvalidInput(f"At most {MAX_WINDOW.days} days are replayed.", field="to")


def _time(value: object) -> datetime:
    """A timestamp of a db.fetch row (text on SQLite) as an aware datetime."""
    moment = db.timestamp(value)
    assert moment is not None  # COALESCE of created_at, which is never null
    return moment


async def _awards(
    rule_ids: list[int], low: str, high: str, start: datetime, end: datetime
) -> list[Replayed]:
    """The counting awards of the rules in [start, end) of the communities in [low, high), in
    the order their points were earned (then made)."""
    marks = ",".join("?" for _ in rule_ids)
    rows = await db.fetch(
        "SELECT a.id, a.person_id, a.community_id, a.quantity, a.points, a.source_type, "
        "COALESCE(a.earned_at, a.created_at) AS at FROM points_award a "
        f"WHERE a.rule_id IN ({marks}) AND a.status IN (?, ?) "
        "AND a.area_path >= ? AND a.area_path < ? "
        "AND COALESCE(a.earned_at, a.created_at) >= ? AND COALESCE(a.earned_at, a.created_at) < ? "
        "AND (a.transaction_id IS NULL OR NOT EXISTS (SELECT 1 FROM points_transaction r "
        "WHERE r.reverses_id = a.transaction_id)) "
        "ORDER BY COALESCE(a.earned_at, a.created_at), a.id",
        [
            *rule_ids,
            AwardStatus.PENDING.value,
            AwardStatus.APPROVED.value,
            low,
            high,
            start.astimezone(UTC),
            end.astimezone(UTC),
        ],
    )
    return [
        Replayed(
            int(r["id"]),
            int(r["person_id"]),
            int(r["community_id"]),
            int(r["quantity"]),
            int(r["points"]),
            _time(r["at"]),
            r["source_type"] in SERVICE_SOURCES,
        )
        for r in rows
    ]


async def simulate_points_rule(
    *,
    actor: Actor | None,
    under_id: int,
    rule_code: str,
    changes: PointsRuleChanges,
    start: datetime,
    end: datetime,
) -> PointsRuleSimulation:
    """The awards of a rule in a past window replayed under changed points or caps, beside
    what was given (admins of the area: community admins on their community, street and
    district admins above). Writes nothing."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    if not actor.administers(area.path):
        raise Forbidden("Admins of the area try its points rules.", field="under")
    if area.level not in SIMULATED_AREA_LEVELS:
        raise InvalidInput("Give a community, a street or the district.", field="under")
    code = rule_code.strip().upper()
    check_changes(changes)
    _check_window(start, end)
    rules = await PointsRule.filter(code=code)
    if not rules:
        raise NotFound(f"No points rule {code!r}.", field="ruleCode")
    if any(r.points < 0 for r in rules):
        raise InvalidInput(f"{code} is a penalty: only rewards are simulated.", field="ruleCode")
    low, high = subtree_bounds(area.path)
    ids = sorted(r.id for r in rules)
    awards = await _awards(ids, low, high, start, end)
    # The stored usage before `from` in its quarter (the longest window around it) counts
    # in the caps of the windows `from` falls in.
    quarter_start = calendar.local_windows(start)["quarter"][0]
    before = await _awards(ids, low, high, quarter_start, start) if quarter_start < start else []
    community_ids = sorted({a.community_id for a in awards})
    counted = sorted({a.community_id for a in (*awards, *before)})
    areas = {a.id: a for a in await Area.filter(id__in=counted)}
    caps: dict[int, Caps] = {}
    simulated_caps: dict[int, Caps] = {}
    for community_id in counted:
        place = areas[community_id]
        try:
            rule = await rule_for(code, Community(place.id, place.path, place.name))
        except NotFound:  # retired since: the community's last version, else the district's
            rule = max(rules, key=lambda r: (r.area_id == place.id, r.area_id is None, r.id))
        own = Caps(rule.id, rule.points, rule.cap_per_day, rule.cap_per_month, rule.cap_per_quarter)
        caps[community_id] = own
        simulated_caps[community_id] = apply_changes(own, changes)
    people, pools = replay(before, awards, simulated_caps)
    communities: dict[int, CommunityResult] = {}
    for community_id in community_ids:
        n, cost, simulated, _ = pools.get(community_id, (0, 0, 0, 0))
        communities[community_id] = CommunityResult(
            community_id,
            areas[community_id].name,
            caps[community_id],
            simulated_caps[community_id],
            n,
            cost,
            simulated,
        )
    for person in people.values():
        pool = communities[person.community_id]
        pool.people += 1
        pool.capped_people += person.capped
    ordered = sorted(people.values(), key=lambda p: (-abs(p.difference), p.person_id))
    changed = [p for p in ordered if p.difference]
    capped = [p for p in ordered if p.capped]
    # Names of the people listed only (a district's thousands are counted, not listed).
    listed = {p.person_id: p for p in (*changed[:PEOPLE_LIMIT], *capped[:CAPPED_LIMIT])}
    if listed:
        marks = ",".join("?" for _ in listed)
        for r in await db.fetch(f"SELECT id, name FROM person WHERE id IN ({marks})", [*listed]):
            listed[int(r["id"])].name = str(r["name"])
    return PointsRuleSimulation(
        rule_code=code,
        area=area,
        start=start,
        end=end,
        awards=len(awards),
        refused=sum(p.refused for p in people.values()),
        clamped=sum(p.clamped for p in people.values()),
        cost=sum(c.cost for c in communities.values()),
        simulated_cost=sum(c.simulated_cost for c in communities.values()),
        people_count=len(people),
        changed_count=len(changed),
        capped_count=len(capped),
        people=changed[:PEOPLE_LIMIT],
        capped=capped[:CAPPED_LIMIT],
        communities=[communities[c] for c in community_ids][:COMMUNITIES_LIMIT],
        community_count=len(community_ids),
    )
