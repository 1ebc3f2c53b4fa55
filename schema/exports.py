"""GraphQL for report exports (报表导出): `exportData` writes the file and hands back a
short-lived signed download link."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, UserErrors, describe_values
from schema.core.ids import id_field, require_key
from services import exports
from services.enums import ExportFormat, ExportKind
from services.kit.media import link_expiry, signed_url

strawberry.enum(ExportKind, description="What a report export (报表导出) holds.")
strawberry.enum(ExportFormat, description="The file an export is written as.")
describe_values(
    ExportKind,
    {
        "AREAS": "The area tree under the area (the import template's 区域 columns).",
        "HOUSEHOLDS": "Households (家庭) under the area (the import template's columns).",
        "PEOPLE": "People living in the households under the area (the import template's columns).",
        "ROLES": "Role holders in office under the area, duty-card roles among them (the "
        "import template's columns).",
        "PARTNERS": "Partner units (共建单位) of the communities under the area (the import "
        "template's columns).",
        "PARTNER_RESOURCES": "The resource lists (资源清单) of the partner units of the "
        "communities under the area (the import template's columns).",
        "COVERAGE_GAPS": "The gaps behind the coverage figures: unassigned households, "
        "micro-grids without a leader, households no central household looks after (admins).",
        "POINTS_STATEMENT": "Points transactions (积分明细) of the people under the area, or of "
        "one person (`personId`).",
        "LEDGER": "Every ledger entry (积分台账) of the transactions under the area, for audit "
        "(admins of the area only).",
        "RANKINGS": "An evaluation period's results (考评排名) with ranks and red flags "
        "(`period`: a quarter; the latest scored by default).",
        "WORK_ORDER_STATS": "Work-order figures (工单统计) of the area and each area below it "
        "(`period`: a quarter, month or days; this quarter by default).",
    },
)
describe_values(
    ExportFormat,
    {
        "CSV": "Comma-separated, UTF-8 with a byte order mark (Excel opens Chinese correctly).",
        "XLSX": "An Excel workbook with one sheet.",
    },
)


@strawberry.input(description="Export a report under an area as CSV or XLSX.")
class ExportDataInput:
    kind: ExportKind = strawberry.field(description="What to export.")
    under: relay.GlobalID = id_field("Area", description="The area the report covers.")
    format: ExportFormat = strawberry.field(
        default=ExportFormat.XLSX, description="CSV or XLSX (the default)."
    )
    unmasked_phones: bool = strawberry.field(
        default=False,
        description="Full phone numbers (admins of the area only); masked as 138****1234 "
        "otherwise.",
    )
    period: str | None = strawberry.field(
        default=None,
        description="RANKINGS: a quarter (2026Q2). WORK_ORDER_STATS: a quarter, a month "
        "(2026-11) or days (2026-10-01..2026-12-31). Ignored by the other kinds.",
    )
    person_id: relay.GlobalID | None = id_field(
        "Person",
        default=None,
        description="POINTS_STATEMENT of this one person instead of everyone under the area.",
    )


@strawberry.type(description="The export was written; download it from `url` before it expires.")
class ExportDataSuccess:
    url: str = strawberry.field(
        description="A short-lived signed link to the file (GET; no sign-in needed), offering "
        "a Chinese file name such as 家庭_颜山社区_2026-05-13.xlsx."
    )
    filename: str = strawberry.field(description="The file name offered for saving.")
    rows: int = strawberry.field(description="Rows written, the header row aside.")
    expires_at: datetime = strawberry.field(description="When `url` stops working.")


ExportDataResult = Annotated[
    ExportDataSuccess | UserErrors,
    strawberry.union("ExportDataResult", description="The download link or why not."),
]


@strawberry.type
class ExportsMutation:
    @strawberry.mutation(
        description="Write a report (报表导出) under an area as CSV or XLSX and return a "
        "short-lived download link. Scoped like the lists it comes from; the file is written "
        "during the request, streamed (flat memory at any size)."
    )
    async def export_data(
        self, info: Info, input: Annotated[ExportDataInput, MUTATION_INPUT]
    ) -> ExportDataResult:
        person = input.person_id
        result = await exports.export(
            actor=info.context.actor,
            kind=input.kind,
            under=require_key(input.under, "Area", "under"),
            format=input.format,
            options=exports.Options(
                unmasked_phones=input.unmasked_phones,
                period=input.period,
                person_id=None if person is None else require_key(person, "Person", "personId"),
            ),
        )
        url = signed_url(result.path, filename=result.filename)
        expires_at = link_expiry(url)
        assert expires_at is not None  # a link signed_url just made
        return ExportDataSuccess(
            url=url, filename=result.filename, rows=result.rows, expires_at=expires_at
        )
