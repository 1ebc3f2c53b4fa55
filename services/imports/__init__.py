"""Bulk import (批量导入) of a district's spreadsheets: areas, households, people, roles,
partner units and their resources."""

from services.imports.background import (
    fail_interrupted_jobs,
    import_job_watch,
    import_upload,
    running_task,
    stop_imports,
)
from services.imports.runs import get_import_job, import_errors, import_file, new_job, run_import

__all__ = [
    "fail_interrupted_jobs",
    "get_import_job",
    "import_errors",
    "import_file",
    "import_job_watch",
    "import_upload",
    "new_job",
    "run_import",
    "running_task",
    "stop_imports",
]
