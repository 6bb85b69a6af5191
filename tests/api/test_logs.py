"""Log lines: one JSON object per line, carrying the request id the caller sent (or one made for it), and
chatty libraries quiet unless the level is DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.logs import NOISY_LOGGERS, configure_logging
from infra.wiring import Backends


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., list[dict[str, Any]]]]:
    """Configures logging as the processes do (to this test's stderr) and puts the test runner's back after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {name: logging.getLogger(name).level for name in NOISY_LOGGERS})

    def configure(level: str = "INFO", log_format: str = "json") -> list[dict[str, Any]]:
        configure_logging(level, log_format)  # type: ignore[arg-type]
        return []

    yield configure
    handlers, level, levels = saved
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every stderr line must be a JSON object."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def test_a_request_id_sent_by_the_caller_is_in_its_log_lines_and_answer(
        backends: Backends, configured: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    configured("INFO", "json")
    with TestClient(create_app(backends=backends)) as client:
        response = client.get("/api/v1/dossiers/NO-SUCH", headers={"X-Request-ID": "proxy-7f3a.42"})
        made = client.get("/api/v1/dossiers/NO-SUCH", headers={"X-Request-ID": "bad id with spaces\"}"})
    assert response.headers["X-Request-ID"] == "proxy-7f3a.42"
    assert made.headers["X-Request-ID"] not in ("", "bad id with spaces\"}")  # a fresh one replaces a malformed id
    lines = json_lines(capsys)
    mine = [line for line in lines if line.get("request_id") == "proxy-7f3a.42"]
    assert mine, lines
    access = next(line for line in mine if line["logger"] == "hoso.access")
    assert access["route"] == "/api/v1/dossiers/{code}" and access["status"] == 401
    assert {"time", "level", "logger", "message"} <= set(access)
    assert any(line.get("request_id") == made.headers["X-Request-ID"] for line in lines)


def test_noisy_libraries_are_quiet_at_info_and_speak_at_debug(
        configured: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    configured("INFO", "json")
    for name in ("fontTools.subset", "pikepdf", "PIL.PngImagePlugin", "celery.worker.strategy", "httpx",
                 "elastic_transport.transport", "botocore.credentials", "uvicorn.access"):
        logging.getLogger(name).info("chatter from %s", name)
    logging.getLogger("hoso.ingest").info("document processed")
    assert [line["message"] for line in json_lines(capsys)] == ["document processed"]
    configured("DEBUG", "json")
    logging.getLogger("fontTools.subset").debug("glyph table")
    assert [line["message"] for line in json_lines(capsys)] == ["glyph table"]


def test_text_format_for_development(configured: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    configured("INFO", "text")
    logging.getLogger("hoso.api").warning("plain line")
    err = capsys.readouterr().err
    assert "WARNING hoso.api" in err and "plain line" in err and not err.lstrip().startswith("{")
