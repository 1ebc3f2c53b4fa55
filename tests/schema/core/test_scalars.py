"""Date and DateTime inputs: ISO 8601, a DateTime with its offset, in the years 2000-2100, for
every argument and input field (one rule, schema.core.scalars), refused before execution."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from strawberry import relay

from seed.demo import PARTNER_UNIT_NAME
from services.models import Area, PartnerUnit, Reward
from tests.conftest import gql, login

# The accepted edges are fixed dates, but a reward's window is compared with the clock.
pytestmark = pytest.mark.calendar

CREATE_REWARD = """
mutation($input: CreateRewardInput!) {
  createReward(input: $input) { __typename ... on Error { code message field } }
}
"""


async def _company() -> str:
    """The property company `partner` works for: the provider of their rewards."""
    company = await PartnerUnit.get(name=PARTNER_UNIT_NAME)
    return str(relay.GlobalID("PartnerUnit", str(company.id)))


async def _reward(**window: Any) -> dict[str, Any]:
    area = await Area.get(name="颜山社区")
    return {
        "areaId": str(relay.GlobalID("Area", str(area.id))),
        "name": "免费理发",
        "category": "SERVICE",
        "pricePoints": 20,
        "stock": 5,
        "providerUnitId": await _company(),
        **window,
    }


REFUSED_MOMENTS = [
    "9999-12-31T23:59:59-12:00",  # overflowed when converted to UTC
    "0001-01-01T00:00:00+14:00",  # likewise, the other way
    "1999-12-31T23:59:59+08:00",
    "2101-01-01T00:00:00+00:00",
    "2026-06-01T10:00:00",  # no offset
    "2026-06-01",  # a day is not a moment
    "2026-13-01T00:00:00+08:00",
    "soon",
    "",
    20260601,
    "2026-06-01T10:00:00+08:00" * 400,
]


@pytest.mark.parametrize("moment", REFUSED_MOMENTS)
async def test_a_moment_out_of_range_or_without_offset_is_refused_before_execution(
    client: httpx.AsyncClient, moment: Any
) -> None:
    partner = await login(client, "partner")
    rewards = await Reward.all().count()
    reward = await _reward(availableUntil=moment)
    fields = ", ".join(
        f"{key}: {value if key == 'category' else json.dumps(value)}"
        for key, value in reward.items()
    )
    inline = f"mutation {{ createReward(input: {{{fields}}}) {{ __typename }} }}"
    # when it is sent in a variable, and inline
    for query, variables in ((CREATE_REWARD, {"input": reward}), (inline, {})):
        body = await gql(client, query, variables, token=partner)
        # then it is INVALID_INPUT before anything runs, and says what a moment is
        assert body["data"] is None, body
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID_INPUT"
        assert "DateTime" in error["message"] and len(error["message"]) < 200
    assert await Reward.all().count() == rewards


async def test_the_first_and_last_moments_of_the_range_are_taken(
    client: httpx.AsyncClient,
) -> None:
    partner = await login(client, "partner")
    reward = await _reward(
        availableFrom="2000-01-01T00:00:00+14:00", availableUntil="2100-12-31T23:59:59-12:00"
    )
    body = await gql(client, CREATE_REWARD, {"input": reward}, token=partner)
    assert body["data"]["createReward"]["__typename"] == "CreateRewardSuccess", body


@pytest.mark.parametrize(
    ("day", "taken"),
    [
        ("2026-06-01", True),
        ("2000-01-01", True),
        ("2100-12-31", True),
        ("1999-12-31", False),
        ("2101-01-01", False),
        ("0001-01-01", False),
        ("2026-02-30", False),
        ("2026-06-01T00:00:00+08:00", False),
        ("tomorrow", False),
    ],
)
async def test_a_date_is_iso_8601_in_the_years_2000_to_2100(
    client: httpx.AsyncClient, day: str, taken: bool
) -> None:
    query = "query($d: Date) { cadreAssignments(activeOn: $d) { totalCount } }"
    token = await login(client, "district_admin")
    body = await gql(client, query, {"d": day}, token=token)
    if taken:
        assert "errors" not in body, body
    else:
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert "Date" in body["errors"][0]["message"]
