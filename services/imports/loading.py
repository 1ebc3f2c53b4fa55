"""What each kind's rows mean for the database: checks against what is stored (codes exist,
levels nest, scope), and the writes (upsert by the district's own codes).

Every kind has a `Loader`: `check(row)` during the validation pass (no writes), then, once the
whole file is clean, `write(batch)` for batches of rows in one transaction (or only counting
what would change, for a dry run). A batch reads the stored rows it touches in one query,
creates the new ones with one `bulk_create`, and updates only rows that differ, each with an
audit entry holding the fields before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely

from services.enums import AreaKind, AreaLevel, AuditKind, ImportKind, Role
from services.errors import Conflict
from services.geo.boundaries import boundaries_by_area, load_boundary
from services.grids.areas import MAX_CHILDREN
from services.households import reserved_number_problem
from services.imports.columns import COLUMNS, IdCard
from services.imports.reading import Row, RowError
from services.kit import clock, db
from services.kit.audit import snapshot
from services.kit.auth import Actor
from services.kit.paths import is_under
from services.kit.settings import get_settings
from services.models import Area, AuditEntry, Household, Person, RoleAssignment
from services.people.persons import DUTY_CARD_ROLES
from services.people.roles import appointment_problem, role_limit_problem

BATCH = 1000


@dataclass
class Counts:
    """What a file did (or, dry, would do): rows created, updated in place, left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class AreaInfo:
    """What checks need of a stored area."""

    id: int
    path: str
    level: AreaLevel
    kind: AreaKind


def _header(kind: ImportKind, attribute: str) -> str:
    return next(c.header for c in COLUMNS[kind] if c.attribute == attribute)


class Loader:
    """Checks and writes of one kind (see the module's docstring)."""

    kind: ImportKind

    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor
        self.counts = Counts()
        self.areas: dict[str, AreaInfo] = {}

    def error(self, row: Row, attribute: str, code: str, message: str) -> None:
        """Record a problem of `row` in the column of `attribute`."""
        header = _header(self.kind, attribute) if attribute else ""
        row.errors.append(RowError(row.number, header, code, message))

    def in_scope(self, path: str) -> bool:
        """May the actor import into the area at `path`? (The command line may everywhere.)"""
        return self.actor is None or self.actor.administers(path)

    async def load_areas(self) -> None:
        """Every coded area, in one query (a district has thousands, not millions)."""
        rows = await Area.filter(code__isnull=False).values_list(
            "code", "id", "path", "level", "kind"
        )
        self.areas = {
            code: AreaInfo(id, path, AreaLevel(level), AreaKind(kind))
            for code, id, path, level, kind in rows
        }

    def area(self, row: Row, attribute: str, level: AreaLevel) -> AreaInfo | None:
        """The stored area of the code in `attribute`, of `level` and in scope (or an error)."""
        code = row.values.get(attribute)
        if code is None:
            return None
        info = self.areas.get(code)
        if info is None:
            self.error(row, attribute, "NOT_FOUND", f"No area has the code {code}.")
        elif info.level is not level:
            self.error(row, attribute, "WRONG_LEVEL", f"{code} is a {info.level.value}.")
        elif not self.in_scope(info.path):
            self.error(row, attribute, "FORBIDDEN", f"{code} is outside the areas you administer.")
        else:
            return info
        return None

    async def prepare(self) -> None:
        """Read what checks need from the database (once, before the first row)."""
        await self.load_areas()

    def check(self, row: Row) -> None:
        """Add the row's problems against the file so far and the database to `row.errors`."""

    async def refresh(self) -> None:
        """Inside the write transaction, once it holds the import lock: re-read what the
        writes rely on and another import may have changed since the checks (people: the
        stored phones, so that a phone imported meanwhile is updated, not inserted twice)."""

    async def finish_checks(self) -> list[RowError]:
        """Problems found only once every row was seen (areas: parents later in the file)."""
        return []

    async def write(self, rows: Sequence[Row], *, dry_run: bool) -> None:
        """Upsert a batch of checked rows (or only count, dry)."""
        raise NotImplementedError

    async def audit(self, updates: list[tuple[Any, dict[str, Any] | None, str]]) -> None:
        """Audit entries for updated rows: (row, fields before, area path), fields after read
        from the row; only the fields that changed are kept."""
        now = clock.now()
        entries = []
        for subject, before, path in updates:
            after = snapshot(subject) or {}
            keys = [k for k in after if (before or {}).get(k) != after[k]]
            entries.append(
                AuditEntry(
                    kind=AuditKind.IMPORT,
                    action=f"import{self.kind.value.title().replace('_', '')}",
                    area_path=path,
                    subject_type=type(subject).__name__,
                    subject_id=str(subject.pk),
                    actor_account_id=self.actor.account_id if self.actor else None,
                    actor_person_id=self.actor.person_id if self.actor else None,
                    before={k: (before or {}).get(k) for k in keys},
                    after={k: after[k] for k in keys},
                    created_at=now,
                )
            )
        if entries:
            await AuditEntry.bulk_create(entries, batch_size=BATCH)


