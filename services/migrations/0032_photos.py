"""Photos (随手拍): the `photo` table, one row per stored photo, attached to a work order (and
maybe one step of its timeline) or a volunteer activity. A new table only: backward drops it."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0031_map')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Photo',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_order', fields.ForeignKeyField('models.WorkOrder', source_field='work_order_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('work_order_event', fields.ForeignKeyField('models.WorkOrderEvent', source_field='work_order_event_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('activity', fields.ForeignKeyField('models.VolunteerActivity', source_field='activity_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('path', fields.CharField(unique=True, max_length=200)),
                ('thumbnail_path', fields.CharField(max_length=200)),
                ('content_type', fields.CharField(max_length=50)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('bytes', fields.IntField()),
                ('uploaded_by', fields.ForeignKeyField('models.Person', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name='uploaded_photos', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'photo', 'app': 'models', 'indexes': [Index(fields=['work_order_id', 'id']), Index(fields=['work_order_event_id', 'id']), Index(fields=['activity_id', 'id'])], 'pk_attr': 'id', 'table_description': "One photo. Exactly one owner: a work order (and, for a step's photo, that step of its"},
            bases=['Model'],
        ),
    ]
