"""What the client selected below a field: lets a list resolver read per-item data in bulk."""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from schema.core.context import Info


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> Iterable[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _fields(fragment.selection_set, fragments, seen | {name})


def selected_below(info: Info, *path: str) -> set[str]:
    """Names of the fields selected at `path` below the current field (e.g. "edges", "node"),
    through fragments and aliases. Generous on purpose: a field under `@skip` or a type
    condition still counts, so reading ahead may fetch a little more, never less.

    Nothing when FAST_EXECUTION is off (it reads graphql-core's info through a private name,
    see schema.core.fastpath): nothing is then read ahead, and each item loads its own."""
    if not info.context.settings.fast_execution:
        return set()
    raw = info._raw_info  # graphql-core's info: the field's AST nodes and the fragments
    fragments, none = raw.fragments, frozenset[str]()
    level: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        level = [
            field
            for node in level
            for field in _fields(node.selection_set, fragments, none)
            if field.name.value == name
        ]
    return {
        field.name.value for node in level for field in _fields(node.selection_set, fragments, none)
    }