def _db_now(model: Any) -> Any:
    """The clock's now as `model.created_at` stores it (raw inserts skip the model)."""
    return model._meta.fields_map["created_at"].to_db_value(clock.now(), None)


def apply_changes(model: Any, values: dict[str, Any]) -> bool:
    """Set `values` on `model`; True when any differed."""
    changed = False
    for name, value in values.items():
        if getattr(model, name) != value:
            setattr(model, name, value)
            changed = True
    return changed


@dataclass(frozen=True)
class StoredHousehold:
    """What checks need of a stored household."""

    path: str
    community_id: int
    micro_grid_id: int | None


class HouseholdLoader(Loader):
    """Households (户) by their number: community and micro-grid by code, path from them. A
    blank (or absent) optional cell leaves a stored household's value as it is; a stored
    household is never moved between micro-grids or communities here (moveHouseholds does
    what a move needs: care links, open orders, history)."""

    kind = ImportKind.HOUSEHOLDS
    OPTIONAL = ("building", "unit", "room", "member_count", "longitude", "latitude")

    async def prepare(self) -> None:
        await super().prepare()
        self.stored: dict[str, StoredHousehold] = {
            number: StoredHousehold(path, community_id, micro_grid_id)
            for number, path, community_id, micro_grid_id in await Household.filter(
                number__isnull=False
            ).values_list("number", "path", "community_id", "micro_grid_id")
        }
        self.seen: set[str] = set()
        # Rows with a position, with the micro-grid it must lie in (checked in finish_checks).
        self.placed: list[tuple[Row, int, tuple[float, float]]] = []

    def check(self, row: Row) -> None:
        self._check_position(row)
        number = row.values["number"]
        stored = self.stored.get(number) if number is not None else None
        if number is not None:
            if number in self.seen:
                self.error(row, "number", "DUPLICATE", f"户号 {number} appears twice in the file.")
            self.seen.add(number)
            if stored is not None and not self.in_scope(stored.path):
                self.error(row, "number", "FORBIDDEN", f"户号 {number} is outside your areas.")
                return
            # A stored household keeps its number, default form or not (export → import).
            reserved = None if stored is not None else reserved_number_problem(number)
            if reserved is not None:
                self.error(row, "number", "RESERVED", reserved)
                return
        community = self.area(row, "community_code", AreaLevel.COMMUNITY)
        micro = self.area(row, "micro_grid_code", AreaLevel.MICRO_GRID)
        if community and micro and not is_under(micro.path, community.path):
            self.error(row, "micro_grid_code", "NOT_IN_COMMUNITY", "Not in that community.")
        micro_id = micro.id if micro else (stored.micro_grid_id if stored else None)
        lon, lat = row.values.get("longitude"), row.values.get("latitude")
        if micro_id is not None and lon is not None and lat is not None:
            self.placed.append((row, micro_id, (lon, lat)))
        if stored is None:
            return
        moved = (community is not None and community.id != stored.community_id) or (
            micro is not None and micro.id != stored.micro_grid_id
        )
        if moved:
            self.error(
                row,
                "micro_grid_code" if micro is not None else "community_code",
                "MOVE_NOT_SUPPORTED",
                f"户号 {number} lives elsewhere; use moveHouseholds to move a household.",
            )

    def _check_position(self, row: Row) -> None:
        """经度 and 纬度 come both or neither (a cell that did not parse is reported already)."""
        headers = {_header(self.kind, "longitude"), _header(self.kind, "latitude")}
        if any(e.column in headers for e in row.errors):
            return
        lon, lat = row.values.get("longitude"), row.values.get("latitude")
        if (lon is None) != (lat is None):
            missing = "longitude" if lon is None else "latitude"
            self.error(row, missing, "POSITION_INCOMPLETE", "Give 经度 and 纬度 both, or neither.")

    async def finish_checks(self) -> list[RowError]:
        """Positions outside the boundary of their micro-grid (where it has one)."""
        ids = list(dict.fromkeys(micro_id for _, micro_id, _ in self.placed))
        shapes = {
            area_id: load_boundary(text)
            for area_id, text in zip(ids, await boundaries_by_area(area_ids=ids), strict=True)
            if text is not None
        }
        found: list[RowError] = []
        for row, micro_id, point in self.placed:
            shape = shapes.get(micro_id)
            if shape is not None and not shape.intersects(shapely.Point(*point)):
                already = len(row.errors)
                self.error(
                    row,
                    "longitude",
                    "OUTSIDE_AREA",
                    "The position lies outside the boundary of its micro-grid.",
                )
                found.extend(row.errors[already:])
        return found

    def new_values(self, row: Row) -> dict[str, Any]:
        """The columns of a new household (defaults for blank cells)."""
        v = row.values
        community = self.areas[v["community_code"]]
        micro = self.areas[v["micro_grid_code"]] if v["micro_grid_code"] else None
        return {
            "community_id": community.id,
            "micro_grid_id": micro.id if micro else None,
            "path": micro.path if micro else community.path,
            "address": v["address"],
            "building": v["building"],
            "unit": v["unit"],
            "room": v["room"],
            "member_count": 1 if v["member_count"] is None else v["member_count"],
            "longitude": v["longitude"],
            "latitude": v["latitude"],
        }

    def changes(self, row: Row) -> dict[str, Any]:
        """What a row may change on a stored household: the address, and the optional cells
        that are not blank."""
        v = row.values
        values = {"address": v["address"]}
        values.update({name: v[name] for name in self.OPTIONAL if v[name] is not None})
        return values

    async def write(self, rows: Sequence[Row], *, dry_run: bool) -> None:
        numbers = [row.values["number"] for row in rows]
        existing = {h.number: h for h in await Household.filter(number__in=numbers)}
        new: list[list[Any]] = []
        changed, audits = [], []
        fields: set[str] = set()
        columns: list[str] = []
        now = _db_now(Household)
        for row in rows:
            household = existing.get(row.values["number"])
            if household is None:
                values = self.new_values(row)
                columns = ["number", *values, "created_at"]
                new.append([row.values["number"], *values.values(), now])
                continue
            before = snapshot(household)
            values = self.changes(row)
            if apply_changes(household, values):
                fields.update(values)
                changed.append(household)
                audits.append((household, before, household.path))
            else:
                self.counts.unchanged += 1
        self.counts.created += len(new)
        self.counts.updated += len(changed)
        if dry_run:
            return
        if new:
            await db.insert_many(Household._meta.db_table, columns, new)
        if changed:
            await Household.bulk_update(changed, fields=sorted(fields), batch_size=BATCH)
            await self.audit(audits)


