"""Structured logs: one JSON object per line, with the request id of the request being served.

`configure(settings)` sets up the root logger and uvicorn's loggers alike (uvicorn's own
access log is replaced by the request log of api.app, which carries the request id and the
duration). LOG_FORMAT=text keeps the classic one-line format for reading logs in a terminal.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

from services.kit.settings import Settings

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gridpoints_request_id", default=None
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged too.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName", "color_message"}
)


MAX_LOGGED = 2_000
"""A log message, a field or a traceback line is cut to this many characters: a value a client
sent (a 1 MB id, an over-long code) may end up in an exception's message, never whole in a log."""
MAX_TRACEBACK = 20_000


def clip(text: str, limit: int = MAX_LOGGED) -> str:
    """`text`, cut to `limit` characters (saying how many were left out)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def clip_traceback(text: str) -> str:
    """A traceback with every line clipped, and its end kept when it is still too long."""
    text = "\n".join(clip(line) for line in text.split("\n"))
    return text if len(text) <= MAX_TRACEBACK else "…" + text[-MAX_TRACEBACK:]


class JsonFormatter(logging.Formatter):
    """A LogRecord as one line of JSON: time (UTC), level, logger, message, request id, the
    fields given with `extra=`, and the traceback of an exception (each clipped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": clip(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = clip(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = clip_traceback(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic one-line format (TEXT_FORMAT), every line of it clipped (the traceback
    included, whichever handler formatted it first)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return clip_traceback(super().format(record))


def log_config(settings: Settings) -> dict[str, Any]:
    """A logging.config dict for the app and uvicorn (also given to uvicorn's workers)."""
    formatter: dict[str, Any] = (
        {"()": "api.logs.JsonFormatter"}
        if settings.log_format == "json"
        else {"()": "api.logs.TextFormatter"}
    )
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # api.app logs every request with its id and duration instead.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure(settings: Settings) -> None:
    """Apply `log_config` to this process."""
    import logging.config

    logging.config.dictConfig(log_config(settings))
