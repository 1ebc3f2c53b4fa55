"""Input that used to end as INTERNAL is a typed error that changes nothing, and no message or
log line carries a huge value."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from strawberry import relay

from schema.core.errors import MAX_ECHO, bounded
from services.models import PointsTransaction, WorkOrder
from tests.conftest import actor_for, gql, login


def test_bounded_cuts_quoted_values_and_long_messages() -> None:
    assert bounded("short") == "short"
    long = "Int cannot represent non-integer value: " + '"' + "a" * 5_000 + '"'
    cut = bounded(long)
    assert cut.startswith('Int cannot represent non-integer value: "aaa')
    assert cut.endswith(("…", '…"'))
    assert "a" * (MAX_ECHO + 1) not in cut
    # an unclosed quote, single quotes and several values
    assert "b" * (MAX_ECHO + 1) not in bounded("found '" + "b" * 3_000)
    many = bounded(" ".join(f"'{c * 200}'" for c in "cdef"))
    assert all(c * (MAX_ECHO + 1) not in many for c in "cdef")
    assert len(bounded("z" * 100_000)) <= 501


async def _post(http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> Any:
    body = json.dumps({"query": query, "variables": variables})  # \ud800 stays an escape
    response = await http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("term", ["a" * 50_001, "%_" * 24_000])
async def test_an_overlong_search_is_invalid_input(client: httpx.AsyncClient, term: str) -> None:
    token = await login(client, "district_admin")
    for field in ("areas", "people"):
        body = await gql(
            client,
            f"query($s: String) {{ {field}(search: $s) {{ totalCount }} }}",
            {"s": term},
            token=token,
        )
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": "search"}


async def test_overlong_codes_and_bad_text_are_typed_errors_that_change_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given the district admin, a resident, and what they already have
    admin = await login(client, "district_admin")
    resident = await login(client, "resident")
    person = relay.GlobalID("Person", str((await actor_for("resident")).person_id))
    transactions, orders = await PointsTransaction.all().count(), await WorkOrder.all().count()
    typed = "{ __typename ... on Error { code message field } }"
    award = f"mutation($i: AwardPointsInput!) {{ awardPoints(input: $i) {typed} }}"
    order = f"mutation($i: PlaceOrderInput!) {{ placeOrder(input: $i) {typed} }}"
    with caplog.at_level(logging.INFO):
        # when a rule code or a category is longer than its column
        body = await _post(
            client,
            award,
            {
                "i": {
                    "personId": str(person),
                    "ruleCode": "X" * 5_000,
                    "reason": "r",
                    "idempotencyKey": "k1",
                }
            },
            admin,
        )
        # then it is the mutation's InvalidInput, naming the limit, not the value
        result = body["data"]["awardPoints"]
        assert result["__typename"] == "InvalidInput", body
        assert "X" * 50 not in result["message"]
        body = await _post(
            client, order, {"i": {"category": "X" * 5_000, "description": "d"}}, resident
        )
        assert body["data"]["placeOrder"]["__typename"] == "InvalidInput", body
        # and text with a lone surrogate is refused before execution
        body = await _post(
            client, order, {"i": {"category": "WATER_ELECTRIC", "description": "\ud800"}}, resident
        )
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # nothing was written, and no log line carries the value
    assert await PointsTransaction.all().count() == transactions
    assert await WorkOrder.all().count() == orders
    assert all("X" * 100 not in record.getMessage() for record in caplog.records)
    assert all(
        record.exc_info is None for record in caplog.records if record.levelno >= logging.ERROR
    )


def test_each_exception_is_handled_by_its_most_specific_error_type() -> None:
    # given the handlers in the order Strawberry tries them
    from schema.core.errors import ERROR_TYPES, EXCEPTION_HANDLERS

    order = [handler.exception_type for handler in EXCEPTION_HANDLERS]
    # then every domain exception meets its own handler before any of its base classes'
    for exception_type in ERROR_TYPES:
        first = next(t for t in order if issubclass(exception_type, t))
        assert first is exception_type
    assert set(order) == set(ERROR_TYPES)
