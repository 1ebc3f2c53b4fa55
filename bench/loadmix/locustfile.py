"""The user mix of `python -m bench loadmix`, run by locust (headless, against loopback only).

The data the users act with (their access tokens, person, area and reward ids) come from the
JSON file named by LOADMIX_DATA, written by bench/loadmix/build.py. Every acknowledged write (a
success union member returned by a mutation) is appended to a JSONL file in the LOADMIX_ACKS
directory, one per locust process, for the reconciliation after the run, and so is every
mutation whose outcome the client does not know (an HTTP error or a timeout: it may have
committed).

Requests are named after their GraphQL operation, so locust's CSV gives per-operation counts,
percentiles and failures. A typed refusal that the mix provokes on purpose (OutOfStock and
InsufficientPoints on a scarce reward, LimitExceeded on a per-person or daily cap,
InvalidTransition or Conflict when two users of one leader race for an order) is a correct answer:
it is recorded as a success under `<operation> → <type>`. Any other answer is a failure: HTTP
status other than 200, a GraphQL `errors` list (a masked INTERNAL error among them), an
unexpected union member, an idempotent retry that returns another record.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

BROWSE_REWARDS = """
query BrowseRewards($under: ID!) {
  rewards(under: $under, availableOnly: true, first: 20) {
    totalCount
    edges { node { id name category pricePoints stock perPersonLimit pickupLocation
                   provider { kind name } } }
  }
}
"""
MY_POINTS = """
query MyPoints {
  viewer {
    pointsAccount {
      balance held available
      expiringSoon { points expiresAt }
      entries(first: 5) { edges { node { id points kind reason balanceAfter createdAt } } }
    }
  }
}
"""
PLACE_ORDER = """
mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on PlaceOrderSuccess { workOrder { id status acceptDue } }
    ... on Error { code message }
  }
}
"""
DISPATCHED_ORDERS = """
query DispatchedOrders($under: ID!) {
  workOrders(under: $under, status: DISPATCHED, first: 10) {
    totalCount
    edges { node { id status description acceptDue category { code name } } }
  }
}
"""
ACCEPT_ORDER = """
mutation AcceptWorkOrder($input: AcceptWorkOrderInput!) {
  acceptWorkOrder(input: $input) {
    __typename
    ... on AcceptWorkOrderSuccess { workOrder { id status acceptedAt } }
    ... on Error { code message }
  }
}
"""
AWARD_POINTS = """
mutation AwardPoints($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { award { id points status } }
    ... on Error { code message }
  }
}
"""
REDEEM_REWARD = """
mutation RedeemReward($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardSuccess { redemption { id status pointsSpent pickupCode } }
    ... on Error { code message }
  }
}
"""
CATEGORIES = ("WATER_ELECTRIC", "ELDERLY_CARE", "NEIGHBOUR_DISPUTE", "ERRAND", "POLICY_QUESTION")
# Typed answers the mix provokes on purpose, by mutation: correct, counted apart.
EXPECTED_REFUSALS = {
    "redeemReward": {"OutOfStock", "InsufficientPoints", "LimitExceeded"},
    "acceptWorkOrder": {"InvalidTransition", "Conflict"},
    "awardPoints": {"LimitExceeded"},
    "placeOrder": set(),
}
SUCCESS = {
    "placeOrder": ("PlaceOrderSuccess", "workOrder"),
    "acceptWorkOrder": ("AcceptWorkOrderSuccess", "workOrder"),
    "awardPoints": ("AwardPointsSuccess", "award"),
    "redeemReward": ("RedeemRewardSuccess", "redemption"),
}
SAME_KEY_AGAIN = 0.05  # share of awards and redemptions sent a second time with the same key
SCARCE_SHARE = 0.2  # share of redemptions aimed at the scarce rewards


def _load() -> dict[str, Any]:
    path = os.environ.get("LOADMIX_DATA")
    if not path:
        raise SystemExit("LOADMIX_DATA (the bench's data file) is not set")
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


DATA = _load()
_ACKS_DIR = Path(os.environ.get("LOADMIX_ACKS", "."))
_acks_file: Any = None
_turns: dict[str, itertools.count[int]] = {}


def acknowledge(record: dict[str, Any]) -> None:
    """Append an acknowledged write to this process's JSONL file (line-buffered)."""
    global _acks_file
    if _acks_file is None:
        _ACKS_DIR.mkdir(parents=True, exist_ok=True)
        _acks_file = (_ACKS_DIR / f"acks-{os.getpid()}.jsonl").open(
            "a", encoding="utf-8", buffering=1
        )
    _acks_file.write(json.dumps(record) + "\n")


