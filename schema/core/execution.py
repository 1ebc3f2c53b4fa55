"""Execution: graphql-core's, with short paths for plain fields and simple resolvers."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from operator import attrgetter
from typing import Any, NamedTuple

import strawberry
from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

# Values that can be neither awaitable nor an error: a leaf holding one is serialized at once.
_PLAIN_VALUES = frozenset({str, int, float, bool})


class _Plain(NamedTuple):
    """How to run one field (a field node under a parent type) without graphql-core's steps."""

    node: FieldNode
    field_def: GraphQLField
    read: Callable[[Any], Any] | None  # the value without info (a plain read), or None:
    resolve: Callable[..., Any]  # then the resolver is called with graphql-core's info
    leaf: GraphQLLeafType | None  # for a scalar or enum field
    object_type: GraphQLObjectType | None  # for an object or a list of objects
    item_type: GraphQLOutputType | None  # for a list of objects: the item type as declared
    enum_class: type | None  # for a Strawberry enum: its Python enum and each member's name
    enum_names: dict[Any, str]  # (empty for any other leaf)
    as_is: type | None  # for String, ID, Boolean and Int: the Python type they answer as is


# graphql-core serializes a value of exactly these types as the value itself (an Int only
# within 32 bits).
_AS_IS: dict[Any, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLInt: int,
}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_UNREAD: Any = object()


def _enum_names(leaf: GraphQLLeafType | None) -> tuple[type | None, dict[Any, str]]:
    """The Python enum of a Strawberry enum type and the GraphQL name of each member, as its
    coerce_output_value finds them (a scan of the values per call)."""
    wrapped = getattr(leaf, "wrapped_cls", None)
    values = getattr(leaf, "values", None)
    if not isinstance(wrapped, type) or not issubclass(wrapped, Enum) or values is None:
        return None, {}
    names: dict[Any, str] = {}
    for member in wrapped:
        for name, value in values.items():
            if member.value == value.value:
                names[member] = name
                break
    return wrapped, names


def _reader(field: GraphQLField) -> Callable[[Any], Any] | None:
    """A one-argument reader for a field whose resolver needs no info, else None.

    Strawberry's resolver for a field without a resolver ("basic") reads the attribute with the
    field's default resolver (`getattr` unless configured otherwise): read it the same way, minus
    two calls. A streamlined method that takes no info is called as it is (see below).
    """
    resolve = field.resolve
    if resolve is None:
        return None
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if getattr(resolve, "_is_default", False):
        if definition is not None and getattr(definition, "default_resolver", None) is getattr:
            return attrgetter(definition.python_name)
        return lambda source: resolve(source, None)
    if getattr(resolve, "_takes_no_info", False):
        return lambda source: resolve(source, None)
    return None


def _plain(schema: Any, parent_type: GraphQLObjectType, node: FieldNode) -> _Plain | None:
    """The short-path description of a field, or None for graphql-core's path."""
    if node.arguments or node.directives:
        return None  # arguments, @stream or @defer: graphql-core's path
    field = schema.get_field(parent_type, node.name.value)
    if field is None or field.args or field.resolve is None:
        return None
    field_type = get_nullable_type(field.type)
    leaf = field_type if is_leaf_type(field_type) else None
    object_type, item_type = None, None
    if isinstance(field_type, GraphQLObjectType):
        object_type = field_type
    elif isinstance(field_type, GraphQLList):
        item = get_nullable_type(field_type.of_type)
        if isinstance(item, GraphQLObjectType):
            object_type, item_type = item, field_type.of_type
    return _Plain(
        node,
        field,
        _reader(field),
        field.resolve,
        leaf,
        object_type,
        item_type,
        *_enum_names(leaf),
        _AS_IS.get(leaf),
    )


# ParserCache hands out the same document for the same query text, so descriptions are kept
# across requests, by parent type and field node (both kept, so that reused ids never match).
_PLAINS: dict[tuple[int, int], tuple[GraphQLObjectType, FieldNode, _Plain | None]] = {}
_PLAINS_SIZE = 10_000


