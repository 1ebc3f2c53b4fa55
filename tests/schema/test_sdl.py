"""The committed SDL is the live schema: front-end teams code against the file."""

from __future__ import annotations

from pathlib import Path

from schema import schema


def test_committed_sdl_matches_the_live_schema() -> None:
    saved = Path("schema/schema.graphql").read_text(encoding="utf-8").strip()
    assert schema.as_str().strip() == saved, "run `make schema` and commit schema/schema.graphql"


def test_every_type_and_field_has_a_description() -> None:
    missing = []
    for name, gql_type in schema._schema.type_map.items():
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
    for name, gql_type in schema._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(gql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, ev in gql_type.values.items() if not ev.description]
        for field_name, field in getattr(gql_type, "fields", {}).items():
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
