"""Onboarding and changing the net: household claims (认领家庭), the history of moves of areas
and households (area_move), and notice relays to households (入户/电话/微信群)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import ClaimStatus, MoveSubject, RelayChannel
from services.kit.clock import now
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [("models", "0025_reward_providers_and_claim_kinds")]

    initial = False

    operations = [
        ops.CreateModel(
            name='AreaMove',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharEnumField(description='AREA: AREA\nHOUSEHOLD: HOUSEHOLD', enum_type=MoveSubject, max_length=16)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', null=True, db_constraint=True, to_field='id', related_name='moves', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', null=True, db_constraint=True, to_field='id', related_name='moves', on_delete=OnDelete.CASCADE)),
                ('from_area', fields.ForeignKeyField('models.Area', source_field='from_area_id', db_constraint=True, to_field='id', related_name='moves_out', on_delete=OnDelete.RESTRICT)),
                ('to_area', fields.ForeignKeyField('models.Area', source_field='to_area_id', db_constraint=True, to_field='id', related_name='moves_in', on_delete=OnDelete.RESTRICT)),
                ('from_path', fields.CharField(max_length=255)),
                ('to_path', fields.CharField(max_length=255)),
                ('moved_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('moved_by', fields.ForeignKeyField('models.Person', source_field='moved_by_id', db_constraint=True, to_field='id', related_name='moves_made', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'area_move', 'app': 'models', 'indexes': [Index(fields=['area_id', 'id']), Index(fields=['from_area_id', 'id']), Index(fields=['to_area_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One move of the net (history, never changed): an area moved under another parent with'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HouseholdClaim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='household_claims', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=ClaimStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED', enum_type=ClaimStatus, max_length=16)),
                ('note', fields.CharField(null=True, max_length=500)),
                ('reason', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_by', fields.ForeignKeyField('models.Person', source_field='reviewed_by_id', null=True, db_constraint=True, to_field='id', related_name='reviewed_household_claims', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'household_claim', 'app': 'models', 'indexes': [Index(fields=['person_id', 'status']), Index(fields=['household_id', 'status'])], 'pk_attr': 'id', 'table_description': "A resident's request to join a household (认领家庭): PENDING until an admin of the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRelay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='relays', on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='notice_relays', on_delete=OnDelete.CASCADE)),
                ('household_path', fields.CharField(max_length=255)),
                ('channel', fields.CharEnumField(description='VISIT: VISIT\nPHONE: PHONE\nWECHAT_GROUP: WECHAT_GROUP', enum_type=RelayChannel, max_length=16)),
                ('relayed_by', fields.ForeignKeyField('models.Person', source_field='relayed_by_id', db_constraint=True, to_field='id', related_name='notice_relays', on_delete=OnDelete.RESTRICT)),
                ('relayed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice_relay', 'app': 'models', 'unique_together': (('notice', 'household'),), 'indexes': [Index(fields=['notice_id', 'household_path'])], 'pk_attr': 'id', 'table_description': 'A leader told a household of a notice (入户/电话/微信群): one row per notice and'},
            bases=['Model'],
        ),
    ]
