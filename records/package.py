"""A dossier as one self-contained record — the dossier, its history with hand-overs, apology letters, documents with
their metadata, hashes and page texts — in plain JSON values and back, without loss. Export packages (BagIt) carry it;
an import rebuilds the dossier from it in another hoso."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from records.archival_files import ArchivalDocument, ArchivalFile, FileEvent, FileState
from records.documents import Document, DocumentMetadata, DocumentStatus, PageSource, PageText
from records.dossiers import (
    Applicant,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierState,
    ExtensionLetter,
    Handover,
    Party,
    Timeliness,
)
from records.errors import ValidationFailed
from records.procedures import DocumentType
from records.retention import DossierRetention, EndAction, RetentionState

FORMAT = "hoso-dossier/1"
FILE_FORMAT = "hoso-archival-file/1"


def plain(value: Any) -> Any:
    """JSON values of dataclasses, enums, instants, dates and sets (sets sorted, so the same record dumps the same)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class DocumentRecord:
    document: Document
    pages: list[PageText]


@dataclass(frozen=True)
class DossierRecord:
    dossier: Dossier
    events: list[DossierEvent]
    letters: list[ExtensionLetter]
    documents: list[DocumentRecord] = field(default_factory=list)
    retention: DossierRetention | None = None  # when its retention clock runs: closed when, kept how long, extended

    def to_json(self) -> dict[str, Any]:
        dossier = plain(self.dossier)
        dossier.pop("id", None)
        return {"format": FORMAT, "dossier": dossier, "events": [plain(e) for e in self.events],
                "letters": [plain(letter) for letter in self.letters],
                "documents": [{"document": _archived(d.document), "pages": [plain(p) for p in d.pages]}
                              for d in self.documents],
                "retention": None if self.retention is None else plain(self.retention)}


# A worker's hold on a document while it reads it: how the system runs, not what the archive keeps.
PROCESSING_LEASE_FIELDS = ("lease_owner", "heartbeat_at")


def _archived(document: Document) -> dict[str, Any]:
    record: dict[str, Any] = plain(document)
    for name in PROCESSING_LEASE_FIELDS:
        record.pop(name, None)
    return record


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _handover(data: dict[str, Any] | None) -> Handover | None:
    if data is None:
        return None
    return Handover(from_agency_code=data["from_agency_code"], from_party=Party(data["from_party"]),
                    to_agency_code=data["to_agency_code"], to_party=Party(data["to_party"]),
                    started_at=_when(data["started_at"]), due_at=_when(data["due_at"]),
                    allowed_days=float(data["allowed_days"]), used_days=float(data["used_days"]),
                    timeliness=Timeliness(data["timeliness"]))


def _dossier(d: dict[str, Any]) -> Dossier:
    a = d["applicant"]
    return Dossier(
        code=d["code"], procedure_code=d["procedure_code"], receiving_agency_code=d["receiving_agency_code"],
        applicant=Applicant(ApplicantKind(a["kind"]), a["name"], a["id_number"], a.get("phone"), a.get("email"),
                            a.get("address")),
        channel=Channel(d["channel"]), received_at=_when(d["received_at"]), subject=d.get("subject", ""),
        state=DossierState(d["state"]), holder_agency_code=d["holder_agency_code"],
        holder_party=Party(d["holder_party"]),
        holder_since=_at(d.get("holder_since")), clock_started_at=_at(d.get("clock_started_at")),
        last_moved_at=_at(d.get("last_moved_at")), due_at=_at(d.get("due_at")),
        extended_due_at=_at(d.get("extended_due_at")), step_index=int(d.get("step_index", 0)),
        step_started_at=_at(d.get("step_started_at")), step_due_at=_at(d.get("step_due_at")),
        paused_at=_at(d.get("paused_at")), holding_paused_days=float(d.get("holding_paused_days", 0.0)),
        total_paused_days=float(d.get("total_paused_days", 0.0)), resolved_at=_at(d.get("resolved_at")),
        completed_at=_at(d.get("completed_at")), participant_agencies=set(d.get("participant_agencies", [])),
        linked_agencies=set(d.get("linked_agencies", [])), parent_code=d.get("parent_code"),
        version=int(d.get("version", 1)))


def _event(e: dict[str, Any]) -> DossierEvent:
    return DossierEvent(at=_when(e["at"]), from_state=DossierState(e["from_state"]) if e.get("from_state") else None,
                        to_state=DossierState(e["to_state"]), actor_username=e["actor_username"],
                        actor_name=e["actor_name"], actor_agency_code=e["actor_agency_code"], note=e.get("note", ""),
                        target_agency_code=e.get("target_agency_code"), handover=_handover(e.get("handover")),
                        seq=int(e.get("seq", 0)))


def _document(d: dict[str, Any]) -> Document:
    m = d.get("metadata") or {}
    return Document(
        id=d["id"], dossier_code=d["dossier_code"], document_type=DocumentType(d["document_type"]), title=d["title"],
        filename=d["filename"], media_type=d["media_type"], size_bytes=int(d["size_bytes"]), sha256=d["sha256"],
        uploaded_by=d["uploaded_by"], uploaded_at=_when(d["uploaded_at"]),
        metadata=DocumentMetadata(number_notation=m.get("number_notation"), issuing_organ=m.get("issuing_organ"),
                                  issued_date=date.fromisoformat(m["issued_date"]) if m.get("issued_date") else None,
                                  signer=m.get("signer"), subject=m.get("subject")),
        status=DocumentStatus(d["status"]), status_changed_at=_at(d.get("status_changed_at")),
        failure_code=d.get("failure_code"), failure_reason=d.get("failure_reason"), page_count=d.get("page_count"),
        has_searchable_pdf=bool(d.get("has_searchable_pdf")), attempts=int(d.get("attempts", 0)),
        pages_done=int(d.get("pages_done", d.get("page_count") or 0)),
        uploaded_agency_code=d.get("uploaded_agency_code"), is_result=bool(d.get("is_result")))


