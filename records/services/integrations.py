"""Use cases for integration accounts: service tokens scoped to one agency and to reading or attaching."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from records.access import Principal, PrincipalKind, Role, Scope
from records.access_log import AccessKind
from records.clock import Clock
from records.errors import AuthenticationFailed, NotFound, ValidationFailed
from records.integrations import (
    IntegrationAccount,
    IssuedServiceToken,
    new_token,
    parse_token,
    secret_matches,
)
from records.ports import UnitOfWork
from records.services.access import audited
from records.services.catalogue import operating_agency, require_role

MAX_NAME_LENGTH = 200


def _account_not_found(account_id: str) -> NotFound:
    return NotFound("Không tìm thấy tài khoản tích hợp.", "Integration account not found.",
                    code="integration_not_found", detail={"integration_id": account_id})


def create_integration(*, uow: UnitOfWork, clock: Clock, actor: Principal, name: str, agency_code: str,
                       scopes: Iterable[Scope], expires_at: datetime | None = None) -> IssuedServiceToken:
    """An administrator makes an account for a system; its token is returned once and never shown again."""
    require_role(actor, Role.ADMIN)
    now = clock.now()
    wanted = frozenset(scopes)
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed("Cần tên tài khoản tích hợp (tối đa 200 ký tự).",
                               "An integration account needs a name (200 characters at most).", code="invalid_name")
    if not wanted:
        raise ValidationFailed("Cần ít nhất một quyền (đọc hoặc đính kèm).", "At least one scope is needed.",
                               code="scopes_required")
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("Thời hạn phải ở tương lai.", "The expiry must be in the future.",
                               code="expiry_in_past")
    with uow:
        uow.begin_write()
        agency = operating_agency(uow, agency_code)
        account_id, token, digest = new_token()
        account = IntegrationAccount(id=account_id, name=name.strip(), agency_code=agency.code, scopes=wanted,
                                     token_digest=digest, created_by=actor.username, created_at=now,
                                     expires_at=expires_at)
        uow.integrations.add(account)
        audited(uow, actor, AccessKind.INTEGRATION_CREATED, now, detail={
            "integration_id": account.id, "agency_code": account.agency_code, "scopes": sorted(wanted)})
        uow.commit()
    return IssuedServiceToken(account, token)


def list_integrations(*, uow: UnitOfWork, actor: Principal, agency_code: str | None = None) -> list[IntegrationAccount]:
    """Administrators see every account; a leader sees those acting for their own agency."""
    require_role(actor, Role.ADMIN, Role.LEADER)
    if not actor.sees_everything:
        agency_code = actor.agency_code
    with uow:
        return uow.integrations.list(agency_code)


def get_integration(*, uow: UnitOfWork, actor: Principal, account_id: str) -> IntegrationAccount:
    require_role(actor, Role.ADMIN, Role.LEADER)
    with uow:
        account = uow.integrations.get(account_id)
    if account is None or (not actor.sees_everything and account.agency_code != actor.agency_code):
        raise _account_not_found(account_id)
    return account


def _managed(uow: UnitOfWork, actor: Principal, account_id: str) -> IntegrationAccount:
    require_role(actor, Role.ADMIN)
    account = uow.integrations.get(account_id)
    if account is None:
        raise _account_not_found(account_id)
    return account


def revoke_integration(*, uow: UnitOfWork, clock: Clock, actor: Principal, account_id: str) -> IntegrationAccount:
    """Its token stops working at once. Safe to repeat."""
    with uow:
        uow.begin_write()
        account = _managed(uow, actor, account_id)
        if account.revoked_at is None:
            account = replace(account, revoked_at=clock.now(), revoked_by=actor.username)
            uow.integrations.save(account)
            audited(uow, actor, AccessKind.INTEGRATION_REVOKED, clock.now(), detail={"integration_id": account.id})
            uow.commit()
    return account


def rotate_integration(*, uow: UnitOfWork, clock: Clock, actor: Principal, account_id: str) -> IssuedServiceToken:
    """A new token for the account; the old one stops working at once."""
    with uow:
        uow.begin_write()
        account = _managed(uow, actor, account_id)
        if not account.usable(clock.now()):
            raise ValidationFailed("Tài khoản đã bị thu hồi hoặc hết hạn.", "The account is revoked or expired.",
                                   code="integration_not_usable", detail={"integration_id": account_id})
        _, token, digest = new_token(account.id)
        account = replace(account, token_digest=digest)
        uow.integrations.save(account)
        audited(uow, actor, AccessKind.INTEGRATION_ROTATED, clock.now(), detail={"integration_id": account.id})
        uow.commit()
    return IssuedServiceToken(account, token)


def authenticate_service_token(*, uow: UnitOfWork, clock: Clock, token: str) -> Principal:
    """The principal behind a service token: its agency (and those it succeeded), its scopes, no roles."""
    parsed = parse_token(token)
    if parsed is None:
        raise AuthenticationFailed(code="invalid_token")
    account_id, secret = parsed
    with uow:
        account = uow.integrations.get(account_id)
        if account is None or not secret_matches(account, secret):
            raise AuthenticationFailed(code="invalid_token")
        if not account.usable(clock.now()):
            raise AuthenticationFailed("Mã truy cập tích hợp đã bị thu hồi hoặc hết hạn.",
                                       "The service token is revoked or expired.", code="token_revoked")
        reachable = uow.agencies.predecessors(account.agency_code)
    return Principal(username=account.username, agency_code=account.agency_code, roles=frozenset(),
                     full_name=account.name, reachable_agencies=reachable, kind=PrincipalKind.INTEGRATION,
                     scopes=account.scopes)