class PersonLoader(Loader):
    """People by their phone: household by its number; the ID card kept as its last four. A
    stored person is changed only if the actor may place them (as the API); a blank (or
    absent) 户号, 是否党员 or 身份证号 leaves a stored person's value as it is."""

    kind = ImportKind.PEOPLE

    async def prepare(self) -> None:
        await super().prepare()
        self.households: dict[str, tuple[int, str]] = {
            number: (id, path)
            for number, id, path in await Household.filter(number__isnull=False).values_list(
                "number", "id", "path"
            )
        }
        # Every stored phone with its person (one query): batches then read the people they
        # touch by primary key (person.phone has no index).
        self.phones: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        for phone, id in await Person.filter(phone__isnull=False).values_list("phone", "id"):
            if phone in self.phones:
                self.ambiguous.add(phone)
            self.phones[phone] = id
        self.places = await _places() if self.actor is not None else {}
        self.seen: set[str] = set()
        self.full_ids = get_settings().store_full_id_numbers

    async def refresh(self) -> None:
        for phone, id in await Person.filter(phone__isnull=False).values_list("phone", "id"):
            self.phones.setdefault(phone, id)

    def check(self, row: Row) -> None:
        phone = row.values["phone"]
        stored = self.phones.get(phone) if phone is not None else None
        if phone is not None:
            if phone in self.seen:
                self.error(row, "phone", "DUPLICATE", f"{phone} appears twice in the file.")
            self.seen.add(phone)
            if phone in self.ambiguous:
                self.error(row, "phone", "AMBIGUOUS", f"Several people have the phone {phone}.")
            elif stored is not None and not _may_place(self.actor, self.places.get(stored)):
                self.error(
                    row, "phone", "FORBIDDEN", "That person is outside the areas you administer."
                )
        number = row.values["household_number"]
        if number is not None:
            household = self.households.get(number)
            if household is None:
                self.error(row, "household_number", "NOT_FOUND", f"No household has 户号 {number}.")
            elif not self.in_scope(household[1]):
                self.error(row, "household_number", "FORBIDDEN", "Outside your areas.")
        elif self.actor is not None and stored is None:
            self.error(row, "household_number", "REQUIRED", "户号 is required (your scope).")

    async def write(self, rows: Sequence[Row], *, dry_run: bool) -> None:
        ids = [self.phones[p] for row in rows if (p := row.values["phone"]) in self.phones]
        existing = {p.phone: p for p in await Person.filter(id__in=ids)} if ids else {}
        paths = {id: path for id, path in self.households.values()}
        new: list[list[Any]] = []
        changed, audits = [], []
        fields = ["name", "household_id", "party_member", "id_card_last4", "id_card_number"]
        now = _db_now(Person)
        for row in rows:
            v = row.values
            number = v["household_number"]
            person = existing.get(v["phone"])
            values: dict[str, Any] = {"name": v["name"]}
            if number is not None:
                values["household_id"] = self.households[number][0]
            if v["party_member"] is not None:
                values["party_member"] = bool(v["party_member"])
            card: IdCard | None = v["id_card"]
            if card is not None:
                values["id_card_last4"] = card.last4
                keep = (
                    person.id_card_number if person and person.id_card_last4 == card.last4 else None
                )
                values["id_card_number"] = (card.full if self.full_ids else None) or keep
            if person is None:
                defaults = {"household_id": None, "party_member": False}
                new.append([v["phone"], now, *(values.get(n, defaults.get(n)) for n in fields)])
                continue
            before = snapshot(person)
            if apply_changes(person, values):
                changed.append(person)
                path = paths.get(person.household_id or 0, "")
                audits.append((person, before, path))
            else:
                self.counts.unchanged += 1
        self.counts.created += len(new)
        self.counts.updated += len(changed)
        if dry_run:
            return
        await db.insert_many(Person._meta.db_table, ["phone", "created_at", *fields], new)
        if changed:
            await Person.bulk_update(changed, fields=fields, batch_size=BATCH)
            await self.audit(audits)


