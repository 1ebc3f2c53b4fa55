from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import Role
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_volunteering_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.RESTRICT)),
                ('area_path', fields.CharField(db_index=True, max_length=255)),
                ('title', fields.CharField(max_length=100)),
                ('body', fields.TextField(unique=False)),
                ('roles', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('role_mask', fields.IntField(default=0)),
                ('publisher', fields.ForeignKeyField('models.Person', source_field='publisher_id', db_constraint=True, to_field='id', related_name='published_notices', on_delete=OnDelete.RESTRICT)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recipient_count', fields.IntField(default=0)),
            ],
            options={'table': 'notice', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A notice published to an area and everything under it, maybe to chosen roles only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeAcknowledgement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='acknowledgements', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='notice_acknowledgements', on_delete=OnDelete.RESTRICT)),
                ('area_id', fields.IntField()),
                ('area_path', fields.CharField(max_length=255)),
                ('acknowledged_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('award_id', fields.IntField(null=True)),
            ],
            options={'table': 'notice_acknowledgement', 'app': 'models', 'unique_together': (('notice', 'person'),), 'indexes': [Index(fields=['person_id', 'acknowledged_at']), Index(fields=['notice_id', 'area_path'])], 'pk_attr': 'id', 'table_description': 'A recipient confirmed a notice (and relayed it): once per notice and person (a unique'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRecipient',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='notice_deliveries', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharEnumField(description='DISTRICT_ADMIN: DISTRICT_ADMIN\nSTREET_ADMIN: STREET_ADMIN\nCOMMUNITY_ADMIN: COMMUNITY_ADMIN\nGRID_LEADER: GRID_LEADER\nMICRO_GRID_LEADER: MICRO_GRID_LEADER\nCENTRAL_HOUSEHOLD: CENTRAL_HOUSEHOLD\nPART_TIME_GRID_MEMBER: PART_TIME_GRID_MEMBER\nVOLUNTEER: VOLUNTEER\nPARTNER_MEMBER: PARTNER_MEMBER\nRESIDENT: RESIDENT', enum_type=Role, max_length=32)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', db_constraint=True, to_field='id', related_name='notice_recipients', on_delete=OnDelete.RESTRICT)),
                ('area_path', fields.CharField(max_length=255)),
            ],
            options={'table': 'notice_recipient', 'app': 'models', 'unique_together': (('notice', 'person'),), 'indexes': [Index(fields=['person_id', 'notice_id']), Index(fields=['notice_id', 'area_path'])], 'pk_attr': 'id', 'table_description': 'Someone expected to acknowledge a notice: an open micro-grid leader or central household'},
            bases=['Model'],
        ),
    ]
