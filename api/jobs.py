"""The periodic jobs of the service: expire points lots and unclaimed redemption holds, close
forgotten check-ins of volunteer activities, escalate overdue work orders and auto-confirm
resolved requests, delete export files whose links have expired, fail the import jobs whose
process has gone (no heartbeat for services.imports.background.STALE_AFTER), and sign the
ledger's daily checkpoints (services.points.checkpoints). The server runs
them every JOBS_INTERVAL_SECONDS (api.app), `python -m api run-jobs` once; services.kit.jobs is
the runner.

Each job is idempotent and safe on several instances at once (see services.points.expiry,
services.market.redemptions.expire_holds, services.volunteering.attendance.auto_check_out,
services.workorders.timers), so every worker may run the loop.
"""

from __future__ import annotations

from services import exports, imports, market, points, volunteering, workorders
from services.kit.jobs import Job

JOBS: dict[str, Job] = {
    "expired_points": points.expire_lots,
    "expired_holds": market.expire_holds,
    "auto_checked_out": volunteering.auto_check_out,
    "work_orders_escalated": workorders.escalate_overdue,
    "work_orders_auto_confirmed": workorders.auto_confirm,
    "export_files_deleted": exports.delete_expired_exports,
    "import_jobs_interrupted": imports.fail_interrupted_jobs,
    "ledger_checkpoints": points.daily_checkpoints,
}
