"""`hoso backup`: a consistent, verifiable copy of one instance, written as a BagIt bag (RFC 8493).

    DIR/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt   the SHA-256 of every file
    DIR/data/backup.json       what the backup holds: database kind and counts, the audit chain head, the blob mode
    DIR/data/settings.json     the settings needed to restore (HOSO_* names), never a secret
    DIR/data/database.*        the database dump (SQLite online backup API, or pg_dump -Fc in an exported snapshot)
    DIR/data/blobs.jsonl       every blob: key, size, SHA-256 (and its version id for a versioned S3 bucket)
    DIR/data/blobs/<key>       the blobs themselves, except for a versioned S3 bucket, which keeps them (the manifest
                               names the versions to bring back; object lock keeps them from being removed)
    DIR/verification.json      outside the bag: the outcome of the last verification

The dump comes first, then the blobs: blobs are written before the rows that name them, so every blob the dump
refers to is already in the store when the blobs are copied. The backup is built beside DIR and renamed into place
when complete: a backup cut short never looks like one. Made, verified and restored backups are entries of the
audit chain."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import bagit

from infra.backends import Backends
from infra.settings import Settings
from records.access import Principal, PrincipalKind, Role
from records.access_log import AccessKind, AccessLogFilter
from records.blobs import BlobStore
from records.errors import DomainError
from records.services.access import audited
from records.services.audit_chain import CHECKPOINT_PREFIX
from storage.blobs import S3BlobStore
from storage.dumps import dump_database

FORMAT = "hoso-backup/1"
# bagit logs every file it hashes at INFO: a backup of a million blobs would print a million lines.
logging.getLogger("bagit").setLevel(logging.WARNING)
BACKUP_JSON = "backup.json"
SETTINGS_JSON = "settings.json"
BLOBS_JSONL = "blobs.jsonl"
BLOBS_DIR = "blobs"
VERIFICATION_JSON = "verification.json"
SECRET_SETTINGS = frozenset({"secret_key", "s3_access_key", "s3_secret_key"})
URL_SETTINGS = frozenset({"database_url", "celery_broker_url", "es_url"})
CHUNK_BYTES = 1024 * 1024
# A digest made with the signing key, so a restore can tell whether it signs with the same key (the receipts' secrets
# stay valid) without the backup holding the key.
KEY_CHECK_PURPOSE = "backup-key-check"
KEY_CHECK_MESSAGE = "hoso"
# Who the audit chain names for `hoso backup` / `hoso restore`: the operator of the machine.
BACKUP_ACTOR = Principal("system.backup", "", frozenset(), full_name="Sao lưu và khôi phục (dòng lệnh)",
                         kind=PrincipalKind.INTEGRATION)


class BackupError(DomainError):
    code = "backup_failed"
    message_vi = "Không sao lưu hoặc khôi phục được."
    message_en = "The backup or restore failed."


class BackupTargetNotEmpty(BackupError):
    code = "backup_target_not_empty"
    message_vi = "Thư mục sao lưu đã có dữ liệu; hãy chọn một thư mục mới."
    message_en = "The backup directory is not empty; choose a new one."


class BackupNotFound(BackupError):
    code = "backup_not_found"
    message_vi = "Không tìm thấy bản sao lưu hoso trong thư mục này."
    message_en = "There is no hoso backup in this directory."


class BackupDamaged(BackupError):
    code = "backup_damaged"
    message_vi = "Bản sao lưu bị hỏng: mã băm không khớp hoặc thiếu tệp."
    message_en = "The backup is damaged: hashes do not match or files are missing."


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    created_at: datetime
    database_kind: str
    counts: dict[str, int]
    blob_mode: str  # "copy" | "s3-versions"
    blobs: int
    blob_bytes: int
    size_bytes: int
    audit_head_id: int
    audit_head_hash: str
    manifest_sha256: str


@dataclass(frozen=True)
class BackupCheck:
    path: Path
    ok: bool
    checked_at: datetime
    files: int
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackupListing:
    path: str
    created_at: datetime | None
    size_bytes: int
    database_kind: str | None
    dossiers: int | None
    documents: int | None
    status: str  # "verified" | "damaged" | "unverified" | "missing"
    verified_at: datetime | None
    problems: list[str]


def safe_settings(settings: Settings) -> dict[str, Any]:
    """The settings as HOSO_* variables, without secrets (passwords in URLs are cut out too)."""
    values = settings.model_dump(mode="json")
    safe: dict[str, Any] = {}
    for name, value in sorted(values.items()):
        if name in SECRET_SETTINGS:
            continue
        if name in URL_SETTINGS and isinstance(value, str):
            value = _without_password(value)
        safe[f"HOSO_{name.upper()}"] = value
    return safe


def _without_password(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def primary_store(blobs: BlobStore) -> BlobStore:
    return getattr(blobs, "primary", blobs)


def _copy_hashing(source: Any, target: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _later_checkpoint(key: str, head_id: int) -> bool:
    """An audit checkpoint written after the dump: the restored chain would seem cut short against it."""
    if not key.startswith(CHECKPOINT_PREFIX):
        return False
    try:
        return int(key.removeprefix(CHECKPOINT_PREFIX).removesuffix(".json")) > head_id
    except ValueError:
        return False


def _backup_blobs(blobs: BlobStore, payload: Path, head_id: int) -> tuple[str, int, int]:
    """Copies the blobs (or lists a versioned bucket's versions) into the payload: (mode, count, bytes). Blobs stored
    after the dump come along (harmless: nothing names them); checkpoints of entries after the dump are left out."""
    store = primary_store(blobs)
    count = total = 0
    with (payload / BLOBS_JSONL).open("w", encoding="utf-8") as manifest:
        if isinstance(store, S3BlobStore) and store.versioned():
            mode = "s3-versions"
            for version in store.current_versions():
                if _later_checkpoint(version.key, head_id):
                    continue
                manifest.write(json.dumps(asdict(version)) + "\n")
                count += 1
                total += version.size
        else:
            mode = "copy"
            for key in sorted(store.keys()):
                if _later_checkpoint(key, head_id):
                    continue
                with store.open(key) as stream:
                    sha256, size = _copy_hashing(stream, payload / BLOBS_DIR / key)
                manifest.write(json.dumps({"key": key, "size": size, "sha256": sha256}) + "\n")
                count += 1
                total += size
    return mode, count, total


def _tree_bytes(path: Path) -> int:
    """The backup's size (the verification note beside the bag left out: checking a backup does not change it): the
    payload's bytes from bag-info.txt's Payload-Oxum (no walk through a million blobs to list backups) plus the tag
    files; a walk when there is no Oxum."""
    tags = sum(p.stat().st_size for p in path.iterdir() if p.is_file() and p.name != VERIFICATION_JSON)
    info = path / "bag-info.txt"
    if info.is_file():
        for line in info.read_text(encoding="utf-8", errors="replace").splitlines():
            name, _, value = line.partition(":")
            if name.strip() == "Payload-Oxum" and value.strip().split(".")[0].isdigit():
                return tags + int(value.strip().split(".")[0])
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and p.name != VERIFICATION_JSON)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def create_backup(backends: Backends, target: Path, *, actor: Principal = BACKUP_ACTOR,
                  portable: bool = False) -> BackupSummary:
    """Writes a backup of this instance into `target` (a new or empty directory) and records it in the audit chain.
    Reads only (besides the audit entry); the instance keeps serving meanwhile."""
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupTargetNotEmpty(detail={"path": str(target)})
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        created_at = backends.clock.now()
        facts = dump_database(backends.settings.effective_database_url, staging, portable=portable)
        mode, blob_count, blob_bytes = _backup_blobs(backends.blobs, staging, facts.audit_head_id)
        (staging / SETTINGS_JSON).write_text(json.dumps(safe_settings(backends.settings), ensure_ascii=False,
                                                        indent=2), encoding="utf-8")
        description = {"format": FORMAT, "created_at": created_at.isoformat(),
                       "database": {"kind": facts.kind, "file": facts.file, "method": facts.method},
                       "counts": facts.counts,
                       "audit_head": {"entry_id": facts.audit_head_id, "entry_hash": facts.audit_head_hash},
                       "blobs": {"mode": mode, "count": blob_count, "bytes": blob_bytes},
                       "signing_key_check": backends.signer.digest(KEY_CHECK_PURPOSE, KEY_CHECK_MESSAGE)}
        (staging / BACKUP_JSON).write_text(json.dumps(description, ensure_ascii=False, indent=2), encoding="utf-8")
        bagit.make_bag(str(staging), {"Source-Organization": "hoso", "External-Description": FORMAT,
                                      "Bagging-Date": created_at.date().isoformat()},
                       processes=1, checksums=["sha256"])
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    summary = BackupSummary(path=target, created_at=created_at, database_kind=facts.kind, counts=facts.counts,
                            blob_mode=mode, blobs=blob_count, blob_bytes=blob_bytes, size_bytes=_tree_bytes(target),
                            audit_head_id=facts.audit_head_id, audit_head_hash=facts.audit_head_hash,
                            manifest_sha256=_file_sha256(target / "manifest-sha256.txt"))
    _record(backends, actor, AccessKind.BACKUP_CREATED, {
        "path": str(target), "size_bytes": summary.size_bytes, "manifest_sha256": summary.manifest_sha256,
        "database_kind": facts.kind, "counts": facts.counts, "blob_mode": mode, "blobs": blob_count,
        "audit_head_id": facts.audit_head_id, "audit_head_hash": facts.audit_head_hash})
    return summary


def _record(backends: Backends, actor: Principal, kind: AccessKind, detail: dict[str, Any]) -> None:
    uow = backends.uow()
    with uow:
        uow.begin_write()
        audited(uow, actor, kind, backends.clock.now(), detail=detail, reason="backup")
        uow.commit()


def read_description(path: Path) -> dict[str, Any]:
    """The backup's backup.json; BackupNotFound when `path` holds no hoso backup."""
    described = path / "data" / BACKUP_JSON
    if not (path / "bagit.txt").is_file() or not described.is_file():
        raise BackupNotFound(detail={"path": str(path)})
    try:
        description: dict[str, Any] = json.loads(described.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupDamaged(detail={"path": str(path), "problems": [f"{BACKUP_JSON}: {exc}"]}) from exc
    if description.get("format") != FORMAT:
        raise BackupNotFound(detail={"path": str(path), "format": description.get("format")})
    return description


def blob_manifest(path: Path) -> Iterator[dict[str, Any]]:
    with (path / "data" / BLOBS_JSONL).open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def check_backup(path: Path, *, now: datetime, blobs: BlobStore | None = None) -> BackupCheck:
    """Re-reads every file of the backup against its SHA-256 (and, for a versioned bucket's manifest, asks the
    store for each version when `blobs` is given); writes the outcome to verification.json. Safe to repeat."""
    path = path.resolve()
    description = read_description(path)
    problems: list[str] = []
    files = 0
    try:
        bag = bagit.Bag(str(path))
        files = len(bag.payload_entries())
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        problems += [str(detail) for detail in exc.details] or [str(exc)]
    except bagit.BagError as exc:
        problems.append(str(exc))
    if not problems and description["blobs"]["mode"] == "s3-versions" and blobs is not None:
        store = primary_store(blobs)
        if isinstance(store, S3BlobStore):
            for item in blob_manifest(path):
                found = store.version(item["key"], item["version_id"])
                if found is None or found.sha256 != item["sha256"]:
                    problems.append(f"{item['key']} (version {item['version_id']}): "
                                    f"{'missing' if found is None else 'hash differs'} in the bucket")
    check = BackupCheck(path=path, ok=not problems, checked_at=now, files=files, problems=problems)
    (path / VERIFICATION_JSON).write_text(json.dumps({"ok": check.ok, "checked_at": now.isoformat(),
                                                      "files": files, "problems": problems[:100]},
                                                     ensure_ascii=False, indent=2), encoding="utf-8")
    return check


def verify_backup(backends: Backends, path: Path, *, actor: Principal = BACKUP_ACTOR) -> BackupCheck:
    """check_backup, recorded in the audit chain."""
    check = check_backup(path, now=backends.clock.now(), blobs=backends.blobs)
    _record(backends, actor, AccessKind.BACKUP_VERIFIED, {"path": str(check.path), "ok": check.ok,
                                                          "files": check.files, "problems": check.problems[:20]})
    return check


def _listing(path: Path) -> BackupListing:
    try:
        description = read_description(path)
    except BackupNotFound:
        return BackupListing(str(path), None, 0, None, None, None, "missing", None, [])
    except BackupDamaged as exc:
        return BackupListing(str(path), None, _tree_bytes(path), None, None, None, "damaged", None,
                             list(exc.detail.get("problems", [])))
    status, verified_at, problems = "unverified", None, []
    verification = path / VERIFICATION_JSON
    if verification.is_file():
        try:
            outcome = json.loads(verification.read_text(encoding="utf-8"))
            status = "verified" if outcome["ok"] else "damaged"
            verified_at = datetime.fromisoformat(outcome["checked_at"])
            problems = list(outcome.get("problems", []))
        except (ValueError, KeyError):
            status = "unverified"
    counts = description.get("counts", {})
    return BackupListing(str(path), datetime.fromisoformat(description["created_at"]), _tree_bytes(path),
                         description["database"]["kind"], counts.get("dossiers"), counts.get("documents"), status,
                         verified_at, problems)


def backups_for(backends: Backends, actor: Principal) -> list[BackupListing]:
    """list_backups for an administrator (the paths and sizes say how the servers are laid out)."""
    from records.services.catalogue import require_role

    require_role(actor, Role.ADMIN)
    return list_backups(backends)


def list_backups(backends: Backends) -> list[BackupListing]:
    """The backups in the backup directory and every backup the audit chain remembers making (one that was moved
    or removed since shows as "missing"), newest first."""
    paths: dict[str, Path] = {}
    directory = backends.settings.effective_backup_dir.resolve()
    if directory.is_dir():
        for child in directory.iterdir():
            if (child / "bagit.txt").is_file():
                paths[str(child)] = child
    with backends.uow() as uow:
        entries, _count = uow.access_log.find(AccessLogFilter(actions=frozenset({AccessKind.BACKUP_CREATED}),
                                                              limit=1000))
    for entry in entries:
        recorded = entry.detail.get("path")
        if isinstance(recorded, str):
            paths.setdefault(recorded, Path(recorded))
    listings = [_listing(path) for path in paths.values()]
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(listings, key=lambda item: item.created_at or oldest, reverse=True)
