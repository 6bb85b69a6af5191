"""`hoso restore`: brings an EMPTY instance (a fresh data directory or an empty database) back from a backup made
by `hoso backup` (infra.backup), then proves it: every hash, every document's original, the audit chain, and the
chain head against the one the backup recorded. A backup that fails its hashes is refused before anything is
written; a target that already holds data is refused too (restoring never merges)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from infra.backup import (
    BACKUP_ACTOR,
    BLOBS_DIR,
    KEY_CHECK_MESSAGE,
    KEY_CHECK_PURPOSE,
    SETTINGS_JSON,
    BackupDamaged,
    BackupError,
    _record,
    blob_manifest,
    check_backup,
    primary_store,
    read_description,
    safe_settings,
)
from infra.settings import Settings
from infra.wiring import build_blob_store, opened_backends
from records.access_log import AccessKind
from records.blobs import original_key
from records.services.audit_chain import describe, verify_audit_chain
from records.services.search import reindex_all
from storage.blobs import S3BlobStore
from storage.dumps import DumpError, database_is_empty, restore_database
from storage.migrate import upgrade

# Settings that may differ between the backed-up instance and the restored one without saying so.
_PLACE_SETTINGS = frozenset({"HOSO_DATA_DIR", "HOSO_DATABASE_URL", "HOSO_BACKUP_DIR", "HOSO_HOST", "HOSO_PORT",
                             "HOSO_CELERY_BROKER_URL", "HOSO_LOG_LEVEL", "HOSO_DB_POOL_SIZE", "HOSO_TASKS"})


class RestoreTargetNotEmpty(BackupError):
    code = "restore_target_not_empty"
    message_vi = ("Nơi khôi phục đã có dữ liệu. Chỉ khôi phục vào một thư mục dữ liệu mới hoặc một cơ sở dữ liệu "
                  "trống (hoso không trộn bản sao lưu vào dữ liệu đang có).")
    message_en = ("The restore target already holds data. Restore only into a fresh data directory or an empty "
                  "database (hoso never merges a backup into existing data).")


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    database_kind: str
    counts: dict[str, int]
    expected_counts: dict[str, int]
    blobs_restored: int
    originals_checked: int
    originals_missing: list[str]
    reindexed: int
    audit_intact: bool
    audit_message: tuple[str, str]
    audit_head_matches: bool
    signing_key_matches: bool | None
    settings_differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per step, for the report and the benchmark

    @property
    def ok(self) -> bool:
        return (self.audit_intact and self.audit_head_matches and not self.originals_missing
                and self.counts == self.expected_counts)


def _target_problems(settings: Settings, mode: str) -> list[str]:
    problems = []
    url = settings.effective_database_url
    if not database_is_empty(url):
        problems.append(f"database {settings.database_url or url} has tables")
    store = primary_store(build_blob_store(settings))
    if mode == "copy":
        if next(iter(store.keys()), None) is not None:
            problems.append(f"blob store {store!r} holds files")
    elif not isinstance(store, S3BlobStore):
        problems.append("the backup lists versions of an S3 bucket; set HOSO_S3_ENDPOINT/HOSO_S3_BUCKET to it")
    return problems


def restore_backup(settings: Settings, source: Path) -> RestoreReport:
    """Restores `source` into the instance `settings` describe, which must be empty. Raises BackupDamaged (nothing
    written), RestoreTargetNotEmpty (nothing written) or BackupError (pg_restore failed)."""
    source = source.resolve()
    steps = _Steps()
    description = read_description(source)
    mode = description["blobs"]["mode"]
    with steps("hashes"):
        check = check_backup(source, now=datetime.now(UTC),
                             blobs=build_blob_store(settings) if mode == "s3-versions" else None)
    if not check.ok:
        raise BackupDamaged(detail={"path": str(source), "problems": check.problems[:20]})
    problems = _target_problems(settings, mode)
    if problems:
        where = "; ".join(problems)
        raise RestoreTargetNotEmpty(f"{RestoreTargetNotEmpty.message_vi} ({where})",
                                    f"{RestoreTargetNotEmpty.message_en} ({where})", detail={"problems": problems})
    database = description["database"]
    url = settings.effective_database_url
    with steps("database"):
        try:
            restore_database(url, source / "data" / database["file"], database["kind"])
        except DumpError as exc:
            raise BackupError(f"Không nạp được cơ sở dữ liệu: {exc}", f"The database could not be loaded: {exc}",
                              code="restore_database_failed") from exc
        upgrade(url)  # a backup from an older release moves to the current schema
    with opened_backends(settings) as backends:
        with steps("blobs"):
            restored = _restore_blobs(backends.blobs, source, mode)
        counts = _counts(backends, description["counts"])
        with steps("audit chain"):
            with backends.uow() as uow:
                head_id, head_hash = uow.access_log.head()
            recorded = description["audit_head"]
            head_matches = (head_id, head_hash) == (recorded["entry_id"], recorded["entry_hash"])
            result = verify_audit_chain(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock)
        with steps("originals"):
            originals, missing = _check_originals(backends)
        with steps("search index"):
            reindexed = reindex_all(uow=backends.uow(), index=backends.search)
        key_check = description.get("signing_key_check")
        key_matches = (None if key_check is None
                       else backends.signer.verify(KEY_CHECK_PURPOSE, KEY_CHECK_MESSAGE, key_check))
        report = RestoreReport(
            source=source, database_kind=database["kind"], counts=counts, expected_counts=description["counts"],
            blobs_restored=restored, originals_checked=originals, originals_missing=missing, reindexed=reindexed,
            audit_intact=result.intact, audit_message=describe(result), audit_head_matches=head_matches,
            signing_key_matches=key_matches, settings_differences=_differences(source, settings),
            seconds=steps.seconds)
        _record(backends, BACKUP_ACTOR, AccessKind.BACKUP_RESTORED, {
            "path": str(source), "ok": report.ok, "counts": counts, "blobs_restored": restored,
            "audit_intact": result.intact, "audit_head_matches": head_matches, "reindexed": reindexed})
    return report


class _Steps:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - started


def _restore_blobs(blobs: Any, source: Path, mode: str) -> int:
    count = 0
    if mode == "s3-versions":
        store = primary_store(blobs)
        assert isinstance(store, S3BlobStore)
        for item in blob_manifest(source):
            store.bring_back(item["key"], item["version_id"])
            count += 1
        return count
    for item in blob_manifest(source):
        with (source / "data" / BLOBS_DIR / item["key"]).open("rb") as stream:
            blobs.put(item["key"], stream, sha256=item["sha256"])
        count += 1
    return count


def _check_originals(backends: Any) -> tuple[int, list[str]]:
    with backends.engine.connect() as conn:
        hashes = [str(row[0]) for row in conn.execute(text("SELECT DISTINCT sha256 FROM documents"))]
    missing = [sha for sha in hashes if not backends.blobs.exists(original_key(sha))]
    return len(hashes), missing


def _counts(backends: Any, expected: dict[str, int]) -> dict[str, int]:
    """Counted before the restore writes its own audit entries (which the backup cannot hold)."""
    with backends.engine.connect() as conn:
        return {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) for table in expected}


def _differences(source: Path, settings: Settings) -> dict[str, tuple[Any, Any]]:
    saved: dict[str, Any] = json.loads((source / "data" / SETTINGS_JSON).read_text(encoding="utf-8"))
    current = safe_settings(settings)
    return {name: (value, current.get(name)) for name, value in saved.items()
            if name not in _PLACE_SETTINGS and current.get(name) != value}
