"""Use cases for a dossier's documents: registering an upload (attaching), reading, retrying.

Every read of a document — its metadata, content, text or page images — goes to the access log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from records.access import Action, Decision, Principal
from records.access_log import AccessKind
from records.blobs import BlobStore, original_key
from records.clock import Clock
from records.documents import IN_PROGRESS, Document, DocumentMetadata, DocumentStatus, PageText
from records.errors import Conflict, NotFound
from records.outbox import process_document_later
from records.ports import UnitOfWork
from records.procedures import DocumentType
from records.services.access import audited, authorize, logged, require
from records.services.fixity import register_document_blobs
from records.services.holds import ensure_not_held
from records.services.webhooks import announce
from records.webhooks import EventType


@dataclass(frozen=True)
class StagedUpload:
    """An upload already on local disk, hashed and identified from its bytes (see ingest.staging)."""

    path: Path
    sha256: str
    size_bytes: int
    media_type: str
    filename: str


@dataclass(frozen=True)
class Registered:
    document: Document
    duplicate: bool  # the dossier already held this content: nothing new was stored


def _document_not_found(document_id: str) -> NotFound:
    return NotFound("Không tìm thấy tài liệu.", "Document not found.", code="document_not_found",
                    detail={"document_id": document_id})


def register_document(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, actor: Principal, dossier_code: str,
                      upload: StagedUpload, document_type: DocumentType, title: str,
                      metadata: DocumentMetadata, is_result: bool = False) -> Registered:
    """Stores the original (keyed by its SHA-256) and records the document as queued, with its processing
    recorded in the outbox in the same transaction.

    Who may attach: the agency holding the dossier, or a system or agency it was shared with for attaching
    (a specialised system's result). The same content uploaded twice to one dossier is reported, not stored
    again. If recording fails, an original that no document references is removed again: no orphan blobs.
    """
    with uow:
        require(uow, actor, dossier_code, Action.ATTACH, now=clock.now())
        ensure_not_held(uow, [dossier_code])
        existing = uow.documents.find_by_hash(dossier_code, upload.sha256)
    if existing is not None:
        return Registered(existing, duplicate=True)
    key = original_key(upload.sha256)
    with upload.path.open("rb") as stream:
        blobs.put(key, stream, sha256=upload.sha256, content_type=upload.media_type)
    now = clock.now()
    document = Document(
        id=uuid.uuid4().hex, dossier_code=dossier_code, document_type=document_type,
        title=title.strip() or upload.filename, filename=upload.filename, media_type=upload.media_type,
        size_bytes=upload.size_bytes, sha256=upload.sha256, uploaded_by=actor.username, uploaded_at=now,
        metadata=metadata, status_changed_at=now, uploaded_agency_code=actor.agency_code, is_result=is_result,
    )
    try:
        with uow:
            uow.begin_write()
            ensure_not_held(uow, [dossier_code])  # again: a hold placed while the original was being stored
            uow.documents.add(document)
            dossier = uow.dossiers.get(dossier_code)
            process_document_later(uow.outbox, document.id)
            if dossier is not None:
                announce(uow, event_type=EventType.DOCUMENT_ATTACHED, dossier=dossier, at=now,
                         data={"document_id": document.id, "document_type": document.document_type.value,
                               "is_result": is_result, "uploaded_agency_code": actor.agency_code})
            register_document_blobs(uow, document, {}, now)
            audited(uow, actor, AccessKind.DOCUMENT_ATTACHED, now, dossier_code=dossier_code, document_id=document.id,
                    detail={"sha256": document.sha256, "size_bytes": document.size_bytes,
                            "filename": document.filename, "is_result": is_result})
            uow.commit()
    except Conflict:
        with uow:  # a concurrent upload of the same content won the race: report it as the duplicate
            winner = uow.documents.find_by_hash(dossier_code, upload.sha256)
        if winner is None:
            raise
        return Registered(winner, duplicate=True)
    except BaseException:
        _forget_unreferenced(uow, blobs, upload.sha256)
        raise
    return Registered(document, duplicate=False)


def _forget_unreferenced(uow: UnitOfWork, blobs: BlobStore, sha256: str) -> None:
    with uow:
        unreferenced = uow.documents.references_to(sha256) == 0
    if unreferenced:
        blobs.delete(original_key(sha256))


def permitted_document(uow: UnitOfWork, actor: Principal, document_id: str, action: Action, *,
                       now: datetime) -> tuple[Document, Decision]:
    """The document if the actor may do `action` on it; an unknown id and a refused read both answer
    document_not_found (403 for a permission the reader lacks, as for its dossier)."""
    document = uow.documents.get(document_id)
    if document is None:
        raise _document_not_found(document_id)
    try:
        _, decision = require(uow, actor, document.dossier_code, action, now=now, document_id=document_id)
    except NotFound:
        raise _document_not_found(document_id) from None  # a guessed id learns nothing
    return document, decision


# What each way of reading a document asks of the rule.
_ACTION_FOR: dict[AccessKind, Action] = {AccessKind.DOCUMENT: Action.READ, AccessKind.DOWNLOAD: Action.DOWNLOAD,
                                         AccessKind.TEXT: Action.DOWNLOAD, AccessKind.PREVIEW: Action.DOWNLOAD}


def get_document(*, uow: UnitOfWork, clock: Clock, actor: Principal, document_id: str,
                 kind: AccessKind = AccessKind.DOCUMENT) -> Document:
    """The document if the actor may read it this way (metadata, download, page image), logged as `kind`."""
    now = clock.now()
    with uow:
        document, decision = permitted_document(uow, actor, document_id, _ACTION_FOR[kind], now=now)
        logged(uow, actor, kind, decision, now, dossier_code=document.dossier_code, document_id=document_id)
    return document


def document_status(*, uow: UnitOfWork, clock: Clock, actor: Principal, document_id: str) -> Document:
    """Where the document's processing stands, for a screen waiting on it. Checked like any read, but not
    written to the access log: the caller is shown only the status (see api.schemas.documents.DocumentStatusPublic),
    nothing of the paper, and a page polling every few seconds would bury the reads that matter."""
    with uow:
        document, _ = permitted_document(uow, actor, document_id, Action.READ, now=clock.now())
    return document


def list_documents(*, uow: UnitOfWork, clock: Clock, actor: Principal, dossier_code: str) -> list[Document]:
    """The dossier's documents; a linked dossier also lists the papers received once for its group (when
    the actor may read them)."""
    now = clock.now()
    with uow:
        dossier, decision = require(uow, actor, dossier_code, Action.READ, now=now)
        documents = []
        if dossier.parent_code is not None:
            group = uow.dossiers.get(dossier.parent_code)
            if group is not None and authorize(uow, actor, group, Action.READ, now=now):
                documents = uow.documents.list_for_dossier(group.code)
        documents += uow.documents.list_for_dossier(dossier_code)
        logged(uow, actor, AccessKind.VIEW, decision, now, dossier_code=dossier_code, part="documents")
    return documents


def document_pages(*, uow: UnitOfWork, clock: Clock, actor: Principal,
                   document_id: str) -> tuple[Document, list[PageText]]:
    now = clock.now()
    with uow:
        document, decision = permitted_document(uow, actor, document_id, Action.DOWNLOAD, now=now)
        pages = uow.documents.pages(document_id)
        logged(uow, actor, AccessKind.TEXT, decision, now, dossier_code=document.dossier_code, document_id=document_id)
    return document, pages


DEFAULT_LEASE = timedelta(minutes=5)


def retry_document(*, uow: UnitOfWork, clock: Clock, actor: Principal, document_id: str,
                   lease: timedelta = DEFAULT_LEASE) -> Document:
    """Puts a failed or a stuck document (its worker vanished: no sign of life for longer than `lease`) back in
    the queue, to be processed from the start (its processing is recorded with the change). A document a worker is
    processing now is refused (document_busy)."""
    with uow:
        uow.begin_write()
        document, _ = permitted_document(uow, actor, document_id, Action.ATTACH, now=clock.now())
        ensure_not_held(uow, [document.dossier_code])
        if document.status in IN_PROGRESS and not document.is_stuck(clock.now(), lease):
            raise Conflict("Tài liệu đang được xử lý; hãy chờ hoặc thử lại sau vài phút.",
                           "The document is being processed; wait, or retry in a few minutes.",
                           code="document_busy", detail={"status": document.status.value})
        document.take_lease(None, clock.now())
        document.move(DocumentStatus.QUEUED, clock.now())
        uow.documents.save(document)
        audited(uow, actor, AccessKind.DOCUMENT_RETRIED, clock.now(), dossier_code=document.dossier_code,
                document_id=document.id)
        process_document_later(uow.outbox, document.id)
        uow.commit()
    return document


def requeue_stuck_documents(*, uow: UnitOfWork, clock: Clock, lease: timedelta,
                            queued_timeout: timedelta | None = None, limit: int = 100) -> list[str]:
    """Sends documents whose work vanished back to the queue, through the outbox:
    - in progress with no sign of life for longer than `lease` (their worker died): they resume from the pages
      already done; their lease is freed;
    - with `queued_timeout`, still `queued` that long after they were last sent (a message the broker lost).
    Each one's clock restarts, so the next sweep leaves it alone while the new task waits in the queue. Safe to run
    in several places at once, and a message sent twice does nothing more: a task finding the lease taken ends."""
    now = clock.now()
    with uow:
        uow.begin_write()
        candidates = list(uow.documents.in_progress_since(now - lease, limit=limit))
        if queued_timeout is not None:
            candidates += uow.documents.queued_since(now - queued_timeout, limit=limit)
        stuck = []
        for document_id in candidates:
            document = uow.documents.get(document_id, for_update=True)
            if document is None:
                continue
            last_sent = document.heartbeat_at or document.status_changed_at
            lost_message = (queued_timeout is not None and document.status is DocumentStatus.QUEUED
                            and (last_sent is None or now - last_sent > queued_timeout))
            if document.is_stuck(now, lease) or lost_message:
                document.take_lease(None, now)
                uow.documents.save(document)
                process_document_later(uow.outbox, document_id)
                stuck.append(document_id)
        uow.commit()
    return stuck


def mark_indexed(*, uow: UnitOfWork, clock: Clock, dossier_code: str,
                 indexed: Callable[[Document], bool] = lambda d: d.status in {DocumentStatus.EXTRACTING,
                                                                             DocumentStatus.OCR}) -> int:
    """After the dossier's entry went into the index: its processed documents are now searchable."""
    with uow:
        uow.begin_write()
        moved = 0
        for document in uow.documents.list_for_dossier(dossier_code):
            if indexed(document) and document.page_count is not None:
                document.move(DocumentStatus.INDEXED, clock.now())
                uow.documents.save(document)
                moved += 1
        uow.commit()
    return moved
