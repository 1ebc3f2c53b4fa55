"""Boundaries (网格边界) from the admin console: `importBoundaries` (a GeoJSON file through the
multipart request spec) and `boundaryProblems` (the checks of the net, each problem drawable)."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, UserErrors, describe_values
from schema.core.ids import id_argument, require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.geo.types import DATUM_ARGUMENT
from services.enums import Datum
from services.errors import InvalidInput
from services.geo import boundaries
from services.geo.boundaries import FeatureProblemKind, NetProblemKind

strawberry.enum(FeatureProblemKind, description="What is wrong with a feature of a boundary file.")
describe_values(
    FeatureProblemKind,
    {
        "NOT_A_COLLECTION": "The file is not a GeoJSON FeatureCollection.",
        "TOO_LARGE": "Too many features or vertices in the file: split it or simplify.",
        "MISSING_CODE": "The feature has no `properties.code`.",
        "REPEATED_CODE": "An earlier feature has the same code.",
        "INVALID_GEOMETRY": "Not a valid Polygon or MultiPolygon (self-intersection, ...).",
        "OUT_OF_REGION": "Outside the district's region: latitude first, or projected metres?",
        "UNKNOWN_AREA": "No area has this code.",
        "NOT_ADMINISTERED": "The area is outside the subtrees you administer.",
    },
)
strawberry.enum(NetProblemKind, description="What a check of the net (网格边界检查) found.")
describe_values(
    NetProblemKind,
    {
        "INVALID": "A stored boundary is not a valid polygon.",
        "OUTSIDE_PARENT": "A child sticks out of its parent (geometry: the part outside).",
        "OVERLAP": "Two areas of a level overlap (geometry: the overlap).",
        "GAP": "Part of a parent is in none of its children (geometry: the gap).",
        "MISSING": "Areas under a drawn parent or beside drawn siblings have no boundary.",
    },
)


@strawberry.type(description="A problem of one feature of a boundary file.")
class BoundaryFileProblem:
    index: int = strawberry.field(
        description="The feature's position in the file, from 0 (-1: the whole file)."
    )
    area_code: str | None = strawberry.field(
        description="The feature's `properties.code` (null when missing or the whole file)."
    )
    code: FeatureProblemKind = strawberry.field(description="What is wrong, stable.")
    message: str = strawberry.field(description="What is wrong, for people.")

    @classmethod
    def from_value(cls, p: boundaries.FeatureProblem) -> BoundaryFileProblem:
        return cls(index=p.index, area_code=p.code, code=p.kind, message=p.message)


@strawberry.input(
    description="A GeoJSON file of boundaries (multipart request spec: `file` is a part)."
)
class ImportBoundariesInput:
    file: Upload = strawberry.field(
        description="A GeoJSON FeatureCollection (UTF-8), one Polygon or MultiPolygon feature "
        "per area with the area's code in `properties.code`; at most 16 MiB, 50,000 features "
        "and 1,000,000 vertices."
    )
    datum: Datum = strawberry.field(
        default=Datum.WGS84,
        description="The datum of the file's coordinates (GCJ02: drawn on 高德/腾讯 maps); "
        "stored in WGS84.",
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check and report only; write nothing."
    )


@strawberry.type(
    description="The file was checked: written whole when it had no problem (and was not a "
    "dry run), else nothing was written and the problems say why."
)
class ImportBoundariesSuccess:
    features: int = strawberry.field(description="Features in the file.")
    areas_updated: int = strawberry.field(
        description="Areas whose boundary was written (0 on a dry run or with problems)."
    )
    dry_run: bool = strawberry.field(description="Checked only, nothing written.")
    problem_count: int = strawberry.field(description="Problems found (all counted).")
    problems: list[BoundaryFileProblem] = strawberry.field(
        description="The problems in file order (the first 1,000); any one and nothing is written."
    )

    @classmethod
    def from_value(cls, report: boundaries.ImportReport) -> ImportBoundariesSuccess:
        return cls(
            features=report.features,
            areas_updated=report.imported,
            dry_run=report.dry_run,
            problem_count=len(report.problems) + report.more_problems,
            problems=[BoundaryFileProblem.from_value(p) for p in report.problems],
        )


ImportBoundariesResult = Annotated[
    ImportBoundariesSuccess | UserErrors,
    strawberry.union("ImportBoundariesResult", description="The report, or why not."),
]


@strawberry.type(description="A problem of the net that an admin fixes on the map.")
class BoundaryProblem:
    code: NetProblemKind = strawberry.field(description="What was found.")
    areas: list[str] = strawberry.field(
        description="The areas involved, by code (`#<row id>` for an area without one): the "
        "child then its parent for OUTSIDE_PARENT, the two areas for OVERLAP, the parent for "
        "GAP, the areas without a boundary for MISSING."
    )
    message: str = strawberry.field(description="What was found, for people.")
    size: float = strawberry.field(
        description="The area of the offending piece in square degrees (0 for MISSING)."
    )
    value: strawberry.Private[boundaries.NetProblem]

    @strawberry.field(
        description="The offending piece as a GeoJSON geometry in `datum` (the part outside "
        "the parent, the overlap, the gap, the invalid boundary), to draw; null for MISSING."
    )
    def geometry(self, datum: Annotated[Datum, DATUM_ARGUMENT] = Datum.WGS84) -> JSON | None:
        if self.value.geometry is None:
            return None
        return cast("JSON", boundaries.geometry_in(self.value.geometry, datum))

    @classmethod
    def from_value(cls, p: boundaries.NetProblem) -> BoundaryProblem:
        return cls(code=p.kind, areas=list(p.areas), message=p.message, size=p.size, value=p)


@strawberry.type
class BoundariesQuery:
    @strawberry.field(
        description="The checks of the net under an area you administer (网格边界检查): "
        "invalid boundaries, children outside their parent, overlapping areas, gaps and areas "
        "without a boundary, in a stable order; the check runs again for each page. Costs "
        "2,500."
    )
    async def boundary_problems(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="The area to check.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[BoundaryProblem]:
        under_id = require_key(under, "Area", "under")
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: boundaries.boundary_problems(
                actor=info.context.actor, under_id=under_id, window=window
            ),
            BoundaryProblem.from_value,
        )


@strawberry.type
class BoundariesMutation:
    @strawberry.mutation(
        description="Import area boundaries from a GeoJSON file (admins, areas of the subtrees "
        "they administer only): every feature is checked first (a valid polygon, in the "
        "district's region, a known code you administer); any problem or dryRun writes "
        "nothing, else every boundary is written in one transaction and areaAt answers from "
        "them at once. Check the net afterwards with boundaryProblems."
    )
    async def import_boundaries(
        self, info: Info, input: Annotated[ImportBoundariesInput, MUTATION_INPUT]
    ) -> ImportBoundariesResult:
        # A Starlette UploadFile (api.graphql_multipart): its `file` is spooled to disk.
        upload: Any = input.file
        source = getattr(upload, "file", None)
        if source is None:  # a JSON string instead of a multipart file part
            raise InvalidInput("Send the file as a multipart upload.", field="file")
        report = await boundaries.import_boundaries_upload(
            actor=info.context.actor, source=source, datum=input.datum, dry_run=input.dry_run
        )
        return ImportBoundariesSuccess.from_value(report)
