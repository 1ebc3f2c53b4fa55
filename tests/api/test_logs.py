"""Structured logs: JSON lines carrying the request id, and a request log per HTTP request."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest

from api import logs
from services.kit.settings import Settings
from tests.conftest import Database, gql


def test_a_record_is_one_json_line_with_the_request_id_and_its_fields() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("gridpoints.test-json")
    logger.addHandler(handler)
    logger.propagate = False
    token = logs.REQUEST_ID.set("req-123")
    try:
        logger.warning("slow %s", "thing", extra={"duration_ms": 12.5})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logs.REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "slow thing" and first["level"] == "WARNING"
    assert first["request_id"] == "req-123" and first["duration_ms"] == 12.5
    assert first["logger"] == "gridpoints.test-json" and first["time"].endswith("+00:00")
    assert "ValueError: boom" in second["exception"]


@pytest.mark.parametrize("formatter", [logs.JsonFormatter(), logs.TextFormatter()])
def test_no_log_line_carries_a_huge_value(formatter: logging.Formatter) -> None:
    # given a message, a field and an exception that each carry a 1 MB value
    huge = "X" * 1_000_000
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("gridpoints.test-clip")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"Length of '{huge}' > 40")
        except ValueError:
            logger.exception("bad %s", huge, extra={"sql": huge})
    finally:
        logger.removeHandler(handler)
    # then what is written keeps the start of each and says how much was left out
    written = stream.getvalue()
    assert len(written) < 10 * logs.MAX_LOGGED
    assert "ValueError: Length of 'XXX" in written and "more characters" in written


def test_the_log_config_is_json_by_default_and_text_on_request() -> None:
    json_config = logs.log_config(Settings(environment="test"))
    assert json_config["formatters"]["default"] == {"()": "api.logs.JsonFormatter"}
    text_config = logs.log_config(Settings(environment="test", log_format="text"))
    assert text_config["formatters"]["default"] == {"()": "api.logs.TextFormatter"}
    # uvicorn's access log gives way to the app's request log
    assert json_config["loggers"]["uvicorn.access"]["propagate"] is False


async def test_each_request_is_logged_with_its_id_status_and_duration(
    db: Database, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gridpoints.access"):
        await gql(client, "{ __typename }", headers={"X-Request-ID": "abc-42"})
    (record,) = [r for r in caplog.records if r.name == "gridpoints.access"]
    assert record.__dict__["request_id"] == "abc-42"
    assert (record.__dict__["method"], record.__dict__["path"]) == ("POST", "/graphql")
    assert record.__dict__["status"] == 200 and record.__dict__["duration_ms"] >= 0
