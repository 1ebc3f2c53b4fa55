from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import AreaKind, AreaLevel, PartyUnitKind, Role
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Area',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('level', fields.CharEnumField(description='DISTRICT: DISTRICT\nSTREET: STREET\nCOMMUNITY: COMMUNITY\nGRID: GRID\nMICRO_GRID: MICRO_GRID', enum_type=AreaLevel, max_length=16)),
                ('kind', fields.CharEnumField(default=AreaKind.RESIDENTIAL, description='RESIDENTIAL: RESIDENTIAL\nCOMMERCIAL: COMMERCIAL\nSPECIAL: SPECIAL', enum_type=AreaKind, max_length=16)),
                ('parent', fields.ForeignKeyField('models.Area', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(unique=True, max_length=255)),
                ('contact_group_name', fields.CharField(null=True, max_length=100)),
                ('contact_group_link', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'area', 'app': 'models', 'indexes': [Index(fields=['level', 'kind'])], 'pk_attr': 'id', 'table_description': 'One node of the net: a district, street, community, grid or micro-grid (区…微网格).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GridStation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('grid', fields.OneToOneField('models.Area', source_field='grid_id', db_constraint=True, to_field='id', related_name='station', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('address', fields.CharField(max_length=200)),
                ('hours', fields.CharField(max_length=100)),
            ],
            options={'table': 'grid_station', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The grid station (网格驿站) where residents get services on the spot, one per grid.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Household',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('models.Area', source_field='community_id', db_constraint=True, to_field='id', related_name='community_households', on_delete=OnDelete.RESTRICT)),
                ('micro_grid', fields.ForeignKeyField('models.Area', source_field='micro_grid_id', null=True, db_constraint=True, to_field='id', related_name='households', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(db_index=True, max_length=255)),
                ('address', fields.CharField(max_length=200)),
                ('building', fields.CharField(null=True, max_length=20)),
                ('unit', fields.CharField(null=True, max_length=20)),
                ('room', fields.CharField(null=True, max_length=20)),
                ('member_count', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'household', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A household (户): registered in a community, assigned to exactly one micro-grid.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_failure', 'app': 'models', 'indexes': [Index(fields=['key', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A failed sign-in, keyed by account ("account:<name>") and by client ("client:<addr>").'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartyUnit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', db_constraint=True, to_field='id', related_name='party_units', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='COMMUNITY_PARTY_ORGANIZATION: COMMUNITY_PARTY_ORGANIZATION\nGRID_PARTY_BRANCH: GRID_PARTY_BRANCH\nMICRO_GRID_PARTY_GROUP: MICRO_GRID_PARTY_GROUP', enum_type=PartyUnitKind, max_length=40)),
                ('name', fields.CharField(max_length=100)),
                ('secretary_name', fields.CharField(null=True, max_length=50)),
            ],
            options={'table': 'party_unit', 'app': 'models', 'unique_together': (('area', 'kind'),), 'pk_attr': 'id', 'table_description': 'A party unit: community party organisation, grid branch (党支部) or micro-grid group.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Person',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=50)),
                ('phone', fields.CharField(null=True, max_length=20)),
                ('party_member', fields.BooleanField(default=False)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'person', 'app': 'models', 'indexes': [Index(fields=['name'])], 'pk_attr': 'id', 'table_description': 'A person (居民/工作人员) known to the service, with or without a sign-in account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('central', fields.ForeignKeyField('models.Person', source_field='central_id', db_constraint=True, to_field='id', related_name='care_links', on_delete=OnDelete.RESTRICT)),
                ('household', fields.OneToOneField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='care_link', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'care_link', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A household in the care of a central household (中心户), at most one each.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=50)),
                ('password_hash', fields.CharField(max_length=255)),
                ('person', fields.OneToOneField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='account', on_delete=OnDelete.RESTRICT)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'user_account', 'app': 'models', 'pk_attr': 'id', 'table_description': "A person's sign-in: username and argon2 password hash."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoleAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='role_assignments', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharEnumField(description='DISTRICT_ADMIN: DISTRICT_ADMIN\nSTREET_ADMIN: STREET_ADMIN\nCOMMUNITY_ADMIN: COMMUNITY_ADMIN\nGRID_LEADER: GRID_LEADER\nMICRO_GRID_LEADER: MICRO_GRID_LEADER\nCENTRAL_HOUSEHOLD: CENTRAL_HOUSEHOLD\nPART_TIME_GRID_MEMBER: PART_TIME_GRID_MEMBER\nVOLUNTEER: VOLUNTEER\nPARTNER_MEMBER: PARTNER_MEMBER\nRESIDENT: RESIDENT', enum_type=Role, max_length=32)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', null=True, db_constraint=True, to_field='id', related_name='role_assignments', on_delete=OnDelete.RESTRICT)),
                ('area_path', fields.CharField(default='', max_length=255)),
                ('since', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('end_reason', fields.CharField(null=True, max_length=500)),
                ('assigned_by', fields.ForeignKeyField('models.UserAccount', source_field='assigned_by_id', null=True, db_constraint=True, to_field='id', related_name='assigned_roles', on_delete=OnDelete.SET_NULL)),
                ('ended_by', fields.ForeignKeyField('models.UserAccount', source_field='ended_by_id', null=True, db_constraint=True, to_field='id', related_name='ended_roles', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'role_assignment', 'app': 'models', 'indexes': [Index(fields=['area_path', 'role']), Index(fields=['person_id', 'until'])], 'pk_attr': 'id', 'table_description': 'A role held at an area from `since` until `until` (open while null), kept after it ends.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.UserAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoke_reason', fields.CharField(null=True, max_length=50)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One signed-in device: access tokens carry its id, so logout ends them too.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.Session', source_field='session_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A refresh token, stored as a SHA-256 hash and good for one rotation only.'},
            bases=['Model'],
        ),
    ]
