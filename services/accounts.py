"""Sign-up, sign-in with throttling, JWT access tokens, rotating refresh tokens, logout."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction
from zxcvbn import zxcvbn

from services.enums import AreaLevel, Role
from services.errors import (
    Conflict,
    InvalidCredentials,
    InvalidInput,
    InvalidToken,
    TooManyAttempts,
)
from services.kit import clock, db
from services.kit.auth import Actor, RoleGrant, require_actor
from services.kit.settings import get_settings
from services.models import (
    LoginFailure,
    RefreshToken,
    Session,
    UserAccount,
)
from services.people import grant_resident, new_person

_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("gridpoints-no-such-user")
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


@dataclass(frozen=True)
class Tokens:
    """What a successful sign-in or refresh hands out."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    account: UserAccount


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not (3 <= len(name) <= 50) or not set(name) <= USERNAME_CHARS:
        raise InvalidInput(
            "A username has 3 to 50 letters, digits, '_', '.' or '-'.", field="username"
        )
    return name


# zxcvbn's work grows quickly with length (0.5 s for 200 characters): the first 72 (its own
# limit, ~60 ms at worst) tell whether a password is guessable; longer ones are judged by them.
_SCORED_LENGTH = 72


def _letters(text: str) -> str:
    """Letters and digits only, case-folded: `Harbour.Lights-1` -> `harbourlights1`."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _personal_words(username: str, name: str | None) -> list[str]:
    """What a password must not contain (compared by letters and digits, case-folded): the
    username and the person's name, as a whole and each part of it of 3 characters or more."""
    words = {_letters(username)}
    if name:
        words.add(_letters(name))
        words.update(_letters(part) for part in name.split() if len(_letters(part)) >= 3)
    # The whole name from 2 characters (a Chinese name); a username has 3 or more.
    return sorted(word for word in words if len(word) >= 2)


def check_password(password: str, *, username: str, name: str | None) -> str:
    """The password, if it may be used by this person; InvalidInput (field `password`) if it is
    too short or long, contains their username or name, or is too easy to guess: a common
    password, a word, a repeat, a sequence or a keyboard pattern (zxcvbn, offline, with its
    dictionaries of common passwords, words and names), below PASSWORD_MIN_SCORE."""
    if not (10 <= len(password) <= 200):
        raise InvalidInput("A password has 10 to 200 characters.", field="password")
    personal = _personal_words(username, name)
    letters = _letters(password)
    if any(word in letters for word in personal):
        raise InvalidInput(
            "A password must not contain your username or your name.", field="password"
        )
    verdict = zxcvbn(password[:_SCORED_LENGTH], user_inputs=personal)
    if verdict["score"] < get_settings().password_min_score:
        warning = str(verdict["feedback"].get("warning") or "").strip()
        raise InvalidInput(
            "This password is too easy to guess"
            + (f" ({warning.rstrip('.')})" if warning else "")
            + ": choose a longer one, such as a few unrelated words.",
            field="password",
        )
    return password


async def hash_password(password: str) -> str:
    """argon2id hash, computed off the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def create_account(
    *, username: str, password: str, name: str, phone: str | None, party_member: bool = False
) -> UserAccount:
    """A new person with a sign-in and the RESIDENT role (seeding may record party members)."""
    username = _check_username(username)
    # zxcvbn takes up to ~60 ms of CPU: off the event loop, like the hash.
    await asyncio.to_thread(check_password, password, username=username, name=name)
    password_hash = await hash_password(password)
    try:
        async with in_transaction():
            if await UserAccount.exists(username=username):
                raise Conflict("That username is taken.", field="username")
            person = await new_person(name=name, phone=phone, party_member=party_member)
            account = await UserAccount.create(
                username=username, password_hash=password_hash, person_id=person.id
            )
            await grant_resident(person_id=person.id)
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        raise Conflict("That username is taken.", field="username") from exc
    return account


async def sign_up(
    *, username: str, password: str, name: str, phone: str | None, client: str
) -> UserAccount:
    """Self-service sign-up: a RESIDENT account; joining a household or a role is approved later.

    Throttled per client (each costs an argon2 hash, and names should not be squatted in bulk):
    every attempt counts, recorded before the check like sign-in attempts.
    """
    settings = get_settings()
    key = f"signup:{client[:100]}"
    attempt = await LoginFailure.create(key=key, created_at=clock.now())
    try:
        await _check_throttle([(key, settings.signup_max_per_client)])
    except TooManyAttempts:
        await LoginFailure.filter(id=attempt.id).delete()
        raise
    return await create_account(username=username, password=password, name=name, phone=phone)


async def _recent_failures(key: str, since: datetime) -> tuple[int, datetime | None]:
    rows = (
        await LoginFailure.filter(key=key, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    oldest = rows[0] if rows else None
    return len(rows), oldest if isinstance(oldest, datetime) else None


async def record_attempt(key: str, limit: int, what: str) -> int:
    """Record an attempt under `key` *before* it is checked (concurrent attempts and aliases in
    one request all count) and raise TooManyAttempts once more than `limit` are on record in
    the failure window. Returns the record's id: a successful attempt forgets it."""
    attempt = await LoginFailure.create(key=key[:120], created_at=clock.now())
    try:
        await _check_throttle([(key[:120], limit)], what)
    except TooManyAttempts:
        await LoginFailure.filter(id=attempt.id).delete()
        raise
    return attempt.id