@dataclass(frozen=True)
class Place:
    """Where a stored person is placed: their household (path, micro-grid) and the paths of
    their open roles at areas."""

    household_path: str | None
    micro_grid_id: int | None
    role_paths: tuple[str, ...]


async def _places() -> dict[int, Place]:
    """Every person placed somewhere (a household or an open role at an area), in two queries."""
    places: dict[int, Place] = {}
    rows = await db.fetch(
        "SELECT p.id, h.path, h.micro_grid_id FROM person p JOIN household h"
        " ON h.id = p.household_id",
        [],
    )
    for r in rows:
        places[int(r["id"])] = Place(r["path"], r["micro_grid_id"], ())
    held: dict[int, list[str]] = {}
    for person_id, path in await RoleAssignment.filter(
        until__isnull=True, area_id__isnull=False
    ).values_list("person_id", "area_path"):
        held.setdefault(person_id, []).append(path)
    for person_id, paths in held.items():
        home = places.get(person_id, Place(None, None, ()))
        places[person_id] = Place(home.household_path, home.micro_grid_id, tuple(paths))
    return places


def _may_place(actor: Actor | None, place: Place | None) -> bool:
    """May the actor change or appoint this stored person? As services.people.person_to_place:
    one living in the actor's areas, or one placed nowhere yet; also one whose every role is in
    the actor's areas. The command line (no actor) may."""
    if actor is None or place is None:
        return True
    if place.household_path is not None:
        return actor.administers(place.household_path)
    return all(actor.administers(path) for path in place.role_paths)


class RowConflict(Conflict):
    """A row that the database refuses at write time although it passed the checks (something
    changed meanwhile): the import fails with this row's problem and writes nothing."""

    def __init__(self, kind: ImportKind, row: Row, attribute: str, message: str) -> None:
        super().__init__(message)
        self.row = row.number
        self.column = _header(kind, attribute)


