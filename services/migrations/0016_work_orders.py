from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import WorkOrderAction, WorkOrderKind, WorkOrderStatus
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0015_notice_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WorkOrderCategory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.Area', source_field='district_id', db_constraint=True, to_field='id', related_name='work_order_categories', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='RESIDENT_REQUEST: RESIDENT_REQUEST\nPROBLEM_REPORT: PROBLEM_REPORT', enum_type=WorkOrderKind, max_length=20)),
                ('code', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=50)),
                ('accept_within_minutes', fields.IntField()),
                ('resolve_within_hours', fields.IntField()),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'work_order_category', 'app': 'models', 'unique_together': (('district', 'code'),), 'pk_attr': 'id', 'table_description': 'A category of work orders in a district, with its service level: minutes to accept'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkOrder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='RESIDENT_REQUEST: RESIDENT_REQUEST\nPROBLEM_REPORT: PROBLEM_REPORT', enum_type=WorkOrderKind, max_length=20)),
                ('category', fields.ForeignKeyField('models.WorkOrderCategory', source_field='category_id', db_constraint=True, to_field='id', related_name='work_orders', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED', enum_type=WorkOrderStatus, max_length=20)),
                ('description', fields.CharField(max_length=1000)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', null=True, db_constraint=True, to_field='id', related_name='work_orders', on_delete=OnDelete.RESTRICT)),
                ('reporter', fields.ForeignKeyField('models.Person', source_field='reporter_id', db_constraint=True, to_field='id', related_name='reported_work_orders', on_delete=OnDelete.RESTRICT)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', db_constraint=True, to_field='id', related_name='reported_work_orders', on_delete=OnDelete.RESTRICT)),
                ('location', fields.CharField(null=True, max_length=200)),
                ('photo_urls', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('handling_area', fields.ForeignKeyField('models.Area', source_field='handling_area_id', db_constraint=True, to_field='id', related_name='handled_work_orders', on_delete=OnDelete.RESTRICT)),
                ('handling_path', fields.CharField(max_length=255)),
                ('assignee', fields.ForeignKeyField('models.Person', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_work_orders', on_delete=OnDelete.RESTRICT)),
                ('accepted_by', fields.ForeignKeyField('models.Person', source_field='accepted_by_id', null=True, db_constraint=True, to_field='id', related_name='accepted_work_orders', on_delete=OnDelete.RESTRICT)),
                ('confirmed_by', fields.ForeignKeyField('models.Person', source_field='confirmed_by_id', null=True, db_constraint=True, to_field='id', related_name='confirmed_work_orders', on_delete=OnDelete.RESTRICT)),
                ('escalation_level', fields.IntField(default=0)),
                ('sla_breached', fields.BooleanField(default=False)),
                ('accept_due', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolve_due', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('dispatched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('suspended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('suspended_from', fields.CharEnumField(null=True, description='SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED', enum_type=WorkOrderStatus, max_length=20)),
                ('suspended_seconds', fields.IntField(default=0)),
                ('rating', fields.IntField(null=True)),
                ('comment', fields.CharField(null=True, max_length=500)),
                ('rated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'work_order', 'app': 'models', 'indexes': [Index(fields=['handling_path', 'status']), Index(fields=['reporter_id', 'id']), Index(fields=['assignee_id', 'status']), Index(fields=['accepted_by_id', 'status']), Index(fields=['status', 'accept_due']), Index(fields=['status', 'resolve_due']), Index(fields=['status', 'resolved_at']), Index(fields=['submitted_at']), Index(fields=['confirmed_at'])], 'pk_attr': 'id', 'table_description': 'A work order: who placed or reported it, where, the area handling it (the micro-grid'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkOrderEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_order', fields.ForeignKeyField('models.WorkOrder', source_field='work_order_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='SUBMIT: SUBMIT\nDISPATCH: DISPATCH\nACCEPT: ACCEPT\nASSIGN: ASSIGN\nSTART: START\nRESOLVE: RESOLVE\nCONFIRM: CONFIRM\nVERIFY: VERIFY\nAUTO_CONFIRM: AUTO_CONFIRM\nCLOSE: CLOSE\nTRANSFER: TRANSFER\nSUSPEND: SUSPEND\nRESUME: RESUME\nREJECT: REJECT\nESCALATE: ESCALATE\nRATE: RATE', enum_type=WorkOrderAction, max_length=20)),
                ('from_status', fields.CharEnumField(null=True, description='SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED', enum_type=WorkOrderStatus, max_length=20)),
                ('to_status', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED', enum_type=WorkOrderStatus, max_length=20)),
                ('actor', fields.ForeignKeyField('models.Person', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='work_order_events', on_delete=OnDelete.RESTRICT)),
                ('note', fields.CharField(null=True, max_length=500)),
                ('target_area', fields.ForeignKeyField('models.Area', source_field='target_area_id', null=True, db_constraint=True, to_field='id', related_name='work_order_events', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'work_order_event', 'app': 'models', 'indexes': [Index(fields=['work_order_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One step of a work order: the action, the status before and after, who (null: the'},
            bases=['Model'],
        ),
    ]
