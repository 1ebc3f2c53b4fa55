"""Validation results are kept per parsed document: the same text is validated once, and a
rejected query stays rejected."""

from __future__ import annotations

from typing import Any

import pytest

import schema.core.validation
from schema.build import build_schema
from services.kit.settings import Settings


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records every document actually validated."""
    seen: list[Any] = []
    real = schema.core.validation.validate_document

    def spy(schema_: Any, document: Any, rules: Any) -> Any:
        seen.append(document)
        return real(schema_, document, rules)

    monkeypatch.setattr(schema.core.validation, "validate_document", spy)
    return seen


def _deep(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"parent {{ {inner} }}"
    return f"{{ areas(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


async def test_the_same_text_is_validated_once(validations: list[Any]) -> None:
    # given the app's schema and a query naming an unknown field
    built = build_schema(Settings(environment="dev"))
    query = "{ areas(first: 1) { edges { node { nosuchfield } } } }"
    # when it is sent three times
    results = [await built.execute(query) for _ in range(3)]
    # then every answer carries the validation error, and it was validated once
    for result in results:
        assert result.errors and "nosuchfield" in result.errors[0].message
        assert result.data is None
    assert len(validations) == 1


async def test_documents_are_validated_each_with_its_own_rules(validations: list[Any]) -> None:
    # given two schemas with different depth limits and one query between the limits
    strict = build_schema(Settings(environment="dev", max_query_depth=5))
    loose = build_schema(Settings(environment="dev", max_query_depth=12))
    query = _deep(4)
    # when both answer it, twice each
    strict_results = [await strict.execute(query) for _ in range(2)]
    loose_results = [await loose.execute(query) for _ in range(2)]
    # then the strict one refuses it every time; the loose one lets it through to execution
    for result in strict_results:
        assert result.errors and "exceeds maximum operation depth" in result.errors[0].message
    for result in loose_results:
        assert not any("depth" in e.message for e in result.errors or [])
    assert len(validations) == 2
