"""The fast path, fenced: every short cut through Strawberry's and graphql-core's internals.

Gridpoints answers its commonest requests in a fraction of the time plain Strawberry takes by
leaning on what the two libraries do not promise to keep: private names, the order in which
their methods call each other, the shape of their objects. Each such short cut is listed in
INTERNALS below, with where it lives, what it is for and what it relies on, and was checked
against the versions in CHECKED (the pins of requirements.lock).

The setting FAST_EXECUTION (services.kit.settings, default on) switches every short cut marked
`switched` off at once: the schema is then executed by Strawberry's own execution context with
Strawberry's resolver wrapping, no page of areas is read ahead, every POST takes Strawberry's
view, and WebSocket operations run through Strawberry's own handler (only its public hooks
overridden). The answers, errors and extensions are the same either way: `make test-slow-path`
runs the schema and API tests with it off.

Upgrading Strawberry or graphql-core: set FAST_EXECUTION=false first (the app refuses to start
with it on while the installed versions differ from CHECKED), upgrade, run `make test` and
`make test-slow-path`; then re-check each entry of INTERNALS against the new release's source,
update CHECKED (tests/schema/test_fastpath.py compares it with requirements.lock) and turn the
switch back on.

The entries marked not `switched` are small dependencies on internals that the service needs
for what it answers (not for speed): an upgrade that breaks one of them breaks plain execution
too, and shows in `make test` with FAST_EXECUTION on or off.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from services.kit.settings import Settings

if TYPE_CHECKING:
    import strawberry
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# schema.core.execution (graphql-core's and Strawberry's internals) is imported only when the fast
# path is on, so that with FAST_EXECUTION=false an upgrade that moved those internals still starts.

CHECKED: dict[str, str] = {"strawberry-graphql": "0.341.2", "graphql-core": "3.3.2"}
"""The releases every entry of INTERNALS was read against (as requirements.lock pins them)."""


@dataclass(frozen=True)
class Internal:
    """One short cut: where it is, what it is for, what it relies on, and whether
    FAST_EXECUTION switches it off."""

    where: str
    what_for: str
    relies_on: str
    switched: bool = True


INTERNALS: tuple[Internal, ...] = (
    Internal(
        "schema/core/execution.py: FastLeafExecutionContext",
        "fields without arguments run from a plan made once per selection: plain reads "
        "without path or info, scalars serialized at once, objects and lists of objects "
        "executed at once (most of a page of areas' time)",
        "strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext (subclassed); "
        "graphql-core 3.3's ExecutionContext methods and their signatures: execute_fields, "
        "execute_field, build_resolve_info, handle_field_error, complete_value, "
        "complete_awaitable_value, collect_subfields (a 3-tuple), settle_in_background, "
        "track_async_work, is_awaitable, middleware_manager, async_helpers; field details' "
        "node and defer_usage; GraphQLResolveInfoHelpers, graphql.pyutils.gather_with_cancel "
        "and Path; GraphQLLeafType.coerce_output_value; Strawberry's enum type's wrapped_cls; "
        "the `_is_default` mark of Strawberry's resolver for a field without one, "
        "GraphQLCoreConverter.DEFINITION_BACKREF and StrawberryField.default_resolver",
    ),
    Internal(
        "schema/core/execution.py: streamline_resolvers",
        "simple synchronous resolvers (no arguments, no field extensions, no union result) "
        "called directly instead of through Strawberry's wrapping (~5 us a field)",
        "strawberry.Schema._schema (the graphql-core schema, whose fields' resolve is "
        "replaced); GraphQLCoreConverter.DEFINITION_BACKREF; StrawberryField.base_resolver and "
        "extensions; StrawberryResolver.signature, info_parameter, root_parameter, "
        "self_parameter, parent_parameter, wrapped_func, is_async; Info(_raw_info=, _field=) "
        "as Strawberry builds it (schema.config.info_class)",
    ),
    Internal(
        "schema/core/selection.py: selected_below (Area.read_ahead in schema/grids)",
        "a page of areas reads its coverage and role holders in two queries, when selected, "
        "instead of one loader call per area",
        "strawberry.Info._raw_info (graphql-core's info: field_nodes, fragments)",
    ),
    Internal(
        "api/graphql.py: GraphQLApp._post, _plain_operation",
        "a single operation POSTed as JSON skips the view's request parsing and dispatch",
        "the order in which strawberry.http.async_base_view.AsyncBaseHTTPView.run calls its "
        "hooks (get_root_value, get_sub_response, get_context, execute_operation, "
        "process_result, create_response); its private _handle_errors, "
        "_stream_transport_map and _get_stream_transport_from_headers",
    ),
    Internal(
        "api/graphql.py: TransportWSHandler.run_operation, _send_result_stream",
        "each WebSocket operation revalidates the actor, gets its own context and publishes "
        "its events once it has succeeded; an error that ends a subscription's stream is "
        "sent as `error` (the plain handler, PlainTransportWSHandler, does the same through "
        "public hooks only: a schema whose stream wraps the operation, and send_message)",
        "strawberry.subscriptions.protocols.graphql_transport_ws.handlers: run_operation "
        "(copied from 0.341), the private _OperationStreamClosed, _send_result_stream, "
        "_handle_pre_execution_error and _reject_incremental_delivery",
    ),
    Internal(
        "schema/core/validation.py: DocumentValidationCache, validate_cached",
        "validation results kept per parsed document (by identity, not by hashing the tree)",
        "strawberry.schema.schema.validate_document (Strawberry's rules added to graphql-core's "
        "validate); strawberry.Schema._schema; ParserCache().cached_parse_document, the "
        "module-wide parse cache, also in api/graphql.py",
        switched=False,
    ),
    Internal(
        "schema/core/cost.py, schema/core/ids.py",
        "the cost of an operation and the types of the global ids in it, before execution",
        "strawberry.Schema._schema; GraphQLCoreConverter.DEFINITION_BACKREF (an argument's "
        "Strawberry definition and its metadata)",
        switched=False,
    ),
    Internal(
        "schema/core/nodes.py: _ReusableNodeExtension",
        "Strawberry's `node`/`nodes` extension applied to both schemas the process builds",
        "strawberry.relay.fields.NodeExtension (apply, resolve, resolve_async)",
        switched=False,
    ),
    Internal(
        "schema/core/scalars.py",
        "one rule for Date and DateTime inputs",
        "strawberry.schema.types.base_scalars.DateDefinition and DateTimeDefinition",
        switched=False,
    ),
)


def version_mismatches() -> dict[str, tuple[str, str]]:
    """Each checked package whose installed version is not the one checked:
    name -> (checked, installed)."""
    found: dict[str, tuple[str, str]] = {}
    for package, checked in CHECKED.items():
        installed = metadata.version(package)
        if installed != checked:
            found[package] = (checked, installed)
    return found


def check_versions(settings: Settings) -> None:
    """Refuse to run the fast path on releases it was not checked against (at start-up)."""
    if not settings.fast_execution:
        return
    mismatches = version_mismatches()
    if mismatches:
        found = ", ".join(
            f"{name} {installed} (checked: {checked})"
            for name, (checked, installed) in mismatches.items()
        )
        raise RuntimeError(
            f"FAST_EXECUTION relies on internals of the checked releases, but found {found}: "
            "set FAST_EXECUTION=false to run on plain Strawberry and graphql-core, then "
            "re-check the internals listed in schema/core/fastpath.py and update CHECKED."
        )


def execution_context_class(
    settings: Settings,
) -> type[StrawberryGraphQLCoreExecutionContext] | None:
    """The execution context for the schema (None: Strawberry's own)."""
    if not settings.fast_execution:
        return None
    from schema.core.execution import FastLeafExecutionContext

    return FastLeafExecutionContext


def speed_up(schema: strawberry.Schema, settings: Settings) -> None:
    """Streamline the built schema's simple resolvers, when the fast path is on."""
    if settings.fast_execution:
        from schema.core.execution import streamline_resolvers

        streamline_resolvers(schema)
