"""The documents repository's contract on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from infra.wiring import Backends
from records.access import Principal
from records.documents import Document, DocumentMetadata, DocumentStatus, PageSource, PageText
from records.errors import Conflict, InvalidTransition
from records.procedures import DocumentType
from records.services.intake import receive_dossier
from tests.support.factories import LAND_FIRST_CERTIFICATE, MONDAY_9AM, applicant


def new_dossier(backends: Backends, actor: Principal) -> str:
    dossier = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=actor,
                                 procedure_code=LAND_FIRST_CERTIFICATE, applicant=applicant(),
                                 signer=backends.signer).dossier
    return dossier.code


def document(dossier_code: str, sha256: str = "ab" * 32) -> Document:
    return Document(id=uuid.uuid4().hex, dossier_code=dossier_code, document_type=DocumentType.LAND_CERTIFICATE,
                    title="Giấy chứng nhận quyền sử dụng đất", filename="gcn-thua-342.pdf",
                    media_type="application/pdf", size_bytes=123_456, sha256=sha256, uploaded_by="tiepnhan.tranbien",
                    uploaded_at=MONDAY_9AM,
                    metadata=DocumentMetadata(number_notation="CS 01234", issuing_organ="Sở Tài nguyên và Môi trường"))


def test_a_document_reads_back_with_its_metadata(backends: Backends, principal: Callable[[str], Principal]) -> None:
    code = new_dossier(backends, principal("tiepnhan.tranbien"))
    paper = document(code)
    with backends.uow() as uow:
        uow.begin_write()
        uow.documents.add(paper)
        uow.commit()
    with backends.uow() as uow:
        assert uow.documents.get(paper.id) == paper
        assert uow.documents.list_for_dossier(code) == [paper]
        assert uow.documents.find_by_hash(code, paper.sha256) == paper
        assert uow.documents.references_to(paper.sha256) == 1


def test_the_same_content_is_held_once_per_dossier_but_may_serve_several(
        backends: Backends, principal: Callable[[str], Principal]) -> None:
    desk = principal("tiepnhan.tranbien")
    first, second = new_dossier(backends, desk), new_dossier(backends, desk)
    with backends.uow() as uow:
        uow.begin_write()
        uow.documents.add(document(first))
        with pytest.raises(Conflict) as raised:
            uow.documents.add(document(first))
        assert raised.value.code == "duplicate_document"
        uow.documents.add(document(second))  # the "3 in 1" papers: one scan, several dossiers
        uow.commit()
    with backends.uow() as uow:
        assert uow.documents.references_to("ab" * 32) == 2


def test_pages_are_replaced_not_appended(backends: Backends, principal: Callable[[str], Principal]) -> None:
    paper = document(new_dossier(backends, principal("tiepnhan.tranbien")))
    with backends.uow() as uow:
        uow.begin_write()
        uow.documents.add(paper)
        uow.documents.set_pages(paper.id, [PageText(1, "Cộng hòa xã hội", PageSource.OCR, 81.5),
                                           PageText(2, "thửa đất số 342", PageSource.OCR, 77.0)])
        uow.documents.set_pages(paper.id, [PageText(1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", PageSource.TEXT_LAYER)])
        uow.commit()
    with backends.uow() as uow:
        assert uow.documents.pages(paper.id) == [
            PageText(1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", PageSource.TEXT_LAYER, None)]


def test_statuses_move_only_along_the_pipeline(backends: Backends, principal: Callable[[str], Principal]) -> None:
    paper = document(new_dossier(backends, principal("tiepnhan.tranbien")))
    later = MONDAY_9AM + timedelta(minutes=1)
    with pytest.raises(InvalidTransition):
        paper.move(DocumentStatus.INDEXED, later)  # queued documents are extracted first
    paper.move(DocumentStatus.EXTRACTING, later)
    paper.move(DocumentStatus.FAILED, later, failure_code="malformed_pdf", failure_reason="Tệp PDF bị hỏng")
    with backends.uow() as uow:
        uow.begin_write()
        uow.documents.add(paper)
        uow.commit()
    with backends.uow() as uow:
        stored = uow.documents.get(paper.id)
        failed = uow.documents.ids_with_status(frozenset({DocumentStatus.FAILED}))
    assert stored is not None and (stored.status, stored.failure_code, stored.attempts) == (
        DocumentStatus.FAILED, "malformed_pdf", 1)
    assert failed == [paper.id]
