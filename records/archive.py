"""Who manages which records in the archive.

The owner of a dossier's records is the agency that received it. An archivist (or a leader) manages the records of
their own agency, of the agencies it succeeded, and of every agency below those (a province's archive reaches its
departments and communes). Administrators and auditors are not limited.
"""

from __future__ import annotations

from collections.abc import Iterable

from records.access import Principal, Role
from records.agencies import Agency
from records.errors import PermissionDenied

ARCHIVE_ROLES = frozenset({Role.ARCHIVIST, Role.LEADER, Role.ADMIN})


def archive_agencies(principal: Principal, agencies: Iterable[Agency]) -> frozenset[str] | None:
    """The agencies whose records the principal manages, or None for all of them (admin, auditor)."""
    if principal.sees_everything or principal.has_any(Role.AUDITOR):
        return None
    children: dict[str, list[str]] = {}
    for agency in agencies:
        if agency.parent_code is not None:
            children.setdefault(agency.parent_code, []).append(agency.code)
    reached = set(principal.agencies)
    pending = list(reached)
    while pending:
        for child in children.get(pending.pop(), ()):
            if child not in reached:
                reached.add(child)
                pending.append(child)
    return frozenset(reached)


def require_archive_role(principal: Principal, *roles: Role) -> None:
    """Refuses (403 archive_role_required) a principal with none of `roles` (default: archivist, leader, admin).
    Service tokens never act on the archive."""
    wanted = frozenset(roles) or ARCHIVE_ROLES
    if principal.scopes is not None or not (principal.roles & (wanted | {Role.ADMIN})):
        raise PermissionDenied("Chức năng này dành cho cán bộ lưu trữ, lãnh đạo hoặc quản trị viên.",
                               "This is for archivists, leaders or administrators.", code="archive_role_required",
                               detail={"required_roles": sorted(r.value for r in wanted)})
