"""Settings read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import os
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEV_JWT_SECRET = "dev-only-insecure-secret-change-me"
# Tortoise keeps its own time zone in the same environment variable, TIMEZONE: `Tortoise.init`
# overwrites it with the zone of its config (always UTC here: see services.kit.db), and reads it
# back on every datetime it stores. So the service's TIMEZONE is taken as the process started.
TORTOISE_TIMEZONE = "UTC"
_TIMEZONE_AT_START = os.environ.get("TIMEZONE")


# Switches whose default follows ENVIRONMENT: on in dev and test, off in production.
_PRODUCTION_OFF = ("graphiql", "introspection", "field_suggestions")


class _EnvSource(EnvSettingsSource):
    """The environment, minus the TIMEZONE that Tortoise wrote over the user's."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        if data.get("timezone") == TORTOISE_TIMEZONE:
            if _TIMEZONE_AT_START is None:
                del data["timezone"]
            else:
                data["timezone"] = _TIMEZONE_AT_START
        return data


class Settings(BaseSettings):
    """Every knob of the service; see the table in README.md."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _EnvSource(settings_cls), dotenv_settings, file_secret_settings

    environment: Literal["dev", "test", "production"] = Field(
        default="production",
        description="dev relaxes the JWT secret check; production is the safe default.",
    )
    database_url: str = "sqlite://var/gridpoints.sqlite3"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    jwt_secret: str = ""
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    timezone: str = "Asia/Shanghai"
    # GraphiQL, introspection and "did you mean" hints help a developer and an attacker alike:
    # unless set, they are on in dev and test and off in production (see _production_defaults).
    graphiql: bool = False
    introspection: bool = False
    field_suggestions: bool = False
    # /metrics answers loopback callers, and anyone else only with this bearer token (at least
    # 16 characters; empty: loopback only).
    metrics_token: str = ""
    # Comma-separated addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For
    # and X-Forwarded-Proto are believed; empty: none, the peer's address is the client's.
    trusted_proxies: str = ""
    # The least zxcvbn score (1-4) a new password must reach; common passwords, repeats,
    # sequences and the person's own username or name score 0 or 1.
    password_min_score: int = Field(default=3, ge=1, le=4)
    seed_demo: bool = False
    # Imports keep the last four characters of an ID card number; true also keeps the whole
    # number (personal data the grid work does not need: off unless the district requires it).
    store_full_id_numbers: bool = False
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    signup_max_per_client: int = Field(default=10, ge=1)
    # The short paths through Strawberry's and graphql-core's internals (schema.core.fastpath
    # lists them, with the versions they were checked against): false runs plain Strawberry
    # and graphql-core, with the same answers. Turn it off first when upgrading either.
    fast_execution: bool = True
    # Persisted queries (api.persisted_queries): `auto` serves Apollo's automatic persisted
    # queries (a document named by its sha256, kept in a per-process LRU of
    # PERSISTED_QUERY_CACHE documents); `only` runs nothing but the operations of
    # PERSISTED_QUERIES_MANIFEST (an Apollo persisted-query manifest, checked at start-up);
    # `off` refuses the extension. A persisted query asked by GET without credentials may be
    # kept by shared caches for PERSISTED_QUERY_MAX_AGE seconds (0: not at all).
    persisted_queries: Literal["off", "auto", "only"] = "auto"
    persisted_queries_manifest: str = ""
    persisted_query_cache: int = Field(default=5000, ge=0, le=1_000_000)
    persisted_query_max_age: int = Field(default=0, ge=0, le=86_400)
    max_query_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=5000, ge=10)
    max_page_size: int = Field(default=100, ge=1)
    default_page_size: int = Field(default=20, ge=1)
    max_query_cost: int = Field(default=50_000, ge=1)
    # The per-operation budget of callers who are not signed in (see schema/core/cost.py).
    max_query_cost_anonymous: int = Field(default=10_000, ge=1)
    # Each client's budget over time, a leaky bucket (schema/core/throttle.py): it holds
    # THROTTLE_BUCKET_SIZE cost points, refills at THROTTLE_RESTORE_RATE points a second, and
    # at most THROTTLE_MAX_CLIENTS buckets are kept per process.
    throttle_enabled: bool = True
    throttle_bucket_size: int = Field(default=100_000, ge=1)
    throttle_restore_rate: float = Field(default=5_000.0, gt=0)
    throttle_max_clients: int = Field(default=10_000, ge=10, le=10_000_000)
    # GraphQL over HTTP (api.graphql_http): the largest request body, GET parameter or
    # WebSocket message read (413 beyond; 1 MiB, nginx's default, is ample for JSON operations
    # of MAX_TOKENS tokens and their variables), and how deeply arrays and objects may nest in
    # it (400 JSON_TOO_DEEP beyond; checked before parsing: the parsers and coercion recurse
    # once per level, and a few hundred levels exhaust Python's stack).
    max_request_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    max_json_depth: int = Field(default=32, ge=2, le=200)
    # File uploads (the GraphQL multipart request spec, api.graphql_multipart): each file at
    # most MAX_UPLOAD_BYTES (20 MiB), at most MAX_UPLOAD_FILES files a request, and the whole
    # multipart body at most MAX_MULTIPART_BYTES (50 MiB; JSON bodies keep MAX_REQUEST_BYTES).
    # Each file is held in memory up to 1 MiB and spooled to a temporary file beyond.
    max_upload_bytes: int = Field(default=20 * 1_048_576, ge=1, le=4096 * 1_048_576)
    max_upload_files: int = Field(default=10, ge=1, le=1000)
    max_multipart_bytes: int = Field(default=50 * 1_048_576, ge=1024, le=4096 * 1_048_576)
    log_level: str = "INFO"
    # json: one JSON object per line (request id, durations); text: one plain line per record.
    log_format: Literal["json", "text"] = "json"
    # Statements slower than this are logged (WARNING, logger gridpoints.sql); 0 turns it off.
    slow_query_ms: int = Field(default=200, ge=0)
    redemption_hold_days: int = Field(default=7, ge=1, le=365)
    expiring_soon_days: int = Field(default=30, ge=1, le=3660)
    # Photos (随手拍, services.photos): the largest upload, the most pixels a photo may decode
    # to (a small file can unpack to gigabytes: a decompression bomb), the long side of the
    # thumbnail, and how many photos one report, step or activity holds.
    max_photo_bytes: int = Field(default=10 * 1_048_576, ge=1024, le=100 * 1_048_576)
    max_photo_pixels: int = Field(default=40_000_000, ge=10_000, le=200_000_000)
    photo_thumbnail_px: int = Field(default=320, ge=32, le=2048)
    max_photos: int = Field(default=9, ge=1, le=50)
    # Photos decoded at once per process (each full-size decode holds hundreds of MB).
    photo_decoders: int = Field(default=2, ge=1, le=32)
    jobs_interval_seconds: int = Field(default=60, ge=0)
    max_subscriptions_per_connection: int = Field(default=20, ge=1, le=1000)
    # A subscription re-reads its subscriber (roles, session, account) before delivering an
    # event when it last did so longer ago than this: an ended role or a logout stops it then.
    live_actor_recheck_seconds: float = Field(default=5.0, ge=0, le=300)
    # Browser pages on other origins may open the subscriptions WebSocket only when listed here
    # (comma-separated, e.g. "https://admin.example.org"; "*" for any). Non-browser clients
    # send no Origin and are not concerned.
    websocket_allowed_origins: str = ""
    # Live updates across workers and hosts (services.kit.relay): a Redis URL such as
    # redis://127.0.0.1:6379/0; empty keeps them inside each process.
    events_redis_url: str = ""
    events_channel: str = Field(default="gridpoints:events", min_length=1, max_length=200)
    # Files the service keeps (photos, exports: services.kit.media), and how long a signed link
    # to one works.
    media_dir: str = "var/media"
    media_url_ttl_seconds: int = Field(default=600, ge=10, le=7 * 24 * 3600)
    # Keep them in an S3-compatible object store instead of MEDIA_DIR (services.kit.media_store):
    # AWS S3, MinIO, Aliyun OSS, Tencent COS. Empty keys use boto3's own chain (AWS_* variables,
    # a profile, an instance role). Readers still fetch through the service's signed links.
    media_store: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = ""
    # path for most MinIO set-ups, virtual for OSS (which refuses path-style requests).
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    # The Ed25519 key that signs ledger checkpoints (services.points.signing): 64 hex digits
    # (a 32-byte private seed). Empty derives one from JWT_SECRET (HKDF), so a deployment signs
    # from its first day; set it to keep checkpoints verifiable across a JWT_SECRET change.
    # LEDGER_PREVIOUS_PUBLIC_KEYS: former public keys (hex, comma-separated) whose checkpoints
    # still verify after the key is changed.
    ledger_signing_key: str = ""
    ledger_previous_public_keys: str = ""
    # Where the district lies (min longitude, min latitude, max longitude, max latitude, WGS-84
    # degrees): imported boundaries outside it are refused as swapped lat/lon or projected
    # metres. China's bounding box by default; empty accepts anywhere on Earth.
    map_bounds: str = "73,3,136,54"
    work_order_auto_confirm_days: int = Field(default=7, ge=1, le=365)
    # dev and test only: the service clock (services.kit.clock) starts at this moment (ISO 8601
    # with a UTC offset) and runs on from there, to try a calendar edge such as the last minute
    # of a quarter.
    clock_start: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _production_defaults(cls, data: Any) -> Any:
        # Set explicitly (environment or argument), a switch is kept; left out, it follows the
        # environment: on for dev and test, off for production (the default environment).
        if isinstance(data, dict):
            environment = data.get("environment", "production")
            for switch in _PRODUCTION_OFF:
                data.setdefault(switch, environment != "production")
        return data

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        # A forgotten secret would let anyone mint tokens: only dev and test may run without one.
        if self.environment == "production" and (
            not self.jwt_secret or self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32
        ):
            raise ValueError(
                "JWT_SECRET must be set to a random string of at least 32 characters "
                "(or set ENVIRONMENT=dev for local development)"
            )
        if not self.jwt_secret:
            self.jwt_secret = DEV_JWT_SECRET
        if self.clock_start is not None:
            # A district's points and deadlines follow the real date: moving the clock is for
            # trying the service, never for running it.
            if self.environment == "production":
                raise ValueError("CLOCK_START is for dev and test only, not production")
            if self.clock_start.tzinfo is None:
                raise ValueError("CLOCK_START needs a UTC offset, e.g. 2027-03-31T23:59:00+08:00")
        try:
            ZoneInfo(self.timezone)  # fail at start-up, not on the first request
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TIMEZONE {self.timezone!r} is not a known time zone") from exc
        self._check_media_store()
        self._check_ledger_keys()
        if self.default_page_size > self.max_page_size:
            raise ValueError("DEFAULT_PAGE_SIZE must not exceed MAX_PAGE_SIZE")
        if self.max_multipart_bytes < self.max_upload_bytes:
            # A file of the largest size allowed must fit in a request.
            raise ValueError("MAX_MULTIPART_BYTES must be at least MAX_UPLOAD_BYTES")
        if self.persisted_queries == "only" and not self.persisted_queries_manifest:
            raise ValueError(
                "PERSISTED_QUERIES=only needs PERSISTED_QUERIES_MANIFEST (the operations it runs)"
            )
        if self.metrics_token and len(self.metrics_token) < 16:
            raise ValueError("METRICS_TOKEN must have at least 16 characters (or be empty)")
        if self.throttle_enabled and self.throttle_bucket_size < max(
            self.max_query_cost, self.max_query_cost_anonymous
        ):
            # An operation the per-operation budget allows must fit in a full bucket.
            raise ValueError("THROTTLE_BUCKET_SIZE must be at least MAX_QUERY_COST")
        return self

    def _check_ledger_keys(self) -> None:
        # A mistyped key must fail at start-up, not at the first checkpoint.
        if len(_entries(self.ledger_previous_public_keys)) > 20:
            raise ValueError("LEDGER_PREVIOUS_PUBLIC_KEYS takes at most 20 keys")
        for name, value in (
            ("LEDGER_SIGNING_KEY", self.ledger_signing_key),
            *(
                ("LEDGER_PREVIOUS_PUBLIC_KEYS", k)
                for k in _entries(self.ledger_previous_public_keys)
            ),
        ):
            if value and (
                len(value) != 64 or any(c not in "0123456789abcdefABCDEF" for c in value)
            ):
                raise ValueError(f"{name} takes keys of 64 hex digits (32 bytes)")

    def _check_media_store(self) -> None:
        # A store that cannot be reached or named must fail at start-up, not at the first photo.
        if self.media_store != "s3":
            return
        if not self.s3_bucket.strip():
            raise ValueError("MEDIA_STORE=s3 needs S3_BUCKET (the bucket photos and exports go to)")
        if bool(self.s3_access_key_id) != bool(self.s3_secret_access_key):
            raise ValueError(
                "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither "
                "(boto3's own credentials)"
            )
        if self.s3_endpoint_url and not self.s3_endpoint_url.startswith(("http://", "https://")):
            raise ValueError(
                f"S3_ENDPOINT_URL {self.s3_endpoint_url!r} must start with http:// or https://"
            )
        parts = self.s3_prefix.strip("/").split("/")
        if self.s3_prefix.strip("/") and any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"S3_PREFIX {self.s3_prefix!r} is not a plain key prefix (a/b)")

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        # A typo must fail at start-up, not silently trust nobody (or the wrong network).
        for entry in _entries(value):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"TRUSTED_PROXIES: {entry!r} is not an IP address or network (CIDR)"
                ) from exc
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """TRUSTED_PROXIES as networks (a single address is a /32 or /128 network)."""
        return tuple(
            ipaddress.ip_network(entry, strict=False) for entry in _entries(self.trusted_proxies)
        )

    @property
    def websocket_origins(self) -> list[str]:
        """WEBSOCKET_ALLOWED_ORIGINS as a list."""
        return _entries(self.websocket_allowed_origins)

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone for days, months and quarters."""
        return ZoneInfo(self.timezone)


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