async def forget_attempt(attempt_id: int) -> None:
    """A successful attempt does not count against its key."""
    await LoginFailure.filter(id=attempt_id).delete()


async def _check_throttle(keys: list[tuple[str, int]], what: str = "sign-ins") -> None:
    settings = get_settings()
    window = timedelta(seconds=settings.login_failure_window_seconds)
    now = clock.now()
    # Records older than the window count for nothing: drop them as we go.
    await LoginFailure.filter(key__in=[k for k, _ in keys], created_at__lt=now - window).delete()
    for key, limit in keys:
        count, oldest = await _recent_failures(key, now - window)
        # `count` includes the attempt under way, recorded before this check.
        if count > limit and oldest is not None:
            retry = max(int((oldest + window - now).total_seconds()) + 1, 1)
            raise TooManyAttempts(
                f"Too many failed {what}; wait before trying again.", retry_after_seconds=retry
            )


async def login(*, username: str, password: str, client: str) -> Tokens:
    """Check the password (throttled per account and per client) and open a session."""
    settings = get_settings()
    name = username.strip().lower()[:60]
    keys = [
        (f"account:{name}", settings.login_max_failures_per_account),
        (f"client:{client[:100]}", settings.login_max_failures_per_client),
    ]
    # The attempt is recorded as a failure *before* the check and the password: concurrent
    # guesses (parallel requests or aliases in one request) all count, so no more than the
    # limit can ever be verified; a success takes its record back.
    now = clock.now()
    attempt = [await LoginFailure.create(key=key, created_at=now) for key, _ in keys]
    attempt_ids = [row.id for row in attempt]
    try:
        # While throttled, not even the right password gets in.
        await _check_throttle(keys)
    except TooManyAttempts:
        await LoginFailure.filter(id__in=attempt_ids).delete()
        raise
    account = await UserAccount.get_or_none(username=name)
    ok = await _verify(account.password_hash if account else _DUMMY_HASH, password)
    if account is None or not ok or not account.is_active:
        raise InvalidCredentials("Wrong username or password.")
    await LoginFailure.filter(id__in=attempt_ids).delete()
    await LoginFailure.filter(key=keys[0][0]).delete()
    return await _open_session(account)


async def _open_session(account: UserAccount) -> Tokens:
    settings = get_settings()
    refresh = secrets.token_urlsafe(32)
    async with in_transaction():
        session = await Session.create(
            id=uuid.uuid4(),
            account_id=account.id,
            expires_at=clock.now() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
        await RefreshToken.create(session_id=session.id, token_hash=_digest(refresh))
    return _tokens(account, session, refresh)


def _tokens(account: UserAccount, session: Session, refresh: str) -> Tokens:
    settings = get_settings()
    now = clock.now()
    expires = now + timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "sub": str(account.id),
        "sid": str(session.id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_hex(8),
    }
    access = jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)
    return Tokens(access_token=access, refresh_token=refresh, expires_at=expires, account=account)


async def refresh(*, refresh_token: str) -> Tokens:
    """Trade a refresh token for new tokens; a reused token ends its whole session (theft)."""
    token = await RefreshToken.get_or_none(token_hash=_digest(refresh_token)).prefetch_related(
        "session"
    )
    if token is None:
        raise InvalidToken("Unknown refresh token.")
    session: Session = token.session
    now = clock.now()
    if session.revoked_at is not None or session.expires_at <= now:
        raise InvalidToken("The session has ended; sign in again.")
    # Conditional update: of two concurrent uses of one token only one can win.
    won = await RefreshToken.filter(id=token.id, used_at=None).update(used_at=now)
    if not won:
        await Session.filter(id=session.id, revoked_at=None).update(
            revoked_at=now, revoke_reason="refresh token reused"
        )
        raise InvalidToken("This refresh token was already used; the session has been ended.")
    new_refresh = secrets.token_urlsafe(32)
    await RefreshToken.create(session_id=session.id, token_hash=_digest(new_refresh))
    account = await UserAccount.get(id=session.account_id)
    if not account.is_active:
        raise InvalidToken("The account is disabled.")
    return _tokens(account, session, new_refresh)


