from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import BackendsDep
from infra.readiness import readiness_checks, run_checks

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: str
    checks: dict[str, str] = {}


class BackendCheck(BaseModel):
    """One backend: `ok` or `error`, a machine-readable code when not ok, a short message, how long it took."""

    status: Literal["ok", "error"]
    code: str | None = None
    message: str = ""
    seconds: float


class ReadinessPublic(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, BackendCheck]


@router.get("/healthz", response_model=HealthPublic, summary="The process is up")
def healthz() -> HealthPublic:
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=ReadinessPublic,
            summary="Every configured backend answers: database (schema current), blob store and replica, "
                    "search index (readable, writable), task broker",
            responses={503: {"model": ReadinessPublic, "description": "at least one backend is down; see checks"}})
async def readyz(backends: BackendsDep) -> ReadinessPublic | JSONResponse:
    settings = backends.settings
    checks = readiness_checks(settings, backends.engine, backends.search)
    results = await run_in_threadpool(run_checks, checks, settings.readiness_timeout_seconds)
    body = ReadinessPublic(
        status="ok" if all(r.ok for r in results) else "unavailable",
        checks={r.name: BackendCheck(status="ok" if r.ok else "error", code=r.code, message=r.message,
                                     seconds=round(r.seconds, 4)) for r in results})
    if body.status == "ok":
        return body
    return JSONResponse(body.model_dump(), status_code=503)
