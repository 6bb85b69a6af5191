"""Backup and restore: a backup of one instance brings a second, EMPTY instance back with the same dossiers, the same
documents (same hashes, readable), search finding them and an intact audit chain; a damaged backup is found by
verification and refused by restore; a non-empty target is refused; the backups are listed, for administrators only."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from infra.backup import BackupDamaged, check_backup, create_backup, list_backups, verify_backup
from infra.cli import main
from infra.restore import RestoreTargetNotEmpty, restore_backup
from infra.settings import Settings
from infra.wiring import Backends, opened_backends
from records.access_log import AccessKind, AccessLogFilter
from records.blobs import original_key
from records.clock import FixedClock
from records.search import SearchFilters
from records.services.search import search_dossiers
from storage.dumps import database_is_empty
from storage.provision import scratch_postgres
from tests.archive.instances import TEST_SECRET, instance, officer
from tests.archive.test_fixity import _paper
from tests.conftest import BACKEND_PARAMS
from tests.support.databases import pg_server_url
from tests.support.factories import MONDAY_9AM
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, s3_server

__all__ = ["s3_server"]


@contextmanager
def empty_database(kind: str, directory: Path) -> Iterator[str]:
    """A database with no table at all: a SQLite file not made yet, or a new PostgreSQL database (dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'restored.sqlite3'}"
        return
    with scratch_postgres(pg_server_url(), prefix="hoso_restore", migrate=False) as url:
        yield url


@pytest.fixture(params=BACKEND_PARAMS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _sha256(stream_owner: Backends, key: str) -> str:
    with stream_owner.blobs.open(key) as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def _dossier_codes(backends: Backends) -> list[str]:
    with backends.engine.connect() as conn:
        return sorted(str(row[0]) for row in conn.execute(text("SELECT code FROM dossiers")))


def test_a_backup_restores_into_an_empty_instance_with_everything_checked(kind: str, tmp_path: Path) -> None:
    """GIVEN an instance with two processed documents WHEN it is backed up and restored into an empty instance
    THEN the same dossiers and documents (same hashes, readable) come back, search finds them, the audit chain
    verifies and ends where the backup said, and the backup, its check and the restore are in the audit chains."""
    with instance(kind, tmp_path / "first") as first:
        first.clock = FixedClock(MONDAY_9AM)
        _, sha_a = _paper(first, tmp_path, "thua dat so 4711 sao luu")
        _, sha_b = _paper(first, tmp_path, "giay chung nhan 8812 khoi phuc")
        codes = _dossier_codes(first)
        summary = create_backup(first, tmp_path / "backups" / "one")
        check = verify_backup(first, summary.path)
        assert check.ok, check.problems
        assert summary.counts["documents"] == 2 and summary.blob_mode == "copy"
        with first.uow() as uow:
            made, _ = uow.access_log.find(AccessLogFilter(actions=frozenset({AccessKind.BACKUP_CREATED,
                                                                             AccessKind.BACKUP_VERIFIED})))
        assert {e.action for e in made} == {AccessKind.BACKUP_CREATED, AccessKind.BACKUP_VERIFIED}
        assert made[-1].detail["manifest_sha256"] == summary.manifest_sha256
        listed = list_backups(first)
        assert [(item.path, item.status) for item in listed] == [(str(summary.path), "verified")]
        assert listed[0].size_bytes == summary.size_bytes > 0

    with empty_database(kind, tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path / "second", secret_key=TEST_SECRET, tasks="inline")
        report = restore_backup(settings, summary.path)
        assert report.ok, report
        assert report.audit_intact and report.audit_head_matches and report.signing_key_matches is True
        assert report.counts == summary.counts and report.originals_checked == 2 and not report.originals_missing
        with opened_backends(settings) as second:
            second.clock = FixedClock(MONDAY_9AM)
            assert _dossier_codes(second) == codes
            assert _sha256(second, original_key(sha_a)) == sha_a
            assert _sha256(second, original_key(sha_b)) == sha_b
            page = search_dossiers(uow=second.uow(), clock=second.clock, index=second.search,
                                   actor=officer(second, "tiepnhan.tranbien"), text="4711",
                                   filters=SearchFilters(), with_facets=False)
            assert len(page.results.hits) == 1 and page.results.hits[0].dossier_code in codes
            with second.uow() as uow:
                restored = uow.access_log.latest(AccessKind.BACKUP_RESTORED)
            assert restored is not None and restored.detail["ok"] is True
        with pytest.raises(RestoreTargetNotEmpty) as refused:  # a second restore into the now full instance
            restore_backup(settings, summary.path)
        assert "database" in refused.value.message_en


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Backends, Path]]:
    """One SQLite instance with a processed paper and a backup of it in its backup directory, shared by the module."""
    directory = tmp_path_factory.mktemp("backed-up")
    with instance("sqlite", directory / "first", backup_dir=directory / "backups") as first:
        first.clock = FixedClock(MONDAY_9AM)
        _paper(first, directory, "ban goc bi hong")
        yield first, create_backup(first, directory / "backups" / "nightly").path


