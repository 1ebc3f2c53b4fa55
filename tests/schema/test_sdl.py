"""The committed SDL is the live schema: front-end teams code against the file. And the schema is
built where it is served: importing the shared machinery builds nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from schema.build import default_schema

DOMAINS = (
    "accounts",
    "evaluation",
    "grids",
    "households",
    "market",
    "notices",
    "partners",
    "people",
    "points",
    "volunteering",
    "workorders",
)


def test_committed_sdl_matches_the_live_schema() -> None:
    saved = Path("schema/schema.graphql").read_text(encoding="utf-8").strip()
    assert default_schema().as_str().strip() == saved, (
        "run `make schema` and commit schema/schema.graphql"
    )


def test_the_default_schema_is_built_once() -> None:
    assert default_schema() is default_schema()


def test_python_m_schema_writes_the_sdl(tmp_path: Path) -> None:
    # given a file to write (what `make schema` does with schema/schema.graphql)
    target = tmp_path / "schema.graphql"
    # when the command runs
    done = subprocess.run(
        [sys.executable, "-m", "schema", "--output", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it wrote the live schema's SDL
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8") == default_schema().as_str() + "\n"


def test_importing_the_core_builds_no_schema() -> None:
    # given a fresh interpreter
    probe = (
        "import json, sys\n"
        "import schema.core.ids, schema.core.pagination, schema.core.errors\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'schema')))\n"
    )
    # when it imports the shared machinery of the schema layer
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    # then no domain's GraphQL module was imported, and nothing built the schema
    assert "schema.core.ids" in loaded
    domains = [m for m in loaded if m.split(".")[1:2] and m.split(".")[1] in DOMAINS]
    assert domains == []
    assert "schema.build" not in loaded


def test_every_type_and_field_has_a_description() -> None:
    missing = []
    for name, gql_type in default_schema()._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not getattr(gql_type, "description", None):
            missing.append(name)
        for field_name, field in getattr(gql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []


def test_every_argument_and_enum_value_has_a_description() -> None:
    from graphql import GraphQLEnumType

    missing = []
    for name, gql_type in default_schema()._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(gql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, ev in gql_type.values.items() if not ev.description]
        for field_name, field in getattr(gql_type, "fields", {}).items():
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
