"""The rule for actor-less loaders (schema/core/loaders.py): a loader whose service takes no
actor is listed as PUBLIC or BEHIND_PARENT, and a BEHIND_PARENT loader is read only in the
fields of its parent types, never from a root field or a node resolver."""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from schema.core import loaders
from schema.core.loaders import BEHIND_PARENT, PUBLIC, Loaders

ROOT = Path(__file__).resolve().parents[3]
# Where resolvers read loaders: every layer that builds GraphQL answers, the core excepted
# (it defines the loaders and reads none of a domain's).
SOURCES = [*sorted((ROOT / "schema").rglob("*.py")), *sorted((ROOT / "api").rglob("*.py"))]
ROOT_SUFFIXES = ("Query", "Mutation", "Subscription")
NODE_RESOLVER = "resolve_nodes"


def loader_names() -> dict[str, bool]:
    """Each loader of `Loaders` -> whether it hands the actor to what it calls."""
    found: dict[str, bool] = {}
    for name, member in vars(Loaders).items():
        if not isinstance(member, cached_property):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(member.func)))
        found[name] = any(
            isinstance(node, ast.Attribute)
            and node.attr == "actor"
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            for node in ast.walk(tree)
        )
    return found


@dataclass(frozen=True)
class Read:
    """One place that reads a loader: the type (class) and method it is in."""

    loader: str
    where: str  # file:line
    owner: str | None  # the class, None if reached from outside any class
    method: str | None


