"""The backups an administrator can see: where, how big, when made, and whether their hashes were last found intact
(`hoso backup` makes them, `hoso backup --verify` re-checks one; making and restoring stay on the command line)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import BackendsDep, CurrentUser
from api.errors import ERROR_RESPONSES
from infra.backup import BackupListing, backups_for

router = APIRouter(prefix="/backups", tags=["backups"], responses=ERROR_RESPONSES)


class BackupPublic(BaseModel):
    path: str
    created_at: datetime | None
    size_bytes: int
    database_kind: str | None
    dossiers: int | None
    documents: int | None
    status: str  # verified | damaged | unverified | missing
    verified_at: datetime | None
    problems: list[str]

    @classmethod
    def of(cls, item: BackupListing) -> BackupPublic:
        return cls(path=item.path, created_at=item.created_at, size_bytes=item.size_bytes,
                   database_kind=item.database_kind, dossiers=item.dossiers, documents=item.documents,
                   status=item.status, verified_at=item.verified_at, problems=item.problems[:20])


class BackupsPublic(BaseModel):
    data: list[BackupPublic]
    count: int


@router.get("", response_model=BackupsPublic, summary="Backups with their size and verification status (admin)")
def list_backups_route(backends: BackendsDep, user: CurrentUser) -> BackupsPublic:
    items = [BackupPublic.of(item) for item in backups_for(backends, user)]
    return BackupsPublic(data=items, count=len(items))
