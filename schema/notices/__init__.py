"""GraphQL of notices (政策传达): publish, read, acknowledge, coverage."""

# First: registers the services.enums classes this domain's types are annotated with.
import schema.notices.enums  # noqa: F401
from schema.notices.mutations import NoticesMutation
from schema.notices.queries import NoticesQuery
from schema.notices.subscriptions import NoticesSubscription
from schema.notices.types import Notice, NoticeAcknowledgement, NoticeCoverage

__all__ = [
    "Notice",
    "NoticeAcknowledgement",
    "NoticeCoverage",
    "NoticesMutation",
    "NoticesQuery",
    "NoticesSubscription",
]
