"""The depth and alias limits as validation rules that take time in proportion to the document.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk every fragment again at every place
it is spread: a document of a few hundred bytes whose fragments each spread the next one twice
makes them walk 2^n times (n = 18 took 4 s of validation, holding the event loop, and the token
limit allows hundreds). These rules give the same answers, with the same messages, for every
valid document, and visit each fragment once: a fragment's depth below the place it is spread,
and the aliases in it, are the same wherever it is spread. (A document with a fragment cycle
is invalid anyway: NoFragmentCyclesRule reports it; here a cycle only stops the walk.)

They walk when the document has been visited, not when they are made as Strawberry's do: by
then graphql-core has refused a document nested through its fragments deeper than its parser
allows ("Validation aborted.", instead of a RecursionError escaping validation), so the walks'
recursion stays within its nesting limit.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)


class _Walk:
    """Depths and alias counts of one document's selection sets, each fragment walked once."""

    def __init__(self, document: Any) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._open: set[str] = set()

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        """How many field levels lie below the fields of `selection_set` (0: leaves only).
        Introspection fields (`__schema`, `__type`) count as leaves, as Strawberry counts them."""
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(selection.name.value, self._depths, True))
        return deepest

    def aliases(self, selection_set: SelectionSetNode | None) -> int:
        """How many aliased fields `selection_set` holds, fragments counted where spread."""
        count = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                count += (1 if selection.alias else 0) + self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value, self._aliases, False)
        return count

    def _fragment(self, name: str, known: dict[str, int], depth: bool) -> int:
        if name in known:
            return known[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._open:
            return 0
        self._open.add(name)
        try:
            found = (self.depth if depth else self.aliases)(fragment.selection_set)
        finally:
            self._open.discard(name)
        known[name] = found
        return found


def depth_limit(max_depth: int) -> type[ValidationRule]:
    """A rule refusing operations whose fields nest deeper than `max_depth` below the root
    (the root's own fields are at depth 0), as Strawberry's QueryDepthLimiter does."""

    class DepthLimit(ValidationRule):
        def leave_document(self, *_: Any) -> None:
            context = self.context
            walk = _Walk(context.document)
            for operation in context.document.definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                if walk.depth(operation.selection_set) > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            [operation],
                        )
                    )

    return DepthLimit


def alias_limit(max_aliases: int) -> type[ValidationRule]:
    """A rule refusing documents with more than `max_aliases` aliased fields in all, fragments
    counted at every spread, as Strawberry's MaxAliasesLimiter does."""

    class AliasLimit(ValidationRule):
        def leave_document(self, *_: Any) -> None:
            context = self.context
            walk = _Walk(context.document)
            total = sum(
                walk.aliases(d.selection_set)
                for d in context.document.definitions
                if isinstance(d, OperationDefinitionNode)
            )
            if total > max_aliases:
                context.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return AliasLimit
