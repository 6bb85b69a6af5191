"""SQL repository for archival files, their dossiers and their documents' Decree 30 metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from records.archival_files import ArchivalDocument, ArchivalFile, FileEvent, FileState
from storage.models import (
    ArchivalDocumentRow,
    ArchivalFileDossierRow,
    ArchivalFileEventRow,
    ArchivalFileRow,
    table_of,
)

FILES = table_of(ArchivalFileRow)
MEMBERS = table_of(ArchivalFileDossierRow)
DOCUMENTS = table_of(ArchivalDocumentRow)
EVENTS = table_of(ArchivalFileEventRow)


def _file(r: Any, history: list[dict[str, Any]]) -> ArchivalFile:
    return ArchivalFile(id=r.id, organ_id=r.organ_id, file_catalog=r.file_catalog, file_notation=r.file_notation,
                        title=r.title, maintenance=r.maintenance, rights=r.rights, creator=r.creator,
                        language=r.language, description=r.description or "", procedure_code=r.procedure_code,
                        state=FileState(r.state), deposit_due_on=r.deposit_due_on, created_by=r.created_by,
                        created_at=r.created_at, history=history)


class SqlArchivalFileRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _values(self, file: ArchivalFile) -> dict[str, Any]:
        return {"file_code": file.file_code, "organ_id": file.organ_id, "file_catalog": file.file_catalog,
                "file_notation": file.file_notation, "title": file.title, "maintenance": file.maintenance,
                "rights": file.rights, "creator": file.creator, "language": file.language,
                "description": file.description, "procedure_code": file.procedure_code, "state": file.state.value,
                "deposit_due_on": file.deposit_due_on, "created_by": file.created_by, "created_at": file.created_at}

    def _insert_new(self, table: Any, values: dict[str, Any], key: str) -> bool:
        """Inserts unless the key exists (also when a concurrent writer just took it: PostgreSQL waits for it);
        False when it did not, so that the use case can refuse or skip with a clear answer instead of a crash."""
        dialect = self.session.get_bind().dialect.name
        insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert_for(table).values(**values).on_conflict_do_nothing(index_elements=[key])
        return self.session.execute(stmt.returning(table.c[key])).first() is not None

    def add(self, file: ArchivalFile) -> bool:
        """False (nothing written) when a file with that code exists."""
        return self._insert_new(FILES, {"id": file.id, **self._values(file)}, "file_code")

    def save(self, file: ArchivalFile) -> None:
        self.session.execute(update(FILES).where(FILES.c.id == file.id).values(**self._values(file)))

    def get(self, file_code: str, *, for_update: bool = False) -> ArchivalFile | None:
        query = select(FILES).where(FILES.c.file_code == file_code)
        row = self.session.execute(query.with_for_update() if for_update else query).first()
        return None if row is None else _file(row, self._history([row.id]).get(row.id, []))

    def _history(self, file_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        if not file_ids:
            return found
        rows = self.session.execute(select(EVENTS).where(EVENTS.c.file_id.in_(file_ids))
                                    .order_by(EVENTS.c.id))
        for r in rows:
            found.setdefault(r.file_id, []).append({"from": r.from_state, "to": r.to_state, "by": r.by,
                                                    "at": r.at.isoformat(), "note": r.note})
        return found

    def add_event(self, file_id: str, event: FileEvent) -> None:
        """One step of the file's history (its state table): kept as a row of its own, never changed."""
        self.session.execute(insert(EVENTS).values(file_id=file_id, at=event.at, by=event.by,
                                                   from_state=event.from_state.value if event.from_state else None,
                                                   to_state=event.to_state.value, note=event.note))

    def find(self, *, agencies: frozenset[str] | None, year: int | None = None, state: FileState | None = None,
             deposit_due_by: Any = None, limit: int = 100, offset: int = 0) -> tuple[list[ArchivalFile], int]:
        conditions: list[Any] = []
        if agencies is not None:
            conditions.append(FILES.c.organ_id.in_(sorted(agencies)))
        if year is not None:
            conditions.append(FILES.c.file_catalog == year)
        if state is not None:
            conditions.append(FILES.c.state == state.value)
        if deposit_due_by is not None:
            conditions += [FILES.c.deposit_due_on.is_not(None), FILES.c.deposit_due_on <= deposit_due_by,
                           FILES.c.state.in_([FileState.OPEN.value, FileState.CLOSED.value,
                                              FileState.DEPOSITED_AGENCY.value])]
        count = self.session.scalar(select(func.count()).select_from(FILES).where(*conditions)) or 0
        rows = self.session.execute(select(FILES).where(*conditions)
                                    .order_by(FILES.c.file_catalog, FILES.c.organ_id, FILES.c.file_notation)
                                    .limit(limit).offset(offset))
        found = list(rows)
        history = self._history([r.id for r in found])
        return [_file(r, history.get(r.id, [])) for r in found], int(count)

    def file_code_of(self, dossier_code: str) -> str | None:
        return self.session.scalar(select(FILES.c.file_code).join(MEMBERS, MEMBERS.c.file_id == FILES.c.id)
                                   .where(MEMBERS.c.dossier_code == dossier_code))

    def file_codes_of(self, dossier_code: str) -> frozenset[str]:
        """The archival files holding the dossier (at most one today)."""
        return frozenset(self.session.scalars(select(FILES.c.file_code).join(MEMBERS, MEMBERS.c.file_id == FILES.c.id)
                                              .where(MEMBERS.c.dossier_code == dossier_code)))

    def dossier_codes_in(self, file: str) -> list[str]:
        """The dossiers in a file, named by its file code (or its internal id)."""
        query = select(MEMBERS.c.dossier_code).join(FILES, MEMBERS.c.file_id == FILES.c.id)
        return list(self.session.scalars(query.where(or_(FILES.c.file_code == file, FILES.c.id == file))
                                          .order_by(MEMBERS.c.dossier_code)))

    def add_dossier(self, file_id: str, dossier_code: str) -> bool:
        """False (nothing written) when the dossier is already in a file."""
        return self._insert_new(MEMBERS, {"file_id": file_id, "dossier_code": dossier_code}, "dossier_code")

    def remove_dossier(self, file_id: str, dossier_code: str) -> None:
        self.session.execute(delete(MEMBERS).where(MEMBERS.c.file_id == file_id,
                                                   MEMBERS.c.dossier_code == dossier_code))
        self.session.execute(delete(DOCUMENTS).where(DOCUMENTS.c.file_id == file_id,
                                                     DOCUMENTS.c.dossier_code == dossier_code))

    def documents(self, file_id: str) -> list[ArchivalDocument]:
        rows = self.session.execute(select(DOCUMENTS).where(DOCUMENTS.c.file_id == file_id)
                                    .order_by(DOCUMENTS.c.doc_ordinal))
        return [ArchivalDocument(r.document_id, r.dossier_code, r.doc_ordinal, dict(r.metadata or {})) for r in rows]

    def set_documents(self, file_id: str, documents: Sequence[ArchivalDocument]) -> None:
        """Replaces the file's document list (ordinals renumbered by the caller)."""
        self.session.execute(delete(DOCUMENTS).where(DOCUMENTS.c.file_id == file_id))
        if documents:
            self.session.execute(insert(DOCUMENTS), [
                {"document_id": d.document_id, "file_id": file_id, "dossier_code": d.dossier_code,
                 "doc_ordinal": d.doc_ordinal, "metadata": d.metadata} for d in documents])

    def update_document(self, file_id: str, document: ArchivalDocument) -> None:
        self.session.execute(update(DOCUMENTS).where(DOCUMENTS.c.file_id == file_id,
                                                     DOCUMENTS.c.document_id == document.document_id)
                             .values(metadata=document.metadata))

    def forget_dossier(self, dossier_code: str) -> None:
        """A destroyed dossier leaves its file (the file's list keeps nothing of it)."""
        self.session.execute(delete(DOCUMENTS).where(DOCUMENTS.c.dossier_code == dossier_code))
        self.session.execute(delete(MEMBERS).where(MEMBERS.c.dossier_code == dossier_code))
