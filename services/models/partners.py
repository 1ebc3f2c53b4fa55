"""Partner units and dual reporting, sunk-down cadres, resource and need lists, matches and
co-building projects. The *_by_id columns name people (person ids), not accounts."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from services.enums import (
    AreaLevel,
    MatchSide,
    MatchStatus,
    NeedStatus,
    PartnerUnitKind,
    PartnerUnitStatus,
    ProjectRole,
    ProjectStatus,
    ResourceCategory,
    ResourceStatus,
    Urgency,
)


class PartnerUnit(Model):
    """A partner unit (共建单位) reporting to a community (双报到): PENDING until an admin of
    the community approves or rejects it (with a reason)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(PartnerUnitKind, max_length=32)
    status = fields.CharEnumField(PartnerUnitStatus, max_length=16)
    community_id = fields.IntField()
    community_path = fields.CharField(max_length=255)
    address = fields.CharField(max_length=200, default="")
    phone = fields.CharField(max_length=20, null=True)
    description = fields.CharField(max_length=1000, default="")
    registered_by_id = fields.IntField()
    reviewed_by_id = fields.IntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_reason = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "partner_unit"
        unique_together = (("community_id", "name"),)
        indexes = (("community_path", "status"),)


class PartnerMember(Model):
    """A person working for a unit, from joined_at until left_at (open while null). Managers
    edit the lists of the unit. A party member also reports individually to the community
    where they live (home_community_id, recorded when they join)."""

    id = fields.IntField(primary_key=True)
    unit_id = fields.IntField()
    person_id = fields.IntField(db_index=True)
    manager = fields.BooleanField(default=False)
    home_community_id = fields.IntField(null=True)
    added_by_id = fields.IntField(null=True)
    joined_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)

    class Meta:
        table = "partner_member"
        indexes = (("unit_id", "left_at"),)
        # Migration 0011 adds a partial unique index: one open membership per unit and person.


class CadreAssignment(Model):
    """A sunk-down cadre (下沉干部): a unit member assigned to a grid or micro-grid for a period
    of days (starts_on to ends_on, both included) by an admin of that area."""

    id = fields.IntField(primary_key=True)
    unit_id = fields.IntField()
    person_id = fields.IntField(db_index=True)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255, db_index=True)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    duties = fields.CharField(max_length=500, default="")
    assigned_by_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "cadre_assignment"
        indexes = (("unit_id", "starts_on"),)


class CadreService(Model):
    """A service record of a sunk-down cadre: the day, the minutes served and what was done."""

    id = fields.IntField(primary_key=True)
    assignment_id = fields.IntField(db_index=True)
    served_on = fields.DateField()
    minutes = fields.IntField()
    description = fields.CharField(max_length=500)
    recorded_by_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "cadre_service"


class ResourceOffer(Model):
    """An entry of a unit resource list (资源清单): what it gives, how much is left, when, and
    (in resource_area) which areas it serves. Migration 0011 adds a CHECK that the remaining
    quantity stays within 0 and the quantity."""

    id = fields.IntField(primary_key=True)
    unit_id = fields.IntField(db_index=True)
    community_path = fields.CharField(max_length=255, db_index=True)
    category = fields.CharEnumField(ResourceCategory, max_length=16)
    title = fields.CharField(max_length=100)
    description = fields.CharField(max_length=1000, default="")
    quantity = fields.IntField()
    unit_label = fields.CharField(max_length=20)
    remaining = fields.IntField()
    available_from = fields.DatetimeField(null=True)
    available_until = fields.DatetimeField(null=True)
    status = fields.CharEnumField(ResourceStatus, max_length=16)
    created_by_id = fields.IntField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "resource_offer"


class ResourceArea(Model):
    """An area (district, street or community) a resource serves, with the resource category
    copied so that matching finds candidates by one index range."""

    id = fields.IntField(primary_key=True)
    resource_id = fields.IntField()
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    area_level = fields.CharEnumField(AreaLevel, max_length=16)
    category = fields.CharEnumField(ResourceCategory, max_length=16)

    class Meta:
        table = "resource_area"
        unique_together = (("resource_id", "area_id"),)
        indexes = (("area_path", "category", "resource_id"),)


