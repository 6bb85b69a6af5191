"""Use cases behind the Idempotency-Key header: claim the key, keep the first answer, replay it."""

from __future__ import annotations

from records.clock import Clock
from records.errors import Conflict, ValidationFailed
from records.idempotency import KEY_LIFETIME, IdempotencyRecord, KeyState, StoredAnswer
from records.ports import UnitOfWork


def key_reused() -> ValidationFailed:
    return ValidationFailed("Khoá Idempotency-Key này đã được dùng cho một yêu cầu khác.",
                            "This Idempotency-Key was already used for a different request.",
                            code="idempotency_key_reused")


def key_in_progress() -> Conflict:
    return Conflict("Yêu cầu đầu tiên với khoá Idempotency-Key này đang được xử lý; hãy thử lại sau giây lát.",
                    "The first request with this Idempotency-Key is still in progress; retry in a moment.",
                    code="idempotency_key_in_progress")


def claim_key(*, uow: UnitOfWork, clock: Clock, principal: str, key: str,
              request_hash: str) -> IdempotencyRecord | None:
    """None: the key is the caller's to run the request under. Otherwise the record of the first request with
    this key (in progress, or done with its answer). Expired keys (24 h) are pruned on the way."""
    now = clock.now()
    with uow:
        uow.begin_write()
        existing = uow.idempotency_keys.claim(IdempotencyRecord(
            principal=principal, key=key, request_hash=request_hash, body_hash="", state=KeyState.IN_PROGRESS,
            answer=None, created_at=now, expires_at=now + KEY_LIFETIME))
        if existing is None:
            uow.idempotency_keys.prune(expired_before=now)
        uow.commit()
    return existing


def keep_answer(*, uow: UnitOfWork, principal: str, key: str, body_hash: str, answer: StoredAnswer) -> None:
    with uow:
        uow.begin_write()
        uow.idempotency_keys.finish(principal, key, body_hash=body_hash, answer=answer)
        uow.commit()


def release_key(*, uow: UnitOfWork, principal: str, key: str) -> None:
    """The request ended without an answer worth keeping (a server error): the client may try the key again."""
    with uow:
        uow.begin_write()
        uow.idempotency_keys.release(principal, key)
        uow.commit()
