"""The transactional outbox: follow-up work recorded in the same transaction as the change that needs it.

A use case never starts background work itself. It writes what must happen next (process a document, reindex
a dossier, post webhook deliveries) to `uow.outbox` before it commits; the change and its follow-up work are
committed together or not at all. One dispatcher (records.services.outbox) sends the recorded work to the task
queue after the commit and again on a schedule, so a broker outage delays work but never loses it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from records.correlation import current_request_id


class FollowUp(StrEnum):
    PROCESS_DOCUMENT = "process_document"  # payload: document_id
    INDEX_DOSSIER = "index_dossier"  # payload: dossier_code
    DELIVER_WEBHOOKS = "deliver_webhooks"  # no payload


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    kind: FollowUp
    payload: Mapping[str, str]
    request_id: str | None
    attempts: int  # sends tried so far, this claim included

    @property
    def coalescing_key(self) -> tuple[str, str]:
        """Two pending messages with the same key ask for the same work: one send does for both."""
        return self.kind.value, canonical_payload(self.payload)


def canonical_payload(payload: Mapping[str, str]) -> str:
    return json.dumps(dict(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Outbox(Protocol):
    def add(self, kind: FollowUp, payload: Mapping[str, str], *, request_id: str | None) -> None:
        """Records one piece of work in the current transaction. The same work twice in one transaction is
        recorded once."""
        ...

    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[OutboxMessage]:
        """The oldest due messages (not dispatched, available by `now`), leased until `lease_until` so that no
        other dispatcher takes them meanwhile (PostgreSQL: FOR UPDATE SKIP LOCKED). Counts the attempt."""
        ...

    def mark_dispatched(self, ids: Sequence[int], at: datetime) -> None: ...

    def mark_failed(self, ids: Sequence[int], *, error: str, retry_at: datetime) -> None:
        """The send failed: the messages stay pending until `retry_at`, with the error kept for operators."""
        ...

    def prune(self, *, dispatched_before: datetime) -> int:
        """Deletes messages dispatched before the instant; returns how many."""
        ...

    def backlog(self) -> int:
        """How many messages are not dispatched yet."""
        ...


def process_document_later(outbox: Outbox, document_id: str) -> None:
    outbox.add(FollowUp.PROCESS_DOCUMENT, {"document_id": document_id}, request_id=current_request_id())


def index_dossier_later(outbox: Outbox, dossier_code: str) -> None:
    outbox.add(FollowUp.INDEX_DOSSIER, {"dossier_code": dossier_code}, request_id=current_request_id())


def deliver_webhooks_later(outbox: Outbox) -> None:
    outbox.add(FollowUp.DELIVER_WEBHOOKS, {}, request_id=current_request_id())


MAX_RETRY_DELAY_SECONDS = 30  # once the broker is back, waiting work goes out within this (and the next beat)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after a failed send: 2, 4, 8 ... seconds, at most 30: a retry is one cheap claim, and work kept
    through a long outage must not wait minutes more once the broker answers again."""
    return timedelta(seconds=min(2 ** max(min(attempts, 16), 1), MAX_RETRY_DELAY_SECONDS))
