"""The password policy (services.accounts.check_password): no common or guessable password,
none containing the person's username or name; the demo's password still passes."""

from __future__ import annotations

import secrets

import pytest

from seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from seed.partners import UNIT_PASSWORD, UNITS
from services import accounts
from services.accounts import check_password, create_account
from services.errors import InvalidInput
from services.kit.settings import Settings
from services.models import UserAccount
from tests.conftest import Database


class TestCheckPassword:
    @pytest.mark.parametrize(
        "password",
        [
            "aaaaaaaaaa",
            "1234567890",
            "0987654321",
            "abcdefghijk",
            "qwertyuiop",
            "password123",
            "iloveyou1234",
            "Passw0rd2024",
            "a" * 200,
            "abcabcabcabcabc",
        ],
    )
    def test_refuses_common_and_guessable_passwords(self, password: str) -> None:
        with pytest.raises(InvalidInput, match="too easy to guess") as refused:
            check_password(password, username="resident", name="居民")
        assert refused.value.field == "password"
        assert refused.value.code == "INVALID_INPUT"

    @pytest.mark.parametrize(
        ("username", "name", "password"),
        [
            ("harbourlights", None, "harbourlights"),  # equal
            ("harbourlights", None, "HarbourLights-2024"),  # contained, any case
            ("harbour.lights", None, "harbour-lights-forever"),  # without separators
            ("harbour.lights", None, "my harbour.lights"),
            ("zw1988", "Zhang Weiming", "weiming-keeps-bees"),  # a part of the name
            ("zw1988", "Zhang Weiming", "ZhangWeiming!2024"),  # the whole name
            ("xiaoming", "王小明", "王小明的家在博山区颜山路"),  # a Chinese name
        ],
    )
    def test_refuses_the_username_or_the_name(
        self, username: str, name: str | None, password: str
    ) -> None:
        with pytest.raises(InvalidInput, match="username or your name") as refused:
            check_password(password, username=username, name=name)
        assert refused.value.field == "password"

    @pytest.mark.parametrize(
        "password",
        [
            DEMO_PASSWORD,
            "quiet-harbour-lantern",
            "correct horse battery staple",
            "博山区颜山路的琉璃很好看",
            secrets.token_urlsafe(150)[:200],
        ],
    )
    def test_accepts_strong_passwords(self, password: str) -> None:
        assert check_password(password, username="resident", name="王小明") == password

    @pytest.mark.parametrize("password", ["short", "x" * 9, "a-long-passphrase " * 12])
    def test_refuses_the_wrong_length(self, password: str) -> None:
        with pytest.raises(InvalidInput, match="10 to 200 characters"):
            check_password(password, username="resident", name=None)

    def test_the_demo_password_passes_for_every_demo_account(self) -> None:
        # every demo account (people and partner units) signs in with it: the demo and the
        # tests depend on it
        for username, _, _ in DEMO_ACCOUNTS:
            check_password(DEMO_PASSWORD, username=username, name=None)
        for username, name, *_ in UNITS:
            check_password(UNIT_PASSWORD, username=username, name=name)

    def test_the_least_score_is_a_setting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # "a-long-password" scores 3 of 4
        assert check_password("a-long-password", username="resident", name=None)
        monkeypatch.setattr(
            accounts, "get_settings", lambda: Settings(environment="test", password_min_score=4)
        )
        with pytest.raises(InvalidInput, match="too easy to guess"):
            check_password("a-long-password", username="resident", name=None)
        assert check_password("quiet-harbour-lantern", username="resident", name=None)


class TestCreateAccount:
    async def test_a_refused_password_writes_nothing(self, empty_db: Database) -> None:
        with pytest.raises(InvalidInput) as refused:
            await create_account(
                username="newcomer", password="newcomer-2024", name="新居民", phone=None
            )
        assert refused.value.field == "password"
        assert not await UserAccount.exists(username="newcomer")

    async def test_a_good_password_makes_the_account(self, empty_db: Database) -> None:
        account = await create_account(
            username="newcomer", password="quiet-harbour-lantern", name="新居民", phone=None
        )
        assert account.username == "newcomer"
