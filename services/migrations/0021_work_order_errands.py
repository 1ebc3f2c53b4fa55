"""Errands (代办): a request a central household or micro-grid leader placed for a household
(`work_order_errand`, one row per such order). A new table only: backward drops it."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import Role
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [("models", "0020_ended_care_links")]

    initial = False

    operations = [
        ops.CreateModel(
            name='WorkOrderErrand',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_order', fields.OneToOneField('models.WorkOrder', source_field='work_order_id', db_constraint=True, to_field='id', related_name='errand', on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='errands', on_delete=OnDelete.RESTRICT)),
                ('placed_by', fields.ForeignKeyField('models.Person', source_field='placed_by_id', db_constraint=True, to_field='id', related_name='placed_errands', on_delete=OnDelete.RESTRICT)),
                ('placed_as', fields.CharEnumField(description='DISTRICT_ADMIN: DISTRICT_ADMIN\nSTREET_ADMIN: STREET_ADMIN\nCOMMUNITY_ADMIN: COMMUNITY_ADMIN\nGRID_LEADER: GRID_LEADER\nMICRO_GRID_LEADER: MICRO_GRID_LEADER\nCENTRAL_HOUSEHOLD: CENTRAL_HOUSEHOLD\nPART_TIME_GRID_MEMBER: PART_TIME_GRID_MEMBER\nVOLUNTEER: VOLUNTEER\nPARTNER_MEMBER: PARTNER_MEMBER\nRESIDENT: RESIDENT', enum_type=Role, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'work_order_errand', 'app': 'models', 'indexes': [Index(fields=['placed_by_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A request placed for a household by someone else (代办): a central household for a'},
            bases=['Model'],
        ),
    ]
