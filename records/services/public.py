"""The citizens' side: looking a dossier up with the code and the secret printed on the intake receipt, and
downloading its result documents through short-lived signed links. No account, no token.

Guessing is slowed per dossier code and per client address (records.attempts). An unknown code and a wrong
secret are told apart nowhere: the same answer, the same work (one keyed digest), the same counters — even the
lockout of a code that does not exist behaves as for a real one. Failures are counted in a transaction of their
own, committed before the refusal is raised. Every successful lookup and download goes to the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from records.access import Decision, Principal, PrincipalKind, Reason
from records.access_log import AccessKind, entry
from records.attempts import AttemptLimit, AttemptPolicy, retry_after_seconds
from records.calendar import WorkingCalendar
from records.clock import Clock
from records.documents import Document
from records.dossiers import Dossier, DossierState
from records.errors import NotFound, PermissionDenied, RateLimited
from records.ports import Signer, UnitOfWork
from records.receipts import RECEIPT_PURPOSE, normalize_dossier_code, receipt_message
from records.result_links import LinkCheck, SignedLink, check_result_link, sign_result_link
from records.services.access import log_access

# 5 wrong secrets for one dossier code within 15 minutes lock that code for 15 minutes; 30 failures from one
# address (any codes) lock that address. With ~50-bit secrets that leaves a guesser nowhere.
PER_CODE = AttemptPolicy(max_failures=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
PER_CLIENT = AttemptPolicy(max_failures=30, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
# Counters idle this long (and not locked) are forgotten.
IDLE_AFTER = timedelta(hours=1)

# A dossier's results are downloadable once it is resolved (and after they were handed over).
RESULT_STATES = frozenset({DossierState.RESOLVED, DossierState.RESULT_RETURNED})
CITIZEN = "citizen"
_NO_DIGEST = "0" * 64  # compared against when the code is unknown, so that both cases cost the same


@dataclass(frozen=True)
class LinkedProgress:
    """A linked dossier of a group as the applicant sees it: where it is, not what it holds."""

    dossier: Dossier
    procedure_name: str
    agency_name: str
    late: bool


@dataclass(frozen=True)
class ResultLink:
    document: Document
    link: SignedLink


@dataclass(frozen=True)
class PublicLookup:
    dossier: Dossier
    procedure_name: str
    agency_name: str  # the receiving desk
    late: bool
    linked: list[LinkedProgress]
    results: list[ResultLink]


def _citizen(client: str | None) -> Principal:
    return Principal(CITIZEN, "", frozenset(), kind=PrincipalKind.CITIZEN, client=client)


def lookup_failed() -> NotFound:
    return NotFound("Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này. Hãy kiểm tra lại giấy tiếp nhận.",
                    "No dossier matches this dossier code and secret. Check them against the receipt.",
                    code="lookup_failed")


def _policies(code: str, client: str | None) -> dict[str, AttemptPolicy]:
    return {f"lookup:code:{code}"[:120]: PER_CODE, f"lookup:client:{client or 'unknown'}"[:120]: PER_CLIENT}


def _refuse_if_locked(limits: list[AttemptLimit], now: datetime) -> None:
    wait = retry_after_seconds(limits, now)
    if wait:
        minutes = -(-wait // 60)
        raise RateLimited(wait, f"Bạn đã thử sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
                          f"Too many failed attempts. Please try again in {minutes} minutes.")


def _count_failure(uow: UnitOfWork, policies: dict[str, AttemptPolicy], now: datetime) -> None:
    """Committed on its own: the request fails, the count stays."""
    with uow:
        uow.begin_write()
        for limit in uow.attempt_limits.lock(list(policies), now):
            limit.fail(now, policies[limit.key])
            uow.attempt_limits.save(limit)
        uow.attempt_limits.forget_idle(window_started_before=now - IDLE_AFTER, now=now)
        uow.commit()


def lookup_dossier(*, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar, signer: Signer, code: str,
                   secret: str, client: str | None) -> PublicLookup:
    """The dossier's state and appointment date for whoever holds its receipt — no personal data — with its
    linked dossiers' progress and signed links to the results of each one resolved.

    Raises NotFound (lookup_failed) for an unknown code or a wrong secret alike, and RateLimited
    (too_many_attempts) while the code or the client is locked out — even with the right secret.
    """
    now = clock.now()
    code = normalize_dossier_code(code)
    policies = _policies(code, client)
    with uow:
        _refuse_if_locked(uow.attempt_limits.get_many(list(policies)), now)
        digest = uow.dossiers.receipt_digest(code)
        matches = signer.verify(RECEIPT_PURPOSE, receipt_message(code, secret), digest or _NO_DIGEST)
        found = _read(uow, calendar, signer, code, now) if matches and digest is not None else None
    if found is None:
        _count_failure(uow, policies, now)
        raise lookup_failed()
    citizen = _citizen(client)
    allowed = Decision(True, Reason.RECEIPT_SECRET.value)
    log_access(uow, [entry(citizen, AccessKind.PUBLIC_LOOKUP, allowed, now, dossier_code=found.dossier.code),
                     *(entry(citizen, AccessKind.PUBLIC_LOOKUP, allowed, now, dossier_code=p.dossier.code,
                             detail={"group_code": found.dossier.code}) for p in found.linked)])
    return found


def _read(uow: UnitOfWork, calendar: WorkingCalendar, signer: Signer, code: str, now: datetime) -> PublicLookup | None:
    dossier = uow.dossiers.get(code)
    if dossier is None:
        return None
    linked = uow.dossiers.children(code)
    procedures = {d.procedure_code: uow.procedures.get(d.procedure_code) for d in (dossier, *linked)}
    agency_names: dict[str, str] = {}

    def procedure_name(d: Dossier) -> str:
        procedure = procedures[d.procedure_code]
        return procedure.name if procedure is not None else d.procedure_code

    def agency_name(agency_code: str) -> str:
        if agency_code not in agency_names:
            agency = uow.agencies.get(agency_code)
            agency_names[agency_code] = agency.name if agency is not None else agency_code
        return agency_names[agency_code]

    results = [ResultLink(document, sign_result_link(signer, document.id, now))
               for d in (dossier, *linked) if d.state in RESULT_STATES
               for document in uow.documents.list_for_dossier(d.code) if document.is_result]
    return PublicLookup(
        dossier=dossier, procedure_name=procedure_name(dossier),
        agency_name=agency_name(dossier.receiving_agency_code), late=dossier.is_late(now, calendar),
        linked=[LinkedProgress(d, procedure_name(d), agency_name(d.receiving_agency_code), d.is_late(now, calendar))
                for d in linked],
        results=results)


def link_invalid() -> PermissionDenied:
    return PermissionDenied("Đường dẫn tải không hợp lệ. Hãy tra cứu lại hồ sơ để nhận đường dẫn mới.",
                            "The download link is not valid. Look the dossier up again for a new link.",
                            code="link_invalid")


def link_expired() -> PermissionDenied:
    return PermissionDenied("Đường dẫn tải đã hết hạn. Hãy tra cứu lại hồ sơ để nhận đường dẫn mới.",
                            "The download link has expired. Look the dossier up again for a new link.",
                            code="link_expired")


def open_result_link(*, uow: UnitOfWork, clock: Clock, signer: Signer, document_id: str, expires: int,
                     signature: str, client: str | None) -> Document:
    """The result document a signed link names, if the link is genuine and unexpired and the document is
    still a result of a resolved dossier. Raises PermissionDenied: link_invalid (tampered, made up, or no
    longer a downloadable result) or link_expired. The download is written to the access log."""
    now = clock.now()
    check = check_result_link(signer, document_id, expires, signature, now)
    if check is LinkCheck.INVALID:
        raise link_invalid()
    if check is LinkCheck.EXPIRED:
        raise link_expired()
    with uow:
        document = uow.documents.get(document_id)
        dossier = uow.dossiers.get(document.dossier_code) if document is not None else None
    if document is None or dossier is None or not document.is_result or dossier.state not in RESULT_STATES:
        raise link_invalid()
    log_access(uow, [entry(_citizen(client), AccessKind.DOWNLOAD, Decision(True, Reason.SIGNED_LINK.value), now,
                           dossier_code=dossier.code, document_id=document.id,
                           detail={"link_expires": expires})])
    return document