def next_of(pool: str) -> dict[str, Any]:
    """The identities of a pool in turn, so that users spread over the accounts."""
    turn = _turns.setdefault(pool, itertools.count())
    people: list[dict[str, Any]] = DATA[pool]
    return people[next(turn) % len(people)]


class GraphQLUser(FastHttpUser):
    """A signed-in user of the API: one identity, GraphQL over POST /graphql."""

    abstract = True
    pool = ""
    wait_time = between(1, 3)
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        self.me = next_of(self.pool)
        self.headers = {"Authorization": f"Bearer {self.me['token']}"}

    def graphql(
        self, operation: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """A query: its `data`, or None after recording a failure."""
        body = {"query": query, "variables": variables or {}}
        with self.client.post(
            "/graphql", json=body, headers=self.headers, name=operation, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                return None
            try:
                payload = response.json()
            except ValueError:
                response.failure("not JSON")
                return None
            if payload.get("errors"):
                response.failure(f"GraphQL errors: {json.dumps(payload['errors'])[:300]}")
                return None
            data: dict[str, Any] = payload.get("data") or {}
            response.success()
            return data

    def mutate(
        self,
        operation: str,
        query: str,
        input_: dict[str, Any],
        *,
        name: str | None = None,
        same_as: str | None = None,
    ) -> tuple[str, dict[str, Any] | None]:
        """A mutation: (union member's type name, the changed object on success). Expected
        refusals are recorded as successes under `<name> → <type>`; anything else unexpected
        as a failure of `name` ("" returned). `same_as`: a retry with the same key, which must
        return that record again."""
        label = name or operation
        body = {"query": query, "variables": {"input": input_}}
        with self.client.post(
            "/graphql", json=body, headers=self.headers, name=label, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                acknowledge({"op": "failed", "operation": operation})
                return "", None
            try:
                payload = response.json()
                result = payload["data"][operation] if not payload.get("errors") else None
            except (ValueError, KeyError, TypeError):
                result = None
                payload = {"errors": [(response.text or "")[:200]]}
            if result is None:
                response.failure(f"GraphQL errors: {json.dumps(payload.get('errors'))[:300]}")
                acknowledge({"op": "failed", "operation": operation})
                return "", None
            kind = str(result.get("__typename"))
            success, field = SUCCESS[operation]
            if kind == success:
                record: dict[str, Any] = result[field]
                if same_as is not None and record["id"] != same_as:
                    response.failure(f"the same key gave {record['id']}, first {same_as}")
                    return "", None
                response.success()
                return kind, record
            if kind in EXPECTED_REFUSALS[operation]:
                response.request_meta["name"] = f"{label} → {kind}"
                response.success()
                return kind, None
            response.failure(f"{kind}: {result.get('code')} {result.get('message')}")
            return "", None

    # --- the actions shared by several kinds of user ---

    def browse_rewards(self) -> list[dict[str, Any]]:
        data = self.graphql("rewards", BROWSE_REWARDS, {"under": DATA["community"]})
        if data is None:
            return []
        return [edge["node"] for edge in data["rewards"]["edges"]]

    def check_points(self) -> None:
        self.graphql("viewer.pointsAccount", MY_POINTS)


class Resident(GraphQLUser):
    """Residents: browse the marketplace and check their points most often; now and then ask
    for help (placeOrder), dispatched to their household's micro-grid."""

    weight = 14
    pool = "residents"

    @task(4)
    def rewards(self) -> None:
        self.browse_rewards()

    @task(4)
    def points(self) -> None:
        self.check_points()

    @task(1)
    def place_order(self) -> None:
        n = random.randrange(1_000_000)
        _, order = self.mutate(
            "placeOrder",
            PLACE_ORDER,
            {"category": random.choice(CATEGORIES), "description": f"负载测试工单 {n}：楼道灯不亮"},
        )
        if order is not None:
            acknowledge({"op": "placeOrder", "id": order["id"]})


class Volunteer(GraphQLUser):
    """Volunteers (residents with the VOLUNTEER role and points): check points, browse, redeem.
    Most redemptions are of plentiful rewards; some aim at the scarce ones (little stock, one
    per person), where OutOfStock and LimitExceeded are the expected answers."""

    weight = 3
    pool = "volunteers"

    @task(2)
    def points(self) -> None:
        self.check_points()

    @task(2)
    def rewards(self) -> None:
        self.browse_rewards()

    @task(2)
    def redeem(self) -> None:
        scarce = random.random() < SCARCE_SHARE
        reward = random.choice(DATA["rewards"]["scarce" if scarce else "plentiful"])
        entry = {"rewardId": reward, "quantity": 1, "idempotencyKey": f"lm-{uuid.uuid4().hex}"}
        _, redemption = self.mutate("redeemReward", REDEEM_REWARD, entry)
        if redemption is None:
            return
        acknowledge({"op": "redeemReward", "id": redemption["id"], "reward": reward, "quantity": 1})
        if random.random() < SAME_KEY_AGAIN:  # a client retrying after a lost answer
            self.mutate(
                "redeemReward",
                REDEEM_REWARD,
                entry,
                name="redeemReward (same key again)",
                same_as=redemption["id"],
            )


class MicroGridLeader(GraphQLUser):
    """Micro-grid leaders (two users per leader): list the orders dispatched to their
    micro-grid (newest first, ten) and accept one of the three oldest listed; two users of one
    leader sometimes race for the same order."""

    weight = 2
    pool = "leaders"

    @task
    def accept(self) -> None:
        data = self.graphql("workOrders", DISPATCHED_ORDERS, {"under": self.me["area"]})
        if not data:
            return
        waiting = [edge["node"]["id"] for edge in data["workOrders"]["edges"]]
        if not waiting:
            return
        order_id = random.choice(waiting[-3:])  # newest first: one of the oldest listed
        _, order = self.mutate("acceptWorkOrder", ACCEPT_ORDER, {"workOrderId": order_id})
        if order is not None:
            acknowledge({"op": "acceptWorkOrder", "id": order["id"]})


class CommunityAdmin(GraphQLUser):
    """Community admins: award volunteer hours to residents of the community (one key each;
    some sent twice, as a client retry would, which must return the same award)."""

    weight = 1
    pool = "admins"

    @task
    def award(self) -> None:
        entry = {
            "personId": random.choice(DATA["awardees"]),
            "ruleCode": "VOLUNTEER_HOUR",
            "quantity": 1,
            "reason": "负载测试：社区志愿服务",
            "idempotencyKey": f"lm-{uuid.uuid4().hex}",
        }
        _, award = self.mutate("awardPoints", AWARD_POINTS, entry)
        if award is None:
            return
        acknowledge({"op": "awardPoints", "id": award["id"], "points": award["points"]})
        if random.random() < SAME_KEY_AGAIN:
            self.mutate(
                "awardPoints",
                AWARD_POINTS,
                entry,
                name="awardPoints (same key again)",
                same_as=award["id"],
            )
