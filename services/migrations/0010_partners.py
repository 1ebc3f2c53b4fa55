from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.enums import AreaLevel, MatchSide, MatchStatus, NeedStatus, PartnerUnitKind, PartnerUnitStatus, ProjectRole, ProjectStatus, ResourceCategory, ResourceStatus, Urgency
from tortoise import fields
from tortoise.indexes import Index
import importlib
from typing import Any


async def nothing(apps: Any, schema_editor: Any) -> None:
    """Nothing to do going forward."""


async def restore_guards(apps: Any, schema_editor: Any) -> None:
    """On SQLite, removing the reward's new columns rebuilds `reward`, and the rebuilt table has
    lost its triggers and 0006's index: put them back (the last step undoing this migration)."""
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    guards = importlib.import_module("services.migrations.0007_points_guards")
    for statement in [*guards.triggers_on("reward"), _REWARD_INDEX]:
        await client.execute_script(statement)


# 0006's index on reward, as Tortoise named it.
_REWARD_INDEX = 'CREATE INDEX "idx_reward_area_pa_bab0c2" ON "reward" ("area_path", "category")'


class Migration(migrations.Migration):
    dependencies = [('models', '0009_evaluation_guards')]

    initial = False

    operations = [
        ops.RunPython(nothing, restore_guards),
        ops.CreateModel(
            name='CadreAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_id', fields.IntField()),
                ('person_id', fields.IntField(db_index=True)),
                ('area_id', fields.IntField()),
                ('area_path', fields.CharField(db_index=True, max_length=255)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('duties', fields.CharField(default='', max_length=500)),
                ('assigned_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cadre_assignment', 'app': 'models', 'indexes': [Index(fields=['unit_id', 'starts_on'])], 'pk_attr': 'id', 'table_description': 'A sunk-down cadre (下沉干部): a unit member assigned to a grid or micro-grid for a period'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CadreService',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('assignment_id', fields.IntField(db_index=True)),
                ('served_on', fields.DateField()),
                ('minutes', fields.IntField()),
                ('description', fields.CharField(max_length=500)),
                ('recorded_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cadre_service', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A service record of a sunk-down cadre: the day, the minutes served and what was done.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NeedEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('area_id', fields.IntField()),
                ('area_path', fields.CharField(max_length=255)),
                ('community_id', fields.IntField()),
                ('community_path', fields.CharField(max_length=255)),
                ('category', fields.CharEnumField(description='VENUE: VENUE\nFUNDS: FUNDS\nEQUIPMENT: EQUIPMENT\nEXPERTISE: EXPERTISE\nVOLUNTEER_HOURS: VOLUNTEER_HOURS\nGOODS: GOODS\nSERVICE: SERVICE', enum_type=ResourceCategory, max_length=16)),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.CharField(default='', max_length=1000)),
                ('quantity', fields.IntField()),
                ('unit_label', fields.CharField(max_length=20)),
                ('committed', fields.IntField(default=0)),
                ('urgency', fields.CharEnumField(description='LOW: LOW\nNORMAL: NORMAL\nHIGH: HIGH\nCRITICAL: CRITICAL', enum_type=Urgency, max_length=16)),
                ('deadline', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('place', fields.CharField(default='', max_length=200)),
                ('sources', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(description='OPEN: OPEN\nFULFILLED: FULFILLED\nCANCELLED: CANCELLED', enum_type=NeedStatus, max_length=16)),
                ('project_id', fields.IntField(null=True)),
                ('posted_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'need_entry', 'app': 'models', 'indexes': [Index(fields=['category', 'status', 'area_path']), Index(fields=['area_path']), Index(fields=['project_id'])], 'pk_attr': 'id', 'table_description': 'An entry of the need list (需求清单) of a community or grid. committed counts what'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_id', fields.IntField()),
                ('person_id', fields.IntField(db_index=True)),
                ('manager', fields.BooleanField(default=False)),
                ('home_community_id', fields.IntField(null=True)),
                ('added_by_id', fields.IntField(null=True)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner_member', 'app': 'models', 'indexes': [Index(fields=['unit_id', 'left_at'])], 'pk_attr': 'id', 'table_description': 'A person working for a unit, from joined_at until left_at (open while null). Managers'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerUnit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='GOVERNMENT_AGENCY: GOVERNMENT_AGENCY\nPUBLIC_INSTITUTION: PUBLIC_INSTITUTION\nENTERPRISE: ENTERPRISE\nSOCIAL_ORGANIZATION: SOCIAL_ORGANIZATION\nPROPERTY_COMPANY: PROPERTY_COMPANY\nMERCHANT: MERCHANT', enum_type=PartnerUnitKind, max_length=32)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED', enum_type=PartnerUnitStatus, max_length=16)),
                ('community_id', fields.IntField()),
                ('community_path', fields.CharField(max_length=255)),
                ('address', fields.CharField(default='', max_length=200)),
                ('phone', fields.CharField(null=True, max_length=20)),
                ('description', fields.CharField(default='', max_length=1000)),
                ('registered_by_id', fields.IntField()),
                ('reviewed_by_id', fields.IntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_reason', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner_unit', 'app': 'models', 'unique_together': (('community_id', 'name'),), 'indexes': [Index(fields=['community_path', 'status'])], 'pk_attr': 'id', 'table_description': 'A partner unit (共建单位) reporting to a community (双报到): PENDING until an admin of'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Project',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('community_path', fields.CharField(db_index=True, max_length=255)),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.CharField(default='', max_length=1000)),
                ('status', fields.CharEnumField(description='PROPOSED: PROPOSED\nACTIVE: ACTIVE\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED', enum_type=ProjectStatus, max_length=16)),
                ('claimable', fields.BooleanField(default=False)),
                ('claimed_by_unit_id', fields.IntField(null=True)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('people_served', fields.IntField(default=0)),
                ('created_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'project', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A co-building project (共驻共建项目) of a community: PROPOSED, ACTIVE, then COMPLETED or'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProjectMilestone',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project_id', fields.IntField(db_index=True)),
                ('title', fields.CharField(max_length=100)),
                ('due_on', fields.DateField(null=True)),
                ('progress', fields.IntField(default=0)),
                ('note', fields.CharField(default='', max_length=500)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'project_milestone', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A milestone of a project with its progress (0 to 100 percent), done when it reaches 100.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProjectUnit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project_id', fields.IntField()),
                ('unit_id', fields.IntField(db_index=True)),
                ('role', fields.CharEnumField(description='OWNER: OWNER\nPARTNER: PARTNER\nBENEFICIARY: BENEFICIARY', enum_type=ProjectRole, max_length=16)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'project_unit', 'app': 'models', 'unique_together': (('project_id', 'unit_id'),), 'pk_attr': 'id', 'table_description': 'A unit taking part in a project as OWNER, PARTNER or BENEFICIARY.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResourceArea',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource_id', fields.IntField()),
                ('area_id', fields.IntField()),
                ('area_path', fields.CharField(max_length=255)),
                ('area_level', fields.CharEnumField(description='DISTRICT: DISTRICT\nSTREET: STREET\nCOMMUNITY: COMMUNITY\nGRID: GRID\nMICRO_GRID: MICRO_GRID', enum_type=AreaLevel, max_length=16)),
                ('category', fields.CharEnumField(description='VENUE: VENUE\nFUNDS: FUNDS\nEQUIPMENT: EQUIPMENT\nEXPERTISE: EXPERTISE\nVOLUNTEER_HOURS: VOLUNTEER_HOURS\nGOODS: GOODS\nSERVICE: SERVICE', enum_type=ResourceCategory, max_length=16)),
            ],
            options={'table': 'resource_area', 'app': 'models', 'unique_together': (('resource_id', 'area_id'),), 'indexes': [Index(fields=['area_path', 'category', 'resource_id'])], 'pk_attr': 'id', 'table_description': 'An area (district, street or community) a resource serves, with the resource category'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResourceMatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('need_id', fields.IntField(db_index=True)),
                ('resource_id', fields.IntField(db_index=True)),
                ('unit_id', fields.IntField()),
                ('quantity', fields.IntField()),
                ('covers', fields.IntField()),
                ('score', fields.IntField()),
                ('reason', fields.CharField(max_length=500)),
                ('message', fields.CharField(default='', max_length=500)),
                ('status', fields.CharEnumField(description='PROPOSED: PROPOSED\nACCEPTED: ACCEPTED\nDECLINED: DECLINED\nWITHDRAWN: WITHDRAWN', enum_type=MatchStatus, max_length=16)),
                ('proposed_by_side', fields.CharEnumField(description='RESOURCE: RESOURCE\nNEED: NEED', enum_type=MatchSide, max_length=16)),
                ('proposed_by_id', fields.IntField()),
                ('decided_by_id', fields.IntField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_reason', fields.CharField(null=True, max_length=500)),
                ('project_id', fields.IntField(null=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'resource_match', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A match of a need with a resource, proposed by one side and accepted (ACCEPTED: the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResourceOffer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_id', fields.IntField(db_index=True)),
                ('community_path', fields.CharField(db_index=True, max_length=255)),
                ('category', fields.CharEnumField(description='VENUE: VENUE\nFUNDS: FUNDS\nEQUIPMENT: EQUIPMENT\nEXPERTISE: EXPERTISE\nVOLUNTEER_HOURS: VOLUNTEER_HOURS\nGOODS: GOODS\nSERVICE: SERVICE', enum_type=ResourceCategory, max_length=16)),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.CharField(default='', max_length=1000)),
                ('quantity', fields.IntField()),
                ('unit_label', fields.CharField(max_length=20)),
                ('remaining', fields.IntField()),
                ('available_from', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('available_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(description='OPEN: OPEN\nWITHDRAWN: WITHDRAWN', enum_type=ResourceStatus, max_length=16)),
                ('created_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'resource_offer', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An entry of a unit resource list (资源清单): what it gives, how much is left, when, and'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Reward',
            name='partner_unit_id',
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name='Reward',
            name='resource_id',
            field=fields.IntField(null=True),
        ),
    ]
