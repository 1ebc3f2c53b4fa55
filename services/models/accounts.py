"""Sign-in accounts, sessions with rotating refresh tokens, and failed sign-in records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from services.kit import clock

if TYPE_CHECKING:
    from services.models.people import Person


class UserAccount(Model):
    """A person's sign-in: username and argon2 password hash."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=50, unique=True)
    password_hash = fields.CharField(max_length=255)
    person: fields.OneToOneRelation[Person] = fields.OneToOneField(
        "models.Person", related_name="account", on_delete=fields.RESTRICT
    )
    person_id: int
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "user_account"


class Session(Model):
    """One signed-in device: access tokens carry its id, so logout ends them too."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: int
    created_at = fields.DatetimeField(default=clock.now)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=50, null=True)

    class Meta:
        table = "session"


class RefreshToken(Model):
    """A refresh token, stored as a SHA-256 hash and good for one rotation only."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "models.Session", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    session_id: object
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(default=clock.now)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_token"


class LoginFailure(Model):
    """A failed sign-in, keyed by account ("account:<name>") and by client ("client:<addr>")."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=120)
    created_at = fields.DatetimeField()

    class Meta:
        table = "login_failure"
        indexes = (("key", "created_at"),)
