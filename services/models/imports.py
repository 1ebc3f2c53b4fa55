"""Import jobs (批量导入) and the problems found in their rows."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.enums import ImportKind, ImportStatus
from services.kit import clock


class ImportJob(Model):
    """One file brought in: its kind, where it stands, the counts and who ran it.

    `actor_id` is null for the command line (it acts as the system); `scope_path` is the
    subtree the actor may import into ("" for the whole net).
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ImportKind, max_length=32)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.QUEUED)
    dry_run = fields.BooleanField(default=False)
    file_name = fields.CharField(max_length=200, default="")
    rows_total = fields.IntField(default=0)
    rows_done = fields.IntField(default=0)
    created = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    unchanged = fields.IntField(default=0)
    error_count = fields.IntField(default=0)
    actor_id = fields.IntField(null=True)
    scope_path = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(default=clock.now)
    finished_at = fields.DatetimeField(null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    """When the process running it last said it was alive (the sweep of interrupted jobs)."""

    class Meta:
        table = "import_job"
        indexes = (("actor_id", "id"),)


class ImportRowError(Model):
    """A problem in one row of an import file: row number (1 is the header), column header
    (empty when the row as a whole is wrong), a stable code and a message."""

    id = fields.IntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = fields.ForeignKeyField(
        "models.ImportJob", related_name="errors", on_delete=fields.CASCADE
    )
    job_id: int
    row = fields.IntField()
    column = fields.CharField(max_length=50, default="")
    code = fields.CharField(max_length=32)
    message = fields.CharField(max_length=500)

    class Meta:
        table = "import_row_error"
        indexes = (("job_id", "id"),)
