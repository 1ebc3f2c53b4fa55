"""GraphQL mutations of partners: a whole register → review → post → propose → accept → stock
round over HTTP, typed errors, nodes, and the update inputs' null convention."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from seed.points import MERCHANT_NAME
from services.models import (
    Area,
    NeedEntry,
    PartnerMember,
    PartnerUnit,
    Project,
    ProjectMilestone,
    ResourceOffer,
    UserAccount,
)
from tests.conftest import gql, login

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


async def _area(name: str) -> str:
    return gid("Area", (await Area.get(name=name)).id)


def _result(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


REGISTER = """
mutation($input: RegisterPartnerUnitInput!) { registerPartnerUnit(input: $input) {
  __typename ... on RegisterPartnerUnitSuccess { unit { id status } } ... on Error { code field }
} }
"""


REVIEW = """
mutation($input: ReviewPartnerUnitInput!) { reviewPartnerUnit(input: $input) {
  __typename ... on ReviewPartnerUnitSuccess { unit { status reviewReason } }
  ... on Error { code field }
} }
"""


POST_RESOURCE = """
mutation($input: PostResourceInput!) { postResource(input: $input) {
  __typename ... on PostResourceSuccess { resource { id remaining servedAreas { name } } }
  ... on Error { code field }
} }
"""


POST_NEED = """
mutation($input: PostNeedInput!) { postNeed(input: $input) {
  __typename ... on PostNeedSuccess { need { id stillNeeded sourceIds } }
  ... on Error { code field }
} }
"""


MATCHES = """
query($need: ID!) { matchesForNeed(needId: $need, first: 3) {
  score relevanceScore categoryScore areaScore windowScore quantityScore reason
  resource { id title unit { name } }
} }
"""


PROPOSE = """
mutation($input: ProposeMatchInput!) { proposeMatch(input: $input) {
  __typename ... on ProposeMatchSuccess { match { id status score proposedBySide } }
  ... on Error { code field }
} }
"""


ACCEPT = """
mutation($input: AcceptMatchInput!) { acceptMatch(input: $input) {
  __typename ... on AcceptMatchSuccess { match { status need { committed status } }
    project { status participants { role } } }
  ... on Error { code field }
} }
"""


STOCK = """
mutation($input: StockRewardFromResourceInput!) { stockRewardFromResource(input: $input) {
  __typename ... on StockRewardFromResourceSuccess { reward { stock provider { kind name } }
    resource { remaining } }
  ... on Error { code field }
} }
"""


class TestRegisterToStock:
    async def test_a_unit_registers_posts_matches_and_stocks_over_graphql(
        self,
        client: httpx.AsyncClient,
    ) -> None:
        sibling = await _area("西冶街社区")
        resident = await login(client, "resident")
        # a resident registers a unit with the sibling community
        body = await gql(
            client,
            REGISTER,
            {"input": {"communityId": sibling, "name": "西冶街便民商店", "kind": "MERCHANT"}},
            token=resident,
        )
        made = _result(body, "registerPartnerUnit")
        assert (
            made["__typename"] == "RegisterPartnerUnitSuccess"
            and made["unit"]["status"] == "PENDING"
        )
        unit_id = made["unit"]["id"]
        # the demo community's admin may not see it; the street admin approves it
        other = await login(client, "community_admin")
        body = await gql(
            client, REVIEW, {"input": {"unitId": unit_id, "approve": True}}, token=other
        )
        assert _result(body, "reviewPartnerUnit") == {
            "__typename": "NotFound",
            "code": "NOT_FOUND",
            "field": "unitId",
        }
        street = await login(client, "street_admin")
        body = await gql(
            client, REVIEW, {"input": {"unitId": unit_id, "approve": True}}, token=street
        )
        assert _result(body, "reviewPartnerUnit")["unit"]["status"] == "APPROVED"
        # the manager posts goods (serving the community by default); bad input is typed
        goods = {
            "unitId": unit_id,
            "category": "GOODS",
            "title": "矿泉水",
            "quantity": 40,
            "unitLabel": "箱",
        }
        body = await gql(client, POST_RESOURCE, {"input": {**goods, "quantity": 0}}, token=resident)
        assert _result(body, "postResource") == {
            "__typename": "InvalidInput",
            "code": "INVALID_INPUT",
            "field": "quantity",
        }
        body = await gql(client, POST_RESOURCE, {"input": goods}, token=resident)
        posted = _result(body, "postResource")["resource"]
        assert posted["servedAreas"] == [{"name": "西冶街社区"}]
        # the street admin posts a need citing a resident's request and asks for matches
        need_input = {
            "areaId": sibling,
            "category": "GOODS",
            "title": "夏季防暑物资",
            "quantity": 25,
            "unitLabel": "箱",
            "urgency": "HIGH",
            "sourceIds": [gid("WorkOrder", 7)],
        }
        body = await gql(client, POST_NEED, {"input": need_input}, token=street)
        need = _result(body, "postNeed")["need"]
        assert need["sourceIds"] == [gid("WorkOrder", 7)] and need["stillNeeded"] == 25
        body = await gql(client, MATCHES, {"need": need["id"]}, token=street)
        top = body["data"]["matchesForNeed"][0]
        assert top["resource"]["id"] == posted["id"]
        assert (top["categoryScore"], top["areaScore"], top["windowScore"]) == (20, 15, 10)
        assert top["score"] == 60 + top["relevanceScore"]  # 矿泉水 for 防暑物资: only 箱 shared
        assert "covers all 25" in top["reason"]
        # the street admin proposes, the unit's manager accepts: a project is born
        body = await gql(
            client,
            PROPOSE,
            {"input": {"needId": need["id"], "resourceId": posted["id"], "quantity": 25}},
            token=street,
        )
        match = _result(body, "proposeMatch")["match"]
        assert (match["status"], match["proposedBySide"]) == ("PROPOSED", "NEED")
        body = await gql(client, ACCEPT, {"input": {"matchId": match["id"]}}, token=street)
        assert _result(body, "acceptMatch")["code"] == "FORBIDDEN"
        body = await gql(client, ACCEPT, {"input": {"matchId": match["id"]}}, token=resident)
        accepted = _result(body, "acceptMatch")
        assert accepted["match"]["need"] == {"committed": 25, "status": "FULFILLED"}
        assert accepted["project"] == {"status": "ACTIVE", "participants": [{"role": "PARTNER"}]}
        # the rest stocks the marketplace; more than is left is OutOfStock
        stock = {
            "resourceId": posted["id"],
            "quantity": 10,
            "pricePoints": 20,
            "idempotencyKey": "k1",
        }
        body = await gql(
            client,
            STOCK,
            {"input": {**stock, "quantity": 16, "idempotencyKey": "k0"}},
            token=resident,
        )
        assert _result(body, "stockRewardFromResource")["code"] == "OUT_OF_STOCK"
        body = await gql(client, STOCK, {"input": stock}, token=resident)
        stocked = _result(body, "stockRewardFromResource")
        assert stocked["reward"] == {
            "stock": 10,
            "provider": {"kind": "PARTNER_UNIT", "name": "西冶街便民商店"},
        }
        assert stocked["resource"] == {"remaining": 5}
        # the database agrees
        offer = await ResourceOffer.get(title="矿泉水")
        assert offer.remaining == 5
        assert (await NeedEntry.get(title="夏季防暑物资")).committed == 25


class TestUpdateResource:
    async def test_another_unit_cannot_touch_a_list_and_anonymous_sees_nothing(
        self,
        client: httpx.AsyncClient,
    ) -> None:
        merchant = await PartnerUnit.get(name="颜山佳和便民超市")
        offer = await ResourceOffer.filter(unit_id=merchant.id).first()
        assert offer is not None
        token = await login(client, "partner")
        body = await gql(
            client,
            """mutation($input: UpdateResourceInput!) { updateResource(input: $input) {
                 __typename ... on Error { code } } }""",
            {"input": {"resourceId": gid("ResourceOffer", offer.id), "title": "改"}},
            token=token,
        )
        assert body["data"]["updateResource"] == {"__typename": "Forbidden", "code": "FORBIDDEN"}
        assert (await ResourceOffer.get(id=offer.id)).title == offer.title
        # nodes apply the same rules: anonymous callers see no partner data
        ids = [gid("PartnerUnit", merchant.id), gid("ResourceOffer", offer.id)]
        body = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
        assert body["data"]["nodes"] == [None, None]
        body = await gql(
            client,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on PartnerUnit { name } } }",
            {"ids": ids},
            token=token,
        )
        assert body["data"]["nodes"][0]["name"] == "颜山佳和便民超市"
        body = await gql(client, "{ partnerUnits { totalCount } }")
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


class TestUpdateInputs:
    async def test_null_clears_what_may_be_empty_and_absent_fields_stay(
        self,
        client: httpx.AsyncClient,
    ) -> None:
        """Update inputs: a field given as null clears it where it may be empty (a window end, a
        deadline, a due day); null for a field that may not be empty, or a field left out, leaves
        it as it is."""
        merchant = await PartnerUnit.get(name="颜山佳和便民超市")
        offer = await ResourceOffer.filter(
            unit_id=merchant.id, available_until__isnull=False
        ).first()
        need = await NeedEntry.filter(deadline__isnull=False).first()
        milestone = await ProjectMilestone.get(title="入户送达")
        assert offer is not None and offer.available_from is not None
        assert need is not None and milestone.due_on is not None
        body = await gql(
            client,
            """mutation($input: UpdateResourceInput!) { updateResource(input: $input) {
                 __typename ... on UpdateResourceSuccess {
                   resource { title availableUntil } } } }""",
            {
                "input": {
                    "resourceId": gid("ResourceOffer", offer.id),
                    "title": None,
                    "availableUntil": None,
                }
            },
            token=await login(client, "merchant"),
        )
        assert _result(body, "updateResource") == {
            "__typename": "UpdateResourceSuccess",
            "resource": {"title": offer.title, "availableUntil": None},
        }
        token = await login(client, "community_admin")
        body = await gql(
            client,
            """mutation($need: UpdateNeedInput!, $milestone: UpdateMilestoneInput!) {
                 updateNeed(input: $need) { __typename ... on UpdateNeedSuccess {
                   need { place deadline } } }
                 updateMilestone(input: $milestone) { __typename ... on MilestoneSuccess {
                   milestone { title progress dueOn } } } }""",
            {
                "need": {"needId": gid("Need", need.id), "place": None, "deadline": None},
                "milestone": {"milestoneId": gid("ProjectMilestone", milestone.id), "dueOn": None},
            },
            token=token,
        )
        assert _result(body, "updateNeed") == {
            "__typename": "UpdateNeedSuccess",
            "need": {"place": need.place, "deadline": None},
        }
        assert _result(body, "updateMilestone") == {
            "__typename": "MilestoneSuccess",
            "milestone": {"title": "入户送达", "progress": milestone.progress, "dueOn": None},
        }
        # the database agrees: only the nulled fields that may be empty were cleared
        fresh = await ResourceOffer.get(id=offer.id)
        assert (fresh.title, fresh.available_from, fresh.available_until) == (
            offer.title,
            offer.available_from,
            None,
        )
        assert (await NeedEntry.get(id=need.id)).deadline is None
        assert (await ProjectMilestone.get(id=milestone.id)).due_on is None


LEAVE = """
mutation($input: LeavePartnerUnitInput!) { leavePartnerUnit(input: $input) {
  __typename ... on LeavePartnerUnitSuccess { member { leftAt } unit { members { manager } } }
  ... on Error { code field }
} }
"""


REMOVE = """
mutation($input: RemovePartnerMemberInput!) { removePartnerMember(input: $input) {
  __typename ... on RemovePartnerMemberSuccess { member { leftAt } unit { name } }
  ... on Error { code field }
} }
"""


class TestLeaveAndRemove:
    async def test_the_last_manager_names_a_successor_and_a_member_is_removed(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo merchant: its manager `merchant` and its clerk
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        unit_id = gid("PartnerUnit", merchant.id)
        manager = await login(client, "merchant")
        clerk = (await PartnerMember.get(unit_id=merchant.id, manager=False)).person_id
        # when the manager leaves without a successor, then a Conflict on successorId
        body = await gql(client, LEAVE, {"input": {"unitId": unit_id}}, token=manager)
        assert _result(body, "leavePartnerUnit") == {
            "__typename": "Conflict",
            "code": "CONFLICT",
            "field": "successorId",
        }
        assert await PartnerMember.filter(unit_id=merchant.id, left_at=None).count() == 2
        # and with the clerk as successor, the clerk manages the unit alone
        successor = {"unitId": unit_id, "successorId": gid("Person", clerk)}
        body = await gql(client, LEAVE, {"input": successor}, token=manager)
        left = _result(body, "leavePartnerUnit")
        assert left["__typename"] == "LeavePartnerUnitSuccess", left
        assert left["member"]["leftAt"] is not None
        assert left["unit"]["members"] == [{"manager": True}]
        # and the former manager no longer works there: removing them is NOT_FOUND
        admin = await login(client, "community_admin")
        gone = {"unitId": unit_id, "personId": gid("Person", (await _person("merchant")))}
        body = await gql(client, REMOVE, {"input": gone}, token=admin)
        assert _result(body, "removePartnerMember")["code"] == "NOT_FOUND"
        # and the history keeps both memberships
        assert await PartnerMember.filter(unit_id=merchant.id).count() == 2

    async def test_a_plain_member_removes_nobody(self, client: httpx.AsyncClient) -> None:
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        clerk = await login(client, "merchant_clerk")
        target = {
            "unitId": gid("PartnerUnit", merchant.id),
            "personId": gid("Person", await _person("merchant")),
        }
        body = await gql(client, REMOVE, {"input": target}, token=clerk)
        assert _result(body, "removePartnerMember")["code"] == "FORBIDDEN"
        assert await PartnerMember.filter(unit_id=merchant.id, left_at=None).count() == 2


CLAIM_KINDS = """
mutation($input: SetProjectClaimKindsInput!) { setProjectClaimKinds(input: $input) {
  __typename ... on SetProjectClaimKindsSuccess { kinds community { name } }
  ... on Error { code field }
} }
"""


CLAIM = """
mutation($input: ClaimProjectInput!) { claimProject(input: $input) {
  __typename ... on ProjectSuccess { project { status participants { role unit { name } } } }
  ... on Error { code field }
} }
"""


class TestClaimKinds:
    async def test_the_community_lets_an_enterprise_claim(self, client: httpx.AsyncClient) -> None:
        # given the demo's claimable project and its enterprise
        community = await _area("颜山社区")
        project = gid("Project", (await Project.get(claimable=True)).id)
        enterprise = await PartnerUnit.get(name="山东博山琉璃制品有限公司")
        staff = await login(client, "enterprise_staff")
        claim = {"projectId": project, "unitId": gid("PartnerUnit", enterprise.id)}
        body = await gql(client, CLAIM, {"input": claim}, token=staff)
        assert _result(body, "claimProject")["code"] == "FORBIDDEN"
        query = "query($c: ID!) { projectClaimKinds(communityId: $c) }"
        body = await gql(client, query, {"c": community}, token=staff)
        assert body["data"]["projectClaimKinds"] == ["SOCIAL_ORGANIZATION", "PROPERTY_COMPANY"]
        # a partner member does not choose
        kinds = {"communityId": community, "kinds": ["ENTERPRISE", "PROPERTY_COMPANY"]}
        body = await gql(client, CLAIM_KINDS, {"input": kinds}, token=staff)
        assert _result(body, "setProjectClaimKinds")["code"] == "FORBIDDEN"
        # when the community's admin allows enterprises
        admin = await login(client, "community_admin")
        body = await gql(client, CLAIM_KINDS, {"input": kinds}, token=admin)
        assert _result(body, "setProjectClaimKinds") == {
            "__typename": "SetProjectClaimKindsSuccess",
            "kinds": ["ENTERPRISE", "PROPERTY_COMPANY"],
            "community": {"name": "颜山社区"},
        }
        # then the enterprise claims the project and owns it
        body = await gql(client, CLAIM, {"input": claim}, token=staff)
        claimed = _result(body, "claimProject")
        assert claimed["__typename"] == "ProjectSuccess", claimed
        assert {"role": "OWNER", "unit": {"name": enterprise.name}} in claimed["project"][
            "participants"
        ]
        assert (await Project.get(claimable=True)).claimed_by_unit_id == enterprise.id


UPDATE_PROJECT = """
mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  __typename ... on ProjectSuccess { project { status } } ... on Error { code field }
} }
"""


class TestUpdateProject:
    async def test_an_illegal_status_change_is_an_invalid_transition(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo's PROPOSED claimable project
        project = await Project.get(claimable=True)
        admin = await login(client, "community_admin")
        # when the admin completes it before it started
        change = {"projectId": gid("Project", project.id), "status": "COMPLETED"}
        body = await gql(client, UPDATE_PROJECT, {"input": change}, token=admin)
        # then INVALID_TRANSITION, and it stays PROPOSED
        assert _result(body, "updateProject") == {
            "__typename": "InvalidTransition",
            "code": "INVALID_TRANSITION",
            "field": "status",
        }
        assert (await Project.get(id=project.id)).status.value == "PROPOSED"


async def _person(username: str) -> int:
    account = await UserAccount.get(username=username)
    return account.person_id
