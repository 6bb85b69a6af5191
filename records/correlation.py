"""The request id that ties one HTTP request to the log lines and background work it causes.

The API sets it per request; the outbox stores it with each piece of follow-up work, and the worker sets it
again while running that work, so every log line of one user action carries the same id."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("hoso_request_id", default=None)


def current_request_id() -> str | None:
    return request_id.get()