class NeedEntry(Model):
    """An entry of the need list (需求清单) of a community or grid. committed counts what
    accepted matches cover (migration 0011 adds a CHECK: within 0 and the quantity). sources
    cites residents requests (global ids)."""

    id = fields.IntField(primary_key=True)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    community_id = fields.IntField()
    community_path = fields.CharField(max_length=255)
    category = fields.CharEnumField(ResourceCategory, max_length=16)
    title = fields.CharField(max_length=100)
    description = fields.CharField(max_length=1000, default="")
    quantity = fields.IntField()
    unit_label = fields.CharField(max_length=20)
    committed = fields.IntField(default=0)
    urgency = fields.CharEnumField(Urgency, max_length=16)
    deadline = fields.DatetimeField(null=True)
    place = fields.CharField(max_length=200, default="")
    sources: list[Any] = fields.JSONField(default=list)
    status = fields.CharEnumField(NeedStatus, max_length=16)
    project_id = fields.IntField(null=True)
    posted_by_id = fields.IntField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "need_entry"
        indexes = (("category", "status", "area_path"), ("area_path",), ("project_id",))


class ResourceMatch(Model):
    """A match of a need with a resource, proposed by one side and accepted (ACCEPTED: the
    quantities are committed and the project set), declined or withdrawn. quantity is taken
    from the resource remaining, covers is added to the need committed quantity."""

    id = fields.IntField(primary_key=True)
    need_id = fields.IntField(db_index=True)
    resource_id = fields.IntField(db_index=True)
    unit_id = fields.IntField()
    quantity = fields.IntField()
    covers = fields.IntField()
    score = fields.IntField()
    reason = fields.CharField(max_length=500)
    message = fields.CharField(max_length=500, default="")
    status = fields.CharEnumField(MatchStatus, max_length=16)
    proposed_by_side = fields.CharEnumField(MatchSide, max_length=16)
    proposed_by_id = fields.IntField()
    decided_by_id = fields.IntField(null=True)
    decided_at = fields.DatetimeField(null=True)
    decision_reason = fields.CharField(max_length=500, null=True)
    project_id = fields.IntField(null=True, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "resource_match"
        # Migration 0011 adds a partial unique index: one PROPOSED match per need and resource.


class Project(Model):
    """A co-building project (共驻共建项目) of a community: PROPOSED, ACTIVE, then COMPLETED or
    CANCELLED. A claimable service project may be claimed (认领) by a unit of a kind its
    community allows (ProjectClaimSetting)."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    community_path = fields.CharField(max_length=255, db_index=True)
    title = fields.CharField(max_length=100)
    description = fields.CharField(max_length=1000, default="")
    status = fields.CharEnumField(ProjectStatus, max_length=16)
    claimable = fields.BooleanField(default=False)
    claimed_by_unit_id = fields.IntField(null=True)
    claimed_at = fields.DatetimeField(null=True)
    people_served = fields.IntField(default=0)
    created_by_id = fields.IntField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "project"


class ProjectClaimSetting(Model):
    """Which kinds of partner unit may claim (认领) a community's projects, set by its admins.

    A community without a row allows DEFAULT_CLAIM_KINDS (services.partners.projects)."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField(unique=True)
    # PartnerUnitKind values, in the enum's order.
    kinds: list[Any] = fields.JSONField(default=list)
    updated_by_id = fields.IntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "project_claim_setting"


class ProjectUnit(Model):
    """A unit taking part in a project as OWNER, PARTNER or BENEFICIARY."""

    id = fields.IntField(primary_key=True)
    project_id = fields.IntField()
    unit_id = fields.IntField(db_index=True)
    role = fields.CharEnumField(ProjectRole, max_length=16)
    joined_at = fields.DatetimeField()

    class Meta:
        table = "project_unit"
        unique_together = (("project_id", "unit_id"),)


class ProjectMilestone(Model):
    """A milestone of a project with its progress (0 to 100 percent), done when it reaches 100."""

    id = fields.IntField(primary_key=True)
    project_id = fields.IntField(db_index=True)
    title = fields.CharField(max_length=100)
    due_on = fields.DateField(null=True)
    progress = fields.IntField(default=0)
    note = fields.CharField(max_length=500, default="")
    done_at = fields.DatetimeField(null=True)
    created_by_id = fields.IntField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "project_milestone"
