"""Use cases for the reference data: agencies, procedures, user accounts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from records.access import Principal, PrincipalKind, Role
from records.access_log import AccessKind
from records.agencies import Agency, AgencyRegistry
from records.clock import Clock, SystemClock
from records.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from records.ports import PasswordHasher, UnitOfWork, UserAccount
from records.procedures import Coverage, Procedure, coverage, validate_procedure
from records.services.access import audited

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 8
# Who the audit chain names for reference data changed from the console (`hoso create-user`, `hoso import`, demo).
CONSOLE_ACTOR = Principal("system.console", "", frozenset(), full_name="Quản trị qua dòng lệnh",
                          kind=PrincipalKind.INTEGRATION)


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def require_role(actor: Principal, *roles: Role) -> None:
    if not actor.has_any(*roles):
        raise PermissionDenied(detail={"required_roles": sorted(r.value for r in roles)})


def operating_agency(uow: UnitOfWork, code: str, *, error: str = "unknown_agency", field: str = "agency_code",
                     which_vi: str = "Cơ quan", which_en: str = "The agency") -> Agency:
    """The agency if it exists and still operates (not merged or abolished); else a 422 naming `field`."""
    agency = uow.agencies.get(code)
    if agency is None or not agency.is_active:
        raise ValidationFailed(f"{which_vi} không tồn tại hoặc đã ngừng hoạt động.",
                               f"{which_en} does not exist or no longer operates.", code=error, detail={field: code})
    return agency


def import_agencies(*, uow: UnitOfWork, agencies: Iterable[Agency], actor: Principal | None = None,
                    clock: Clock | None = None) -> int:
    """Adds or replaces agencies. The whole resulting set is validated first; nothing is written on error.
    The import is one entry of the audit chain (`actor` None: the console)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    incoming = {a.code: a for a in agencies}
    with uow:
        uow.begin_write()
        merged = {a.code: a for a in uow.agencies.list()}
        merged.update(incoming)
        AgencyRegistry(merged.values())  # raises on a bad code, a dangling reference or a cycle
        for agency in incoming.values():
            uow.agencies.upsert(agency)
        audited(uow, actor or CONSOLE_ACTOR, AccessKind.CATALOGUE_IMPORTED, _now(clock),
                detail={"agencies": sorted(incoming)})
        uow.commit()
    return len(incoming)


def list_agencies(*, uow: UnitOfWork) -> list[Agency]:
    with uow:
        return sorted(uow.agencies.list(), key=lambda a: a.code)


def get_agency(*, uow: UnitOfWork, code: str) -> Agency:
    with uow:
        agency = uow.agencies.get(code)
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan.", "Agency not found.", code="agency_not_found",
                       detail={"agency_code": code})
    return agency


def import_procedures(*, uow: UnitOfWork, procedures: Iterable[Procedure], actor: Principal | None = None,
                      clock: Clock | None = None) -> int:
    if actor is not None:
        require_role(actor, Role.ADMIN)
    items = list(procedures)
    with uow:
        uow.begin_write()
        registry = AgencyRegistry(uow.agencies.list())
        for procedure in items:
            validate_procedure(procedure, registry)
        codes = [p.code for p in items]
        if len(codes) != len(set(codes)):
            raise ValidationFailed("Mã thủ tục bị trùng trong dữ liệu nhập.", "A procedure code appears twice.",
                                   code="duplicate_procedure")
        known = set(codes) | {p.code for p in uow.procedures.list()}
        for procedure in items:
            missing = [c for c in procedure.linked_procedures if c not in known]
            if missing:
                raise ValidationFailed(
                    f"Thủ tục '{procedure.code}' liên kết tới thủ tục không tồn tại.",
                    f"Procedure '{procedure.code}' links to unknown procedures.",
                    code="unknown_procedure", detail={"procedure_code": procedure.code, "missing": missing})
        for procedure in items:
            uow.procedures.upsert(procedure)
        audited(uow, actor or CONSOLE_ACTOR, AccessKind.CATALOGUE_IMPORTED, _now(clock),
                detail={"procedures": codes})
        uow.commit()
    return len(items)


