"""The volunteering mutations over HTTP: the whole loop from team to points, and the typed
errors that write nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from strawberry import relay

from services import volunteering
from services.enums import HoursStatus, SignUpStatus
from services.kit import clock as service_clock
from services.models import ActivitySignUp, PointsAward, VolunteerActivity
from tests.conftest import actor_for, gql, login
from tests.schema.volunteering.support import (
    ACTIVITIES,
    APPROVE,
    CANCEL_ACTIVITY,
    CANCEL_SIGN_UP,
    CHECK_IN,
    CHECK_OUT,
    CODE,
    CREATE_ACTIVITY,
    CREATE_TEAM,
    DECLINE,
    JOIN,
    LEAVE,
    REVIEW,
    SIGN_UP,
    VIEWER,
    area_gid,
    gid,
    person_gid,
    result_of,
    sign_in,
)
from tests.services.points_support import Clock, assert_ledger_ok
from tests.services.volunteering_support import activity, local_day, served, sign_up, team

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(service_clock.now().replace(second=0, microsecond=0))


class TestTheWholeLoop:
    """Team, membership, activity, sign-up, check-in and out, hours, points."""

    async def test_the_whole_loop(self, client: httpx.AsyncClient, clock: Clock) -> None:
        admin = await login(client, "community_admin")
        leader = await login(client, "microgrid_leader")
        resident = await login(client, "resident")
        volunteer = await login(client, "volunteer")
        # the community admin sets up a team led by the micro-grid leader
        team_input = {
            "areaId": await area_gid(),
            "name": "颜山花园青年志愿服务队",
            "kind": "YOUTH_VOLUNTEER_TEAM",
            "leaderId": await person_gid("microgrid_leader"),
            "description": "楼道清扫、助老陪伴",
        }
        team = result_of(
            await gql(client, CREATE_TEAM, {"input": team_input}, token=admin), "createTeam"
        )
        assert team["__typename"] == "CreateTeamSuccess", team
        team = team["team"]
        assert (team["memberCount"], team["leader"]["name"]) == (1, "赵桂兰")
        # the resident applies and the leader approves
        joined = result_of(
            await gql(client, JOIN, {"input": {"teamId": team["id"]}}, token=resident), "joinTeam"
        )
        assert joined["membership"]["status"] == "PENDING"
        reviewed = result_of(
            await gql(
                client,
                REVIEW,
                {"input": {"membershipId": joined["membership"]["id"], "approve": True}},
                token=leader,
            ),
            "reviewTeamMember",
        )
        assert reviewed["membership"]["status"] == "APPROVED"
        # the leader schedules an activity for two, an hour from now
        start = clock.moment + timedelta(hours=1)
        activity_input = {
            "teamId": team["id"],
            "title": "楼道小广告清理",
            "place": "颜山花园 5 号楼",
            "startsAt": start.isoformat(),
            "endsAt": (start + timedelta(hours=2)).isoformat(),
            "capacity": 2,
        }
        made = result_of(
            await gql(client, CREATE_ACTIVITY, {"input": activity_input}, token=leader),
            "createActivity",
        )
        assert made["__typename"] == "CreateActivitySuccess", made
        activity = made["activity"]
        assert (activity["placesLeft"], activity["area"]["name"]) == (2, "颜山社区")
        # two sign up, the third finds it full
        for token in (resident, volunteer):
            signed = result_of(
                await gql(client, SIGN_UP, {"input": {"activityId": activity["id"]}}, token=token),
                "signUpForActivity",
            )
            assert signed["__typename"] == "SignUpForActivitySuccess", signed
        assert signed["signUp"]["activity"]["placesLeft"] == 0
        full = result_of(
            await gql(
                client,
                SIGN_UP,
                {"input": {"activityId": activity["id"]}},
                token=await login(client, "central_household"),
            ),
            "signUpForActivity",
        )
        assert (full["__typename"], full["code"]) == ("Conflict", "CONFLICT")
        # the volunteer withdraws
        withdrawn = result_of(
            await gql(
                client, CANCEL_SIGN_UP, {"input": {"activityId": activity["id"]}}, token=volunteer
            ),
            "cancelSignUp",
        )
        assert withdrawn["signUp"]["status"] == "CANCELLED"
        # the list of upcoming activities shows it, with the resident's sign-up
        listed = await gql(
            client, ACTIVITIES, {"under": await area_gid(), "upcoming": True}, token=resident
        )
        nodes = [e["node"] for e in listed["data"]["activities"]["edges"]]
        mine = next(n for n in nodes if n["id"] == activity["id"])
        assert mine["placesLeft"] == 1 and mine["mySignUp"] == {"status": "SIGNED_UP"}
        # at the start, the leader sees the code, the resident does not, and checks in with it
        # (tokens live on the service clock too: two days on, everyone signs in again)
        clock.set(start)
        admin, leader, resident = await sign_in(
            client, "community_admin", "microgrid_leader", "resident"
        )
        code = (await gql(client, CODE, {"id": activity["id"]}, token=leader))["data"]["node"]
        assert code["checkInCode"]["code"].isdigit()
        hidden = (await gql(client, CODE, {"id": activity["id"]}, token=resident))["data"]["node"]
        assert hidden["checkInCode"] is None
        checked_in = result_of(
            await gql(
                client,
                CHECK_IN,
                {"input": {"activityId": activity["id"], "code": code["checkInCode"]["code"]}},
                token=resident,
            ),
            "checkIn",
        )
        assert checked_in["signUp"]["checkedInByOrganiser"] is False
        # 100 minutes later the resident checks out with the new code
        clock.set(start + timedelta(minutes=100))
        admin, leader, resident = await sign_in(
            client, "community_admin", "microgrid_leader", "resident"
        )
        code = (await gql(client, CODE, {"id": activity["id"]}, token=leader))["data"]["node"]
        checked_out = result_of(
            await gql(
                client,
                CHECK_OUT,
                {"input": {"activityId": activity["id"], "code": code["checkInCode"]["code"]}},
                token=resident,
            ),
            "checkOut",
        )
        assert checked_out["signUp"] == {
            "id": checked_in["signUp"]["id"],
            "minutes": 100,
            "hours": 1.67,
            "hoursStatus": "PENDING",
        }
        # the leader approves: 2 hours (rounded half up) × 12 points (颜山社区's rate)
        before = (await gql(client, VIEWER, token=resident))["data"]["viewer"]
        approve = {"signUpIds": [checked_in["signUp"]["id"]], "idempotencyKey": "approve-1"}
        approved = result_of(
            await gql(client, APPROVE, {"input": approve}, token=leader), "approveHours"
        )
        (entry,) = approved["signUps"]
        assert entry["hoursStatus"] == "APPROVED" and entry["awardedHours"] == 2
        assert entry["award"] == {"points": 24, "quantity": 2, "rule": {"code": "VOLUNTEER_HOUR"}}
        # approving again (another key) changes nothing
        approve["idempotencyKey"] = "approve-2"
        again = result_of(
            await gql(client, APPROVE, {"input": approve}, token=admin), "approveHours"
        )
        assert again["signUps"][0]["awardedHours"] == 2
        source = str(relay.GlobalID.from_id(checked_in["signUp"]["id"]).node_id)
        assert await PointsAward.filter(source_type="ActivitySignUp", source_id=source).count() == 1
        # and the resident sees it all
        viewer = (await gql(client, VIEWER, token=resident))["data"]["viewer"]
        assert viewer["pointsAccount"]["balance"] == before["pointsAccount"]["balance"] + 24
        hours = viewer["volunteerHours"]
        assert hours["approvedHours"] == before["volunteerHours"]["approvedHours"] + 1.67
        assert hours["awardedHours"] == before["volunteerHours"]["awardedHours"] + 2
        assert {"name": "颜山花园青年志愿服务队", "myMembership": {"status": "APPROVED"}} in viewer[
            "teams"
        ]
        titles = [e["node"]["title"] for e in viewer["activities"]["edges"]]
        assert "楼道小广告清理" in titles
        await assert_ledger_ok()


APPROVE_CAPPED = """
mutation P($input: ApproveHoursInput!) { approveHours(input: $input) {
  __typename ... on Error { code message }
  ... on ApproveHoursSuccess { signUps { id awardedHours cappedHours minutes hoursStatus }
    capped { id cappedHours } } } }"""


class TestApproveHours:
    """approveHours caps by the day served and says what a cap cut."""

    async def test_the_result_lists_what_a_cap_cut(
        self, client: httpx.AsyncClient, clock: Clock
    ) -> None:
        # given two 6-hour stints the resident served on one day (12 hours; the cap is 8)
        _, morning = await served(clock, {"resident": 360}, starts_at=local_day(3, 1))
        _, afternoon = await served(clock, {"resident": 360}, starts_at=local_day(3, 8))
        ids = [gid("ActivitySignUp", d["resident"].id) for d in (morning, afternoon)]
        leader = await login(client, "microgrid_leader")
        # when the leader approves both today
        approve = {"signUpIds": ids, "idempotencyKey": "approve-capped"}
        body = await gql(client, APPROVE_CAPPED, {"input": approve}, token=leader)
        result = result_of(body, "approveHours")
        # then all 12 hours are approved, 8 earn points and the 4 the cap cut are listed
        assert result["__typename"] == "ApproveHoursSuccess"
        assert [(s["awardedHours"], s["cappedHours"]) for s in result["signUps"]] == [
            (6, 0),
            (2, 4),
        ]
        assert {s["hoursStatus"] for s in result["signUps"]} == {"APPROVED"}
        assert result["capped"] == [{"id": ids[1], "cappedHours": 4}]
        # and the database keeps the hours with the cut
        kept = await ActivitySignUp.get(id=afternoon["resident"].id)
        assert (kept.hours_status, kept.minutes, kept.awarded_hours, kept.capped_hours) == (
            HoursStatus.APPROVED,
            360,
            2,
            4,
        )
        await assert_ledger_ok()


class TestCancelSignUp:
    """cancelSignUp refuses a sign-up already checked in."""

    async def test_checked_in_is_an_invalid_transition(
        self, client: httpx.AsyncClient, clock: Clock
    ) -> None:
        # given the volunteer signed up and was checked in 20 minutes before the start
        planned = await activity(item=await team(), starts_in=timedelta(hours=1))
        await sign_up("volunteer", planned)
        clock.set(planned.starts_at - timedelta(minutes=20))
        entry = await volunteering.check_in(
            actor=await actor_for("microgrid_leader"),
            activity_id=planned.id,
            person_id=(await actor_for("volunteer")).person_id,
        )
        # when they cancel the sign-up
        volunteer = await login(client, "volunteer")
        body = await gql(
            client,
            CANCEL_SIGN_UP,
            {"input": {"activityId": gid("VolunteerActivity", planned.id)}},
            token=volunteer,
        )
        # then it is refused as an illegal step, and nothing changed
        result = result_of(body, "cancelSignUp")
        assert (result["__typename"], result["code"]) == ("InvalidTransition", "INVALID_TRANSITION")
        kept = await ActivitySignUp.get(id=entry.id)
        assert (kept.status, kept.checked_in_at) == (SignUpStatus.SIGNED_UP, entry.checked_in_at)
        assert (await VolunteerActivity.get(id=planned.id)).signed_up == 1


class TestTypedErrors:
    """Each refusal is a typed error and leaves the database as it was."""

    async def test_typed_errors_and_nothing_written(
        self, client: httpx.AsyncClient, clock: Clock
    ) -> None:
        team_input = {
            "areaId": await area_gid(),
            "name": "测试队",
            "kind": "GENERAL_VOLUNTEER_TEAM",
            "leaderId": await person_gid("volunteer"),
        }
        # anonymous, then a resident, then a wrong id type, then a unit
        activities = await VolunteerActivity.all().count()
        body = await gql(client, CREATE_TEAM, {"input": team_input})
        assert result_of(body, "createTeam")["code"] == "UNAUTHENTICATED"
        resident = await login(client, "resident")
        body = await gql(client, CREATE_TEAM, {"input": team_input}, token=resident)
        assert result_of(body, "createTeam")["code"] == "FORBIDDEN"
        admin = await login(client, "community_admin")
        wrong = {**team_input, "leaderId": await area_gid()}
        body = await gql(client, CREATE_TEAM, {"input": wrong}, token=admin)
        # an id of another type is refused before execution (schema.core.ids)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["field"] == "leaderId"
        unit = {**team_input, "unitId": gid("PartnerUnit", 999_999)}
        body = await gql(client, CREATE_TEAM, {"input": unit}, token=admin)
        assert result_of(body, "createTeam")["field"] == "unitId"
        assert await VolunteerActivity.all().count() == activities
        team = result_of(
            await gql(client, CREATE_TEAM, {"input": team_input}, token=admin), "createTeam"
        )
        team_id = team["team"]["id"]
        # activities: naive time, past time for a leader, a project
        leader = await login(client, "volunteer")
        start = clock.moment + timedelta(days=1)
        activity_input = {
            "teamId": team_id,
            "title": "义务理发",
            "place": "颜山社区党群服务中心",
            "startsAt": start.isoformat(),
            "endsAt": (start + timedelta(hours=3)).isoformat(),
            "capacity": 5,
        }
        # a time without its UTC offset is refused before execution (schema.core.scalars)
        naive = {**activity_input, "startsAt": "2030-01-01T09:00:00"}
        body = await gql(client, CREATE_ACTIVITY, {"input": naive}, token=leader)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert ".startsAt" in body["errors"][0]["message"]
        yesterday = clock.moment - timedelta(days=1)
        past = {
            **activity_input,
            "startsAt": yesterday.isoformat(),
            "endsAt": (yesterday + timedelta(hours=1)).isoformat(),
        }
        body = await gql(client, CREATE_ACTIVITY, {"input": past}, token=leader)
        assert result_of(body, "createActivity")["field"] == "startsAt"
        project = {**activity_input, "projectId": gid("Project", 999_999)}
        body = await gql(client, CREATE_ACTIVITY, {"input": project}, token=leader)
        assert result_of(body, "createActivity")["field"] == "projectId"
        assert await VolunteerActivity.all().count() == activities
        made = result_of(
            await gql(client, CREATE_ACTIVITY, {"input": activity_input}, token=leader),
            "createActivity",
        )
        activity_id = made["activity"]["id"]
        # a stranger's wrong code, approving without hours, cancelling as a participant
        body = await gql(client, SIGN_UP, {"input": {"activityId": activity_id}}, token=resident)
        sign_up_id = result_of(body, "signUpForActivity")["signUp"]["id"]
        clock.set(start)
        admin, leader, resident = await sign_in(client, "community_admin", "volunteer", "resident")
        body = await gql(
            client,
            CHECK_IN,
            {"input": {"activityId": activity_id, "code": "12345x"}},
            token=resident,
        )
        assert result_of(body, "checkIn")["field"] == "code"
        approve = {"signUpIds": [sign_up_id], "idempotencyKey": "k"}
        body = await gql(client, APPROVE, {"input": approve}, token=leader)
        assert result_of(body, "approveHours")["code"] == "CONFLICT"
        body = await gql(
            client,
            CANCEL_ACTIVITY,
            {"input": {"activityId": activity_id, "reason": "x"}},
            token=resident,
        )
        assert result_of(body, "cancelActivity")["code"] == "FORBIDDEN"
        # the organiser checks the resident in and out, then declines the hours
        who = await person_gid("resident")
        for mutation, name in ((CHECK_IN, "checkIn"), (CHECK_OUT, "checkOut")):
            body = await gql(
                client,
                mutation,
                {"input": {"activityId": activity_id, "personId": who}},
                token=leader,
            )
            assert result_of(body, name)["__typename"] in {"CheckInSuccess", "CheckOutSuccess"}
        body = await gql(
            client,
            DECLINE,
            {"input": {"signUpIds": [sign_up_id], "reason": "未实际参加"}},
            token=leader,
        )
        assert result_of(body, "declineHours")["signUps"] == [
            {"hoursStatus": "DECLINED", "declineReason": "未实际参加"}
        ]
        stored = await ActivitySignUp.get(id=int(relay.GlobalID.from_id(sign_up_id).node_id))
        assert stored.hours_status is HoursStatus.DECLINED
        # the resident leaves nothing: they never joined the team
        body = await gql(client, LEAVE, {"input": {"teamId": team_id}}, token=resident)
        assert result_of(body, "leaveTeam")["code"] == "NOT_FOUND"
