"""Sign-up, sign-in (with throttling), refresh-token rotation and logout, through GraphQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from services.kit.settings import get_settings
from services.models import LoginFailure, Person, RoleAssignment, Session, UserAccount
from tests.conftest import Database, gql
from tests.schema.accounts.support import PASSWORD, attempt_login, read_viewer, sign_in

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    __typename
    ... on SignUpSuccess { viewer { id username person { name } } }
    ... on Error { code message field }
  }
}
"""


REFRESH = """
mutation Refresh($t: String!) {
  refreshToken(input: {refreshToken: $t}) {
    __typename
    ... on LoginSuccess { accessToken refreshToken viewer { username } }
    ... on Error { code message }
  }
}
"""


LOGOUT = """
mutation Logout($all: Boolean!) {
  logout(input: {allSessions: $all}) {
    __typename
    ... on LogoutSuccess { endedSessions }
    ... on Error { code }
  }
}
"""


@pytest.fixture
def override_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Change settings through the environment for this test only (the cache is re-read)."""

    def apply(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name.upper(), str(value))
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


class TestSignUp:
    async def test_sign_up_creates_a_resident_who_can_sign_in(
        self, client: httpx.AsyncClient
    ) -> None:
        # given a new username
        data = {"username": "New.User_1", "password": "a-long-password", "name": "王小明"}
        # when they sign up
        body = await gql(client, SIGN_UP, {"input": {**data, "phone": "139 5331 9999"}})
        # then the account exists (username normalised) with a person and the RESIDENT role
        result = body["data"]["signUp"]
        assert result["__typename"] == "SignUpSuccess", result
        assert result["viewer"]["username"] == "new.user_1"
        assert result["viewer"]["person"]["name"] == "王小明"
        account = await UserAccount.get(username="new.user_1")
        person = await Person.get(id=account.person_id)
        assert person.phone == "13953319999"
        roles = await RoleAssignment.filter(person_id=person.id).values_list("role", flat=True)
        assert [str(getattr(r, "value", r)) for r in roles] == ["RESIDENT"]
        # and they can sign in with the password they chose
        token = (await attempt_login(client, "new.user_1", "a-long-password"))["accessToken"]
        viewer = await read_viewer(client, token)
        assert viewer["username"] == "new.user_1"
        assert [r["role"] for r in viewer["roles"]] == ["RESIDENT"]
        assert viewer["roles"][0]["area"] is None

    @pytest.mark.parametrize(
        ("username", "password", "name", "reason"),
        [
            ("repeater", "aaaaaaaaaa", "某人", "too easy to guess"),
            ("counter", "1234567890", "某人", "too easy to guess"),
            ("common", "password1234", "某人", "too easy to guess"),
            ("keyboard", "qwertyuiop123", "某人", "too easy to guess"),
            ("harbourlights", "harbourlights", "某人", "your username or your name"),
            ("harbour.lights", "my-HarbourLights-key", "某人", "your username or your name"),
            ("weiming88", "zhangweiming-1988", "Zhang Weiming", "your username or your name"),
            ("xiaoming", "王小明的家在博山区颜山路", "王小明", "your username or your name"),
        ],
    )
    async def test_sign_up_refuses_a_guessable_or_personal_password(
        self, client: httpx.AsyncClient, username: str, password: str, name: str, reason: str
    ) -> None:
        # given the counts before
        before = (await UserAccount.all().count(), await Person.all().count())
        # when someone signs up with a common password, or one made of their username or name
        body = await gql(
            client, SIGN_UP, {"input": {"username": username, "password": password, "name": name}}
        )
        # then it is InvalidInput on the password, saying why
        result = body["data"]["signUp"]
        assert result["__typename"] == "InvalidInput", result
        assert result["code"] == "INVALID_INPUT"
        assert result["field"] == "password"
        assert reason in result["message"], result["message"]
        # and nothing was written
        assert (await UserAccount.all().count(), await Person.all().count()) == before
        assert not await UserAccount.exists(username=username)

    async def test_sign_up_with_a_taken_username_is_a_conflict(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo account `resident`
        before = (await UserAccount.all().count(), await Person.all().count())
        # when someone signs up with the same name (in other case)
        body = await gql(
            client,
            SIGN_UP,
            {"input": {"username": "Resident", "password": "another-password", "name": "冒名"}},
        )
        # then it is a Conflict on the username and nothing was written
        result = body["data"]["signUp"]
        assert result["__typename"] == "Conflict"
        assert result["code"] == "CONFLICT"
        assert result["field"] == "username"
        assert (await UserAccount.all().count(), await Person.all().count()) == before

    @pytest.mark.parametrize(
        ("username", "password", "name", "field"),
        [
            ("shortpw", "short", "某人", "password"),
            ("ab", "long-enough-password", "某人", "username"),
            ("has space", "long-enough-password", "某人", "username"),
            ("汉字名字", "long-enough-password", "某人", "username"),
            ("noname", "long-enough-password", "   ", "name"),
            ("badphone", "long-enough-password", "某人", "phone"),
        ],
    )
    async def test_sign_up_with_bad_input_names_the_field_and_writes_nothing(
        self, client: httpx.AsyncClient, username: str, password: str, name: str, field: str
    ) -> None:
        # given the counts before
        before = (
            await UserAccount.all().count(),
            await Person.all().count(),
            await RoleAssignment.all().count(),
        )
        phone = "12ab" if field == "phone" else None
        # when the sign-up input breaks a rule
        body = await gql(
            client,
            SIGN_UP,
            {"input": {"username": username, "password": password, "name": name, "phone": phone}},
        )
        # then it is InvalidInput naming the field
        result = body["data"]["signUp"]
        assert result["__typename"] == "InvalidInput", result
        assert result["code"] == "INVALID_INPUT"
        assert result["field"] == field
        # and no account, person or role was written (not even half of one)
        after = (
            await UserAccount.all().count(),
            await Person.all().count(),
            await RoleAssignment.all().count(),
        )
        assert after == before
        assert not await UserAccount.exists(username=username.strip().lower())

    async def test_sign_ups_are_throttled_per_client(self, client: httpx.AsyncClient) -> None:
        # given the per-client sign-up budget (10 per window by default)
        limit = get_settings().signup_max_per_client
        query = """
    mutation($u: String!) {
      signUp(input: {username: $u, password: "long-enough-pw", name: "新居民"}) {
        __typename ... on TooManyAttempts { retryAfterSeconds }
      }
    }
    """
        # when one client signs up more accounts than that
        names = [f"bulk_{i}" for i in range(limit + 2)]
        results = [(await gql(client, query, {"u": u}))["data"]["signUp"] for u in names]
        # then the first `limit` succeed and the rest are throttled, creating nothing
        assert [r["__typename"] for r in results[:limit]] == ["SignUpSuccess"] * limit
        assert all(r["__typename"] == "TooManyAttempts" for r in results[limit:])
        assert all(r["retryAfterSeconds"] > 0 for r in results[limit:])
        assert await UserAccount.filter(username__in=names).count() == limit


class TestLogin:
    async def test_login_returns_a_token_that_signs_the_viewer_in(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo community admin
        # when they sign in
        result = await sign_in(client, "community_admin")
        # then the access token identifies them, with their roles and areas
        assert result["viewer"]["username"] == "community_admin"
        viewer = await read_viewer(client, result["accessToken"])
        assert viewer["username"] == "community_admin"
        assert viewer["person"]["name"] == "张红梅"
        held = {(r["role"], r["area"]["name"] if r["area"] else None) for r in viewer["roles"]}
        assert held == {("RESIDENT", None), ("COMMUNITY_ADMIN", "颜山社区")}
        (area,) = [r["area"] for r in viewer["roles"] if r["area"]]
        assert area["level"] == "COMMUNITY"
        # and a session was opened for it
        account = await UserAccount.get(username="community_admin")
        assert await Session.filter(account_id=account.id, revoked_at=None).count() == 1

    @pytest.mark.parametrize("username", ["resident", "nobody-here"])
    async def test_wrong_password_or_unknown_user_is_invalid_credentials(
        self, client: httpx.AsyncClient, username: str
    ) -> None:
        # given a wrong password (or a username that does not exist)
        # when signing in
        result = await attempt_login(client, username, "wrong-password")
        # then the answer does not say which one was wrong
        assert result["__typename"] == "InvalidCredentials"
        assert result["code"] == "INVALID_CREDENTIALS"
        assert result["message"] == "Wrong username or password."
        # and the failure was recorded for the account and for the client
        assert await LoginFailure.filter(key=f"account:{username}").count() == 1
        assert await LoginFailure.filter(key="client:10.0.0.1").count() == 1
        assert await Session.all().count() == 0

    async def test_account_is_throttled_after_too_many_failures(
        self, client: httpx.AsyncClient
    ) -> None:
        # given as many failed sign-ins for `resident` as allowed
        limit = get_settings().login_max_failures_per_account
        for _ in range(limit):
            failed = await attempt_login(client, "resident", "wrong-password")
            assert failed["__typename"] == "InvalidCredentials"
        # when the right password is sent
        result = await attempt_login(client, "resident", PASSWORD)
        # then even that is refused, with a time to wait
        assert result["__typename"] == "TooManyAttempts", result
        assert result["code"] == "TOO_MANY_ATTEMPTS"
        assert 0 < result["retryAfterSeconds"] <= get_settings().login_failure_window_seconds + 1
        assert await Session.all().count() == 0
        # and other accounts on the same client are not locked out by it
        await sign_in(client, "volunteer")

    async def test_success_clears_the_account_failures(self, client: httpx.AsyncClient) -> None:
        # given failures just under the limit, then a success
        limit = get_settings().login_max_failures_per_account
        for _ in range(limit - 1):
            await attempt_login(client, "resident", "wrong-password")
        await sign_in(client, "resident")
        # when the user mistypes once more
        result = await attempt_login(client, "resident", "wrong-password")
        # then it is an ordinary failure: the earlier ones no longer count
        assert result["__typename"] == "InvalidCredentials"
        assert await LoginFailure.filter(key="account:resident").count() == 1

    async def test_client_is_throttled_across_usernames(
        self, db: Database, override_settings: Callable[..., None]
    ) -> None:
        # given a per-client limit of 4 and an app built after the change
        override_settings(login_max_failures_per_client=4)
        from api.app import create_app

        app = create_app(get_settings(), manage_database=False)

        def http_from(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 5555))
            return httpx.AsyncClient(transport=transport, base_url="http://test")

        async with http_from("10.0.0.7") as attacker, http_from("10.0.0.8") as neighbour:
            # and one wrong password each for four different accounts from one address
            for username in ("resident", "volunteer", "rider", "partner"):
                result = await attempt_login(attacker, username, "wrong-password")
                assert result["__typename"] == "InvalidCredentials"
            # when that address signs in to a fifth account with the right password
            result = await attempt_login(attacker, "grid_leader", PASSWORD)
            # then it is refused: the address is throttled, whatever the username
            assert result["__typename"] == "TooManyAttempts", result
            assert result["retryAfterSeconds"] > 0
            # while another address signs in to the same accounts as usual
            assert (await attempt_login(neighbour, "resident", PASSWORD))[
                "__typename"
            ] == "LoginSuccess"
        assert await LoginFailure.filter(key="client:10.0.0.7").count() == 4

    async def test_aliased_logins_in_one_request_are_throttled(
        self, client: httpx.AsyncClient
    ) -> None:
        # given one request with ten aliased sign-ins for one account, all with wrong passwords
        limit = get_settings().login_max_failures_per_account
        fields = " ".join(
            f'a{i}: login(input: {{username: "resident", password: "guess-{i}-xxxx"}}) '
            "{ __typename ... on TooManyAttempts { retryAfterSeconds } }"
            for i in range(10)
        )
        # when it is sent
        body = await gql(client, f"mutation {{ {fields} }}")
        # then only the first `limit` were checked; the rest were refused unchecked
        names = [body["data"][f"a{i}"]["__typename"] for i in range(10)]
        assert names == ["InvalidCredentials"] * limit + ["TooManyAttempts"] * (10 - limit)
        assert body["data"]["a9"]["retryAfterSeconds"] > 0
        assert await LoginFailure.filter(key="account:resident").count() == limit
        # and the right password is refused afterwards too
        assert (await attempt_login(client, "resident", PASSWORD))[
            "__typename"
        ] == "TooManyAttempts"

    async def test_concurrent_guesses_cannot_outrun_the_throttle(
        self, client: httpx.AsyncClient
    ) -> None:
        # given many wrong-password requests for one account sent at the same moment
        limit = get_settings().login_max_failures_per_account
        results = await asyncio.gather(
            *(attempt_login(client, "resident", f"guess-{i}-xxxx") for i in range(3 * limit))
        )
        # then no more than `limit` passwords were actually checked
        checked = [r for r in results if r["__typename"] == "InvalidCredentials"]
        refused = [r for r in results if r["__typename"] == "TooManyAttempts"]
        assert len(checked) + len(refused) == 3 * limit
        assert len(checked) <= limit
        assert await LoginFailure.filter(key="account:resident").count() <= limit


class TestRefreshToken:
    async def test_refresh_rotates_and_reuse_ends_the_session(
        self, client: httpx.AsyncClient
    ) -> None:
        # given a signed-in resident
        first = await sign_in(client, "resident")
        # when they trade the refresh token
        body = await gql(client, REFRESH, {"t": first["refreshToken"]})
        second = body["data"]["refreshToken"]
        # then new tokens come back, and the new access token works
        assert second["__typename"] == "LoginSuccess", second
        assert second["refreshToken"] != first["refreshToken"]
        assert second["accessToken"] != first["accessToken"]
        assert (await read_viewer(client, second["accessToken"]))["username"] == "resident"
        # and the new refresh token rotates again
        third = (await gql(client, REFRESH, {"t": second["refreshToken"]}))["data"]["refreshToken"]
        assert third["__typename"] == "LoginSuccess"
        assert (await read_viewer(client, third["accessToken"]))["username"] == "resident"
        # when the first (already used) refresh token is replayed, as a thief would
        replay = (await gql(client, REFRESH, {"t": first["refreshToken"]}))["data"]["refreshToken"]
        # then it is refused
        assert replay["__typename"] == "InvalidToken"
        assert replay["code"] == "INVALID_TOKEN"
        # and the whole session is over: the newest tokens stop working too
        assert await read_viewer(client, third["accessToken"]) is None
        again = (await gql(client, REFRESH, {"t": third["refreshToken"]}))["data"]["refreshToken"]
        assert again["__typename"] == "InvalidToken"
        account = await UserAccount.get(username="resident")
        session = await Session.get(account_id=account.id)
        assert session.revoked_at is not None
        assert session.revoke_reason == "refresh token reused"

    async def test_unknown_refresh_token_is_invalid(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, REFRESH, {"t": "made-up-token"})
        assert body["data"]["refreshToken"]["__typename"] == "InvalidToken"
        assert body["data"]["refreshToken"]["code"] == "INVALID_TOKEN"


class TestLogout:
    async def test_logout_ends_this_session_only(self, client: httpx.AsyncClient) -> None:
        # given a resident signed in on two devices
        phone = await sign_in(client, "resident")
        laptop = await sign_in(client, "resident")
        # when the phone signs out
        body = await gql(
            client,
            "mutation { logout(input: {}) { __typename ... on LogoutSuccess { endedSessions } } }",
            token=phone["accessToken"],
        )
        # then one session ended and the phone's access token is anonymous now
        assert body["data"]["logout"] == {"__typename": "LogoutSuccess", "endedSessions": 1}
        assert await read_viewer(client, phone["accessToken"]) is None
        # and its refresh token no longer works
        refused = (await gql(client, REFRESH, {"t": phone["refreshToken"]}))["data"]["refreshToken"]
        assert refused["__typename"] == "InvalidToken"
        # while the laptop stays signed in
        assert (await read_viewer(client, laptop["accessToken"]))["username"] == "resident"

    async def test_logout_all_sessions(self, client: httpx.AsyncClient) -> None:
        # given a resident signed in on two devices, and another user signed in
        phone = await sign_in(client, "resident")
        laptop = await sign_in(client, "resident")
        other = await sign_in(client, "volunteer")
        # when the resident signs out everywhere
        body = await gql(client, LOGOUT, {"all": True}, token=laptop["accessToken"])
        # then both sessions ended
        assert body["data"]["logout"] == {"__typename": "LogoutSuccess", "endedSessions": 2}
        assert await read_viewer(client, phone["accessToken"]) is None
        assert await read_viewer(client, laptop["accessToken"]) is None
        account = await UserAccount.get(username="resident")
        assert await Session.filter(account_id=account.id, revoked_at=None).count() == 0
        # and nobody else was signed out
        assert (await read_viewer(client, other["accessToken"]))["username"] == "volunteer"

    async def test_logout_needs_a_signed_in_user(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, LOGOUT, {"all": False})
        assert body["data"]["logout"] == {
            "__typename": "Unauthenticated",
            "code": "UNAUTHENTICATED",
        }
