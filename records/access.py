"""Who may do what: roles, principals, and the one rule that decides access to a dossier or a document.

`decide` is the single place that says whether a principal may read, download, attach to, change, share or
audit a dossier (or one of its documents), and why: the answer's reason is what the access log records.
Lists and the search index filter by the same rule (`visible_agencies` plus active shares), inside the
database and the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    RECEPTION = "reception"
    PROCESSING = "processing"
    LEADER = "leader"
    ARCHIVIST = "archivist"
    AUDITOR = "auditor"
    ADMIN = "admin"


WORKING_ROLES = frozenset({Role.RECEPTION, Role.PROCESSING, Role.LEADER})


class PrincipalKind(StrEnum):
    OFFICER = "officer"  # a person signed in with a password
    INTEGRATION = "integration"  # a system with a service token (land registry, tax, civil registry, ...)
    CITIZEN = "citizen"  # the public lookup: a dossier code and its receipt secret, or a signed link


class Scope(StrEnum):
    """What a service token may do, on top of what its agency may reach."""

    READ = "read"  # read dossiers and download their papers
    ATTACH = "attach"  # attach result documents


class Action(StrEnum):
    READ = "read"  # the dossier or document: metadata, history, control slip
    DOWNLOAD = "download"  # a document's content: original, searchable PDF, text, page images
    ATTACH = "attach"  # add a document
    CHANGE = "change"  # move the dossier, issue an apology letter
    SHARE = "share"  # share the dossier or some of its documents with another agency
    AUDIT = "audit"  # read who accessed it


class Reason(StrEnum):
    """Why access was allowed (recorded in the access log) or refused."""

    ADMIN = "admin"
    AUDITOR = "auditor"
    HOLDER_AGENCY = "holder_agency"  # the agency holds the dossier now
    RECEIVING_AGENCY = "receiving_agency"  # it received the dossier at its desk
    ROUTE_AGENCY = "route_agency"  # it held the dossier earlier on its route
    SUCCESSOR_AGENCY = "successor_agency"  # it succeeded (merger) an agency that took part
    LINKED_DOSSIER = "linked_dossier"  # it works on a dossier linked to this one ("3 in 1")
    SHARE = "share"  # an active share names it
    RECEIPT_SECRET = "receipt_secret"  # a citizen with the dossier code and the receipt's secret
    SIGNED_LINK = "signed_link"  # a citizen with a short-lived signed download link
    # refusals
    NOT_A_PARTICIPANT = "not_a_participant"
    NOT_THE_HOLDER = "not_the_holder"
    ROLE_CANNOT_CHANGE = "role_cannot_change"
    SCOPE_MISSING = "scope_missing"
    SHARE_READ_ONLY = "share_read_only"
    CANNOT_SHARE = "cannot_share"
    CANNOT_AUDIT = "cannot_audit"


# Reasons that come from taking part in the dossier itself (not from a link or a share): such an agency may
# pass the dossier's papers on (share them).
PARTICIPATION = frozenset({Reason.HOLDER_AGENCY, Reason.RECEIVING_AGENCY, Reason.ROUTE_AGENCY,
                           Reason.SUCCESSOR_AGENCY})


@dataclass(frozen=True)
class Principal:
    """An authenticated officer or system account acting for one agency."""

    username: str
    agency_code: str
    roles: frozenset[Role]
    full_name: str = ""
    # Agencies whose dossiers this principal reaches through succession; filled in by the service layer.
    reachable_agencies: frozenset[str] = field(default=frozenset())
    kind: PrincipalKind = PrincipalKind.OFFICER
    scopes: frozenset[Scope] | None = None  # None: an officer, limited by roles alone
    client: str | None = None  # the network address the request came from (for the access log)

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_everything(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def agencies(self) -> frozenset[str]:
        """The principal's own agency and those it succeeded."""
        return self.reachable_agencies | {self.agency_code}


@dataclass(frozen=True)
class ShareGrant:
    """What the access rule needs to know of a share (records.shares.Share holds the rest)."""

    share_id: str
    grantee_agency_code: str
    expires_at: datetime
    whole_dossier: bool = True
    document_ids: frozenset[str] = frozenset()  # what a document share covers
    allow_attach: bool = False
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def covers(self, document_id: str | None) -> bool:
        """A whole-dossier share covers the dossier and every document; a document share only those."""
        return self.whole_dossier or (document_id is not None and document_id in self.document_ids)