def _plain_of(schema: Any, parent_type: GraphQLObjectType, node: FieldNode) -> _Plain | None:
    known = _PLAINS.get((id(parent_type), id(node)))
    if known is not None and known[0] is parent_type and known[1] is node:
        return known[2]
    plain = _plain(schema, parent_type, node)
    if len(_PLAINS) >= _PLAINS_SIZE:
        _PLAINS.clear()
    _PLAINS[(id(parent_type), id(node))] = (parent_type, node, plain)
    return plain


def _weak_helpers(executor: Any) -> GraphQLResolveInfoHelpers:
    """graphql-core's resolver helpers without a reference back to the executor.

    graphql-core binds them to the executor, and the executor keeps them: a reference cycle
    that left every request's executor, context, loaders and rows to the cyclic garbage
    collector (some 190 objects a request, a collection every few requests).
    """
    ref = weakref.ref(executor)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return gather_with_cancel(*values)

    def track(values: Sequence[Any]) -> None:
        alive = ref()
        if alive is not None:
            alive.track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


class _LazyInfo:
    """graphql-core's resolve info for a planned field, built on first use.

    Most resolvers that take `info` read only `info.context` (their loaders, the actor), and
    graphql-core's completion only hands the info on: the context is here at once, anything
    else builds graphql-core's own info (as execute_field would have) and reads it there.
    """

    __slots__ = ("_built", "_entry", "_executor", "_parent_type", "context", "path")

    def __init__(
        self,
        executor: FastLeafExecutionContext,
        entry: _Plain,
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> None:
        self.context = executor.context_value
        self.path = path
        self._executor = executor
        self._entry = entry
        self._parent_type = parent_type
        self._built: Any = None

    def __getattr__(self, name: str) -> Any:
        built = self._built
        if built is None:
            entry = self._entry
            built = self._built = self._executor.build_resolve_info(
                entry.field_def, [entry.node], self._parent_type, self.path
            )
        return getattr(built, name)


class FastLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution with short paths for the common fields.

    For every field graphql-core looks the field up, builds a path and a resolve-info object,
    checks for middleware and arguments, and walks its completion steps; on a page of 20 areas
    with their coverage and role holders that was most of the request. Here a field without
    arguments or directives runs from a plan made once per selection: a plain read (an
    attribute, a method that takes no info) is made without path or info; a scalar or enum
    value is serialized at once; an object, or a list of objects, has its selection executed
    at once. Any other value (a null, an error, an awaitable, a wrong type) is completed by
    graphql-core's own steps, and arguments, directives, middleware and @defer take
    graphql-core's path throughout, so results and errors are exactly graphql-core's.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _weak_helpers(self)
        # Per selection (graphql-core reuses one grouped field set for every item of a list),
        # by the set's identity (kept alive alongside so that its id is not reused).
        self._plans: dict[int, tuple[Any, list[_Plain | None]]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[_Plain | None]:
        known = self._plans.get(id(grouped_field_set))
        if known is not None and known[0] is grouped_field_set:
            return known[1]
        manager = self.middleware_manager
        plan: list[_Plain | None] = []
        for field_details_list in grouped_field_set.values():
            details = field_details_list[0]
            entry = None
            # One field node, not deferred (the same field asked twice under one name, or a
            # deferred one, takes graphql-core's path).
            if len(field_details_list) == 1 and details.defer_usage is None:
                entry = _plain_of(self.schema, parent_type, details.node)
            if (
                entry is not None
                and manager is not None
                and manager.get_field_resolver(entry.resolve) is not entry.resolve
            ):
                entry = None  # a middleware wraps this resolver: let graphql-core call it
            plan.append(entry)
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def execute_fields(
        self,
        parent_type: Any,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if position_context is not None or not _ENABLED:
            # Deferred fragments are being delivered: graphql-core's path throughout.
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for entry, (response_name, field_details_list) in zip(
                self._plan(parent_type, grouped_field_set), grouped_field_set.items(), strict=True
            ):
                if entry is not None:
                    value = _UNREAD
                    if entry.as_is is not None and entry.read is not None:
                        # The commonest field of all, a plain string, flag or count: read
                        # and answered here (anything else goes on below with the value).
                        try:
                            value = entry.read(source_value)
                        except Exception as raw_error:
                            field_path = Path(path, response_name, parent_type.name)
                            self.handle_field_error(
                                raw_error, entry.field_def.type, field_details_list, field_path
                            )
                            results[response_name] = None
                            continue
                        else:
                            kind = type(value)
                            if kind is entry.as_is and (
                                kind is not int or _INT_MIN <= value <= _INT_MAX
                            ):
                                results[response_name] = value
                                continue
                    result = self._run(
                        entry,
                        response_name,
                        field_details_list,
                        parent_type,
                        source_value,
                        path,
                        value,
                    )
                else:
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                    if result is Undefined:
                        continue
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _run(
        self,
        entry: _Plain,
        response_name: str,
        field_details_list: Any,
        parent_type: GraphQLObjectType,
        source: Any,
        parent: Any,
        value: Any = _UNREAD,
    ) -> Any:
        """graphql-core's execute_field for a planned field, short where the value is plain
        (`value`: the value when already read)."""
        path: Path | None = None
        info: Any = None
        try:
            if value is not _UNREAD:
                pass
            elif entry.read is not None:
                value = entry.read(source)
            else:
                path = Path(parent, response_name, parent_type.name)
                info = self._info(entry, parent_type, path)
                value = entry.resolve(source, info)
        except Exception as raw_error:
            path = path or Path(parent, response_name, parent_type.name)
            self.handle_field_error(raw_error, entry.field_def.type, field_details_list, path)
            return None
        leaf = entry.leaf
        if leaf is not None:
            if value is not None and (
                type(value) in _PLAIN_VALUES
                or not (isinstance(value, Exception) or self.is_awaitable(value))
            ):
                if type(value) is entry.enum_class:
                    name = entry.enum_names.get(value)
                    if name is not None:
                        return name
                try:
                    coerced = leaf.coerce_output_value(value)
                except Exception:  # completed again below, where the error is reported
                    coerced = None
                if coerced is not None and coerced is not Undefined:
                    return coerced
        elif entry.object_type is not None:
            path = path or Path(parent, response_name, parent_type.name)
            if info is None:
                info = self._info(entry, parent_type, path)
            completed = self._object(entry, field_details_list, path, info, value)
            if completed is not Undefined:
                return completed
        path = path or Path(parent, response_name, parent_type.name)
        if info is None:
            info = self._info(entry, parent_type, path)
        return self._complete(entry, field_details_list, path, info, value)

    def _info(self, entry: _Plain, parent_type: GraphQLObjectType, path: Path) -> Any:
        return _LazyInfo(self, entry, parent_type, path)

    def _complete(
        self, entry: _Plain, field_details_list: Any, path: Path, info: Any, value: Any
    ) -> Any:
        """The value completed as graphql-core's execute_field completes a resolver's result."""
        return_type = entry.field_def.type
        try:
            if self.is_awaitable(value):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, value, None
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, value, None
            )
            if self.is_awaitable(completed):
                return self._await_field(completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    def _object(
        self, entry: _Plain, field_details_list: Any, path: Path, info: Any, value: Any
    ) -> Any:
        """An object (or list of objects) with its selection executed, or Undefined when the
        value is anything else or the selection defers fragments (decided before anything is
        executed)."""
        object_type = entry.object_type
        assert object_type is not None
        is_list = entry.item_type is not None
        if not is_list:
            items = [value]
        elif type(value) is list:
            items = value
        else:
            return Undefined  # another iterable (maybe async)
        is_awaitable = self.is_awaitable
        for item in items:
            if item is None or isinstance(item, Exception) or is_awaitable(item):
                return Undefined
        is_type_of = object_type.is_type_of
        if is_type_of is not None:
            for item in items:
                checked = is_type_of(item, info)
                if checked is not True:
                    if inspect.iscoroutine(checked):
                        checked.close()  # graphql-core's steps ask again and await it
                    return Undefined
        return_type = entry.field_def.type
        try:
            # Collected once for the whole list (graphql-core looks it up for every item).
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(
                object_type, field_details_list
            )
            if new_defer_usages:
                return Undefined
            if is_list:
                completed = self._list(entry, field_details_list, grouped_field_set, items, path)
            else:
                completed = self.execute_fields(object_type, value, path, grouped_field_set, None)
            if is_awaitable(completed):
                return self._await_field(completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    def _list(
        self,
        entry: _Plain,
        field_details_list: Any,
        grouped_field_set: Any,
        items: list[Any],
        path: Path,
    ) -> Any:
        """Each item's selection executed, as graphql-core's complete_iterable_value does."""
        object_type = entry.object_type
        item_type = entry.item_type
        assert object_type is not None and item_type is not None
        execute_fields = self.execute_fields
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = Path(path, index, None)
                try:
                    completed = execute_fields(
                        object_type, item, item_path, grouped_field_set, None
                    )
                    if is_awaitable(completed):
                        completed = self._await_field(
                            completed, item_type, field_details_list, item_path
                        )
                        awaitable_indices.append(index)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    completed = None
                completed_results.append(completed)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed_results[i] for i in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                index = awaitable_indices[0]
                completed_results[index] = await completed_results[index]
            else:
                awaited = await gather_with_cancel(
                    *(completed_results[i] for i in awaitable_indices)
                )
                for index, sub_result in zip(awaitable_indices, awaited, strict=True):
                    completed_results[index] = sub_result
            return completed_results

        return get_completed_results()

    async def _await_field(
        self, completed: Any, return_type: Any, field_details_list: Any, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None


# Tests switch the short paths off to compare against graphql-core's own answers.
_ENABLED = True


def _lean(
    function: Callable[..., Any], field: Any, info_class: Any, wants_info: bool, root: str | None
) -> Any:
    """The resolver called as Strawberry calls it: the source as `self` (positional) or as the
    `root` keyword, the info (Strawberry's) as the `info` keyword."""
    if root is not None:
        if wants_info:

            def resolve(source: Any, info: Any) -> Any:
                return function(**{root: source, "info": info_class(_raw_info=info, _field=field)})
        else:

            def resolve(source: Any, info: Any) -> Any:
                return function(**{root: source})

            resolve.__dict__["_takes_no_info"] = True  # see _reader
    elif wants_info:

        def resolve(source: Any, info: Any) -> Any:
            return function(source, info=info_class(_raw_info=info, _field=field))
    else:

        def resolve(source: Any, info: Any) -> Any:
            return function(source)

        resolve.__dict__["_takes_no_info"] = True  # see _reader

    return resolve


def _bound_to_class(function: Any) -> bool:
    return inspect.ismethod(function) and isinstance(function.__self__, type)


def streamline_resolvers(schema: strawberry.Schema) -> int:
    """Call simple resolvers directly; returns how many were streamlined.

    Strawberry wraps every resolver to convert arguments, run field extensions (permissions)
    and map exceptions onto result unions. A synchronous method taking only `self` (and maybe
    `info`), or a function or class method taking only `root` (and maybe `info`, as the `id` of
    every Relay node), with no arguments, no field extensions and no union result, needs none
    of that, yet paid ~5 µs a call: on a page of areas that is every id, coverage, roleHolders
    and person field. Such resolvers are called as Strawberry calls them, without the wrapping.
    """
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolver = getattr(field, "base_resolver", None)
            if field is None or resolver is None or field.extensions or graphql_field.args:
                continue
            if isinstance(get_named_type(graphql_field.type), GraphQLUnionType):
                continue  # exception handlers may map errors onto its members
            named = {p.name for p in resolver.signature.parameters.values()}
            info = resolver.info_parameter
            root = resolver.root_parameter
            function = resolver.wrapped_func
            if root is None:
                # A method: the source is `self`.
                source_names = {"self"}
                plain = (
                    resolver.self_parameter is not None
                    and resolver.self_parameter.name == "self"
                    and inspect.isfunction(function)
                )
            else:
                # A function or class method: the source is `root` (`cls` is bound already).
                source_names = {root.name, *(["cls"] if _bound_to_class(function) else [])}
                plain = resolver.self_parameter is None and (
                    inspect.isfunction(function) or _bound_to_class(function)
                )
            if (
                not plain
                or resolver.is_async
                or resolver.parent_parameter is not None
                or named - {*source_names, *([info.name] if info else [])}
                or (info is not None and info.name != "info")
            ):
                continue
            graphql_field.resolve = _lean(
                function,
                field,
                schema.config.info_class,
                info is not None,
                root.name if root is not None else None,
            )
            count += 1
    return count
