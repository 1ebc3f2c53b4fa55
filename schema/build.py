"""The GraphQL schema: queries, mutations and subscriptions merged from one module per domain.

Built where it is served (api.app calls `build_schema(settings)`), not when a module of the
schema package is imported; `default_schema()` is the one built with the default settings,
for the committed SDL and tooling."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition

from schema.accounts import AccountsMutation, AccountsQuery
from schema.audit import AuditQuery
from schema.core.cost import throttle_for
from schema.core.document_limits import alias_limit, depth_limit
from schema.core.errors import EXCEPTION_HANDLERS
from schema.core.fastpath import check_versions, execution_context_class, speed_up
from schema.core.limits import MaskUnexpectedErrors, QueryLimits, unexpected
from schema.core.nodes import NodesQuery
from schema.core.observability import OperationMetrics
from schema.core.scalars import SCALAR_OVERRIDES
from schema.core.throttle import Throttle
from schema.evaluation import EvaluationMutation, EvaluationQuery, WhatIfMutation
from schema.exports import ExportsMutation
from schema.geo.boundaries import BoundariesMutation, BoundariesQuery
from schema.geo.queries import GeoQuery
from schema.grids import GridsMutation, GridsQuery
from schema.household_claims import HouseholdClaimsMutation, HouseholdClaimsQuery
from schema.households import HouseholdsMutation
from schema.imports import ImportsMutation, ImportsQuery, ImportsSubscription
from schema.market import MarketMutation, MarketQuery
from schema.notices import NoticesMutation, NoticesQuery, NoticesSubscription
from schema.partners import PartnersMutation, PartnersQuery
from schema.party import PartyMutation
from schema.people import DutyCard, PeopleMutation, PeopleQuery
from schema.points import (
    CheckpointsMutation,
    CheckpointsQuery,
    PointsEntry,
    PointsMutation,
    PointsQuery,
    PointsSubscription,
    PointsWhatIfMutation,
)
from schema.volunteering import VolunteeringMutation, VolunteeringQuery
from schema.workorders import WorkOrdersMutation, WorkOrdersQuery, WorkOrdersSubscription
from services.kit.settings import Settings, get_settings

logger = logging.getLogger("gridpoints.graphql")

Query = merge_types(
    "Query",
    (
        AccountsQuery,
        NodesQuery,
        GridsQuery,
        GeoQuery,
        BoundariesQuery,
        PeopleQuery,
        HouseholdClaimsQuery,
        PointsQuery,
        CheckpointsQuery,
        MarketQuery,
        EvaluationQuery,
        PartnersQuery,
        VolunteeringQuery,
        NoticesQuery,
        WorkOrdersQuery,
        AuditQuery,
        ImportsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountsMutation,
        GridsMutation,
        BoundariesMutation,
        HouseholdsMutation,
        HouseholdClaimsMutation,
        PeopleMutation,
        PointsMutation,
        MarketMutation,
        EvaluationMutation,
        WhatIfMutation,
        PointsWhatIfMutation,
        CheckpointsMutation,
        ExportsMutation,
        PartnersMutation,
        PartyMutation,
        VolunteeringMutation,
        NoticesMutation,
        WorkOrdersMutation,
        ImportsMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (PointsSubscription, NoticesSubscription, WorkOrdersSubscription, ImportsSubscription),
)
get_object_definition(Query, strict=True).description = (
    "Everything readable: the viewer, the territory, people, duty cards, points rules and "
    "leaderboards, the marketplace, evaluations and red flags, partner units, resource and "
    "need lists, matches and co-building projects, volunteer teams and activities, notices, "
    "work orders and their figures, any node by id."
)
get_object_definition(
    Mutation, strict=True
).description = (
    "Every change: each takes `input` and returns a union of a success type and typed errors."
)
get_object_definition(Subscription, strict=True).description = (
    "Live updates over WebSocket (graphql-transport-ws at /graphql; the access token goes in "
    "the connection_init payload). Who may follow what is checked when subscribing, and "
    "again before each event: a subscription ends with UNAUTHENTICATED once its token has "
    "expired or its session ended (reconnect with a fresh token), and with FORBIDDEN once the "
    "subscriber's roles no longer let them follow it."
)


# graphql-core appends " Did you mean 'a', 'b', or 'c'?" (graphql.pyutils.did_you_mean) to its
# messages about unknown fields, arguments, input fields, enum values and types, in validation
# and in the coercion of variables; the names are GraphQL names, which hold no quote or space.
_NAME = r"'[_A-Za-z][_0-9A-Za-z]*'"
_SUGGESTION = re.compile(rf" Did you mean (?:[a-z ]+ )?{_NAME}(?:,? (?:or )?{_NAME})*\?")


class GridpointsSchema(strawberry.Schema):
    """Logs only unexpected errors (with the request id); expected ones are data."""

    @staticmethod
    def remove_field_suggestion(error: GraphQLError) -> None:
        # Strawberry calls this for every error of every operation (HTTP and WebSocket, before
        # MaskErrors copies them) when `disable_field_suggestions` is set, but removes only the
        # suggestions of unknown fields: with FIELD_SUGGESTIONS off, none may leak.
        error.message = _SUGGESTION.sub("", error.message)

    # Each client's budget over time (schema/core/cost.py); one per schema, so per app and process.
    cost_throttle: Throttle | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        request_id = getattr(getattr(execution_context, "context", None), "request_id", "-")
        for error in errors:
            if not unexpected(error):
                continue
            logger.error(
                "unexpected error in %s (request %s)",
                ".".join(str(p) for p in error.path or []),
                request_id,
                exc_info=error.original_error,
            )


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the configured limits (extensions are passed as factories)."""
    settings = settings or get_settings()
    check_versions(settings)
    # The rule classes are made once, here, so every request validates with the same classes
    # and the validation cache (keyed by them) can hit. They are Strawberry's depth and alias
    # limits, walking each fragment once (schema/core/document_limits.py).
    limit_rules = [depth_limit(settings.max_query_depth), alias_limit(settings.max_aliases)]
    extensions: list[Any] = [
        OperationMetrics,
        # The parse and validation caches, the depth, alias and token limits, subscriptions
        # over WebSocket only, NUL text and the cost limit, in that order (one extension).
        functools.partial(QueryLimits, rules=limit_rules, max_tokens=settings.max_tokens),
        MaskUnexpectedErrors,
    ]
    if not settings.introspection:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    built = GridpointsSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[DutyCard, PointsEntry],
        extensions=extensions,
        exception_handlers=EXCEPTION_HANDLERS,
        execution_context_class=execution_context_class(settings),
        scalar_overrides=SCALAR_OVERRIDES,
        config=StrawberryConfig(disable_field_suggestions=not settings.field_suggestions),
    )
    speed_up(built, settings)
    built.cost_throttle = throttle_for(settings)
    return built


@functools.cache
def default_schema() -> strawberry.Schema:
    """The schema with the default (dev) settings, built once on first use: for the SDL file
    (`python -m schema`) and tooling; the app builds its own from its settings."""
    return build_schema(Settings(environment="dev"))
