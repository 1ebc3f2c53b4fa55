"""Global ids: which node types each ID argument and input field takes (declared once, on the
field), checked for every request before execution, and the row key read in resolvers.

A global id is what this API hands out, unchanged: base64 of `<Node type>:<row key>` with a
row key of 1..2^31-1 (`Area:12` -> `QXJlYToxMg==`). `id_field("Person", ...)` or
`id_argument("Area", ...)` declares the node types an input takes (none named: any Node type);
`check_ids` refuses, during validation, any id in the operation (a literal or a variable, also
inside input objects and lists) that is not one the API could have handed out, or names
another type than its argument declares: INVALID_INPUT with the argument's path, before
anything runs. Resolvers still read the key with `require_key`/`node_key`, naming the type
again: a second gate, like a service's own authorization behind the schema's; a test sends an
id of each declared type to every operation and fails where a resolver expects another.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    type_from_ast,
    value_from_ast_untyped,
)
from strawberry import relay
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext

from schema.core.pagination import parse_key
from services.errors import InvalidInput

NODE_TYPES = "gridpoints.node_types"
"""Metadata key of an ID argument or input field: the Node type names its ids may have."""

MAX_ID_LENGTH = 100
"""No id this API hands out is longer (a type name, a colon and 10 digits, in base64)."""

MAX_ERRORS = 10
"""At most this many bad ids are reported for one request."""


def id_field(*node_types: str, description: str, **kwargs: Any) -> Any:
    """An input field of global ids of `node_types` (any Node type when none are named)."""
    return strawberry.field(description=description, metadata={NODE_TYPES: node_types}, **kwargs)


def id_argument(*node_types: str, description: str) -> Any:
    """An argument of global ids of `node_types` (any Node type when none are named); use it
    as `Annotated[relay.GlobalID, id_argument("Area", description=...)]`."""
    return strawberry.argument(description=description, metadata={NODE_TYPES: node_types})


def declared_types(definition: Any) -> tuple[str, ...] | None:
    """The node types a GraphQL argument or input field declares (None: not declared)."""
    origin = definition.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata = getattr(origin, "metadata", None) or {}
    found = metadata.get(NODE_TYPES)
    return None if found is None else tuple(found)


# --- the row key in resolvers --------------------------------------------------------------------


def area_key(global_id: relay.GlobalID | None, field: str = "areaId") -> int | None:
    """The row id inside an Area global id (InvalidInput for another type)."""
    return node_key(global_id, "Area", field)


def node_key(global_id: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    """The row id inside a global id of `type_name`."""
    if global_id is None:
        return None
    if global_id.type_name != type_name:
        raise InvalidInput(f"Expected the id of a {type_name}.", field=field)
    try:
        return parse_key(global_id.node_id)
    except ValueError as exc:
        raise InvalidInput(f"Malformed {type_name} id.", field=field) from exc


def require_key(global_id: relay.GlobalID, type_name: str, field: str) -> int:
    """Like node_key, for a required id."""
    key = node_key(global_id, type_name, field)
    assert key is not None
    return key


# --- the check before execution ------------------------------------------------------------------


def id_problem(value: Any, expected: tuple[str, ...], node_types: frozenset[str]) -> str | None:
    """Why `value` is not a global id of one of the `expected` types (any of `node_types` when
    none are expected), or None when it is one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # GraphQL's ID takes integers (as their decimal text)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_LENGTH:
        return "is not an id given by this API"
    try:
        text = base64.b64decode(value.encode("ascii"), validate=True).decode("ascii")
        type_name, colon, key = text.partition(":")
        number = parse_key(key)
    except (ValueError, binascii.Error):  # UnicodeError is a ValueError
        return "is not an id given by this API"
    # One text per object: exactly what the API hands out (no padding left out, no leading
    # zeros, nothing base64 would ignore).
    if not colon or type_name not in node_types or relay.to_base64(type_name, number) != value:
        return "is not an id given by this API"
    if expected and type_name not in expected:
        return f"must be the id of {_a(expected)} (it is the id of {_a((type_name,))})"
    return None


