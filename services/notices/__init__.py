"""Notices (政策传达): published down the net by admins and grid leaders, read by the people in
scope, acknowledged by micro-grid leaders and central households (points through
NOTICE_RELAYED), with acknowledgement coverage per area."""

from services.notices.acknowledgements import (
    RULE_CODE,
    SOURCE_TYPE,
    Acknowledged,
    AreaCoverage,
    CoverageKey,
    NoticeCoverage,
    acknowledge_notice,
    notice_acknowledgements,
    notice_coverage,
    person_metrics,
    quarter_window,
)
from services.notices.publishing import (
    ACKNOWLEDGING_ROLES,
    MAX_BODY,
    MAX_TITLE,
    ROLE_BITS,
    may_publish,
    publish_notice,
    role_mask,
)
from services.notices.reading import (
    Receipt,
    acknowledged_counts,
    get_notice,
    in_scope_of,
    list_notices,
    my_notices,
    notices_by_ids,
    overseen_roots,
    receipts,
    sees,
)

__all__ = [
    "ACKNOWLEDGING_ROLES",
    "MAX_BODY",
    "MAX_TITLE",
    "ROLE_BITS",
    "RULE_CODE",
    "SOURCE_TYPE",
    "Acknowledged",
    "AreaCoverage",
    "CoverageKey",
    "NoticeCoverage",
    "Receipt",
    "acknowledge_notice",
    "acknowledged_counts",
    "get_notice",
    "in_scope_of",
    "list_notices",
    "may_publish",
    "my_notices",
    "notice_acknowledgements",
    "notice_coverage",
    "notices_by_ids",
    "overseen_roots",
    "person_metrics",
    "publish_notice",
    "quarter_window",
    "receipts",
    "role_mask",
    "sees",
]