def list_procedures(*, uow: UnitOfWork, field: str | None = None, agency_code: str | None = None,
                    published: bool | None = None) -> list[Procedure]:
    with uow:
        procedures = uow.procedures.list()
        agency = uow.agencies.get(agency_code) if agency_code else None
    if agency_code and agency is None:
        raise NotFound("Không tìm thấy cơ quan.", "Agency not found.", code="agency_not_found",
                       detail={"agency_code": agency_code})
    return sorted(
        (p for p in procedures
         if (field is None or p.field == field)
         and (agency is None or p.receives_at(agency))
         and (published is None or p.published == published)),
        key=lambda p: p.code,
    )


def get_procedure(*, uow: UnitOfWork, code: str) -> Procedure:
    with uow:
        procedure = uow.procedures.get(code)
    if procedure is None:
        raise NotFound("Không tìm thấy thủ tục.", "Procedure not found.", code="procedure_not_found",
                       detail={"procedure_code": code})
    return procedure


def procedure_coverage(*, uow: UnitOfWork, agency_code: str | None = None) -> list[Coverage]:
    """Per active agency: procedures published for its desk vs configured in hoso."""
    with uow:
        agencies = uow.agencies.list()
        procedures = uow.procedures.list()
    if agency_code is not None:
        agencies = [a for a in agencies if a.code == agency_code]
        if not agencies:
            raise NotFound("Không tìm thấy cơ quan.", "Agency not found.", code="agency_not_found",
                           detail={"agency_code": agency_code})
    return [coverage(a, procedures) for a in sorted(agencies, key=lambda a: a.code) if a.is_active]


def create_user(*, uow: UnitOfWork, hasher: PasswordHasher, username: str, full_name: str, agency_code: str,
                roles: Iterable[Role], password: str, actor: Principal | None = None,
                clock: Clock | None = None) -> UserAccount:
    """Creates an officer account. `actor` None is the bootstrap path (first admin, demo data)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed("Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch (3–64 ký tự).",
                               "Usernames are 3-64 lowercase ASCII letters, digits, dots, dashes.",
                               code="invalid_username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
                               f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password")
    role_set = frozenset(roles)
    if not role_set:
        raise ValidationFailed("Người dùng cần ít nhất một vai trò.", "A user needs at least one role.",
                               code="roles_required")
    with uow:
        uow.begin_write()
        operating_agency(uow, agency_code)
        if uow.users.get(username) is not None:
            raise Conflict("Tên đăng nhập đã tồn tại.", "That username is taken.", code="username_taken")
        user = UserAccount(username, full_name.strip(), agency_code, role_set, hasher.hash(password))
        uow.users.add(user)
        audited(uow, actor or CONSOLE_ACTOR, AccessKind.USER_CREATED, _now(clock),
                detail={"username": username, "agency_code": agency_code, "roles": sorted(r.value for r in role_set)})
        uow.commit()
    return user


def list_users(*, uow: UnitOfWork, actor: Principal, agency_code: str | None = None) -> list[UserAccount]:
    require_role(actor, Role.ADMIN, Role.LEADER)
    if not actor.has_any(Role.ADMIN):
        agency_code = actor.agency_code
    with uow:
        return uow.users.list(agency_code)


def load_principal(*, uow: UnitOfWork, username: str) -> Principal:
    """The principal behind a verified token; an account switched off since then is refused."""
    with uow:
        user = uow.users.get(username)
        if user is None or not user.active:
            raise AuthenticationFailed()
        reachable = uow.agencies.predecessors(user.agency_code)
    return Principal(user.username, user.agency_code, user.roles, user.full_name, reachable)


def authenticate(*, uow: UnitOfWork, hasher: PasswordHasher, username: str, password: str) -> Principal:
    with uow:
        user = uow.users.get(username)
    # Verify against a hash even for unknown users, so timing does not tell which usernames exist.
    stored = user.password_hash if user is not None else _DUMMY_HASH.get(hasher)
    if not hasher.verify(stored, password) or user is None or not user.active:
        raise AuthenticationFailed("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password.",
                                   code="bad_credentials")
    return load_principal(uow=uow, username=username)


class _DummyHash:
    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def get(self, hasher: PasswordHasher) -> str:
        key = id(hasher)
        if key not in self._cache:
            self._cache[key] = hasher.hash("not-a-real-password")
        return self._cache[key]


_DUMMY_HASH = _DummyHash()