def _a(types: tuple[str, ...]) -> str:
    return " or ".join(f"{'an' if t[0] in 'AEIOU' else 'a'} {t}" for t in types)


@dataclass
class _Site:
    """Where a variable holding ids is used: what it must hold there."""

    expected: tuple[str, ...]
    label: str
    name: str  # the argument or input field, as extensions.field


@dataclass
class _Plan:
    """What one document needs checked: its literal ids' errors (fixed), and the sites of the
    variables that hold ids (checked against each request's variables)."""

    literal_errors: list[GraphQLError] = field(default_factory=list)
    sites: dict[tuple[str | None, str], list[_Site]] = field(default_factory=dict)


class _Walker:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.node_types = node_type_names(schema)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.plan = _Plan()
        self.operation: str | None = None
        self.reported: set[tuple[str, int]] = set()
        # Fragments walked for the current operation: what a fragment's arguments take depends
        # on the fragment alone, so each is walked once per operation, however often it is
        # spread (fragments spreading others twice over would otherwise cost 2^depth walks).
        self.walked: set[str] = set()

    def walk(self, document: DocumentNode) -> _Plan:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self.operation = definition.name.value if definition.name else None
                self.walked = set()
                root = self.schema.get_root_type(definition.operation)
                self.selections(definition.selection_set, root)
        return self.plan

    def selections(self, selection_set: SelectionSetNode | None, parent: Any) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", None) or {}
                definition = fields.get(selection.name.value)
                if definition is None:
                    continue  # __typename, introspection
                for argument in selection.arguments or ():
                    arg_def = definition.args.get(argument.name.value)
                    if arg_def is not None:
                        name = argument.name.value
                        label = f"{selection.name.value}({name})"
                        self.value(
                            argument.value, arg_def.type, declared_types(arg_def) or (), label, name
                        )
                self.selections(selection.selection_set, get_named_type(definition.type))
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                self.selections(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in self.walked:
                    continue
                self.walked.add(name)
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                self.selections(fragment.selection_set, target)

    def value(
        self,
        node: ValueNode,
        type_: GraphQLInputType,
        expected: tuple[str, ...],
        label: str,
        name: str,
    ) -> None:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(node, VariableNode):
            if _holds_ids(type_):
                key = (self.operation, node.name.value)
                self.plan.sites.setdefault(key, []).append(_Site(expected, label, name))
            return
        if isinstance(type_, GraphQLList):
            if isinstance(node, ListValueNode):
                for index, item in enumerate(node.values):
                    self.value(item, type_.of_type, expected, f"{label}[{index}]", name)
            else:  # one value where a list is expected is a list of one
                self.value(node, type_.of_type, expected, label, name)
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(node, ObjectValueNode):
                for field_node in node.fields:
                    field_def = type_.fields.get(field_node.name.value)
                    if field_def is not None:
                        self.value(
                            field_node.value,
                            field_def.type,
                            declared_types(field_def) or (),
                            f"{label}.{field_node.name.value}",
                            field_node.name.value,
                        )
        elif _is_id(type_) and isinstance(node, (StringValueNode, IntValueNode)):
            problem = id_problem(node.value, expected, self.node_types)
            # A fragment spread in several places is walked for each: report its ids once.
            if problem is not None and (label, id(node)) not in self.reported:
                self.reported.add((label, id(node)))
                self.plan.literal_errors.append(_error(label, name, problem, node))


def _is_id(type_: Any) -> bool:
    return isinstance(type_, GraphQLNamedType) and type_.name == "ID"


def _holds_ids(type_: Any) -> bool:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return _is_id(type_)


def _error(label: str, name: str, problem: str, node: Node | None) -> GraphQLError:
    return GraphQLError(
        f"`{label}` {problem}.",
        nodes=[node] if node is not None else None,
        extensions={"code": "INVALID_INPUT", "field": name, "argument": label},
    )


_NODE_TYPES: dict[int, tuple[GraphQLSchema, frozenset[str]]] = {}


def node_type_names(schema: GraphQLSchema) -> frozenset[str]:
    """The names of the schema's Node types (kept per schema)."""
    known = _NODE_TYPES.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    node = schema.get_type("Node")
    names = frozenset(
        t.name
        for t in (schema.get_possible_types(node) if isinstance(node, GraphQLInterfaceType) else ())
    )
    _NODE_TYPES[id(schema)] = (schema, names)
    return names


# ParserCache hands out the same DocumentNode for the same query text: plans are kept per
# (schema, document), with both kept so that a reused id is never mistaken for them.
_PLANS: dict[tuple[int, int], tuple[GraphQLSchema, DocumentNode, _Plan]] = {}
_PLANS_SIZE = 1000


def _plan_of(schema: GraphQLSchema, document: DocumentNode) -> _Plan:
    key = (id(schema), id(document))
    known = _PLANS.get(key)
    if known is not None and known[0] is schema and known[1] is document:
        return known[2]
    plan = _Walker(schema, document).walk(document)
    if len(_PLANS) >= _PLANS_SIZE:
        _PLANS.clear()
    _PLANS[key] = (schema, document, plan)
    return plan


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    named = [op for op in operations if op.name is not None and op.name.value == name]
    return named[0] if named else None


def id_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict[str, Any],
    operation_name: str | None,
) -> list[GraphQLError]:
    """The errors of every malformed or mistyped id in a valid document and its variables."""
    plan = _plan_of(schema, document)
    errors = list(plan.literal_errors)
    operation = _operation(document, operation_name)
    if operation is None:
        return errors[:MAX_ERRORS]
    checker = _VariableChecker(schema, plan, operation, errors)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in variables:
            value = variables[name]
        elif definition.default_value is not None:
            value = value_from_ast_untyped(definition.default_value)
        else:
            continue
        type_ = type_from_ast(schema, definition.type)
        if type_ is not None:
            checker.variable(name, definition, value, type_)
    return errors[:MAX_ERRORS]


