"""The committed migrations build the schema the models describe, on every backend."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.migrations.recorder import MigrationRecorder

import services.migrations as migrations_package
from services.enums import Role
from services.grids import create_district
from services.kit import clock
from services.kit import db as database
from services.models import PartyMembership, Person, RoleAssignment
from tests.conftest import Database


async def test_models_and_migrations_do_not_diverge(empty_db: Database) -> None:
    # given a database built from the committed migrations
    # when the autodetector compares the models with the migration history
    pending = await database.pending_model_changes()
    # then there is nothing left to write
    assert pending == [], "run `make migrations` and commit the result"
    assert await database.pending_migrations() == []


async def test_one_open_leader_per_area_is_guarded_by_the_database(empty_db: Database) -> None:
    # given a micro-grid-level area with an open leader inserted behind the services' back
    district = await create_district(name="测试区")
    first = await Person.create(name="甲")
    second = await Person.create(name="乙")
    values = {"role": Role.GRID_LEADER, "area_id": district.id, "area_path": district.path}
    await RoleAssignment.create(person_id=first.id, since=district.created_at, **values)
    # when a second open leader is inserted directly
    # then the partial unique index refuses it
    with pytest.raises(IntegrityError):
        await RoleAssignment.create(person_id=second.id, since=district.created_at, **values)
    # and an ended assignment does not count
    await RoleAssignment.filter(person_id=first.id).update(until=district.created_at)
    await RoleAssignment.create(person_id=second.id, since=district.created_at, **values)


# Migrations that cannot be undone on SQLite (they raise a clear error instead).
IRREVERSIBLE_ON_SQLITE = ("0018_work_order_resolved_by",)
_MIGRATIONS = sorted(path.stem for path in Path(migrations_package.__file__).parent.glob("0*.py"))


async def _schema() -> list[tuple[Any, ...]]:
    """Every object the migrations make, as the database describes it: tables and their
    columns (with their collation on PostgreSQL), indexes, constraints, triggers, functions."""
    client = connections.get("default")
    if database.dialect() == "postgres":
        queries = (
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "collation_name FROM information_schema.columns WHERE table_schema = 'public'",
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal",
            "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
        )
    else:
        # A table by its columns and foreign keys: a table SQLite rebuilt has the same, in
        # other words (its CREATE TABLE text differs).
        queries = (
            "SELECT type, name, tbl_name, CASE WHEN type = 'table' THEN NULL ELSE sql END "
            "FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
            'SELECT m.name AS tbl, c.name AS col, c.type, c."notnull", c.dflt_value, c.pk '
            "FROM sqlite_master m JOIN pragma_table_info(m.name) c "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            'SELECT m.name AS tbl, f."table", f."from", f."to", f.on_update, f.on_delete '
            "FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
    found: list[tuple[Any, ...]] = []
    for query in queries:
        found += sorted(tuple(row.values()) for row in await client.execute_query_dict(query))
    return sorted(found, key=repr)


async def test_every_migration_is_undone_completely(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a database migrated to the head, whose schema is read after each migration is
    # recorded as undone or as applied (once its transaction is over)
    assert await database.pending_migrations() == []
    schemas: dict[tuple[str, str], list[tuple[Any, ...]]] = {}

    def recording(original: Any, step: str) -> Any:
        async def record(recorder: MigrationRecorder, app: str, name: str) -> None:
            await original(recorder, app, name)
            schemas[step, name] = await _schema()

        return record

    monkeypatch.setattr(
        MigrationRecorder,
        "record_unapplied",
        recording(MigrationRecorder.record_unapplied, "undone"),
    )
    monkeypatch.setattr(
        MigrationRecorder, "record_applied", recording(MigrationRecorder.record_applied, "applied")
    )
    head = await _schema()
    # when every migration is undone (on SQLite down to 0018, irreversible there), the last
    # first, then all are applied again
    lowest = _MIGRATIONS.index(IRREVERSIBLE_ON_SQLITE[0]) if empty_db.backend == "sqlite" else -1
    await database.migrate(to=_MIGRATIONS[lowest] if lowest >= 0 else "zero")
    await database.migrate()
    if lowest < 0:
        # then nothing but the migrations' own bookkeeping was left with none applied
        assert all("migration" in repr(item) for item in schemas["undone", _MIGRATIONS[0]])
    # and applying each made exactly what undoing the one after it had left (each backward
    # undid all its forward made: a leftover trigger, check, function, index or collation, or
    # a guard lost when SQLite rebuilt a table, shows here)
    for name, after in itertools.pairwise(_MIGRATIONS[lowest + 1 :]):
        assert schemas["applied", name] == schemas["undone", after], f"undoing {after}"
    assert schemas["applied", _MIGRATIONS[-1]] == head
    assert await database.pending_migrations() == []
    if lowest >= 0:
        # and undoing the irreversible one says so, leaving it applied
        with pytest.raises(NotImplementedError, match="cannot be undone on SQLite"):
            await database.migrate(to="zero")
        later = [f"models.{name}" for name in _MIGRATIONS[lowest + 1 :]]
        assert await database.pending_migrations() == later


async def _insert(table: str, **values: Any) -> int:
    """Insert a row in SQL (as the schema of an earlier migration has it); its id."""
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    rows = await database.fetch(
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", list(values.values())
    )
    return int(rows[0]["id"])


async def test_free_text_secretaries_become_people_where_they_match_one(
    empty_db: Database,
) -> None:
    # given the schema before the party organisation (0020), a district with a community, a
    # party member 张三 living there, two party members named 李四, and units naming
    # 张三, 李四 (two people match) and 王五 (nobody matches) as their secretaries
    await database.migrate(to="0020_ended_care_links")
    # (the rows are written in SQL: today's models have columns that 0020 had not)
    now = clock.now()
    district = await _insert(
        "area", name="测试区", level="DISTRICT", kind="RESIDENTIAL", path="x", created_at=now
    )
    await database.execute("UPDATE area SET path = ? WHERE id = ?", [f"/{district}/", district])
    community_path = f"/{district}/{district + 1}/"
    community = await _insert(
        "area",
        name="测试社区",
        level="COMMUNITY",
        kind="RESIDENTIAL",
        parent_id=district,
        path=community_path,
        created_at=now,
    )
    assert community == district + 1
    home = await _insert(
        "household",
        community_id=community,
        path=community_path,
        address="1号",
        member_count=1,
        created_at=now,
    )
    person = {"party_member": True, "household_id": home, "created_at": now}
    zhang = await _insert("person", name="张三", **person)
    await _insert("person", name="李四", **person)
    await _insert("person", name="李四", **person)
    await _insert("person", name="王五", **person | {"party_member": False})
    for kind, name in (
        ("COMMUNITY_PARTY_ORGANIZATION", "张三"),
        ("DISTRICT_PARTY_COMMITTEE", "李四"),
        ("STREET_PARTY_WORKING_COMMITTEE", "王五"),
    ):
        area_id = community if kind.startswith("COMMUNITY") else district
        await database.execute(
            "INSERT INTO party_unit (area_id, kind, name, secretary_name) VALUES (?, ?, ?, ?)",
            [area_id, kind, f"{name}的党组织", name],
        )
    # when the migrations run on
    await database.migrate()
    # then 张三 is his unit's secretary and member, the text gone
    rows = {
        r["secretary_name"] or r["kind"]: r
        for r in await database.fetch(
            "SELECT id, kind, secretary_id, secretary_name FROM party_unit", []
        )
    }
    mapped = rows["COMMUNITY_PARTY_ORGANIZATION"]
    assert mapped["secretary_id"] == zhang
    assert await PartyMembership.exists(unit_id=mapped["id"], person_id=zhang, left_at=None)
    # and the names that match two people, or nobody who is a party member, stay as text
    assert rows["李四"]["secretary_id"] is None
    assert rows["王五"]["secretary_id"] is None
    assert await PartyMembership.all().count() == 1
