"""GraphQL mutations of work orders: the loop as the apps drive it (place → accept → assign
→ start → resolve → confirm → rate, report → verify, transfer, reject), typed errors, the node
with its timeline, the viewer's orders."""

from __future__ import annotations

import base64

import httpx
import pytest

from services.enums import WorkOrderStatus
from services.models import PointsAward, WorkOrder
from tests.conftest import Database, actor_for, gql, login
from tests.schema.workorders_support import CATEGORIES, RESULT, gid, run
from tests.services.workorders_support import grid, handled, micro_grid, place, snapshot

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


ORDER_FIELDS = """id kind status description location photoUrls escalationLevel overdue
  acceptDue resolveDue rating comment submittedAt acceptedAt resolvedAt closedAt
  category { code name acceptWithinMinutes }
  microGrid { name level } area { name } household { address }
  reporter { name } assignee { name }
  timeline { action fromStatus toStatus actor { name } note at targetArea { name } }"""


def step(name: str, input_type: str, success: str) -> str:
    return f"""
mutation M($input: {input_type}!) {{ {name}(input: $input) {{ {RESULT}
  ... on {success} {{ workOrder {{ {ORDER_FIELDS} }} }} }} }}"""


PLACE = step("placeOrder", "PlaceOrderInput", "PlaceOrderSuccess")


REPORT = step("reportProblem", "ReportProblemInput", "ReportProblemSuccess")


ACCEPT = step("acceptWorkOrder", "AcceptWorkOrderInput", "AcceptWorkOrderSuccess")


ASSIGN = step("assignWorkOrder", "AssignWorkOrderInput", "AssignWorkOrderSuccess")


START = step("startWorkOrder", "StartWorkOrderInput", "StartWorkOrderSuccess")


RESOLVE = step("resolveWorkOrder", "ResolveWorkOrderInput", "ResolveWorkOrderSuccess")


CONFIRM = step("confirmWorkOrder", "ConfirmWorkOrderInput", "ConfirmWorkOrderSuccess")


VERIFY = step("verifyReport", "VerifyReportInput", "VerifyReportSuccess")


TRANSFER = step("transferWorkOrder", "TransferWorkOrderInput", "TransferWorkOrderSuccess")


SUSPEND = step("suspendWorkOrder", "SuspendWorkOrderInput", "SuspendWorkOrderSuccess")


RESUME = step("resumeWorkOrder", "ResumeWorkOrderInput", "ResumeWorkOrderSuccess")


REJECT = step("rejectWorkOrder", "RejectWorkOrderInput", "RejectWorkOrderSuccess")


RATE = step("rateWorkOrder", "RateWorkOrderInput", "RateWorkOrderSuccess")
CANCEL = step("cancelWorkOrder", "CancelWorkOrderInput", "CancelWorkOrderSuccess")
CHECK = step("checkReport", "CheckReportInput", "CheckReportSuccess")
REOPEN = step("reopenWorkOrder", "ReopenWorkOrderInput", "ReopenWorkOrderSuccess")


LIST = """
query L($under: ID, $status: WorkOrderStatus, $overdue: Boolean!, $mine: Boolean!, $first: Int,
        $after: String) {
  workOrders(under: $under, status: $status, overdueOnly: $overdue, assignedToMe: $mine,
             first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id status escalationLevel overdue microGrid { name } } } } }"""


NODE = f"query N($id: ID!) {{ node(id: $id) {{ ... on WorkOrder {{ {ORDER_FIELDS} }} }} }}"


VIEWER = "{ viewer { workOrders(first: 50) { totalCount edges { node { id status } } } } }"


def key_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


