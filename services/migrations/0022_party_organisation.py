"""The party organisation becomes real (issue 15, part 2): units at every level (district
committee and street working committee join the community, grid and micro-grid units),
secretaries and members are people, dissolved units are kept, and party members' individual
reports to the community where they live (个人双报到) are recorded.

- `party_unit` loses its (area, kind) uniqueness for a partial unique index over the active
  units (a dissolved unit stays as history beside its successor); it gains the secretary as a
  person, its creation and dissolution.
- `party_membership` and `party_member_report` are new, with partial unique indexes: one open
  membership per unit and person, and per person and level; one current report per person.
  `party_member_report.community_path` compares in byte order on PostgreSQL (see 0003).
- Free-text secretaries are mapped to people where exactly one party member of that name lives
  or holds an open role under the unit's area; the person becomes the secretary and a member,
  and the text goes. Any other name stays as text (`secretary_name`).
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from services.enums import PartyUnitKind
from services.kit import clock
from services.kit.paths import is_under


class AlterFieldState(ops.AlterField):
    """AlterField for the migration state alone (only the enum's description changes): a plain
    AlterField would rebuild the SQLite table for nothing."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class RemoveConstraintState(ops.RemoveConstraint):
    """RemoveConstraint for the migration state alone: the (area, kind) constraint is inline in
    SQLite's CREATE TABLE (not an index Tortoise could drop), so drop_area_kind_unique does it."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


_UNIQUE = "uid_party_unit_area_id_262579"
# party_unit as 0001 made it, with or without its (area, kind) constraint; SQLite rebuilds the
# table to drop or restore one (nothing refers to party_unit yet at this point).
_TABLE = (
    'CREATE TABLE "party_unit_new" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"kind" VARCHAR(40) NOT NULL, "name" VARCHAR(100) NOT NULL, "secretary_name" VARCHAR(50), '
    '"area_id" INT NOT NULL REFERENCES "area" ("id") ON DELETE RESTRICT{unique})'
)
_COLUMNS = '"id", "kind", "name", "secretary_name", "area_id"'


async def _rebuild(client: Any, unique: str) -> None:
    for statement in (
        _TABLE.format(unique=unique),
        f'INSERT INTO "party_unit_new" ({_COLUMNS}) SELECT {_COLUMNS} FROM "party_unit"',
        'DROP TABLE "party_unit"',
        'ALTER TABLE "party_unit_new" RENAME TO "party_unit"',
    ):
        await client.execute_script(statement)


async def drop_area_kind_unique(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(f'ALTER TABLE "party_unit" DROP CONSTRAINT "{_UNIQUE}"')
    else:
        await _rebuild(client, "")


async def restore_area_kind_unique(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(
            f'ALTER TABLE "party_unit" ADD CONSTRAINT "{_UNIQUE}" UNIQUE ("area_id", "kind")'
        )
    else:
        await _rebuild(client, f', CONSTRAINT "{_UNIQUE}" UNIQUE ("area_id", "kind")')


_INDEXES = (
    "CREATE UNIQUE INDEX party_unit_active ON party_unit (area_id, kind) "
    "WHERE dissolved_at IS NULL",
    "CREATE UNIQUE INDEX party_membership_open ON party_membership (unit_id, person_id) "
    "WHERE left_at IS NULL",
    "CREATE UNIQUE INDEX party_membership_one_a_level ON party_membership (person_id, kind) "
    "WHERE left_at IS NULL",
    "CREATE UNIQUE INDEX party_member_report_current ON party_member_report (person_id) "
    "WHERE ended_at IS NULL",
)


async def _map_secretaries(client: Any) -> list[str]:
    """The statements that turn each free-text secretary matching exactly one party member
    (living or holding an open role under the unit's area) into that person."""
    units = await client.execute_query_dict(
        "SELECT u.id, u.kind, u.secretary_name, a.path FROM party_unit u "
        "JOIN area a ON a.id = u.area_id WHERE u.secretary_name IS NOT NULL ORDER BY u.id"
    )
    if not units:
        return []
    # Names come from the table itself (no parameters: placeholders differ by backend).
    named = "SELECT secretary_name FROM party_unit WHERE secretary_name IS NOT NULL"
    people = await client.execute_query_dict(
        "SELECT p.id, p.name, h.path FROM person p LEFT JOIN household h ON h.id = p.household_id "
        f"WHERE p.party_member AND p.name IN ({named}) "
        "UNION SELECT p.id, p.name, r.area_path FROM person p "
        "JOIN role_assignment r ON r.person_id = p.id AND r.until IS NULL "
        f"WHERE p.party_member AND p.name IN ({named}) AND r.area_path IS NOT NULL"
    )
    moment = clock.now().isoformat()
    statements: list[str] = []
    levels_taken: set[tuple[int, str]] = set()
    for unit in units:
        found = {
            int(p["id"])
            for p in people
            if p["name"] == unit["secretary_name"] and p["path"] and is_under(p["path"], unit["path"])
        }
        if len(found) != 1:
            continue
        (person_id,) = found
        unit_id, kind = int(unit["id"]), str(unit["kind"])
        statements.append(
            f"UPDATE party_unit SET secretary_id = {person_id}, secretary_name = NULL "
            f"WHERE id = {unit_id}"
        )
        if (person_id, kind) not in levels_taken:
            levels_taken.add((person_id, kind))
            statements.append(
                "INSERT INTO party_membership (unit_id, person_id, kind, joined_at) "
                f"VALUES ({unit_id}, {person_id}, '{kind}', '{moment}')"
            )
    return statements


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    statements = list(_INDEXES)
    if client.capabilities.dialect == "postgres":
        statements.append(
            'ALTER TABLE "party_member_report" ALTER COLUMN "community_path" '
            'TYPE VARCHAR(255) COLLATE "C"'
        )
    statements += await _map_secretaries(client)
    for statement in statements:
        await client.execute_script(statement)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo forward: secretaries on record become their names again, the indexes (and the
    collation) go. Dissolved units and their memberships go too: the (area, kind) uniqueness
    restored next cannot hold a dissolved unit beside its successor."""
    client = schema_editor.client
    statements = [
        "UPDATE party_unit SET secretary_name = "
        "(SELECT p.name FROM person p WHERE p.id = party_unit.secretary_id) "
        "WHERE secretary_id IS NOT NULL",
        "DELETE FROM party_membership WHERE unit_id IN "
        "(SELECT id FROM party_unit WHERE dissolved_at IS NOT NULL)",
        "DELETE FROM party_unit WHERE dissolved_at IS NOT NULL",
        *(f"DROP INDEX {statement.split()[3]}" for statement in _INDEXES),
    ]
    if client.capabilities.dialect == "postgres":
        statements.append(
            'ALTER TABLE "party_member_report" ALTER COLUMN "community_path" '
            'TYPE VARCHAR(255) COLLATE "default"'
        )
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0021_work_order_errands")]

    initial = False

    operations = [
        RemoveConstraintState(
            model_name='PartyUnit',
            name=None,
            fields=['area', 'kind'],
        ),
        ops.RunPython(drop_area_kind_unique, restore_area_kind_unique),
        ops.CreateModel(
            name='PartyMemberReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='party_reports', on_delete=OnDelete.RESTRICT)),
                ('community', fields.ForeignKeyField('models.Area', source_field='community_id', db_constraint=True, to_field='id', related_name='party_reports', on_delete=OnDelete.RESTRICT)),
                ('community_path', fields.CharField(max_length=255)),
                ('reported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_by_id', fields.IntField()),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'party_member_report', 'app': 'models', 'indexes': [Index(fields=['community_path', 'ended_at'])], 'pk_attr': 'id', 'table_description': "A party member's individual report (个人双报到) to the community where they live, to"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartyMembership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit', fields.ForeignKeyField('models.PartyUnit', source_field='unit_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.RESTRICT)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='party_memberships', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='DISTRICT_PARTY_COMMITTEE: DISTRICT_PARTY_COMMITTEE\nSTREET_PARTY_WORKING_COMMITTEE: STREET_PARTY_WORKING_COMMITTEE\nCOMMUNITY_PARTY_ORGANIZATION: COMMUNITY_PARTY_ORGANIZATION\nGRID_PARTY_BRANCH: GRID_PARTY_BRANCH\nMICRO_GRID_PARTY_GROUP: MICRO_GRID_PARTY_GROUP', enum_type=PartyUnitKind, max_length=40)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('added_by_id', fields.IntField(null=True)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_by_id', fields.IntField(null=True)),
                ('leave_reason', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'party_membership', 'app': 'models', 'indexes': [Index(fields=['unit_id', 'left_at']), Index(fields=['person_id', 'left_at'])], 'pk_attr': 'id', 'table_description': "A party member's membership of a unit, from `joined_at` until `left_at` (open while"},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='PartyUnit',
            options={'table': 'party_unit', 'app': 'models', 'indexes': [Index(fields=['area_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'A party unit attached to an area of its level: district committee (区委), street working'},
        ),
        AlterFieldState(
            model_name='PartyUnit',
            name='kind',
            field=fields.CharEnumField(description='DISTRICT_PARTY_COMMITTEE: DISTRICT_PARTY_COMMITTEE\nSTREET_PARTY_WORKING_COMMITTEE: STREET_PARTY_WORKING_COMMITTEE\nCOMMUNITY_PARTY_ORGANIZATION: COMMUNITY_PARTY_ORGANIZATION\nGRID_PARTY_BRANCH: GRID_PARTY_BRANCH\nMICRO_GRID_PARTY_GROUP: MICRO_GRID_PARTY_GROUP', enum_type=PartyUnitKind, max_length=40),
        ),
        ops.AddField(
            model_name='PartyUnit',
            name='created_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PartyUnit',
            name='dissolve_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='PartyUnit',
            name='dissolved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PartyUnit',
            name='dissolved_by_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='PartyUnit',
            name='secretary',
            field=fields.ForeignKeyField('models.Person', source_field='secretary_id', null=True, db_constraint=True, to_field='id', related_name='party_units_led', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddIndex(
            model_name='PartyUnit',
            index=Index(fields=['area_id', 'kind']),
        ),
        ops.RunPython(forward, backward),
    ]