def test_a_corrupted_backup_is_found_by_verify_and_refused_by_restore(backed_up: tuple[Backends, Path],
                                                                      tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    first, nightly = backed_up
    backup = nightly.with_name("damaged")
    shutil.copytree(nightly, backup)
    blob = next(p for p in (backup / "data" / "blobs" / "originals").rglob("*") if p.is_file())
    raw = bytearray(blob.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    blob.write_bytes(bytes(raw))

    check = check_backup(backup, now=MONDAY_9AM)
    assert not check.ok and any(blob.name in problem for problem in check.problems)

    monkeypatch.setenv("HOSO_DATA_DIR", str(first.settings.data_dir))
    monkeypatch.setenv("HOSO_DATABASE_URL", first.settings.database_url)
    monkeypatch.setenv("HOSO_BACKUP_DIR", str(nightly.parent))
    monkeypatch.setenv("HOSO_SECRET_KEY", TEST_SECRET)
    assert main(["backup", "--verify", str(backup)]) == 1
    assert "HỎNG" in capsys.readouterr().err
    assert main(["backups", "--json"]) == 1  # a damaged backup makes the listing fail (for monitoring)
    listed = {item["path"]: item["status"] for item in json.loads(capsys.readouterr().out)}
    assert listed[str(backup)] == "damaged"

    target = tmp_path / "second"
    settings = Settings(data_dir=target, database_url="", secret_key=TEST_SECRET, tasks="inline")
    with pytest.raises(BackupDamaged):
        restore_backup(settings, backup)
    assert database_is_empty(settings.effective_database_url)  # nothing was written
    monkeypatch.setenv("HOSO_DATA_DIR", str(target))
    monkeypatch.delenv("HOSO_DATABASE_URL")
    assert main(["restore", str(backup)]) == 1
    err = capsys.readouterr().err
    assert "backup_damaged" in err and "hỏng" in err
    assert database_is_empty(settings.effective_database_url)


def test_restore_refuses_a_target_that_holds_data(backed_up: tuple[Backends, Path]) -> None:
    busy, backup = backed_up
    with pytest.raises(RestoreTargetNotEmpty) as refused:
        restore_backup(busy.settings, backup)
    assert refused.value.code == "restore_target_not_empty"
    assert "Chỉ khôi phục vào một thư mục dữ liệu mới" in refused.value.message_vi
    with busy.uow() as uow:
        assert uow.access_log.latest(AccessKind.BACKUP_RESTORED) is None


def test_a_backup_holds_no_secret(backed_up: tuple[Backends, Path], tmp_path: Path) -> None:
    first, _ = backed_up
    leaky = replace(first, settings=first.settings.model_copy(update={
        "s3_access_key": "ACCESS-visible-nowhere", "s3_secret_key": "SECRET-visible-nowhere",
        "celery_broker_url": "redis://:broker-password-visible-nowhere@redis:6379/0"}))
    summary = create_backup(leaky, tmp_path / "backup")
    written = b"".join(p.read_bytes() for p in summary.path.rglob("*") if p.is_file())
    for secret in (TEST_SECRET, "ACCESS-visible-nowhere", "SECRET-visible-nowhere", "broker-password-visible-nowhere"):
        assert secret.encode() not in written
    saved = json.loads((summary.path / "data" / "settings.json").read_text())
    assert saved["HOSO_CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert "HOSO_SECRET_KEY" not in saved and "HOSO_S3_SECRET_KEY" not in saved


def test_backups_are_listed_for_administrators_only(backed_up: tuple[Backends, Path]) -> None:
    first, nightly = backed_up
    with TestClient(create_app(backends=first)) as client:
        def headers(username: str) -> dict[str, str]:
            token = first.tokens.issue(officer(first, username), now=None).token
            return {"Authorization": f"Bearer {token}"}

        refused = client.get("/api/v1/backups", headers=headers("tiepnhan.tranbien"))
        answer = client.get("/api/v1/backups", headers=headers("quantri.tinh"))
    assert refused.status_code == 403
    assert answer.status_code == 200, answer.text
    listed = {item["path"]: item for item in answer.json()["data"]}
    item = listed[str(nightly)]
    assert item["size_bytes"] > 0 and item["dossiers"] == 1 and item["documents"] == 1
    assert item["status"] in {"unverified", "verified"}  # another test of the module may have verified it


def test_a_versioned_bucket_is_backed_up_as_a_manifest_and_brought_back(tmp_path: Path, s3_server: str) -> None:
    """GIVEN blobs in an object-locked (so versioned) bucket WHEN backed up THEN the backup lists key, version id
    and SHA-256 instead of copying; an original deleted afterwards is brought back by the restore."""
    bucket = f"hoso-backup-{uuid.uuid4().hex[:8]}"
    s3 = {"s3_endpoint": s3_server, "s3_access_key": S3_ACCESS_KEY, "s3_secret_key": S3_SECRET_KEY,
          "s3_bucket": bucket}
    with instance("sqlite", tmp_path / "first", **s3) as first:
        first.clock = FixedClock(MONDAY_9AM)
        _, sha = _paper(first, tmp_path, "ban do dia chinh 5150")
        summary = create_backup(first, tmp_path / "backup")
        assert summary.blob_mode == "s3-versions" and not (summary.path / "data" / "blobs").exists()
        listed = [json.loads(line) for line in (summary.path / "data" / "blobs.jsonl").read_text().splitlines()]
        entry = next(item for item in listed if item["key"] == original_key(sha))
        assert entry["sha256"] == sha and entry["version_id"]
        first.blobs.delete(original_key(sha))  # a mistake after the backup (a delete marker on top of the version)
        assert not first.blobs.exists(original_key(sha))
        assert verify_backup(first, summary.path).ok  # the listed versions are still in the bucket

    settings = Settings(data_dir=tmp_path / "second", database_url="", secret_key=TEST_SECRET, tasks="inline",
                        **s3)  # type: ignore[arg-type]
    report = restore_backup(settings, summary.path)
    assert report.ok and not report.originals_missing, report
    with opened_backends(settings) as second:
        assert _sha256(second, original_key(sha)) == sha


def test_the_commands_back_up_list_and_restore(backed_up: tuple[Backends, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first, nightly = backed_up
    monkeypatch.setenv("HOSO_DATA_DIR", str(first.settings.data_dir))
    monkeypatch.setenv("HOSO_DATABASE_URL", first.settings.database_url)
    monkeypatch.setenv("HOSO_BACKUP_DIR", str(nightly.parent))
    monkeypatch.setenv("HOSO_SECRET_KEY", TEST_SECRET)
    assert main(["backup"]) == 0  # into HOSO_BACKUP_DIR/hoso-<time>, then read back
    out = capsys.readouterr().out
    assert "Đã sao lưu / backup written" in out and "re-verified: nguyên vẹn / intact" in out
    made = Path(out.split("backup written: ")[1].split("\n")[0])
    assert made.parent == nightly.parent and made.name.startswith("hoso-")
    main(["backups"])
    listing = capsys.readouterr().out
    assert f"đã kiểm tra, nguyên vẹn / verified    {made}" in listing

    monkeypatch.setenv("HOSO_DATA_DIR", str(tmp_path / "restored"))
    monkeypatch.delenv("HOSO_DATABASE_URL")
    assert main(["restore", str(made)]) == 0
    report = capsys.readouterr().out
    assert "dossiers 1/1, documents 1/1" in report and "document originals: 1/1" in report
    assert "head matches the backup: có / yes" in report and "complete and verified" in report


@pytest.mark.postgres
@pytest.mark.parametrize(("source", "target"), [("sqlite", "postgres"), ("postgres", "sqlite")])
def test_a_portable_backup_restores_into_the_other_kind_of_database(source: str, target: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a portable backup (a logical dump: asked for, or written because pg_dump is missing) WHEN it is
    restored into the other kind of database THEN the dossiers, the documents and an intact audit chain come across
    (an embedded install moving to PostgreSQL), and new work carries on."""
    with instance(source, tmp_path / "first") as first:
        first.clock = FixedClock(MONDAY_9AM)
        _, sha = _paper(first, tmp_path, "chuyen sang may chu 6060")
        codes = _dossier_codes(first)
        if source == "postgres":
            with monkeypatch.context() as no_client:
                no_client.setenv("PATH", str(tmp_path))  # a machine without the PostgreSQL client
                summary = create_backup(first, tmp_path / "backup")
        else:
            summary = create_backup(first, tmp_path / "backup", portable=True)
    assert json.loads((summary.path / "data" / "backup.json").read_text())["database"]["file"] == "database.jsonl.gz"
    with empty_database(target, tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path / "second", secret_key=TEST_SECRET, tasks="inline")
        report = restore_backup(settings, summary.path)
        assert report.ok, report
        with opened_backends(settings) as second:
            assert _dossier_codes(second) == codes
            assert _sha256(second, original_key(sha)) == sha
            second.clock = FixedClock(MONDAY_9AM)
            _paper(second, tmp_path, "ho so moi sau khoi phuc")  # ids and sequences carry on after the restore
