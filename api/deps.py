"""Request dependencies as Annotated aliases. Tests swap them with app.dependency_overrides.

Dependencies that do no I/O are `async def` so FastAPI runs them inline instead of in its threadpool;
the ones that touch the database stay plain functions and run in the threadpool.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from api.errors import PreconditionRequired
from infra.wiring import Backends
from records.access import Principal
from records.calendar import WorkingCalendar
from records.clock import Clock
from records.errors import AuthenticationFailed
from records.integrations import looks_like_service_token
from records.ports import UnitOfWork
from records.services.catalogue import load_principal
from records.services.integrations import authenticate_service_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_backends(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


BackendsDep = Annotated[Backends, Depends(get_backends)]


def get_uow(backends: BackendsDep) -> Iterator[UnitOfWork]:
    """One unit of work per request: authentication and the use case share one session and connection."""
    uow = backends.uow()
    with uow:
        yield uow


async def get_clock(backends: BackendsDep) -> Clock:
    return backends.clock


async def get_calendar(backends: BackendsDep) -> WorkingCalendar:
    return backends.calendar


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Clock, Depends(get_clock)]
CalendarDep = Annotated[WorkingCalendar, Depends(get_calendar)]


def get_current_user(request: Request, backends: BackendsDep, uow: UowDep,
                     token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    """An officer's bearer token (JWT) or a system's service token (`hsi_...`), with the caller's address."""
    if not token:
        raise AuthenticationFailed()
    if looks_like_service_token(token):
        principal = authenticate_service_token(uow=uow, clock=backends.clock, token=token)
    else:
        principal = load_principal(uow=uow, username=backends.tokens.subject(token))
    return replace(principal, client=client_address(request))


def client_address(request: Request) -> str | None:
    """Where the request came from: the connecting peer, or behind a trusted proxy (setting `trusted_proxies`) the
    address it forwarded (see api.app); X-Forwarded-For from anyone else is ignored."""
    return request.client.host if request.client else None


CurrentUser = Annotated[Principal, Depends(get_current_user)]


async def get_client_address(request: Request) -> str | None:
    return client_address(request)


# The public endpoints take no token; the address is what their throttling and access log know of the caller.
ClientAddress = Annotated[str | None, Depends(get_client_address)]


async def parse_if_match(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """The dossier version a writer last saw, from an ETag like "7" or W/"7"; None when not sent."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionRequired(detail={"if_match": if_match})
    return int(value)


IfMatchVersion = Annotated[int | None, Depends(parse_if_match)]


def etag(version: int) -> str:
    return f'"{version}"'
