"""The viewer through GraphQL: null when anonymous, and an access token follows its session."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest

from services.kit import clock
from services.kit.settings import get_settings
from services.models import RoleAssignment, Session, UserAccount
from tests.conftest import gql
from tests.schema.accounts.support import VIEWER, read_viewer, sign_in

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestViewer:
    async def test_anonymous_viewer_is_null(self, client: httpx.AsyncClient) -> None:
        # given no token, or a token that is not one of ours
        for token in (None, "not-a-jwt"):
            # when the viewer is asked for
            body = await gql(client, VIEWER, token=token)
            # then it is null, not an error
            assert body["data"] == {"viewer": None} and "errors" not in body

    async def test_an_access_token_follows_its_session_and_account_on_every_request(
        self,
        client: httpx.AsyncClient,
    ) -> None:
        # given the grid leader signed in, and their actor as a request sees it
        tokens = await sign_in(client, "grid_leader")
        token = tokens["accessToken"]
        before = await read_viewer(client, token)
        assert "GRID_LEADER" in {r["role"] for r in before["roles"]}
        account = await UserAccount.get(username="grid_leader")
        # when their grid-leader role ends, the very next request no longer carries it
        await RoleAssignment.filter(
            person_id=account.person_id, role="GRID_LEADER", until=None
        ).update(until=clock.now(), end_reason="test")
        after = await read_viewer(client, token)
        assert "GRID_LEADER" not in {r["role"] for r in after["roles"]}
        assert after["username"] == "grid_leader"
        # when the session expires, the token is anonymous
        await Session.filter(account_id=account.id).update(
            expires_at=clock.now() - timedelta(seconds=1)
        )
        assert await read_viewer(client, token) is None
        await Session.filter(account_id=account.id).update(
            expires_at=clock.now() + timedelta(hours=1)
        )
        assert (await read_viewer(client, token))["username"] == "grid_leader"
        # when the account is disabled, the token is anonymous too
        await UserAccount.filter(id=account.id).update(is_active=False)
        assert await read_viewer(client, token) is None

    async def test_a_token_naming_another_accounts_session_is_anonymous(
        self,
        client: httpx.AsyncClient,
    ) -> None:
        # given two users signed in
        mine = await sign_in(client, "resident")
        await sign_in(client, "volunteer")
        volunteer = await UserAccount.get(username="volunteer")
        claims = jwt.decode(mine["accessToken"], options={"verify_signature": False})
        # when a token is made (with the real secret) for the volunteer with the resident's session
        settings = get_settings()
        forged = jwt.encode(
            {**claims, "sub": str(volunteer.id)},
            settings.jwt_secret,
            algorithm=settings.jwt_algorithm,
        )
        # then it is anonymous: a session only serves its own account
        assert await read_viewer(client, forged) is None
        assert (await read_viewer(client, mine["accessToken"]))["username"] == "resident"
