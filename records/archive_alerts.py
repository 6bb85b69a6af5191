"""Archive alerts: what an archivist must look at that is not a dossier's deadline — a damaged blob (fixity), a broken
audit chain, files due for deposit. One open alert per kind and subject: raising it again while it is open adds
nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ArchiveAlert:
    kind: str  # e.g. fixity_damage, audit_chain_broken, deposit_due
    subject: str  # what it is about: a blob key, an audit entry id, a file code
    message_vi: str
    message_en: str
    raised_at: datetime
    agency_code: str | None = None  # whose records; None: the whole installation (admins, auditors, archivists)
    detail: dict[str, Any] = field(default_factory=dict)
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    id: int | None = None

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None