async def logout(*, actor: Actor | None, all_sessions: bool = False) -> int:
    """End the current session (or all of the account's); returns how many were ended."""
    actor = require_actor(actor)
    query = Session.filter(account_id=actor.account_id, revoked_at=None)
    if not all_sessions:
        query = query.filter(id=actor.session_id)
    return await query.update(revoked_at=clock.now(), revoke_reason="logout")


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: whose it is, its session and when it expires."""

    account_id: int
    session_id: str
    expires_at: datetime


def access_claims(token: str) -> AccessClaims | None:
    """The claims of an access token with a valid signature that has not expired; None
    otherwise (the session is not looked at: see `actor_from_token`)."""
    settings = get_settings()
    try:
        # The times are checked against the service's clock, not PyJWT's reading of the wall
        # clock: a token's life is measured on the clock that issued it.
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            options={
                "require": ["exp", "sub", "sid"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        if expires_at <= clock.now():
            return None
        return AccessClaims(
            account_id=int(claims["sub"]),
            session_id=str(uuid.UUID(str(claims["sid"]))),
            expires_at=expires_at,
        )
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError, OSError):
        return None


async def actor_from_token(token: str) -> Actor | None:
    """The actor for a bearer token, or None when it is invalid, expired or logged out."""
    claims = access_claims(token)
    if claims is None:
        return None
    return await _actor(account_id=claims.account_id, session_id=claims.session_id)


async def load_actor(*, account_id: int, session_id: str | None = None) -> Actor | None:
    """Build the actor (roles and home) for an account; None if it is missing or disabled, or,
    when `session_id` is given, if that session has ended (logout, expiry, refresh-token theft).
    A subscription re-reads its subscriber this way, so ended roles and sessions stop it."""
    return await _actor(
        account_id=account_id, session_id=session_id, check_session=session_id is not None
    )


# Every request authenticates, so this is one statement, not one per table: the account (active),
# its person and home, and its open roles with their areas' levels, one row per role (a
# person without open roles still gets one row, with NULL role columns).
_ACTOR_SQL = """
    SELECT ua.id AS account_id, ua.username, p.id AS person_id, p.household_id,
           h.path AS household_path, r.role, r.area_id, r.area_path, ar.level AS area_level
    FROM user_account ua
    JOIN person p ON p.id = ua.person_id
    LEFT JOIN household h ON h.id = p.household_id
    LEFT JOIN role_assignment r ON r.person_id = p.id AND r.until IS NULL
    LEFT JOIN area ar ON ar.id = r.area_id
    WHERE ua.id = ? AND ua.is_active {session}
    ORDER BY r.id
"""
# The session must be the account's, not revoked (logout) and not expired: checked in the same
# statement, so a logout or a revoked role takes effect on the very next request.
_LIVE_SESSION = """
    AND EXISTS (SELECT 1 FROM session s WHERE s.id = ? AND s.account_id = ua.id
                AND s.revoked_at IS NULL AND s.expires_at > ?)
"""
_ACTOR_WITH_SESSION_SQL = _ACTOR_SQL.format(session=_LIVE_SESSION)
_ACTOR_WITHOUT_SESSION_SQL = _ACTOR_SQL.format(session="")


async def _actor(
    *, account_id: int, session_id: str | None, check_session: bool = True
) -> Actor | None:
    if check_session:
        rows = await db.fetch(_ACTOR_WITH_SESSION_SQL, [account_id, session_id, clock.now()])
    else:
        rows = await db.fetch(_ACTOR_WITHOUT_SESSION_SQL, [account_id])
    if not rows:
        return None
    first = rows[0]
    grants = tuple(
        RoleGrant(
            role=Role(row["role"]),
            area_id=row["area_id"],
            area_path=row["area_path"],
            area_level=AreaLevel(row["area_level"]) if row["area_level"] else None,
        )
        for row in rows
        if row["role"] is not None
    )
    household_path = first["household_path"]
    return Actor(
        account_id=first["account_id"],
        person_id=first["person_id"],
        username=first["username"],
        household_id=first["household_id"],
        household_path=household_path if isinstance(household_path, str) else None,
        grants=grants,
        session_id=session_id,
    )
