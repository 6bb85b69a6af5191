"""The audit chain through the API and around it: the archivist's verification endpoint and status page, the
administrators' writes that now leave entries, concurrent appends staying one chain, and the migration sealing
the entries written before the chain existed.

Each test has an instance of its own: verification writes checkpoints to the blob store, which a rolled-back
shared database would contradict."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.access import Decision, Reason
from records.access_log import AccessKind, entry
from records.clock import FixedClock
from records.services.access import audited, log_access
from records.services.audit_chain import verify_audit_chain
from storage.migrate import downgrade, upgrade
from tests.archive.instances import TEST_SECRET, instance, officer
from tests.conftest import BACKEND_PARAMS
from tests.support.databases import fresh_database
from tests.support.factories import MONDAY_9AM, TRAN_BIEN

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(params=BACKEND_PARAMS)
def hoso(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backends]:
    with instance(request.param, tmp_path / "hoso") as backends:
        backends.clock = FixedClock(MONDAY_9AM)
        yield backends


@pytest.fixture
def client(hoso: Backends) -> Iterator[TestClient]:
    with TestClient(create_app(backends=hoso)) as test_client:
        yield test_client


@pytest.fixture
def auth(hoso: Backends) -> Auth:
    def headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {hoso.tokens.issue(officer(hoso, username), now=None).token}"}

    return headers


def _allow_tampering(backends: Backends) -> None:
    """What an attacker with the database owner's rights does first."""
    with backends.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER access_log_no_update"))


def test_an_archivist_verifies_the_chain_and_the_page_shows_it(client: TestClient, auth: Auth) -> None:
    """GIVEN an instance with its reference data (whose imports are already entries of the chain)
    WHEN the province's archivist runs the verification
    THEN it is intact, counts every entry, and the status shows who verified it, when, and a checkpoint that
    covers the chain up to the verification's own entry."""
    archivist = auth("luutru.tinh")
    before = client.get("/api/v1/archive/audit", headers=archivist)
    assert before.status_code == 200, before.text
    assert before.json()["last_verification"] is None and before.json()["head_id"] > 0

    answer = client.post("/api/v1/archive/audit/verify", headers=archivist)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["intact"] is True and result["first_broken_id"] is None
    assert result["checked"] == before.json()["head_id"]
    assert "toàn vẹn" in result["message_vi"]

    status = client.get("/api/v1/archive/audit", headers=archivist).json()
    last = status["last_verification"]
    assert (last["username"], last["intact"], last["checked"]) == ("luutru.tinh", True, result["checked"])
    assert status["checkpoint"]["entry_id"] == status["head_id"] == result["checked"] + 1
    assert status["checkpoint"]["entry_hash"] == status["head_hash"]
    assert client.post("/api/v1/archive/audit/verify", headers=auth("kiemtra.tinh")).json()["intact"] is True


def test_only_auditors_archivists_and_administrators_verify(client: TestClient, auth: Auth) -> None:
    for username in ("tiepnhan.tranbien", "lanhdao.tranbien", "motcua.tanphu"):
        for method, path in (("post", "/api/v1/archive/audit/verify"), ("get", "/api/v1/archive/audit")):
            answer = client.request(method, path, headers=auth(username))
            assert answer.status_code == 403, (username, path, answer.text)
            assert answer.json()["code"] == "archive_role_required"
    assert client.post("/api/v1/archive/audit/verify").status_code == 401


def test_no_endpoint_changes_or_deletes_an_entry(client: TestClient, auth: Auth, hoso: Backends) -> None:
    """No operation of the API updates or deletes the log; trying anyway changes nothing."""
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if "access-log" in path or "/archive/audit" in path:
            assert set(operations) <= {"get", "post"}, path
    admin = auth("quantri.tinh")
    with hoso.engine.connect() as conn:
        first = conn.execute(text("SELECT MIN(id) FROM access_log")).scalar_one()
    for method in ("put", "patch", "delete"):
        for path in ("/api/v1/access-log", f"/api/v1/access-log/{first}", "/api/v1/archive/audit"):
            assert client.request(method, path, headers=admin).status_code in {404, 405}
    assert verify_audit_chain(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock).intact


def test_a_changed_entry_is_named_by_the_endpoint_and_raises_an_alert(client: TestClient, auth: Auth,
                                                                      hoso: Backends) -> None:
    """GIVEN someone with the database owner's rights who disabled the triggers and changed one byte of an entry
    THEN the verification endpoint names that entry, the status page says the last verification failed, and
    the archivists see an alert."""
    with hoso.engine.connect() as conn:
        victim = conn.execute(text("SELECT id FROM access_log WHERE action = 'user_created' ORDER BY id")).first()
    assert victim is not None
    _allow_tampering(hoso)
    with hoso.engine.begin() as conn:
        conn.execute(text("UPDATE access_log SET detail = REPLACE(CAST(detail AS TEXT), 'tiepnhan', 'tiepnhaN')"
                          + (" :: json" if conn.dialect.name == "postgresql" else "")
                          + " WHERE id = :i"), {"i": victim.id})
    archivist = auth("luutru.tinh")
    result = client.post("/api/v1/archive/audit/verify", headers=archivist).json()
    assert (result["intact"], result["first_broken_id"], result["problem"]) == (False, victim.id, "content_changed")
    assert f"#{victim.id}" in result["message_vi"]
    last = client.get("/api/v1/archive/audit", headers=archivist).json()["last_verification"]
    assert (last["intact"], last["first_broken_id"]) == (False, victim.id)
    alerts = client.get("/api/v1/archive/alerts", headers=archivist).json()["data"]
    assert [a["subject"] for a in alerts if a["kind"] == "audit_chain_broken"] == [f"entry:{victim.id}"]


