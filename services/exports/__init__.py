"""Report exports (报表导出): households, people, role holders, coverage gaps, points statements,
the ledger, evaluation rankings and work-order figures under an area, as CSV or XLSX files
written a page of rows at a time (flat memory at any size), scoped like the API."""

from __future__ import annotations

from services.exports.kinds import Options, mask_phone
from services.exports.service import (
    ExportResult,
    delete_expired_exports,
    export,
    system_actor,
)

__all__ = [
    "ExportResult",
    "Options",
    "delete_expired_exports",
    "export",
    "mask_phone",
    "system_actor",
]
