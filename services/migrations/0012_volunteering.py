from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import ActivityStatus, HoursStatus, MembershipStatus, SignUpStatus, TeamKind
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_partner_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActivitySignUp',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity_id', fields.IntField()),
                ('person_id', fields.IntField()),
                ('status', fields.CharEnumField(default=SignUpStatus.SIGNED_UP, description='SIGNED_UP: SIGNED_UP\nCANCELLED: CANCELLED', enum_type=SignUpStatus, max_length=16)),
                ('signed_up_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('added_by_id', fields.IntField(null=True)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_by_id', fields.IntField(null=True)),
                ('checked_out_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_out_by_id', fields.IntField(null=True)),
                ('auto_checked_out', fields.BooleanField(default=False)),
                ('minutes', fields.IntField(null=True)),
                ('hours_status', fields.CharEnumField(null=True, description='PENDING: PENDING\nAPPROVED: APPROVED\nDECLINED: DECLINED', enum_type=HoursStatus, max_length=16)),
                ('hours_reviewed_by_id', fields.IntField(null=True)),
                ('hours_reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decline_reason', fields.CharField(null=True, max_length=500)),
                ('awarded_hours', fields.IntField(null=True)),
                ('award_id', fields.IntField(null=True)),
            ],
            options={'table': 'activity_sign_up', 'app': 'models', 'indexes': [Index(fields=['activity_id', 'status']), Index(fields=['person_id', 'status']), Index(fields=['hours_status', 'checked_in_at'])], 'pk_attr': 'id', 'table_description': 'A person signed up for an activity, their check-in and check-out, and the service'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TeamMembership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.IntField()),
                ('person_id', fields.IntField(db_index=True)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED\nLEFT: LEFT', enum_type=MembershipStatus, max_length=16)),
                ('applied_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reviewed_by_id', fields.IntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_reason', fields.CharField(null=True, max_length=500)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'team_membership', 'app': 'models', 'indexes': [Index(fields=['team_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One application to a team and where it went (PENDING, APPROVED, REJECTED, LEFT). Kept'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VolunteerActivity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('place', fields.CharField(max_length=200)),
                ('area_id', fields.IntField()),
                ('area_path', fields.CharField(max_length=255)),
                ('community_id', fields.IntField()),
                ('team_id', fields.IntField(null=True, db_index=True)),
                ('project_id', fields.IntField(null=True, db_index=True)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('capacity', fields.IntField()),
                ('signed_up', fields.IntField(default=0)),
                ('status', fields.CharEnumField(default=ActivityStatus.OPEN, description='OPEN: OPEN\nCANCELLED: CANCELLED', enum_type=ActivityStatus, max_length=16)),
                ('code_secret', fields.CharField(max_length=64)),
                ('organiser_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancel_reason', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'volunteer_activity', 'app': 'models', 'indexes': [Index(fields=['area_path', 'starts_at']), Index(fields=['starts_at'])], 'pk_attr': 'id', 'table_description': 'A volunteer activity (志愿服务活动) of a team and or a project in an area, with a time'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VolunteerTeam',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='PARTY_MEMBER_SERVICE_TEAM: PARTY_MEMBER_SERVICE_TEAM\nYOUTH_VOLUNTEER_TEAM: YOUTH_VOLUNTEER_TEAM\nELDERLY_CARE_TEAM: ELDERLY_CARE_TEAM\nPROFESSIONAL_SERVICE_TEAM: PROFESSIONAL_SERVICE_TEAM\nGENERAL_VOLUNTEER_TEAM: GENERAL_VOLUNTEER_TEAM', enum_type=TeamKind, max_length=32)),
                ('area_id', fields.IntField()),
                ('area_path', fields.CharField(db_index=True, max_length=255)),
                ('unit_id', fields.IntField(null=True)),
                ('leader_id', fields.IntField()),
                ('description', fields.CharField(default='', max_length=500)),
                ('created_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'volunteer_team', 'app': 'models', 'unique_together': (('area_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A volunteer team with a home area (a community or below), maybe a partner unit, and a'},
            bases=['Model'],
        ),
    ]
