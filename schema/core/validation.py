"""Parsed documents kept per query text, and validation results kept per parsed document."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

_Key = tuple[int, int, tuple[Any, ...]]
_RESULTS: OrderedDict[_Key, tuple[GraphQLSchema, DocumentNode, list[GraphQLError]]] = OrderedDict()
_SIZE = 128  # as Strawberry's ValidationCache: unique query texts must not grow memory


class DocumentParserCache(ParserCache):
    """Strawberry's ParserCache, except that a document which does not parse (a syntax error, too
    many tokens) is left to Strawberry's own parse, which reports it as the operation's result.
    The cache's error would escape a subscription's stream instead of answering it."""

    def on_parse(self) -> Iterator[None]:
        parse_cached(self.execution_context)
        yield


# Strawberry's module-wide parse cache (an LRU of 128 query texts), as ParserCache uses it.
_cached_parse = ParserCache().cached_parse_document


def parse_cached(context: ExecutionContext) -> None:
    """The context's document from the parse cache (DocumentParserCache's step)."""
    with contextlib.suppress(GraphQLError):
        context.graphql_document = _cached_parse(context.query, **context.parse_options)


class DocumentValidationCache(SchemaExtension):
    """Strawberry's ValidationCache, keyed by the document's identity instead of its value.

    Strawberry's cache is an lru_cache over (schema, document, rules): hashing the document
    hashes the whole syntax tree (graphql-core's nodes are frozen dataclasses, their hash is
    recomputed field by field on every call), ~35 µs a request for a page of areas. With
    ParserCache the same query text gives the same document object, so its identity is the key
    (the document and schema are kept with the result, so a reused id never matches).
    """

    def on_validate(self) -> Iterator[None]:
        validate_cached(self.execution_context)
        yield


def validate_cached(context: ExecutionContext) -> None:
    """The context's validation errors, from the cache (DocumentValidationCache's step)."""
    schema = context.schema._schema
    document = context.graphql_document
    rules = tuple(context.validation_rules)
    if document is not None and rules and context.pre_execution_errors is None:
        key = (id(schema), id(document), rules)
        known = _RESULTS.get(key)
        if known is not None and known[0] is schema and known[1] is document:
            _RESULTS.move_to_end(key)
            errors = known[2]
        else:
            errors = validate_document(schema, document, rules)
            _RESULTS[key] = (schema, document, errors)
            if len(_RESULTS) > _SIZE:
                _RESULTS.popitem(last=False)
        context.pre_execution_errors = errors