class _VariableChecker:
    """Checks the ids in a request's variables: a variable of ids against every place the
    operation uses it, the ids inside an input object against their fields' declarations."""

    def __init__(
        self,
        schema: GraphQLSchema,
        plan: _Plan,
        operation: OperationDefinitionNode,
        errors: list[GraphQLError],
    ) -> None:
        self.node_types = node_type_names(schema)
        self.plan = plan
        self.operation = operation.name.value if operation.name else None
        self.errors = errors
        self.name = ""
        self.node: Node | None = None

    def variable(self, name: str, node: Node, value: Any, type_: Any) -> None:
        self.name, self.node = name, node
        self.value(value, type_, None, f"${name}", name)

    def value(
        self, value: Any, type_: Any, expected: tuple[str, ...] | None, label: str, name: str
    ) -> None:
        """`expected` is None for the variable's own ids (their sites decide)."""
        if value is None or len(self.errors) >= MAX_ERRORS:
            return
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                where = f"{label}[{index}]" if isinstance(value, list) else label
                self.value(item, type_.of_type, expected, where, name)
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(value, dict):
                for key, item in value.items():
                    field_def = type_.fields.get(key) if isinstance(key, str) else None
                    if field_def is not None:
                        declared = declared_types(field_def) or ()
                        self.value(item, field_def.type, declared, f"{label}.{key}", key)
        elif _is_id(type_):
            if expected is not None:
                self.check(value, expected, label, name)
            else:
                for site in self.plan.sites.get((self.operation, self.name), ()):
                    self.check(value, site.expected, f"{label} (for {site.label})", site.name)

    def check(self, value: Any, expected: tuple[str, ...], label: str, name: str) -> None:
        problem = id_problem(value, expected, self.node_types)
        if problem is not None:
            self.errors.append(_error(label, name, problem, self.node))


def check_ids(ctx: ExecutionContext) -> None:
    """Refuses the request, before execution, when an id in it is malformed or of a type its
    argument does not take (while the document is valid so far)."""
    document = ctx.graphql_document
    if document is None or ctx.pre_execution_errors:
        return
    variables = ctx.variables if isinstance(ctx.variables, dict) else {}
    errors = id_errors(ctx.schema._schema, document, variables, ctx.operation_name)
    if errors:
        ctx.pre_execution_errors = errors
