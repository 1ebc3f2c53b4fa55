"""Bulk import (批量导入) of a district's spreadsheets: areas, households, people, roles,
partner units and their resources."""

from services.imports.runs import get_import_job, import_errors, import_file, new_job, run_import

__all__ = ["get_import_job", "import_errors", "import_file", "new_job", "run_import"]
