"""The processing lease: which task may work on a document, and when a document counts as stuck."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from records.documents import Document, DocumentStatus
from records.errors import InvalidTransition
from records.procedures import DocumentType

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _document(status: DocumentStatus, *, owner: str | None = None, heartbeat_age: timedelta | None = None) -> Document:
    return Document(id="d1", dossier_code="X", document_type=DocumentType.APPLICATION_FORM, title="t",
                    filename="f.pdf", media_type="application/pdf", size_bytes=1, sha256="0" * 64,
                    uploaded_by="u", uploaded_at=NOW - timedelta(hours=1), status=status,
                    status_changed_at=NOW - timedelta(hours=1), lease_owner=owner,
                    heartbeat_at=None if heartbeat_age is None else NOW - heartbeat_age)


def test_a_document_in_progress_belongs_to_its_run_until_its_heartbeat_stops() -> None:
    working = _document(DocumentStatus.OCR, owner="run-a", heartbeat_age=timedelta(seconds=10))
    assert working.may_run("run-a", NOW, LEASE)  # its own continuation or a redelivery
    assert not working.may_run("run-b", NOW, LEASE)  # a duplicate
    assert not working.is_stuck(NOW, LEASE)
    silent = _document(DocumentStatus.OCR, owner="run-a", heartbeat_age=LEASE + timedelta(seconds=1))
    assert silent.is_stuck(NOW, LEASE) and silent.may_run("run-b", NOW, LEASE)


def test_new_work_may_start_a_failed_document_waits_for_retry() -> None:
    assert _document(DocumentStatus.QUEUED).may_run("any", NOW, LEASE)
    assert _document(DocumentStatus.OCR).may_run("any", NOW, LEASE)  # the lease is free (re-queued by the sweeper)
    assert not _document(DocumentStatus.FAILED).may_run("any", NOW, LEASE)
    assert not _document(DocumentStatus.INDEXED).is_stuck(NOW, LEASE)


def test_a_stuck_document_may_go_back_to_the_queue_an_indexed_one_may_not() -> None:
    stuck = _document(DocumentStatus.EXTRACTING, owner="gone", heartbeat_age=timedelta(hours=1))
    stuck.move(DocumentStatus.QUEUED, NOW)
    assert stuck.status is DocumentStatus.QUEUED
    with pytest.raises(InvalidTransition):
        _document(DocumentStatus.INDEXED).move(DocumentStatus.QUEUED, NOW)
