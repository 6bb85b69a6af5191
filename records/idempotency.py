"""Idempotency keys: a client that retries a creating request with the same key gets the first answer back.

Over a commune's flaky link the client cannot tell a lost request from a lost answer; it sends the request again
with the same `Idempotency-Key`, and the server does the work at most once. A key belongs to one principal and is
kept 24 hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyState(StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class IdempotencyRecord:
    principal: str
    key: str
    request_hash: str  # method, path and query
    body_hash: str  # empty while the first request is in progress
    state: KeyState
    answer: StoredAnswer | None
    created_at: datetime
    expires_at: datetime

    def same_request(self, request_hash: str, body_hash: str) -> bool:
        return self.request_hash == request_hash and self.body_hash == body_hash


def valid_key(key: str) -> bool:
    """1 to 255 visible ASCII characters (a UUID is the usual choice)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(c) <= 126 for c in key)


class IdempotencyKeyRepository(Protocol):
    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Inserts the record; when the principal already holds the key, returns that record instead (and inserts
        nothing). Safe under concurrency: of two claims, exactly one gets None."""
        ...

    def finish(self, principal: str, key: str, *, body_hash: str, answer: StoredAnswer) -> None: ...

    def release(self, principal: str, key: str) -> None:
        """Forgets the key (the request failed without an answer worth replaying)."""
        ...

    def prune(self, *, expired_before: datetime) -> int: ...
