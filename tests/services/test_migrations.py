"""The committed migrations build the schema the models describe, on every backend."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from services.enums import Role
from services.grids import create_district
from services.kit import db as database
from services.models import Person, RoleAssignment
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