def test_administrators_writes_leave_entries(client: TestClient, auth: Auth, hoso: Backends) -> None:
    """Creating a user, importing the agency catalogue and changing a webhook are each an entry of the chain,
    naming the administrator."""
    admin = auth("quantri.tinh")
    created = client.post("/api/v1/users", headers=admin, json={
        "username": "vanthu.tranbien", "full_name": "Đỗ Văn Thư", "agency_code": TRAN_BIEN,
        "roles": ["archivist"], "password": "mat-khau-du-dai"})
    assert created.status_code == 201, created.text
    agency = client.get(f"/api/v1/agencies/{TRAN_BIEN}", headers=admin).json()
    agency = {k: v for k, v in agency.items() if k not in {"predecessors", "current_successor"}}
    assert client.post("/api/v1/agencies/import", headers=admin, json=[agency]).status_code == 200
    hook = client.post("/api/v1/webhooks", headers=admin, json={
        "name": "Một cửa phường", "agency_code": TRAN_BIEN, "url": "http://127.0.0.1:9/events"}).json()
    assert client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin, json={"active": False}).status_code == 200
    assert client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=admin).status_code == 200

    trail = client.get("/api/v1/access-log", params={"username": "quantri.tinh", "limit": 50},
                       headers=auth("kiemtra.tinh")).json()["data"]
    actions = [(e["action"], e["detail"]) for e in reversed(trail)]
    assert [a for a, _ in actions] == ["user_created", "catalogue_imported", "webhook_changed", "webhook_changed",
                                       "webhook_changed"]
    assert actions[0][1]["username"] == "vanthu.tranbien" and actions[1][1]["agencies"] == [TRAN_BIEN]
    assert actions[3][1]["active"] is False and actions[4][1]["secret_rotated"] is True
    assert verify_audit_chain(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock).intact


def test_concurrent_reads_and_writes_make_one_chain(hoso: Backends) -> None:
    """GIVEN eight sessions appending reads and writes at the same time
    THEN every entry is there once, the ids have no gap, and the chain verifies."""
    reader, writer = officer(hoso, "xuly.tranbien"), officer(hoso, "quantri.tinh")
    with hoso.uow() as uow:
        start, _ = uow.access_log.head()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(15):
                at = MONDAY_9AM + timedelta(seconds=i)
                if (n + i) % 3:
                    log_access(hoso.uow(), [entry(reader, AccessKind.VIEW, Decision(True, Reason.HOLDER_AGENCY), at,
                                                  dossier_code=f"T{n}-{i}")])
                else:
                    with hoso.uow() as uow:
                        uow.begin_write()
                        audited(uow, writer, AccessKind.WEBHOOK_CHANGED, at, detail={"n": n, "i": i})
                        uow.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with hoso.engine.connect() as conn:
        ids = [r.id for r in conn.execute(text("SELECT id FROM access_log WHERE id > :s ORDER BY id"), {"s": start})]
    assert ids == list(range(start + 1, start + 1 + 8 * 15))
    result = verify_audit_chain(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock)
    assert result.intact and result.checked == start + 8 * 15


@pytest.mark.parametrize("kind", BACKEND_PARAMS)
def test_the_migration_seals_the_entries_written_before_it(kind: str, tmp_path: Path) -> None:
    """GIVEN an access log written before the chain existed (schema 0005)
    WHEN the database is upgraded
    THEN those entries are chained in id order, the database refuses to change them, and new entries follow."""
    with fresh_database(kind, tmp_path) as url:
        downgrade(url, "0005")
        engine = create_engine(url)
        with engine.begin() as conn:
            for i in range(3):
                conn.execute(text("INSERT INTO access_log (at, principal_kind, username, agency_code, action, "
                                  "reason, dossier_code, detail) VALUES (:at, 'officer', 'xuly.tranbien', :ag, "
                                  "'view', 'holder_agency', :code, :detail)"),
                             {"at": MONDAY_9AM + timedelta(minutes=i), "ag": TRAN_BIEN, "code": f"OLD-{i}",
                              "detail": '{"part": "dossier"}'})
        engine.dispose()
        upgrade(url)
        built = build_backends(Settings(database_url=url, data_dir=tmp_path, secret_key=TEST_SECRET, tasks="inline"))
        try:
            with built.engine.connect() as conn:
                rows = conn.execute(text("SELECT id, prev_hash, entry_hash FROM access_log ORDER BY id")).all()
            assert len(rows) == 3 and all(r.entry_hash for r in rows)
            assert [r.prev_hash for r in rows[1:]] == [r.entry_hash for r in rows[:-1]]
            with pytest.raises(Exception, match="append-only"), built.engine.begin() as conn:
                conn.execute(text("UPDATE access_log SET username = 'x' WHERE id = :i"), {"i": rows[0].id})
            clock = FixedClock(MONDAY_9AM)
            result = verify_audit_chain(uow=built.uow(), blobs=built.blobs, clock=clock)
            assert result.intact and result.checked == 3
            again = verify_audit_chain(uow=built.uow(), blobs=built.blobs, clock=clock)  # after its own entry
            assert again.intact and again.checked == 4
        finally:
            built.close()
