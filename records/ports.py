"""Ports: the small interfaces the core needs from the outside world. Adapters live in storage/."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from records.access import Role, ShareGrant
from records.access_log import AccessEntry, AccessLogFilter
from records.agencies import Agency
from records.alerts import Alert, AlertKind, DueDossier
from records.archive_alerts import ArchiveAlert
from records.attempts import AttemptLimit
from records.audit import ChainedEntry
from records.documents import Document, DocumentStatus, PageText
from records.dossiers import Dossier, DossierEvent, DossierState, ExtensionLetter
from records.integrations import IntegrationAccount
from records.procedures import Procedure
from records.shares import Share
from records.webhooks import DeliveryAttempt, DeliveryStatus, EventType, WebhookDelivery, WebhookSubscription


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
    # Agencies whose active whole-dossier shares also make a dossier visible (None: shares do not count).
    shared_with: frozenset[str] | None = None


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
    def get_many(self, codes: Sequence[str]) -> list[Dossier]:
        """The dossiers with these codes that exist, in no particular order."""
        ...

    def save(self, dossier: Dossier, *, expected_version: int, events: list[DossierEvent]) -> None:
        """Writes the dossier if it is still at `expected_version`, else raises StaleVersion."""
        ...

    def events(self, code: str) -> list[DossierEvent]: ...
    def find(self, query: DossierQuery) -> tuple[list[Dossier], int]: ...
    def children(self, parent_code: str) -> list[Dossier]:
        """The dossiers opened together with `parent_code` (its linked dossiers), in the order they were opened."""
        ...

    def add_linked_agencies(self, code: str, agencies: frozenset[str]) -> None:
        """Lets agencies working on a linked dossier read this one (no version change). Safe to repeat."""
        ...

    def set_receipt_digest(self, code: str, digest: str) -> None:
        """Stores the keyed digest of the secret printed on the intake receipt (replacing any earlier one)."""
        ...

    def receipt_digest(self, code: str) -> str | None: ...
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
    def titles(self, document_ids: Sequence[str]) -> dict[str, str]:
        """Document id -> title, for those that exist."""
        ...

    def references_to(self, sha256: str) -> int:
        """How many documents, in any dossier, hold this content (an original is deleted only at 0)."""
        ...

    def ids_with_status(self, statuses: frozenset[DocumentStatus], *, limit: int = 1000) -> list[str]: ...


class ShareRepository(Protocol):
    def add(self, share: Share) -> None: ...
    def get(self, share_id: str) -> Share | None: ...
    def save(self, share: Share) -> None:
        """Writes the revocation of a share read through this repository."""
        ...

    def for_dossier(self, dossier_code: str) -> list[Share]:
        """Every share of the dossier (active, expired or revoked), newest first."""
        ...

    def grants_for(self, dossier_code: str, agencies: frozenset[str]) -> list[ShareGrant]:
        """The shares of the dossier naming any of these agencies, whatever their state (the rule judges)."""
        ...

    def received(self, agencies: frozenset[str], *, now: datetime, active_only: bool, limit: int,
                 offset: int) -> tuple[list[Share], int]:
        """Shares granted to these agencies, newest first."""
        ...

    def shared_dossier_codes(self, agencies: frozenset[str], now: datetime) -> frozenset[str]:
        """Dossiers shared whole with these agencies by a share active at `now`."""
        ...


class IntegrationRepository(Protocol):
    def add(self, account: IntegrationAccount) -> None: ...
    def get(self, account_id: str) -> IntegrationAccount | None: ...
    def save(self, account: IntegrationAccount) -> None:
        """Writes a revocation or a rotated token digest."""
        ...

    def list(self, agency_code: str | None = None) -> list[IntegrationAccount]: ...


class AccessLogRepository(Protocol):
    def record(self, entries: Sequence[AccessEntry], *, durable: bool = False) -> None:
        """Appends entries; the log is never updated or deleted through hoso. `durable`: the entries belong to a
        write's transaction, whose commit must wait for the disk as usual (reads may commit without waiting)."""
        ...

    def find(self, wanted: AccessLogFilter) -> tuple[list[AccessEntry], int]:
        """Newest first."""
        ...

    def chain(self, *, after_id: int = 0, dossier_code: str | None = None) -> Iterator[ChainedEntry]:
        """The audit chain's entries in order, streamed (constant memory); with `dossier_code` only that dossier's."""
        ...

    def head(self) -> tuple[int, str]:
        """The id and hash of the chain's last entry."""
        ...


