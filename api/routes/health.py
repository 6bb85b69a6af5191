from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import BackendsDep
from storage.migrate import current_heads

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=HealthPublic, summary="The process is up")
def healthz() -> HealthPublic:
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=HealthPublic, summary="The database answers and its schema is current",
            responses={503: {"model": HealthPublic}})
def readyz(backends: BackendsDep) -> HealthPublic | JSONResponse:
    checks: dict[str, str] = {}
    try:
        with backends.engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        checks["database"] = "ok"
        checks["schema"] = "ok" if revision in current_heads() else f"behind (at {revision})"
    except SQLAlchemyError as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values()) and "schema" in checks
    body = HealthPublic(status="ok" if ready else "unavailable", checks=checks)
    return body if ready else JSONResponse(body.model_dump(), status_code=503)
