"""Who may do what: roles, principals, and the one rule that decides access to a dossier."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    RECEPTION = "reception"
    PROCESSING = "processing"
    LEADER = "leader"
    ARCHIVIST = "archivist"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Action(StrEnum):
    READ = "read"
    CHANGE = "change"
    INTAKE = "intake"


@dataclass(frozen=True)
class Principal:
    """An authenticated officer (or system account) acting for one agency."""

    username: str
    agency_code: str
    roles: frozenset[Role]
    full_name: str = ""
    # Agencies whose dossiers this principal reaches through succession; filled in by the service layer.
    reachable_agencies: frozenset[str] = field(default=frozenset())

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_everything(self) -> bool:
        return Role.ADMIN in self.roles


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # why allowed (for the access log) or why refused

    def __bool__(self) -> bool:
        return self.allowed


def visible_agencies(principal: Principal) -> frozenset[str] | None:
    """The agencies whose dossiers the principal may read, or None for no restriction (admin)."""
    if principal.sees_everything:
        return None
    return principal.reachable_agencies | {principal.agency_code}


def decide(principal: Principal, action: Action, *, participant_agencies: Iterable[str],
           holder_agency_code: str | None) -> Decision:
    """The single access rule for dossiers.

    Read: the principal's agency (or one it succeeded) took part in the dossier — received it, holds it,
    or held it on its route. Change: additionally the dossier must be held by that agency now, and the
    principal must have a working role (the per-state role table lives in records.dossiers).
    """
    agencies = visible_agencies(principal)
    participants = frozenset(participant_agencies)
    if agencies is None:
        read = Decision(True, "admin")
    elif principal.agency_code in participants:
        read = Decision(True, "own_agency")
    elif agencies & participants:
        read = Decision(True, "successor_agency")
    else:
        return Decision(False, "not_a_participant")
    if action is Action.READ:
        return read
    if not principal.has_any(Role.RECEPTION, Role.PROCESSING, Role.LEADER, Role.ADMIN):
        return Decision(False, "role_cannot_change")
    if agencies is not None and holder_agency_code not in agencies:
        return Decision(False, "not_the_holder")
    return Decision(True, "holder_agency" if agencies is not None else "admin")
