"""Volunteer teams (志愿服务队), their members, activities, sign-ups, attendance and hours.

The *_by_id and person_id columns name people (person ids). `unit_id` (partner units) and
`project_id` (co-building projects) are plain integers: those tables belong to another module.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.enums import (
    ActivityStatus,
    HoursStatus,
    MembershipStatus,
    PointsWithheldReason,
    SignUpStatus,
    TeamKind,
)


class VolunteerTeam(Model):
    """A volunteer team with a home area (a community or below), maybe a partner unit, and a
    leader who is always an approved member."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(TeamKind, max_length=32)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255, db_index=True)
    unit_id = fields.IntField(null=True)
    leader_id = fields.IntField()
    description = fields.CharField(max_length=500, default="")
    created_by_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "volunteer_team"
        unique_together = (("area_id", "name"),)


class TeamMembership(Model):
    """One application to a team and where it went (PENDING, APPROVED, REJECTED, LEFT). Kept
    after it ends: a person applies again with a new row (at most one PENDING or APPROVED)."""

    id = fields.IntField(primary_key=True)
    team_id = fields.IntField()
    person_id = fields.IntField(db_index=True)
    status = fields.CharEnumField(MembershipStatus, max_length=16)
    applied_at = fields.DatetimeField()
    reviewed_by_id = fields.IntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_reason = fields.CharField(max_length=500, null=True)
    left_at = fields.DatetimeField(null=True)

    class Meta:
        table = "team_membership"
        indexes = (("team_id", "status"),)


class VolunteerActivity(Model):
    """A volunteer activity (志愿服务活动) of a team and or a project in an area, with a time
    window, a place and a capacity. `signed_up` counts the active sign-ups and never exceeds
    the capacity (a conditional UPDATE, and a CHECK from migration 0013). `code_secret` keys
    the rotating check-in codes."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    place = fields.CharField(max_length=200)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    community_id = fields.IntField()
    team_id = fields.IntField(null=True, db_index=True)
    project_id = fields.IntField(null=True, db_index=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()
    signed_up = fields.IntField(default=0)
    status = fields.CharEnumField(ActivityStatus, max_length=16, default=ActivityStatus.OPEN)
    code_secret = fields.CharField(max_length=64)
    organiser_id = fields.IntField()
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "volunteer_activity"
        indexes = (("area_path", "starts_at"), ("starts_at",))


class ActivitySignUp(Model):
    """A person signed up for an activity, their check-in and check-out, and the service
    hours that follow: PENDING at check-out, then APPROVED (points awarded once, through the
    VOLUNTEER_HOUR rule) or DECLINED with a reason. Never deleted."""

    id = fields.IntField(primary_key=True)
    activity_id = fields.IntField()
    person_id = fields.IntField()
    status = fields.CharEnumField(SignUpStatus, max_length=16, default=SignUpStatus.SIGNED_UP)
    signed_up_at = fields.DatetimeField()
    # Set when the organiser signed the person up at check-in (a walk-in or a late record).
    added_by_id = fields.IntField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    checked_in_at = fields.DatetimeField(null=True)
    checked_in_by_id = fields.IntField(null=True)
    checked_out_at = fields.DatetimeField(null=True)
    checked_out_by_id = fields.IntField(null=True)
    auto_checked_out = fields.BooleanField(default=False)
    minutes = fields.IntField(null=True)
    hours_status = fields.CharEnumField(HoursStatus, max_length=16, null=True)
    hours_reviewed_by_id = fields.IntField(null=True)
    hours_reviewed_at = fields.DatetimeField(null=True)
    decline_reason = fields.CharField(max_length=500, null=True)
    # Whole hours that earned points (the rule's caps may take fewer than were served).
    awarded_hours = fields.IntField(null=True)
    # Whole approved hours the caps left without points (kept on record, never dropped).
    capped_hours = fields.IntField(null=True)
    # Why approved hours earned no points or fewer (caps, no active rule...); null when every
    # approved hour earned its points, before approval, and for hours approved before 0028.
    points_withheld_reason = fields.CharEnumField(PointsWithheldReason, max_length=16, null=True)
    award_id = fields.IntField(null=True)

    class Meta:
        table = "activity_sign_up"
        indexes = (
            ("activity_id", "status"),
            ("person_id", "status"),
            ("hours_status", "checked_in_at"),
        )