class RoleLoader(Loader):
    """Role assignments (by phone, role and area): an open one equal to the row is unchanged."""

    kind = ImportKind.ROLES

    async def prepare(self) -> None:
        await super().prepare()
        self.people: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        for phone, id in await Person.filter(phone__isnull=False).values_list("phone", "id"):
            if phone in self.people:
                self.ambiguous.add(phone)
            self.people[phone] = id
        self.places = await _places()
        self.leaders: dict[tuple[int, Role], int] = {
            (area_id, Role(role)): person_id
            for area_id, role, person_id in await RoleAssignment.filter(
                until__isnull=True, role__in=[Role.GRID_LEADER, Role.MICRO_GRID_LEADER]
            ).values_list("area_id", "role", "person_id")
        }
        self.seen: set[tuple[str, Role, str | None]] = set()
        # The open assignments, with the day each began in the district's zone: a row equal to
        # one changes nothing, so it passes whoever imports it (an admin's export of the roles
        # under them, their own and their superiors' appointments included, imports back).
        tz = get_settings().tz
        self.held: dict[tuple[int, Role, int | None], dt.date] = {
            (person_id, Role(role), area_id): since.astimezone(tz).date()
            for person_id, role, area_id, since in await RoleAssignment.filter(
                until__isnull=True
            ).values_list("person_id", "role", "area_id", "since")
        }
        # What assignRole's limits count (role_limit_problem), kept up to date as rows of the
        # file appoint more: each person's open roles, each area's open duty-role holders.
        self._count_held(self.held)
        # Whom and where the file appoints (the rows that passed): their rows are locked
        # before the limits are counted again at write time (`refresh`).
        self.appointing: set[int] = set()
        self.duty_areas: set[int] = set()
        self.locked_people: set[int] = set()
        self.locked_areas: set[int] = set()

    def _count_held(self, held: Any) -> None:
        """What assignRole's limits count, from the open assignments (person, role, area)."""
        self.open_roles: dict[int, int] = {}
        self.duty_holders: dict[int, int] = {}
        for person_id, role, area_id in held:
            self.open_roles[person_id] = self.open_roles.get(person_id, 0) + 1
            if area_id is not None and Role(role) in DUTY_CARD_ROLES:
                self.duty_holders[area_id] = self.duty_holders.get(area_id, 0) + 1

    async def refresh(self) -> None:
        # Lock what make_room_for_role locks (the people appointed, then the areas of duty
        # roles; all before any write, in id order, so that neither side waits on the other
        # in a cycle): an assignRole meanwhile waits for this transaction, and the limits
        # counted now hold until it commits. Then count the open assignments again: another
        # import or an assignRole may have appointed since the checks.
        await self._lock(self.appointing, self.duty_areas)
        self._count_held(
            await RoleAssignment.filter(until__isnull=True).values_list(
                "person_id", "role", "area_id"
            )
        )

    async def _lock(self, people: set[int], areas: set[int]) -> None:
        """No-op writes on the rows of people and areas not locked yet (make_room_for_role's)."""
        for person_id in sorted(people - self.locked_people):
            await db.execute("UPDATE person SET name = name WHERE id = ?", [person_id])
            self.locked_people.add(person_id)
        for area_id in sorted(areas - self.locked_areas):
            await db.execute("UPDATE area SET name = name WHERE id = ?", [area_id])
            self.locked_areas.add(area_id)

    def _unchanged(self, person_id: int | None, role: Role, area_id: int, since: Any) -> bool:
        held = self.held.get((person_id or 0, role, area_id))
        return held is not None and (since is None or since == held)

    def check(self, row: Row) -> None:
        v = row.values
        phone, role, code = v["phone"], v["role"], v["area_code"]
        if phone is not None and phone not in self.people:
            self.error(
                row, "phone", "NOT_FOUND", f"Nobody has the phone {phone}; import people first."
            )
        elif phone in self.ambiguous:
            self.error(row, "phone", "AMBIGUOUS", f"Several people have the phone {phone}.")
        if role is None:
            return
        if role is Role.RESIDENT:
            if code is not None:
                self.error(row, "area_code", "NOT_ALLOWED", "A resident's role has no area.")
            return
        if code is None:
            self.error(row, "area_code", "REQUIRED", "This role is held at an area.")
            return
        info = self.areas.get(code)
        if info is None:
            self.error(row, "area_code", "NOT_FOUND", f"No area has the code {code}.")
            return
        person_id = self.people.get(phone or "")
        place = self.places.get(person_id) if person_id is not None else None
        if self._unchanged(person_id, role, info.id, v["since"]):
            problem = None  # as held: nothing is appointed, so nobody's right to appoint is asked
        else:
            problem = appointment_problem(
                self.actor,
                role,
                area_id=info.id,
                area_level=info.level,
                area_path=info.path,
                home_micro_grid_id=place.micro_grid_id if place else None,
            )
        if problem is not None:
            column = {"role": "role", "area": "area_code"}.get(problem.subject, "phone")
            self.error(row, column, problem.code, problem.message)
            return
        if (
            person_id is not None
            and not _may_place(self.actor, place)
            and not self._unchanged(person_id, role, info.id, v["since"])
        ):
            self.error(
                row, "phone", "FORBIDDEN", "That person is outside the areas you administer."
            )
            return
        if role in (Role.GRID_LEADER, Role.MICRO_GRID_LEADER):
            holder = self.leaders.get((info.id, role))
            if holder is not None and holder != self.people.get(phone or ""):
                self.error(row, "role", "CONFLICT", f"{code} already has a leader.")
            self.leaders.setdefault((info.id, role), self.people.get(phone or "", 0))
        key = (phone or "", role, code)
        if key in self.seen:
            self.error(row, "", "DUPLICATE", "The same role appears twice in the file.")
        self.seen.add(key)
        if person_id is not None and not row.errors and (person_id, role, info.id) not in self.held:
            self._count_appointment(row, person_id, role, info.id)

    def _count_appointment(self, row: Row, person_id: int, role: Role, area_id: int) -> None:
        """Refuse the row where assignRole would (role_limit_problem), else count it."""
        limit = role_limit_problem(
            role,
            open_roles=self.open_roles.get(person_id, 0),
            duty_holders=self.duty_holders.get(area_id, 0),
        )
        if limit is not None:
            column = "phone" if limit.subject == "person" else "area_code"
            self.error(row, column, limit.code, limit.message)
            return
        self.open_roles[person_id] = self.open_roles.get(person_id, 0) + 1
        self.appointing.add(person_id)
        if role in DUTY_CARD_ROLES:
            self.duty_holders[area_id] = self.duty_holders.get(area_id, 0) + 1
            self.duty_areas.add(area_id)

    async def _appoint(self, row: Row, person_id: int, role: Role, area_id: int | None) -> None:
        """At write time, under the lock: refuse (RowConflict) an appointment beyond assignRole's
        limits as counted in this transaction, else count it."""
        duty = area_id is not None and role in DUTY_CARD_ROLES
        # Normally locked by `refresh` already; a row that was unchanged at check time and is
        # new now (its role ended meanwhile) is locked here.
        await self._lock({person_id}, {area_id} if duty and area_id is not None else set())
        limit = role_limit_problem(
            role,
            open_roles=self.open_roles.get(person_id, 0),
            duty_holders=self.duty_holders.get(area_id, 0) if area_id is not None else 0,
        )
        if limit is not None:
            column = "phone" if limit.subject == "person" else "area_code"
            raise RowConflict(self.kind, row, column, limit.message)
        self.open_roles[person_id] = self.open_roles.get(person_id, 0) + 1
        if duty and area_id is not None:
            self.duty_holders[area_id] = self.duty_holders.get(area_id, 0) + 1

    async def write(self, rows: Sequence[Row], *, dry_run: bool) -> None:
        person_ids = [self.people[row.values["phone"]] for row in rows]
        existing = {
            (r.person_id, r.role, r.area_id): r
            for r in await RoleAssignment.filter(person_id__in=person_ids, until__isnull=True)
        }
        new, changed, audits = [], [], []
        tz = get_settings().tz
        for row in rows:
            v = row.values
            info = self.areas[v["area_code"]] if v["area_code"] else None
            person_id = self.people[v["phone"]]
            # A date is the start of that day in the district's zone (as exports write it).
            since = dt.datetime.combine(v["since"], dt.time(), tz) if v["since"] else None
            held = existing.get((person_id, v["role"], info.id if info else None))
            if held is None:
                if not dry_run and v["role"] is not Role.RESIDENT:  # as the checks: no limit
                    await self._appoint(row, person_id, v["role"], info.id if info else None)
                new.append(
                    RoleAssignment(
                        person_id=person_id,
                        role=v["role"],
                        area_id=info.id if info else None,
                        area_path=info.path if info else "",
                        since=since or clock.now(),
                        assigned_by_id=self.actor.account_id if self.actor else None,
                    )
                )
            elif since is not None and held.since.astimezone(tz).date() != since.date():
                before = snapshot(held)
                held.since = since
                changed.append(held)
                audits.append((held, before, held.area_path))
            else:
                self.counts.unchanged += 1
        self.counts.created += len(new)
        self.counts.updated += len(changed)
        if dry_run:
            return
        if new:
            await RoleAssignment.bulk_create(new, batch_size=BATCH)
            # Every created role is audited too (read back: bulk inserts give no ids on SQLite).
            for made in await RoleAssignment.filter(
                person_id__in=person_ids, until__isnull=True
            ).exclude(id__in=[r.id for r in existing.values()] or [0]):
                audits.append((made, None, made.area_path))
        if changed:
            await RoleAssignment.bulk_update(changed, fields=["since"], batch_size=BATCH)
        await self.audit(audits)


