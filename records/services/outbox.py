"""The one dispatcher of follow-up work: what use cases recorded in the outbox goes to the task queue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from records.clock import Clock
from records.correlation import request_id
from records.outbox import FollowUp, OutboxMessage, retry_delay
from records.ports import UnitOfWork
from records.tasks import TaskQueue

CLAIM_LEASE = timedelta(minutes=2)  # a dispatcher that died mid-send: its messages are sent again after this
DISPATCHED_KEPT = timedelta(days=1)  # dispatched messages are kept this long (for operators), then pruned


@dataclass(frozen=True)
class DispatchReport:
    claimed: int
    sent: int  # sends made (coalesced messages count once)
    failed: int  # messages left for a later attempt
    pruned: int = 0


def _send(tasks: TaskQueue, message: OutboxMessage) -> None:
    match message.kind:
        case FollowUp.PROCESS_DOCUMENT:
            tasks.process_document(message.payload["document_id"])
        case FollowUp.INDEX_DOSSIER:
            tasks.index_dossier(message.payload["dossier_code"])
        case FollowUp.DELIVER_WEBHOOKS:
            tasks.deliver_webhooks()


def dispatch_outbox(*, uow: UnitOfWork, tasks: TaskQueue, clock: Clock, limit: int = 200,
                    prune: bool = False) -> DispatchReport:
    """Sends the due messages to the task queue, each piece of pending work once, with the request id that
    recorded it. Safe to run in several processes at once (messages are claimed under a lease, skipping the
    ones another dispatcher holds) and to repeat. A failed send never raises: the messages stay pending with
    the error and a growing delay. The claim, the sends and the outcome are three steps, so no lock is held
    while a task runs (the inline queue runs it right here, and it may record and dispatch work of its own)."""
    now = clock.now()
    with uow:
        uow.begin_write()
        claimed = uow.outbox.claim(now=now, lease_until=now + CLAIM_LEASE, limit=limit)
        pruned = uow.outbox.prune(dispatched_before=now - DISPATCHED_KEPT) if prune else 0
        uow.commit()
    groups: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
    for message in claimed:
        groups[message.coalescing_key].append(message)
    sent: list[int] = []
    failures: list[tuple[list[OutboxMessage], str]] = []
    for messages in groups.values():
        token = request_id.set(messages[0].request_id)
        try:
            _send(tasks, messages[0])
        except Exception as error:  # the broker is down, or an inline job failed: try again later
            failures.append((messages, f"{type(error).__name__}: {error}"))
        else:
            sent.extend(m.id for m in messages)
        finally:
            request_id.reset(token)
    if claimed:
        with uow:
            uow.begin_write()
            uow.outbox.mark_dispatched(sent, clock.now())
            for messages, reason in failures:
                attempts = max(m.attempts for m in messages)
                uow.outbox.mark_failed([m.id for m in messages], error=reason,
                                       retry_at=clock.now() + retry_delay(attempts))
            uow.commit()
    return DispatchReport(claimed=len(claimed), sent=len(groups) - len(failures),
                          failed=sum(len(m) for m, _ in failures), pruned=pruned)


def outbox_backlog(*, uow: UnitOfWork) -> int:
    """Follow-up work recorded and not yet handed to the task queue (for metrics and readiness)."""
    with uow:
        return uow.outbox.backlog()
