"""Partner units (共建单位) and their resource lists (资源清单) as imports write them.

A unit is known by its community's code and its name, a resource by its unit and its title.
Cells are checked by the rules of registerUnit and postResource (the same functions: the
unit phone column parses with clean_unit_phone, resources with check_resource), blank
optional cells leave what is stored, and a changed row is updated in place with an audit entry.
An admin imports into the communities under them; the command line is the system.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from services.enums import AreaLevel, ImportKind, PartnerUnitStatus, ResourceStatus
from services.errors import InvalidInput
from services.imports.loading import BATCH, Loader, RowConflict, apply_changes
from services.imports.reading import Row
from services.kit import clock
from services.kit.audit import snapshot
from services.models import PartnerUnit, ResourceArea, ResourceOffer
from services.partners.lists import check_resource, set_quantity

# The person id a row created from the command line records as its author (no person acts).
SYSTEM = 0

# Where the API's field names of a resource land in the file's columns.
RESOURCE_FIELDS = {
    "title": "title",
    "description": "description",
    "unitLabel": "unit_label",
    "quantity": "quantity",
}


@dataclass(frozen=True)
class StoredUnit:
    """What checks need of a stored unit."""

    id: int
    status: PartnerUnitStatus
    community_id: int
    community_path: str


async def _stored_units() -> dict[tuple[int, str], StoredUnit]:
    """Every unit by (community id, name), in one query (a district has hundreds)."""
    return {
        (community_id, name): StoredUnit(id, PartnerUnitStatus(status), community_id, path)
        for id, name, status, community_id, path in await PartnerUnit.all().values_list(
            "id", "name", "status", "community_id", "community_path"
        )
    }


class PartnerLoader(Loader):
    """Partner units by (community code, name). A new unit is APPROVED: an admin's (or the
    system's) import vouches for it as a review would; it has no members until its people are
    added (addPartnerMember). A stored unit keeps its status and members; its kind is set, its
    address, phone and description only from cells that are not blank."""

    kind = ImportKind.PARTNERS

    async def prepare(self) -> None:
        await super().prepare()
        self.units = await _stored_units()
        self.seen: set[tuple[str, str]] = set()

    def check(self, row: Row) -> None:
        v = row.values
        code, name = v["community_code"], v["name"]
        if code is not None and name is not None:
            if (code, name) in self.seen:
                self.error(row, "name", "DUPLICATE", f"{name} appears twice for {code}.")
            self.seen.add((code, name))
        self.area(row, "community_code", AreaLevel.COMMUNITY)

    def changes(self, row: Row) -> dict[str, Any]:
        """What a row may change on a stored unit: the kind, and the optional cells that are
        not blank."""
        v = row.values
        values = {"kind": v["kind"]}
        values.update({n: v[n] for n in ("address", "phone", "description") if v[n] is not None})
        return values

    async def write(self, rows: Sequence[Row], *, dry_run: bool) -> None:
        keys = {(self.areas[r.values["community_code"]].id, r.values["name"]) for r in rows}
        existing = {
            (u.community_id, u.name): u
            for u in await PartnerUnit.filter(
                community_id__in={c for c, _ in keys}, name__in={n for _, n in keys}
            )
        }
        new, changed, audits = [], [], []
        fields: set[str] = set()
        now = clock.now()
        person = self.actor.person_id if self.actor else SYSTEM
        for row in rows:
            v = row.values
            community = self.areas[v["community_code"]]
            unit = existing.get((community.id, v["name"]))
            if unit is None:
                new.append(
                    PartnerUnit(
                        name=v["name"],
                        kind=v["kind"],
                        status=PartnerUnitStatus.APPROVED,
                        community_id=community.id,
                        community_path=community.path,
                        address=v["address"] or "",
                        phone=v["phone"],
                        description=v["description"] or "",
                        registered_by_id=person,
                        reviewed_by_id=self.actor.person_id if self.actor else None,
                        reviewed_at=now,
                        review_reason="批量导入",
                        created_at=now,
                    )
                )
                continue
            before = snapshot(unit)
            values = self.changes(row)
            if apply_changes(unit, values):
                fields.update(values)
                changed.append(unit)
                audits.append((unit, before, unit.community_path))
            else:
                self.counts.unchanged += 1
        self.counts.created += len(new)
        self.counts.updated += len(changed)
        if dry_run:
            return
        if new:
            await PartnerUnit.bulk_create(new, batch_size=BATCH)
        if changed:
            await PartnerUnit.bulk_update(changed, fields=sorted(fields), batch_size=BATCH)
            await self.audit(audits)


@dataclass(frozen=True)
class StoredResource:
    """What checks need of a stored resource entry."""

    id: int
    category: Any
    committed: int


class PartnerResourceLoader(Loader):
    """Resource entries by (unit, title); the unit by its community's code and name, imported
    before (UNKNOWN_PARTNER otherwise) and approved (as postResource asks). A new entry serves
    the unit's community and is OPEN with all of its quantity remaining. A stored entry keeps
    its category (matches and rewards refer to it, as updateResource); a new quantity moves
    the remaining one by the same amount and never below what matches have committed."""

    kind = ImportKind.PARTNER_RESOURCES

    async def prepare(self) -> None:
        await super().prepare()
        self.units = await _stored_units()
        self.resources: dict[tuple[int, str], StoredResource] = {}
        self.ambiguous: set[tuple[int, str]] = set()
        for (
            id,
            unit_id,
            title,
            category,
            quantity,
            remaining,
        ) in await ResourceOffer.all().values_list(
            "id", "unit_id", "title", "category", "quantity", "remaining"
        ):
            if (unit_id, title) in self.resources:
                self.ambiguous.add((unit_id, title))
            self.resources[(unit_id, title)] = StoredResource(id, category, quantity - remaining)
        self.seen: set[tuple[int, str]] = set()

    def unit(self, row: Row) -> StoredUnit | None:
        """The row's stored unit (None when its community or unit has a problem)."""
        community = self.area(row, "community_code", AreaLevel.COMMUNITY)
        name = row.values["unit_name"]
        if community is None or name is None:
            return None
        return self.units.get((community.id, name))

    def check(self, row: Row) -> None:
        v = row.values
        community = self.area(row, "community_code", AreaLevel.COMMUNITY)
        if community is None or v["unit_name"] is None:
            return
        unit = self.units.get((community.id, v["unit_name"]))
        if unit is None:
            self.error(
                row,
                "unit_name",
                "UNKNOWN_PARTNER",
                f"{v['unit_name']} is no partner unit of {v['community_code']}; import it first.",
            )
            return
        if unit.status is not PartnerUnitStatus.APPROVED:
            self.error(
                row, "unit_name", "NOT_APPROVED", "The unit is not approved by its community yet."
            )
        if v["title"] is None or v["quantity"] is None:
            return
        try:
            check_resource(
                title=v["title"],
                description=v["description"],
                unit_label=v["unit_label"],
                quantity=v["quantity"],
            )
        except InvalidInput as error:
            attribute = RESOURCE_FIELDS.get(error.field or "", "title")
            self.error(row, attribute, "BAD_VALUE", error.message)
        key = (unit.id, v["title"])
        if key in self.seen:
            self.error(row, "title", "DUPLICATE", f"{v['title']} appears twice for the unit.")
        self.seen.add(key)
        if key in self.ambiguous:
            self.error(row, "title", "AMBIGUOUS", f"The unit has several entries {v['title']}.")
            return
        stored = self.resources.get(key)
        if stored is None:
            return
        if v["category"] is not None and v["category"] != stored.category:
            self.error(
                row,
                "category",
                "CATEGORY_CHANGED",
                "The category of a resource stays; add a new one.",
            )
        if v["quantity"] < stored.committed:
            self.error(
                row,
                "quantity",
                "BELOW_COMMITTED",
                f"Matches have committed {stored.committed}; the quantity cannot go below it.",
            )

    async def write(self, rows: Sequence[Row], *, dry_run: bool) -> None:
        units = [self.unit(row) for row in rows]
        unit_ids = {u.id for u in units if u is not None}
        existing = {
            (r.unit_id, r.title): r for r in await ResourceOffer.filter(unit_id__in=unit_ids)
        }
        new, changed, audits = [], [], []
        quantities: list[tuple[Row, ResourceOffer]] = []
        fields: set[str] = set()
        now = clock.now()
        person = self.actor.person_id if self.actor else SYSTEM
        for row, unit in zip(rows, units, strict=True):
            assert unit is not None  # checked: every row's unit is stored
            v = row.values
            offer = existing.get((unit.id, v["title"]))
            if offer is None:
                new.append(
                    ResourceOffer(
                        unit_id=unit.id,
                        community_path=unit.community_path,
                        category=v["category"],
                        title=v["title"],
                        description=v["description"] or "",
                        quantity=v["quantity"],
                        unit_label=v["unit_label"],
                        remaining=v["quantity"],
                        status=ResourceStatus.OPEN,
                        created_by_id=person,
                        created_at=now,
                        updated_at=now,
                    )
                )
                continue
            before = snapshot(offer)
            values: dict[str, Any] = {"unit_label": v["unit_label"]}
            if v["description"] is not None:
                values["description"] = v["description"]
            old_quantity = offer.quantity
            if apply_changes(offer, values) or old_quantity != v["quantity"]:
                if old_quantity != v["quantity"]:
                    # As the conditional UPDATE below will leave it (for the audit entry).
                    offer.remaining += v["quantity"] - old_quantity
                    offer.quantity = v["quantity"]
                    quantities.append((row, offer))
                offer.updated_at = now
                fields.update(values)
                changed.append(offer)
                audits.append((offer, before, offer.community_path))
            else:
                self.counts.unchanged += 1
        self.counts.created += len(new)
        self.counts.updated += len(changed)
        if dry_run:
            return
        for row, offer in quantities:
            if not await set_quantity(offer.id, offer.quantity):
                # A match committed more since the checks: the row's problem (run_import).
                raise RowConflict(
                    self.kind,
                    row,
                    "quantity",
                    f"Matches have committed more of {offer.title} than {offer.quantity}.",
                )
        if changed:
            await ResourceOffer.bulk_update(
                changed, fields=sorted({*fields, "updated_at"}), batch_size=BATCH
            )
            await self.audit(audits)
        if new:
            await ResourceOffer.bulk_create(new, batch_size=BATCH)
            await self._serve_communities(unit_ids, {o.id for o in existing.values()})

    async def _serve_communities(self, unit_ids: set[int], old: set[int]) -> None:
        """The served area of each new entry: its unit's community (as postResource when no
        areas are named). Read back: bulk inserts give no ids on SQLite."""
        by_unit = {u.id: u for u in self.units.values() if u.id in unit_ids}
        made = await ResourceOffer.filter(unit_id__in=unit_ids).exclude(id__in=old or {0})
        served = set(
            cast(
                "list[int]",
                await ResourceArea.filter(resource_id__in=[o.id for o in made]).values_list(
                    "resource_id", flat=True
                ),
            )
        )
        await ResourceArea.bulk_create(
            [
                ResourceArea(
                    resource_id=offer.id,
                    area_id=by_unit[offer.unit_id].community_id,
                    area_path=by_unit[offer.unit_id].community_path,
                    area_level=AreaLevel.COMMUNITY,
                    category=offer.category,
                )
                for offer in made
                if offer.id not in served
            ],
            batch_size=BATCH,
        )
