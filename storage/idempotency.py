"""Idempotency keys in SQL: one row per (principal, key), claimed before the request runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.idempotency import IdempotencyRecord, KeyState, StoredAnswer
from storage.models import IdempotencyKeyRow


def _record(row: IdempotencyKeyRow) -> IdempotencyRecord:
    request_hash, _, body_hash = row.fingerprint.partition(":")
    answer = None
    if row.status_code is not None:
        headers = [(str(k), str(v)) for k, v in (row.response_headers or {}).get("items", [])]
        answer = StoredAnswer(row.status_code, headers, row.response_body or b"")
    return IdempotencyRecord(principal=row.principal, key=row.key, request_hash=request_hash, body_hash=body_hash,
                             state=KeyState(row.state), answer=answer, created_at=row.created_at,
                             expires_at=row.expires_at)


class SqlIdempotencyKeyRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _get(self, principal: str, key: str) -> IdempotencyKeyRow | None:
        return self._session.scalars(select(IdempotencyKeyRow).where(
            IdempotencyKeyRow.principal == principal, IdempotencyKeyRow.key == key)).first()

    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        existing = self._get(record.principal, record.key)
        if existing is not None and existing.expires_at <= record.created_at:
            self._session.delete(existing)  # an expired key is a new key
            self._session.flush()
            existing = None
        if existing is not None:
            return _record(existing)
        try:
            with self._session.begin_nested():
                self._session.add(IdempotencyKeyRow(
                    principal=record.principal, key=record.key, fingerprint=f"{record.request_hash}:",
                    state=record.state.value, created_at=record.created_at, expires_at=record.expires_at))
        except IntegrityError:  # a concurrent request with the same key claimed it first
            winner = self._get(record.principal, record.key)
            if winner is None:
                raise
            return _record(winner)
        return None

    def finish(self, principal: str, key: str, *, body_hash: str, answer: StoredAnswer) -> None:
        row = self._get(principal, key)
        if row is None:
            return
        request_hash = row.fingerprint.partition(":")[0]
        self._session.execute(update(IdempotencyKeyRow).where(
            IdempotencyKeyRow.principal == principal, IdempotencyKeyRow.key == key).values(
            fingerprint=f"{request_hash}:{body_hash}", state=KeyState.DONE.value, status_code=answer.status_code,
            response_headers={"items": [list(h) for h in answer.headers]}, response_body=answer.body)
            .execution_options(synchronize_session=False))

    def release(self, principal: str, key: str) -> None:
        self._session.execute(delete(IdempotencyKeyRow).where(
            IdempotencyKeyRow.principal == principal, IdempotencyKeyRow.key == key)
            .execution_options(synchronize_session=False))

    def prune(self, *, expired_before: datetime) -> int:
        result = self._session.execute(delete(IdempotencyKeyRow).where(IdempotencyKeyRow.expires_at < expired_before)
                                       .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)
