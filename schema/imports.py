"""GraphQL for bulk import (批量导入): `importData` (a file through the multipart request
spec) starts a background job, `importJob` reads it and its problems (polling),
`importJobUpdated` follows it live, `importTemplate` gives a template's URL."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, UserErrors, describe_values
from schema.core.ids import id_argument, require_key
from schema.core.live import deliver
from schema.core.pagination import After, Before, Connection, First, Last, paged
from services import imports
from services.enums import ImportKind, ImportStatus
from services.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from services.models.imports import ImportJob as ImportJobModel
    from services.models.imports import ImportRowError as ImportRowErrorModel

strawberry.enum(ImportKind, description="What an import file (批量导入) holds.")
describe_values(
    ImportKind,
    {
        "AREAS": "Areas (区域): the tree by code and parent code.",
        "HOUSEHOLDS": "Households (家庭) by 户号, in communities and micro-grids by code.",
        "PEOPLE": "People (人员) by phone, in households by 户号.",
        "ROLES": "Role assignments (角色) by phone, role and area code.",
        "PARTNERS": "Partner units (共建单位) by community code and unit name.",
        "PARTNER_RESOURCES": "Partner units' resource lists (资源清单) by unit and title.",
    },
)
strawberry.enum(ImportStatus, description="Where an import job stands.")
describe_values(
    ImportStatus,
    {
        "QUEUED": "Received, not started (the import runs in the background).",
        "RUNNING": "Rows being checked or written.",
        "SUCCEEDED": "Every row was written (all in one transaction).",
        "DRY_RUN_DONE": "Checked and counted only (dryRun): nothing written.",
        "FAILED": "The file had problems (see errors): nothing written.",
    },
)


@strawberry.enum(description="The format of a template file.")
class TemplateFormat(Enum):
    CSV = strawberry.enum_value("csv", description="CSV in UTF-8 (with BOM), header row only.")
    XLSX = strawberry.enum_value("xlsx", description="XLSX with a 说明 sheet per column.")


@strawberry.type(description="A problem in one row of an import file.")
class ImportRowError:
    row: int = strawberry.field(description="Row number in the file (1 is the header).")
    column: str = strawberry.field(description="The column's header (empty: the whole row).")
    code: str = strawberry.field(description="Stable code (REQUIRED, NOT_FOUND, BAD_PHONE...).")
    message: str = strawberry.field(description="What is wrong, for people.")

    @classmethod
    def from_model(cls, e: ImportRowErrorModel) -> ImportRowError:
        return cls(row=e.row, column=e.column, code=e.code, message=e.message)


@strawberry.type(
    description="One import (批量导入) of a file: where it stands, what it did (or, dry, would "
    "do) and its problems. Visible to the admin who ran it."
)
class ImportJob(relay.Node):
    id: relay.NodeID[int]
    kind: ImportKind = strawberry.field(description="What the file holds.")
    status: ImportStatus = strawberry.field(description="Where it stands.")
    dry_run: bool = strawberry.field(description="Checked and counted only, nothing written.")
    file_name: str = strawberry.field(description="The uploaded file's name.")
    rows_total: int = strawberry.field(
        description="Data rows in the file (header excluded). While RUNNING with rowsDone 0: "
        "the rows checked so far (every row is checked before any is written)."
    )
    rows_done: int = strawberry.field(
        description="Data rows written (dryRun: counted) so far, once every row was checked "
        "without a problem; 0 while checking. Equals rowsTotal when the job has finished."
    )
    created: int = strawberry.field(description="Rows that created something (or would).")
    updated: int = strawberry.field(description="Rows that changed a stored one (or would).")
    unchanged: int = strawberry.field(description="Rows equal to what is stored.")
    error_count: int = strawberry.field(description="Problems found (all counted).")
    created_at: datetime = strawberry.field(description="When the file was received.")
    finished_at: datetime | None = strawberry.field(description="When it ended (null: running).")
    model: strawberry.Private[Any]

    @classmethod
    def from_model(cls, job: ImportJobModel) -> ImportJob:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            dry_run=job.dry_run,
            file_name=job.file_name,
            rows_total=job.rows_total,
            rows_done=job.rows_done,
            created=job.created,
            updated=job.updated,
            unchanged=job.unchanged,
            error_count=job.error_count,
            created_at=job.created_at,
            finished_at=job.finished_at,
            model=job,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ImportJob | None]:
        found: list[ImportJob | None] = []
        for node_id in node_ids:
            try:
                job = await imports.get_import_job(actor=info.context.actor, job_id=int(node_id))
            except (DomainError, ValueError):
                found.append(None)
            else:
                found.append(cls.from_model(job))
        return found

    @strawberry.field(description="The problems, in file order (the first 10,000 are kept).")
    async def errors(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ImportRowError]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: imports.import_errors(job=self.model, window=window),
            ImportRowError.from_model,
        )


@strawberry.input(description="A file to import (multipart request spec: `file` is a part).")
class ImportDataInput:
    kind: ImportKind = strawberry.field(description="What the file holds.")
    file: Upload = strawberry.field(description="The CSV (UTF-8 or GB18030) or XLSX file.")
    dry_run: bool = strawberry.field(
        default=False, description="Check and count only; write nothing."
    )


@strawberry.type(description="The file was received; its import runs in the background.")
class ImportDataSuccess:
    job: ImportJob = strawberry.field(
        description="The job, QUEUED: poll `importJob(id)` or follow `importJobUpdated(id)` "
        "until it is SUCCEEDED, DRY_RUN_DONE or FAILED (with its errors)."
    )


ImportDataResult = Annotated[
    ImportDataSuccess | UserErrors,
    strawberry.union("ImportDataResult", description="The import job or why not."),
]


@strawberry.type
class ImportsQuery:
    @strawberry.field(description="An import job you ran (null if none or not yours).")
    async def import_job(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, id_argument("ImportJob", description="The job.")],
    ) -> ImportJob | None:
        found = await ImportJob.resolve_nodes(
            info=info, node_ids=[str(require_key(id, "ImportJob", "id"))]
        )
        return found[0]

    @strawberry.field(
        description="Where to download the template of a kind (GET, no token needed): the "
        "Chinese header row, and for XLSX a 说明 sheet explaining each column."
    )
    def import_template(
        self,
        kind: Annotated[ImportKind, strawberry.argument(description="The kind.")],
        format: Annotated[
            TemplateFormat, strawberry.argument(description="CSV or XLSX.")
        ] = TemplateFormat.XLSX,
    ) -> str:
        return f"/templates/{kind.value.lower()}.{format.value}"


@strawberry.type
class ImportsMutation:
    @strawberry.mutation(
        description="Import a file (批量导入; admins, into the areas they administer): every row "
        "is checked first; any problem or dryRun writes nothing; else all rows are written in "
        "one transaction (upsert by area code, 户号, phone). Runs in the background: the job "
        "is returned QUEUED at once. A job the service was restarted during ends FAILED "
        "(INTERRUPTED, nothing written)."
    )
    async def import_data(
        self, info: Info, input: Annotated[ImportDataInput, MUTATION_INPUT]
    ) -> ImportDataResult:
        # A Starlette UploadFile (api.graphql_multipart): its `file` is spooled to disk.
        upload: Any = input.file
        source = getattr(upload, "file", None)
        if source is None:  # a JSON string instead of a multipart file part
            raise InvalidInput("Send the file as a multipart upload.", field="file")
        job = await imports.import_upload(
            actor=info.context.actor,
            kind=input.kind,
            source=source,
            file_name=str(getattr(upload, "filename", "") or ""),
            dry_run=input.dry_run,
        )
        return ImportDataSuccess(job=ImportJob.from_model(job))


@strawberry.type
class ImportsSubscription:
    @strawberry.subscription(
        description="An import job you ran, as it moves on: first as it is now, then at every "
        "progress save (every 1,000 rows checked, every batch written) and once finished "
        "(SUCCEEDED, DRY_RUN_DONE or FAILED), after which the stream completes. NOT_FOUND if "
        "the job is not yours."
    )
    async def import_job_updated(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, id_argument("ImportJob", description="The job.")],
    ) -> AsyncGenerator[ImportJob, None]:
        await info.context.revalidate()  # the connection may be hours old
        watch = await imports.import_job_watch(
            actor=info.context.actor, job_id=require_key(id, "ImportJob", "id")
        )
        return deliver(info, watch, ImportJob.from_model)