def reads(source: str, where: str) -> list[Read]:
    """Every `<...>.loaders.<name>` and `loaders.<name>` (a local alias) in `source`, each with
    the class and method it is in. A read inside a module-level function counts once for each
    class method (or root) that calls the function in the same module."""
    tree = ast.parse(source)
    direct: list[tuple[str, int, str | None, str | None]] = []  # loader, line, class, function
    calls: dict[str, set[tuple[str | None, str | None]]] = {}  # module function -> its callers

    def visit(node: ast.AST, cls: str | None, fn: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            c, f = cls, fn
            if isinstance(child, ast.ClassDef):
                c, f = child.name, None
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                f = child.name if cls is not None or fn is None else fn
            if isinstance(child, ast.Attribute) and _is_loaders(child.value):
                direct.append((child.attr, child.lineno, cls, fn))
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                calls.setdefault(child.func.id, set()).add((cls, fn))
            visit(child, c, f)

    visit(tree, None, None)
    module_functions = {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }

    def owners(
        cls: str | None, fn: str | None, seen: frozenset[str]
    ) -> set[tuple[str | None, str | None]]:
        if cls is not None or fn not in module_functions or fn in seen:
            return {(cls, fn)}
        callers = calls.get(fn, set())
        if not callers:  # called from another module: nothing here says who its parent is
            return {(None, fn)}
        found: set[tuple[str | None, str | None]] = set()
        for caller_cls, caller_fn in callers:
            found |= owners(caller_cls, caller_fn, seen | {fn})
        return found

    return [
        Read(loader, f"{where}:{line}", owner, method)
        for loader, line, cls, fn in direct
        for owner, method in sorted(owners(cls, fn, frozenset()), key=str)
    ]


def _is_loaders(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "loaders") or (
        isinstance(node, ast.Name) and node.id == "loaders"
    )


def violations(found: list[Read]) -> list[str]:
    """Reads of a BEHIND_PARENT loader outside the fields of its parent types."""
    bad = []
    for read in found:
        parents = BEHIND_PARENT.get(read.loader)
        if parents is None:
            continue
        if read.owner not in parents or read.method == NODE_RESOLVER:
            bad.append(
                f"{read.where}: {read.loader} read in {read.owner}.{read.method},"
                f" allowed only in fields of {sorted(parents)}"
            )
    return bad


def all_reads() -> list[Read]:
    found: list[Read] = []
    for path in SOURCES:
        if path.parent == ROOT / "schema" / "core":
            continue
        found += reads(path.read_text(), str(path.relative_to(ROOT)))
    return found


class TestTheList:
    def test_every_actorless_loader_is_listed_with_its_reason(self) -> None:
        actorless = {name for name, takes_actor in loader_names().items() if not takes_actor}
        listed = PUBLIC | BEHIND_PARENT.keys()
        assert sorted(actorless - listed) == [], "add it to PUBLIC or BEHIND_PARENT"

    def test_no_listed_loader_takes_the_actor_or_is_gone(self) -> None:
        names = loader_names()
        listed = PUBLIC | BEHIND_PARENT.keys()
        assert sorted(n for n in listed if n not in names) == []
        assert sorted(n for n in listed if names[n]) == []

    def test_a_loader_is_public_or_behind_a_parent_not_both(self) -> None:
        assert sorted(PUBLIC & BEHIND_PARENT.keys()) == []

    def test_no_parent_is_a_root(self) -> None:
        parents = set().union(*BEHIND_PARENT.values())
        assert sorted(p for p in parents if p.endswith(ROOT_SUFFIXES)) == []

    def test_the_loaders_that_take_the_actor(self) -> None:
        """The loaders that leave visibility to their service (a change here is deliberate)."""
        assert sorted(name for name, takes in loader_names().items() if takes) == [
            "area_honours",
            "area_moves_page",
            "coverage",
            "evaluation",
            "household",
            "households_page",
            "match",
            "my_membership",
            "my_sign_up",
            "need",
            "notice",
            "notice_acknowledgements",
            "notice_coverage",
            "notice_receipt",
            "partner_unit",
            "person",
            "person_honours",
            "points_award",
            "points_transaction",
            "points_transaction_proof",
            "project",
            "resource_offer",
            "work_order",
        ]


class TestWhereTheyAreRead:
    def test_behind_parent_loaders_are_read_only_in_their_parents_fields(self) -> None:
        found = all_reads()
        assert found, "no loader read found: the scan is broken"
        assert violations(found) == []

    def test_every_read_loader_exists(self) -> None:
        names = loader_names()
        assert (
            sorted({r.where for r in all_reads() if r.loader not in names and r.loader != "prime"})
            == []
        )

    @pytest.mark.parametrize(
        ("source", "expected"),
        [
            # A root field reading a parent's rows: nothing authorised the parent.
            (
                "class ProjectsQuery:\n"
                "    async def milestones(self, info):\n"
                "        return await info.context.loaders.project_milestones.load(1)\n",
                ["x.py:3: project_milestones read in ProjectsQuery.milestones"],
            ),
            # A node resolver of the parent type itself: reached by id, unchecked.
            (
                "class Project:\n"
                "    async def resolve_nodes(cls, info, node_ids):\n"
                "        loaders = info.context.loaders\n"
                "        return [await loaders.project_totals.load(int(i)) for i in node_ids]\n",
                ["x.py:4: project_totals read in Project.resolve_nodes"],
            ),
            # Through a module-level helper that a root calls.
            (
                "async def _timeline(info, i):\n"
                "    return await info.context.loaders.work_order_timeline.load(i)\n"
                "class WorkOrdersQuery:\n"
                "    async def timeline(self, info):\n"
                "        return await _timeline(info, 1)\n",
                ["x.py:2: work_order_timeline read in WorkOrdersQuery.timeline"],
            ),
            # The parent's own field, and a public loader anywhere: fine.
            (
                "class Project:\n"
                "    async def totals(self, info):\n"
                "        return await info.context.loaders.project_totals.load(self.id)\n"
                "class PointsQuery:\n"
                "    async def rule(self, info):\n"
                "        return await info.context.loaders.points_rule.load(1)\n",
                [],
            ),
        ],
    )
    def test_the_scan_catches_a_read_outside_the_parent(
        self, source: str, expected: list[str]
    ) -> None:
        found = [v.split(",")[0] for v in violations(reads(source, "x.py"))]
        assert found == expected


def test_the_rule_is_written_next_to_the_loaders() -> None:
    text = inspect.getsource(loaders)
    assert "BEHIND_PARENT" in text and "authorised before its fields are resolved" in text