@dataclass(frozen=True)
class AccessSubject:
    """A dossier, or one document of it, as the access rule sees it."""

    dossier_code: str
    receiving_agency_code: str
    holder_agency_code: str
    participant_agencies: frozenset[str]  # received it, hold it or held it on its route
    linked_agencies: frozenset[str] = frozenset()  # agencies working on its linked dossiers
    shares: tuple[ShareGrant, ...] = ()
    document_id: str | None = None  # set when one document is accessed


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # why allowed (for the access log) or why refused
    share_id: str | None = None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def readable(self) -> bool:
        """False when the principal may not even know the dossier exists (callers answer 404)."""
        return self.allowed or self.reason != Reason.NOT_A_PARTICIPANT


def visible_agencies(principal: Principal) -> frozenset[str] | None:
    """The agencies whose dossiers the principal may read, or None for no restriction (admin)."""
    if principal.sees_everything:
        return None
    return principal.agencies


def _refuse(reason: Reason) -> Decision:
    return Decision(False, reason.value)


def _allow(reason: Reason, share_id: str | None = None) -> Decision:
    return Decision(True, reason.value, share_id)


def _basis(principal: Principal, subject: AccessSubject, now: datetime) -> Decision:
    """Why the principal may read the subject at all (or not_a_participant)."""
    agencies = principal.agencies
    if subject.holder_agency_code == principal.agency_code:
        return _allow(Reason.HOLDER_AGENCY)
    if subject.receiving_agency_code == principal.agency_code:
        return _allow(Reason.RECEIVING_AGENCY)
    if principal.agency_code in subject.participant_agencies:
        return _allow(Reason.ROUTE_AGENCY)
    if agencies & subject.participant_agencies:
        return _allow(Reason.SUCCESSOR_AGENCY)
    if agencies & subject.linked_agencies:
        return _allow(Reason.LINKED_DOSSIER)
    for grant in subject.shares:
        if grant.grantee_agency_code in agencies and grant.active(now) and grant.covers(subject.document_id):
            return _allow(Reason.SHARE, grant.share_id)
    return _refuse(Reason.NOT_A_PARTICIPANT)


def _attach_share(principal: Principal, subject: AccessSubject, now: datetime) -> ShareGrant | None:
    for grant in subject.shares:
        if (grant.grantee_agency_code in principal.agencies and grant.active(now) and grant.allow_attach
                and grant.whole_dossier):
            return grant
    return None


def decide(principal: Principal, action: Action, subject: AccessSubject, *, now: datetime) -> Decision:
    """The single access rule.

    Read and download: the principal's agency (or one it succeeded) received, holds or held the dossier on
    its route; or works on a linked dossier of the same intake; or holds an active share covering it (a
    document share covers only its documents). Attach: the holding agency (officers need a working role), or
    an active whole-dossier share that allows attaching. Change: officers of the holding agency with a
    working role (the per-state role table lives in records.dossiers). Share: an officer with a working role
    whose agency took part in the dossier itself. Audit: auditors, admins and leaders who may read it.
    Service tokens act only within their scopes (read, attach) and never change, share or audit.
    """
    if principal.scopes is not None:
        needed = {Action.READ: Scope.READ, Action.DOWNLOAD: Scope.READ, Action.ATTACH: Scope.ATTACH}.get(action)
        if needed is None or needed not in principal.scopes:
            basis = _basis(principal, subject, now)
            return basis if not basis.allowed else _refuse(Reason.SCOPE_MISSING)
    if principal.sees_everything:
        return _allow(Reason.ADMIN)
    if action is Action.AUDIT and principal.has_any(Role.AUDITOR):
        return _allow(Reason.AUDITOR)
    basis = _basis(principal, subject, now)
    if not basis.allowed or action in {Action.READ, Action.DOWNLOAD}:
        return basis
    holds = subject.holder_agency_code in principal.agencies
    working = bool(principal.roles & WORKING_ROLES)
    if action is Action.ATTACH:
        if holds and (working or principal.kind is PrincipalKind.INTEGRATION):
            return _allow(Reason.HOLDER_AGENCY)
        grant = _attach_share(principal, subject, now)
        if grant is not None:
            return _allow(Reason.SHARE, grant.share_id)
        if basis.reason == Reason.SHARE:
            return _refuse(Reason.SHARE_READ_ONLY)
        return _refuse(Reason.NOT_THE_HOLDER if working or principal.scopes is not None
                       else Reason.ROLE_CANNOT_CHANGE)
    if action is Action.CHANGE:
        if not working:
            return _refuse(Reason.ROLE_CANNOT_CHANGE)
        return _allow(Reason.HOLDER_AGENCY) if holds else _refuse(Reason.NOT_THE_HOLDER)
    if action is Action.SHARE:
        if working and basis.reason in PARTICIPATION:
            return basis
        return _refuse(Reason.CANNOT_SHARE)
    if action is Action.AUDIT:
        return basis if principal.has_any(Role.LEADER) and basis.reason in PARTICIPATION else _refuse(
            Reason.CANNOT_AUDIT)
    return _refuse(Reason.NOT_A_PARTICIPANT)
