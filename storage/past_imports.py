"""SQL repository of the import journal (dossiers brought in from past archives)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.documents import DocumentStatus
from records.errors import Conflict
from records.past_dossiers import ImportEntry
from storage.models import DocumentRow, PastImportRow, table_of

JOURNAL = table_of(PastImportRow)
DOCUMENTS = table_of(DocumentRow)
_CHUNK = 500


class SqlImportJournalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, dossier_code: str) -> ImportEntry | None:
        row = self.session.execute(select(JOURNAL).where(JOURNAL.c.dossier_code == dossier_code)).first()
        if row is None:
            return None
        return ImportEntry(dossier_code=row.dossier_code, fingerprint=row.fingerprint, source=row.source,
                           row_number=row.row_number, imported_at=row.imported_at, documents=row.documents,
                           pages=row.pages)

    def add(self, entry: ImportEntry) -> None:
        """Raises Conflict when the code is in the journal already (a concurrent import of the same row)."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(JOURNAL).values(
                    dossier_code=entry.dossier_code, fingerprint=entry.fingerprint, source=entry.source[:500],
                    row_number=entry.row_number, imported_at=entry.imported_at, documents=entry.documents,
                    pages=entry.pages))
        except IntegrityError:
            raise Conflict(code="already_imported", detail={"dossier_code": entry.dossier_code}) from None

    def document_statuses(self, document_ids: Sequence[str]) -> dict[DocumentStatus, int]:
        counts: dict[DocumentStatus, int] = {}
        ids = list(document_ids)
        for start in range(0, len(ids), _CHUNK):
            rows = self.session.execute(
                select(DOCUMENTS.c.status, func.count()).where(DOCUMENTS.c.id.in_(ids[start:start + _CHUNK]))
                .group_by(DOCUMENTS.c.status))
            for status, count in rows:
                counts[DocumentStatus(status)] = counts.get(DocumentStatus(status), 0) + int(count)
        return counts
