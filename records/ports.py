"""Ports: the small interfaces the core needs from the outside world. Adapters live in storage/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from records.access import Role
from records.agencies import Agency
from records.alerts import Alert, AlertKind, DueDossier
from records.documents import Document, DocumentStatus, PageText
from records.dossiers import Dossier, DossierEvent, DossierState, ExtensionLetter
from records.procedures import Procedure


@dataclass(frozen=True)
class UserAccount:
    username: str
    full_name: str
    agency_code: str
    roles: frozenset[Role]
    password_hash: str
    active: bool = True


@dataclass(frozen=True)
class DossierFilters:
    """What an officer narrows a dossier list by."""

    agency_code: str | None = None
    procedure_code: str | None = None
    field: str | None = None
    states: frozenset[DossierState] = frozenset()
    late: bool | None = None
    received_from: date | None = None
    received_to: date | None = None
    applicant_id_number: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class DossierQuery:
    """Filters plus what the repository must enforce: visibility (None: no restriction) and the instant
    against which lateness is judged."""

    filters: DossierFilters
    visible_agencies: frozenset[str] | None
    now: datetime


@dataclass(frozen=True)
class TimelinessRow:
    """The columns statistics need, one per dossier."""

    receiving_agency_code: str
    state: DossierState
    received_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    paused_at: datetime | None


class AgencyRepository(Protocol):
    def get(self, code: str) -> Agency | None: ...
    def list(self) -> list[Agency]: ...
    def upsert(self, agency: Agency) -> None: ...
    def predecessors(self, code: str) -> frozenset[str]:
        """Agencies whose dossiers `code` inherited through succession (transitively)."""
        ...


class ProcedureRepository(Protocol):
    def get(self, code: str) -> Procedure | None: ...
    def list(self) -> list[Procedure]: ...
    def upsert(self, procedure: Procedure) -> None: ...


class DossierRepository(Protocol):
    def next_sequence(self, agency_code: str, day: date) -> int:
        """The next intake number of an agency for a day; concurrent callers never get the same one."""
        ...

    def add(self, dossier: Dossier, events: list[DossierEvent]) -> None: ...

    def get(self, code: str, *, for_update: bool = False) -> Dossier | None: ...

    def save(self, dossier: Dossier, *, expected_version: int, events: list[DossierEvent]) -> None:
        """Writes the dossier if it is still at `expected_version`, else raises StaleVersion."""
        ...

    def events(self, code: str) -> list[DossierEvent]: ...
    def find(self, query: DossierQuery) -> tuple[list[Dossier], int]: ...
    def add_extension(self, code: str, letter: ExtensionLetter) -> None: ...
    def extensions(self, code: str) -> list[ExtensionLetter]: ...
    def timeliness_rows(self, *, visible_agencies: frozenset[str] | None, agency_code: str | None,
                        received_from: date | None, received_to: date | None) -> list[TimelinessRow]: ...


class AlertRepository(Protocol):
    def open_dossiers_due_before(self, instant: datetime) -> list[DueDossier]:
        """Dossiers being worked on (not new, paused, resolved or ended) due at or before `instant`."""
        ...

    def raise_once(self, dossier: DueDossier, kind: AlertKind, at: datetime) -> bool:
        """Records the alert unless it exists for this dossier, kind and due date; True when new."""
        ...

    def for_agencies(self, agencies: frozenset[str] | None, *, include_acknowledged: bool,
                     limit: int) -> list[Alert]: ...
    def get(self, alert_id: int) -> Alert | None: ...
    def acknowledge(self, alert_id: int, username: str, at: datetime) -> None: ...


class DocumentRepository(Protocol):
    def add(self, document: Document) -> None:
        """Raises Conflict (code duplicate_document) when the dossier already has this content."""
        ...

    def get(self, document_id: str, *, for_update: bool = False) -> Document | None: ...
    def find_by_hash(self, dossier_code: str, sha256: str) -> Document | None: ...
    def list_for_dossier(self, dossier_code: str) -> list[Document]: ...
    def save(self, document: Document) -> None: ...
    def set_pages(self, document_id: str, pages: list[PageText]) -> None:
        """Replaces the document's page texts (safe to repeat)."""
        ...

    def pages(self, document_id: str) -> list[PageText]: ...
    def references_to(self, sha256: str) -> int:
        """How many documents, in any dossier, hold this content (an original is deleted only at 0)."""
        ...

    def ids_with_status(self, statuses: frozenset[DocumentStatus], *, limit: int = 1000) -> list[str]: ...


class UserRepository(Protocol):
    def get(self, username: str) -> UserAccount | None: ...
    def add(self, user: UserAccount) -> None: ...
    def list(self, agency_code: str | None = None) -> list[UserAccount]: ...


class UnitOfWork(Protocol):
    """One transaction. Use it as `with uow:`; what is not committed is rolled back at the end."""

    @property
    def agencies(self) -> AgencyRepository: ...
    @property
    def procedures(self) -> ProcedureRepository: ...
    @property
    def dossiers(self) -> DossierRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def documents(self) -> DocumentRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def begin_write(self) -> None:
        """Declares, before the first statement, that this unit of work will write."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