class AreaLoader(Loader):
    """Areas (the tree) by code, parents by code in the file or the database. A district's
    areas number thousands: the rows are kept until every parent is known, then written top
    down (a new area's path needs its id)."""

    kind = ImportKind.AREAS

    async def prepare(self) -> None:
        await super().prepare()
        self.rows: list[Row] = []
        self.parents: dict[str, str | None] = dict(
            await Area.filter(code__isnull=False).values_list("code", "parent__code")
        )
        self.names: set[tuple[int, str]] = set()
        self.children: dict[int, int] = {}
        self.stored_names: dict[str, str] = {}
        for parent_id, name, code in await Area.filter(parent_id__isnull=False).values_list(
            "parent_id", "name", "code"
        ):
            self.names.add((parent_id, name))
            self.children[parent_id] = self.children.get(parent_id, 0) + 1
            if code is not None:
                self.stored_names[code] = name

    def check(self, row: Row) -> None:
        self.rows.append(row)

    async def finish_checks(self) -> list[RowError]:
        # Only the problems found here (the cells' own were reported row by row).
        known = [len(row.errors) for row in self.rows]
        by_code: dict[str, Row] = {}
        for row in self.rows:
            code = row.values["code"]
            if code is None:
                continue
            if code in by_code:
                self.error(row, "code", "DUPLICATE", f"{code} appears twice in the file.")
            by_code.setdefault(code, row)
        self.by_code = by_code
        sibling_names: set[tuple[str, str]] = set()
        for row in self.rows:
            self._check_area(row, by_code, sibling_names)
        return [e for row, n in zip(self.rows, known, strict=True) for e in row.errors[n:]]

    def _level(self, code: str, by_code: dict[str, Row]) -> AreaLevel | None:
        row = by_code.get(code)
        if row is not None:
            level = row.values["level"]
            return level if isinstance(level, AreaLevel) else None
        info = self.areas.get(code)
        return info.level if info else None

    def _check_area(self, row: Row, by_code: dict[str, Row], names: set[tuple[str, str]]) -> None:
        v = row.values
        code, level, parent_code = v["code"], v["level"], v["parent_code"]
        if code is None or level is None:
            return
        stored = self.areas.get(code)
        if stored is not None and stored.level is not level:
            self.error(row, "level", "LEVEL_CHANGED", f"{code} is a {stored.level.value}.")
        if level is AreaLevel.DISTRICT:
            if parent_code is not None:
                self.error(row, "parent_code", "NOT_ALLOWED", "The district has no parent.")
            elif stored is None and (self.actor is not None or self.areas_have_district()):
                self.error(row, "level", "NOT_ALLOWED", "There is one district.")
            elif stored is not None and not self.in_scope(stored.path):
                self.error(row, "code", "FORBIDDEN", f"{code} is outside the areas you administer.")
            return
        if parent_code is None:
            self.error(row, "parent_code", "REQUIRED", "上级编码 is required below the district.")
            return
        parent_level = self._level(parent_code, by_code)
        if parent_level is None:
            self.error(row, "parent_code", "NOT_FOUND", f"No area has the code {parent_code}.")
            return
        if level.rank != parent_level.rank + 1:
            self.error(
                row,
                "level",
                "WRONG_LEVEL",
                f"A {level.value} cannot sit under a {parent_level.value}.",
            )
        if stored is not None and self.parents.get(code) != parent_code:
            self.error(row, "parent_code", "MOVED", "Moving an area is done with moveArea.")
        if (parent_code, v["name"]) in names:
            self.error(row, "name", "DUPLICATE", "Two areas of one parent share this name.")
        names.add((parent_code, v["name"]))
        parent = self.areas.get(parent_code)
        renamed = stored is None or self.stored_names.get(code) != v["name"]
        if parent is not None and renamed and (parent.id, v["name"]) in self.names:
            self.error(row, "name", "CONFLICT", "Another area of that parent has this name.")
        if parent is not None and stored is None:
            self.children[parent.id] = self.children.get(parent.id, 0) + 1
            if self.children[parent.id] > MAX_CHILDREN:
                self.error(
                    row,
                    "parent_code",
                    "TOO_MANY",
                    f"An area has at most {MAX_CHILDREN} areas directly under it.",
                )
        kind = v["kind"] or AreaKind.RESIDENTIAL
        if level not in (AreaLevel.GRID, AreaLevel.MICRO_GRID) and kind is not AreaKind.RESIDENTIAL:
            self.error(row, "kind", "NOT_ALLOWED", "Only grids can be dedicated (专属) grids.")
        # Scope: the nearest stored ancestor (the parent, or the parent's stored ancestor).
        anchor, seen = parent_code, 0
        while anchor not in self.areas and anchor in by_code and seen < 10:
            anchor, seen = by_code[anchor].values["parent_code"], seen + 1
        info = self.areas.get(anchor or "")
        if info is None:
            if self.actor is not None:
                self.error(row, "parent_code", "FORBIDDEN", "Outside the areas you administer.")
        elif not self.in_scope(stored.path if stored else info.path):
            self.error(row, "parent_code", "FORBIDDEN", "Outside the areas you administer.")

    def areas_have_district(self) -> bool:
        return any(info.level is AreaLevel.DISTRICT for info in self.areas.values())

    async def write(self, rows: Sequence[Row], *, dry_run: bool) -> None:
        codes = [row.values["code"] for row in rows]
        stored = {a.code: a for a in await Area.filter(code__in=codes)}
        audits = []
        for row in sorted(rows, key=lambda r: r.values["level"].rank):
            v = row.values
            parent = self.areas.get(v["parent_code"] or "")
            kind = v["kind"] or AreaKind.RESIDENTIAL
            if v["level"] is AreaLevel.MICRO_GRID and parent is not None:
                kind = parent.kind
            values = {
                "name": v["name"],
                "kind": kind,
                "contact_group_name": v["contact_group_name"],
                "contact_group_link": v["contact_group_link"],
            }
            area = stored.get(v["code"])
            if area is not None:
                # Blank cells leave what is stored; a micro-grid's kind is its grid's.
                changes = {
                    name: value
                    for name, value in values.items()
                    if name == "name" or (name != "kind" and value is not None)
                }
                if v["kind"] is not None and v["level"] is not AreaLevel.MICRO_GRID:
                    changes["kind"] = v["kind"]
                before = snapshot(area)
                if apply_changes(area, changes):
                    self.counts.updated += 1
                    if not dry_run:
                        await area.save(update_fields=list(changes))
                        if "kind" in changes and area.level is AreaLevel.GRID:
                            # As updateArea: a grid's micro-grids take its kind.
                            await Area.filter(parent_id=area.id).update(kind=area.kind)
                    audits.append((area, before, area.path))
                else:
                    self.counts.unchanged += 1
                continue
            self.counts.created += 1
            if dry_run:
                # Children of a new area still find a parent (of the right kind) to count on.
                self.areas[v["code"]] = AreaInfo(0, "", v["level"], kind)
                continue
            area = await Area.create(
                code=v["code"],
                level=v["level"],
                parent_id=parent.id if parent else None,
                path=f"{parent.path if parent else '/'}new-{v['code']}/",
                created_at=clock.now(),
                **values,
            )
            area.path = f"{parent.path if parent else '/'}{area.id}/"
            await area.save(update_fields=["path"])
            self.areas[v["code"]] = AreaInfo(area.id, area.path, area.level, area.kind)
        if not dry_run:
            await self.audit(audits)