class ArchiveAlertRepository(Protocol):
    def raise_once(self, alert: ArchiveAlert) -> bool:
        """Records the alert unless an open (unacknowledged) one of the same kind and subject exists; True when new.
        Safe to repeat."""
        ...

    def find(self, *, agencies: frozenset[str] | None, include_acknowledged: bool, kind: str | None = None,
             limit: int = 100, offset: int = 0) -> tuple[list[ArchiveAlert], int]:
        """Newest first. `agencies` None: every alert; else those of these agencies and the installation-wide ones."""
        ...

    def get(self, alert_id: int) -> ArchiveAlert | None: ...
    def acknowledge(self, alert_id: int, username: str, at: datetime) -> None: ...


class AttemptLimitRepository(Protocol):
    """Failed-attempt counters (records.attempts), keyed by what is being guessed at or by whom."""

    def get_many(self, keys: Sequence[str]) -> list[AttemptLimit]:
        """The counters of these keys that exist (no lock)."""
        ...

    def lock(self, keys: Sequence[str], now: datetime) -> list[AttemptLimit]:
        """The counters of these keys, created empty (window starting `now`) when missing, locked until the
        transaction ends so that concurrent failures queue and none is lost. Safe to repeat."""
        ...

    def save(self, limit: AttemptLimit) -> None:
        """Writes a counter returned by `lock`."""
        ...

    def forget_idle(self, *, window_started_before: datetime, now: datetime) -> int:
        """Deletes counters whose window started before the given instant and that are not locked at `now`
        (skipping rows another transaction holds); how many. Safe to repeat."""
        ...


class WebhookRepository(Protocol):
    def add_subscription(self, subscription: WebhookSubscription) -> None: ...
    def get_subscription(self, subscription_id: str) -> WebhookSubscription | None: ...
    def save_subscription(self, subscription: WebhookSubscription) -> None: ...
    def list_subscriptions(self, agency_code: str | None = None) -> list[WebhookSubscription]: ...
    def active_subscriptions(self, event_type: EventType) -> list[WebhookSubscription]: ...
    def add_deliveries(self, deliveries: Sequence[WebhookDelivery]) -> None: ...
    def get_delivery(self, delivery_id: str, *, for_update: bool = False) -> WebhookDelivery | None: ...
    def claim_due(self, now: datetime, *, limit: int) -> list[WebhookDelivery]:
        """Pending deliveries due at `now`, locked so that concurrent workers take different ones."""
        ...

    def save_delivery(self, delivery: WebhookDelivery) -> None: ...
    def deliveries(self, *, subscription_id: str | None, status: DeliveryStatus | None, since: datetime | None,
                   limit: int, offset: int, until: datetime | None = None,
                   originals_only: bool = False) -> tuple[list[WebhookDelivery], int]:
        """Deliveries made in [since, until), newest first, and how many match; `originals_only` leaves out
        replays."""
        ...

    def add_attempt(self, attempt: DeliveryAttempt) -> None: ...
    def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        """Oldest first."""
        ...


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
    @property
    def shares(self) -> ShareRepository: ...
    @property
    def integrations(self) -> IntegrationRepository: ...
    @property
    def access_log(self) -> AccessLogRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def attempt_limits(self) -> AttemptLimitRepository: ...
    @property
    def archive_alerts(self) -> ArchiveAlertRepository: ...

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


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POSTs `body` and returns the HTTP status (redirects are not followed). Raises
        records.webhooks.DeliveryError when the endpoint cannot be reached or does not answer in time."""
        ...


class Signer(Protocol):
    """Keyed digests with a key the database does not hold (HMAC): receipt secrets, signed download links."""

    def digest(self, purpose: str, message: str) -> str:
        """A hex digest of `message`, keyed per `purpose` (digests of one purpose say nothing of another)."""
        ...

    def verify(self, purpose: str, message: str, digest: str) -> bool:
        """True when `digest` is the digest of `message` (compared in constant time)."""
        ...