class TestPlaceOrder:
    """A request from placement to rating."""

    async def test_a_request_from_placement_to_rating(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        resident = await login(client, "resident")
        leader = await login(client, "microgrid_leader")
        helper = await login(client, "central_household")
        # the resident picks a category and places an order
        categories = await gql(client, CATEGORIES, {"kind": "RESIDENT_REQUEST"}, token=resident)
        codes = {c["code"]: c for c in categories["data"]["workOrderCategories"]}
        assert codes["WATER_ELECTRIC"]["name"] == "水电维修"
        assert all(c["kind"] == "RESIDENT_REQUEST" for c in codes.values())
        placed = await run(
            client, resident, PLACE, "placeOrder", category="WATER_ELECTRIC", description="水管漏水"
        )
        assert placed["__typename"] == "PlaceOrderSuccess"
        order = placed["workOrder"]
        assert (order["status"], order["kind"], order["overdue"]) == (
            "DISPATCHED",
            "RESIDENT_REQUEST",
            False,
        )
        assert order["microGrid"]["level"] == "MICRO_GRID"
        assert [t["action"] for t in order["timeline"]] == ["SUBMIT", "DISPATCH"]
        assert order["timeline"][1]["targetArea"]["name"] == order["microGrid"]["name"]
        wid = order["id"]
        # the leader accepts and assigns the central household, who starts and resolves
        assert (await run(client, leader, ACCEPT, "acceptWorkOrder", workOrderId=wid))["workOrder"][
            "status"
        ] == "ACCEPTED"
        helper_id = gid("Person", (await actor_for("central_household")).person_id)
        assigned = await run(
            client, leader, ASSIGN, "assignWorkOrder", workOrderId=wid, personId=helper_id
        )
        assert assigned["workOrder"]["assignee"]["name"] == "陈志强"
        await run(client, helper, START, "startWorkOrder", workOrderId=wid)
        resolved = await run(
            client, helper, RESOLVE, "resolveWorkOrder", workOrderId=wid, note="更换了阀芯"
        )
        assert resolved["workOrder"]["status"] == "RESOLVED"
        # a second resolve is an illegal jump, typed
        again = await run(client, helper, RESOLVE, "resolveWorkOrder", workOrderId=wid)
        assert (again["__typename"], again["code"]) == ("InvalidTransition", "INVALID_TRANSITION")
        # the leader may not confirm for the resident
        refused = await run(
            client, leader, CONFIRM, "confirmWorkOrder", workOrderId=wid, idempotencyKey="c-0"
        )
        assert refused["__typename"] == "Forbidden"
        # the resident rates and confirms: closed, the helper paid once
        rated = await run(
            client, resident, RATE, "rateWorkOrder", workOrderId=wid, rating=5, comment="很及时"
        )
        assert (rated["workOrder"]["rating"], rated["workOrder"]["comment"]) == (5, "很及时")
        closed = await run(
            client, resident, CONFIRM, "confirmWorkOrder", workOrderId=wid, idempotencyKey="c-1"
        )
        timeline = closed["workOrder"]["timeline"]
        assert closed["workOrder"]["status"] == "CLOSED"
        assert [t["action"] for t in timeline] == [
            "SUBMIT",
            "DISPATCH",
            "ACCEPT",
            "ASSIGN",
            "START",
            "RESOLVE",
            "RATE",
            "CONFIRM",
            "CLOSE",
        ]
        assert timeline[2]["actor"]["name"] == "赵桂兰"
        assert timeline[5]["note"] == "更换了阀芯"
        awards = await PointsAward.filter(source_type="WorkOrder", source_id=str(key_of(wid)))
        assert [a.person_id for a in awards] == [(await actor_for("central_household")).person_id]
        # the node reads the same for the resident; a volunteer sees nothing
        seen = await gql(client, NODE, {"id": wid}, token=resident)
        assert seen["data"]["node"]["status"] == "CLOSED"
        hidden = await gql(client, NODE, {"id": wid}, token=await login(client, "volunteer"))
        assert hidden["data"]["node"] is None
        # the viewer's own orders: the resident's, and the helper's as assignee
        for token in (resident, helper):
            mine = await gql(client, VIEWER, token=token)
            assert wid in [e["node"]["id"] for e in mine["data"]["viewer"]["workOrders"]["edges"]]


class TestVerifyReport:
    """A report from reporting to verification."""

    async def test_a_report_verified_by_the_grid_leader(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        rider = await login(client, "rider")
        leader = await login(client, "microgrid_leader")
        area = gid("Area", (await micro_grid()).id)
        bad = await run(
            client,
            rider,
            REPORT,
            "reportProblem",
            category="SANITATION",
            areaId=area,
            location="3 号楼",
            description="垃圾满溢",
            photoUrls=["ftp://img.example.com/a.jpg"],
        )
        assert (bad["__typename"], bad["field"]) == ("InvalidInput", "photoUrls")
        reported = await run(
            client,
            rider,
            REPORT,
            "reportProblem",
            category="SANITATION",
            areaId=area,
            location="3 号楼",
            description="垃圾满溢",
            photoUrls=["https://img.example.com/a.jpg"],
        )
        order = reported["workOrder"]
        assert (order["kind"], order["location"], order["photoUrls"]) == (
            "PROBLEM_REPORT",
            "3 号楼",
            ["https://img.example.com/a.jpg"],
        )
        wid = order["id"]
        for query, name in ((ACCEPT, "acceptWorkOrder"), (START, "startWorkOrder")):
            await run(client, leader, query, name, workOrderId=wid)
        suspended = await run(
            client, leader, SUSPEND, "suspendWorkOrder", workOrderId=wid, reason="等待清运车"
        )
        assert suspended["workOrder"]["status"] == "SUSPENDED"
        resumed = await run(client, leader, RESUME, "resumeWorkOrder", workOrderId=wid)
        assert resumed["workOrder"]["status"] == "IN_PROGRESS"
        await run(client, leader, RESOLVE, "resolveWorkOrder", workOrderId=wid, note="已清运")
        own = await run(
            client, leader, VERIFY, "verifyReport", workOrderId=wid, idempotencyKey="v-0"
        )
        assert own["__typename"] == "Forbidden"
        grid_leader = await login(client, "grid_leader")
        verified = await run(
            client, grid_leader, VERIFY, "verifyReport", workOrderId=wid, idempotencyKey="v-1"
        )
        assert verified["workOrder"]["status"] == "CLOSED"
        # a retry with the same key returns the order again; another input is a conflict
        retried = await run(
            client, grid_leader, VERIFY, "verifyReport", workOrderId=wid, idempotencyKey="v-1"
        )
        assert (retried["__typename"], retried["workOrder"]["status"]) == (
            "VerifyReportSuccess",
            "CLOSED",
        )
        other = gid("WorkOrder", (await place()).id)
        conflict = await run(
            client, grid_leader, VERIFY, "verifyReport", workOrderId=other, idempotencyKey="v-1"
        )
        assert (conflict["__typename"], conflict["code"]) == (
            "IdempotencyConflict",
            "IDEMPOTENCY_CONFLICT",
        )
        codes = sorted(
            a.person_id
            for a in await PointsAward.filter(source_type="WorkOrder", source_id=str(key_of(wid)))
        )
        expected = sorted(
            [(await actor_for("rider")).person_id, (await actor_for("microgrid_leader")).person_id]
        )
        assert codes == expected


class TestTransferAndReject:
    async def test_transfer_reject_and_lists(self, db: Database, client: httpx.AsyncClient) -> None:
        leader = await login(client, "microgrid_leader")
        grid_leader = await login(client, "grid_leader")
        first = await place()
        second = await place()
        # transferred up to the grid with a reason; the grid leader rejects the other
        up = await run(
            client,
            leader,
            TRANSFER,
            "transferWorkOrder",
            workOrderId=gid("WorkOrder", first.id),
            up=True,
            reason="需网格协调",
        )
        assert up["workOrder"]["microGrid"]["name"] == (await grid()).name
        assert up["workOrder"]["timeline"][-1]["note"] == "需网格协调"
        rejected = await run(
            client,
            leader,
            REJECT,
            "rejectWorkOrder",
            workOrderId=gid("WorkOrder", second.id),
            reason="属于物业职责",
        )
        assert rejected["workOrder"]["status"] == "REJECTED"
        empty = await run(
            client,
            leader,
            REJECT,
            "rejectWorkOrder",
            workOrderId=gid("WorkOrder", first.id),
            reason="",
        )
        assert (empty["__typename"], empty["field"]) == ("InvalidInput", "reason")
        gone = await run(
            client,
            leader,
            REJECT,
            "rejectWorkOrder",
            workOrderId=gid("WorkOrder", first.id),
            reason="无",
        )
        assert gone["__typename"] == "NotFound"  # handled by the grid now: out of M's sight
        # the grid leader's list holds the transferred order; M's leader's no longer does
        g = gid("Area", (await grid()).id)
        listed = await gql(
            client,
            LIST,
            {"under": g, "overdue": False, "mine": False, "first": 100},
            token=grid_leader,
        )
        ids = [e["node"]["id"] for e in listed["data"]["workOrders"]["edges"]]
        assert gid("WorkOrder", first.id) in ids
        m = gid("Area", (await micro_grid()).id)
        mine = await gql(
            client, LIST, {"under": m, "overdue": False, "mine": False, "first": 100}, token=leader
        )
        assert gid("WorkOrder", first.id) not in [
            e["node"]["id"] for e in mine["data"]["workOrders"]["edges"]
        ]
        # the demo's overdue orders show up as overdue, and a resident may not list
        overdue = await gql(
            client,
            LIST,
            {"under": g, "overdue": True, "mine": False, "first": 100},
            token=grid_leader,
        )
        nodes = [e["node"] for e in overdue["data"]["workOrders"]["edges"]]
        assert nodes and all(n["overdue"] for n in nodes)
        assert any(n["escalationLevel"] > 0 for n in nodes)
        refused = await gql(
            client,
            LIST,
            {"under": g, "overdue": False, "mine": False, "first": 10},
            token=await login(client, "resident"),
        )
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestOrderAndReportLoop:
    """Retries, cancellation, residents' reports checked on the spot, reopening."""

    async def test_a_retried_order_is_placed_once_and_cancelled(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        resident = await login(client, "resident")
        values = {"category": "WATER_ELECTRIC", "description": "水管漏水", "idempotencyKey": "k-1"}
        first = await run(client, resident, PLACE, "placeOrder", **values)
        assert first["__typename"] == "PlaceOrderSuccess"
        before = await snapshot()
        # the retry returns the same order; another input with the key is a conflict
        again = await run(client, resident, PLACE, "placeOrder", **values)
        assert again["workOrder"]["id"] == first["workOrder"]["id"]
        conflict = await run(
            client, resident, PLACE, "placeOrder", **{**values, "description": "灯坏了"}
        )
        assert (conflict["__typename"], conflict["code"]) == (
            "IdempotencyConflict",
            "IDEMPOTENCY_CONFLICT",
        )
        assert await snapshot() == before
        # the leader may not cancel it; the resident does, with a reason
        wid = first["workOrder"]["id"]
        leader = await login(client, "microgrid_leader")
        refused = await run(client, leader, CANCEL, "cancelWorkOrder", workOrderId=wid, reason="x")
        assert (refused["__typename"], refused["code"]) == ("Forbidden", "FORBIDDEN")
        cancelled = await run(
            client, resident, CANCEL, "cancelWorkOrder", workOrderId=wid, reason="已自行修好"
        )
        assert cancelled["workOrder"]["status"] == "CANCELLED"
        assert cancelled["workOrder"]["timeline"][-1]["note"] == "已自行修好"
        assert (await WorkOrder.get(id=key_of(wid))).status is WorkOrderStatus.CANCELLED
        late = await run(client, leader, ACCEPT, "acceptWorkOrder", workOrderId=wid)
        assert (late["__typename"], late["message"]) == (
            "InvalidTransition",
            "A RESIDENT_REQUEST that is CANCELLED cannot be accepted now.",
        )

    async def test_a_residents_report_is_checked_then_handled_and_reopened(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        resident = await login(client, "resident")
        grid_leader = await login(client, "grid_leader")
        reported = await run(
            client,
            resident,
            REPORT,
            "reportProblem",
            category="PUBLIC_FACILITY",
            areaId=gid("Area", (await micro_grid()).id),
            location="2 号楼楼道",
            description="楼道灯不亮",
            idempotencyKey="report-1",
        )
        order = reported["workOrder"]
        assert (reported["__typename"], order["status"]) == ("ReportProblemSuccess", "SUBMITTED")
        wid = order["id"]
        rider = await login(client, "rider")
        hidden = await run(client, rider, CHECK, "checkReport", workOrderId=wid, confirmed=True)
        assert hidden["__typename"] == "NotFound"
        checked = await run(
            client, grid_leader, CHECK, "checkReport", workOrderId=wid, confirmed=True
        )
        assert checked["workOrder"]["status"] == "DISPATCHED"
        assert [t["action"] for t in checked["workOrder"]["timeline"]] == [
            "SUBMIT",
            "CHECK",
            "DISPATCH",
        ]
        # handled, then the grid leader's verification fails: back to the handler
        resolved = await handled(await WorkOrder.get(id=key_of(wid)))
        reopened = await run(
            client,
            grid_leader,
            REOPEN,
            "reopenWorkOrder",
            workOrderId=gid("WorkOrder", resolved.id),
            reason="仍有两盏灯不亮",
        )
        assert reopened["workOrder"]["status"] == "IN_PROGRESS"
        assert reopened["workOrder"]["timeline"][-1]["action"] == "REOPEN"
        assert reopened["workOrder"]["resolvedAt"] is None
        # a report the check does not confirm ends with the reason
        other = await run(
            client,
            resident,
            REPORT,
            "reportProblem",
            category="SANITATION",
            areaId=gid("Area", (await micro_grid()).id),
            location="3 号楼",
            description="垃圾满溢",
        )
        no_reason = await run(
            client,
            grid_leader,
            CHECK,
            "checkReport",
            workOrderId=other["workOrder"]["id"],
            confirmed=False,
        )
        assert (no_reason["__typename"], no_reason["field"]) == ("InvalidInput", "reason")
        rejected = await run(
            client,
            grid_leader,
            CHECK,
            "checkReport",
            workOrderId=other["workOrder"]["id"],
            confirmed=False,
            reason="现场已清理",
        )
        assert rejected["workOrder"]["status"] == "REJECTED"
        assert (await WorkOrder.get(id=key_of(other["workOrder"]["id"]))).closed_at is not None