def _page(p: dict[str, Any]) -> PageText:
    return PageText(int(p["page_number"]), p["text"], PageSource(p["source"]), p.get("confidence"))


def _retention(r: dict[str, Any] | None) -> DossierRetention | None:
    if r is None:
        return None
    return DossierRetention(
        dossier_code=r["dossier_code"], agency_code=r["agency_code"], procedure_code=r["procedure_code"],
        closed_at=_when(r["closed_at"]), schedule_id=r.get("schedule_id"), years=r.get("years"),
        minimum_years=r.get("minimum_years"), end_action=EndAction(r["end_action"]),
        extended_due_on=date.fromisoformat(r["extended_due_on"]) if r.get("extended_due_on") else None,
        extension_reason=r.get("extension_reason", ""), extended_by=r.get("extended_by"),
        state=RetentionState(r.get("state", RetentionState.KEPT.value)))


def record_from_json(data: dict[str, Any]) -> DossierRecord:
    """Raises ValidationFailed (invalid_package) for a record this version cannot read."""
    if data.get("format") != FORMAT:
        raise ValidationFailed("Gói không đúng định dạng hồ sơ của hoso.", "The package is not a hoso dossier record.",
                               code="invalid_package", detail={"format": data.get("format")})
    try:
        return DossierRecord(dossier=_dossier(data["dossier"]), events=[_event(e) for e in data["events"]],
                             letters=[ExtensionLetter(reason=x["reason"], new_due_at=_when(x["new_due_at"]),
                                                      issued_at=_when(x["issued_at"]), issued_by=x["issued_by"],
                                                      issued_by_name=x.get("issued_by_name", ""))
                                      for x in data["letters"]],
                             documents=[DocumentRecord(_document(d["document"]), [_page(p) for p in d["pages"]])
                                        for d in data["documents"]],
                             retention=_retention(data.get("retention")))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed("Gói hồ sơ thiếu hoặc sai dữ liệu.", "The package's record is incomplete or wrong.",
                               code="invalid_package", detail={"error": f"{type(exc).__name__}: {exc}"[:300]}) from exc


@dataclass(frozen=True)
class ArchivalFileRecord:
    """An archival file as it travels in a package: its Decree 30 metadata, state and history, its dossiers and each
    document's ordinal and edited metadata. The file's internal id stays behind (the receiving hoso gives its own)."""

    file: ArchivalFile
    dossier_codes: list[str]
    documents: list[ArchivalDocument]

    def to_json(self) -> dict[str, Any]:
        file = plain(self.file)
        file.pop("id", None)
        return {"format": FILE_FORMAT, "file": file, "dossier_codes": list(self.dossier_codes),
                "documents": [plain(d) for d in self.documents]}

    def events(self) -> list[FileEvent]:
        """The file's recorded steps, oldest first."""
        return [FileEvent(at=_when(h["at"]), by=str(h.get("by", "")), to_state=FileState(h["to"]),
                          from_state=FileState(h["from"]) if h.get("from") else None, note=str(h.get("note", "")))
                for h in self.file.history]


def file_record_from_json(data: dict[str, Any], *, new_id: str) -> ArchivalFileRecord:
    """Raises ValidationFailed (invalid_package) for a file record this version cannot read."""
    if data.get("format") != FILE_FORMAT:
        raise ValidationFailed("Gói không đúng định dạng hồ sơ lưu trữ của hoso.",
                               "The package is not a hoso archival file record.", code="invalid_package",
                               detail={"format": data.get("format")})
    try:
        f = data["file"]
        file = ArchivalFile(
            id=new_id, organ_id=str(f["organ_id"]), file_catalog=int(f["file_catalog"]),
            file_notation=str(f["file_notation"]), title=str(f["title"]), maintenance=str(f["maintenance"]),
            rights=str(f["rights"]), creator=str(f["creator"]), language=str(f.get("language", "Tiếng Việt")),
            description=str(f.get("description", "")), procedure_code=f.get("procedure_code"),
            state=FileState(f["state"]),
            deposit_due_on=date.fromisoformat(f["deposit_due_on"]) if f.get("deposit_due_on") else None,
            created_by=str(f.get("created_by", "")), created_at=_at(f.get("created_at")),
            history=[dict(h) for h in f.get("history", [])])
        record = ArchivalFileRecord(
            file=file, dossier_codes=[str(c) for c in data["dossier_codes"]],
            documents=[ArchivalDocument(document_id=str(d["document_id"]), dossier_code=str(d["dossier_code"]),
                                        doc_ordinal=int(d["doc_ordinal"]), metadata=dict(d["metadata"]))
                       for d in data["documents"]])
        record.events()  # the history must read too
        return record
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationFailed("Hồ sơ lưu trữ trong gói thiếu hoặc sai dữ liệu.",
                               "The package's archival file record is incomplete or wrong.", code="invalid_package",
                               detail={"error": f"{type(exc).__name__}: {exc}"[:300]}) from exc
