"""The fixity pages' API: archivists, auditors and administrators read the pass's progress, the failures and the
repairs; everyone else is refused; a check's history is filtered by outcome and blob key."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.blobs import original_key
from records.fixity import BlobRecord
from records.services.fixity import Pace, run_fixity

Auth = Callable[[str], dict[str, str]]


def _damaged_blob(backends: Backends) -> tuple[str, str]:
    """A registered original whose stored bytes were changed afterwards; (key, the hash it was written with)."""
    data = b"%PDF-1.7 giay chung nhan quyen su dung dat thua 342" * 20
    sha = hashlib.sha256(data).hexdigest()
    key = original_key(sha)
    backends.blobs.put(key, io.BytesIO(data), sha256=sha)
    with backends.uow() as uow:
        uow.begin_write()
        uow.fixity.record([BlobRecord(key, sha, len(data), None, backends.clock.now())])
        uow.commit()
    backends.blobs.put(key, io.BytesIO(data[:-1] + b"!"))  # no hash given: replaces the content
    return key, sha


def test_archivists_see_progress_failures_and_the_check_history(backends: Backends, client: TestClient,
                                                                auth: Auth) -> None:
    key, sha = _damaged_blob(backends)
    run = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, pace=Pace(0), full_pass=True)
    assert key in {p.key for p in run.unrepaired}

    report = client.get("/api/v1/archive/fixity", headers=auth("luutru.tinh"))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["last_full_pass_at"] is not None and body["pass_started_at"] is None
    assert body["damaged_now"] >= 1 and body["failures"] >= 1 and body["repairs"] == 0
    assert key in {p["key"] for p in body["recent_problems"]}

    history = client.get("/api/v1/archive/fixity/checks", params={"key": key}, headers=auth("luutru.tinh")).json()
    assert history["count"] == 1
    [check] = history["data"]
    assert (check["outcome"], check["expected_sha256"]) == ("mismatch", sha)
    assert check["actual_sha256"] not in (None, sha)
    repairs = client.get("/api/v1/archive/fixity/checks", params={"key": key, "outcome": "repaired"},
                         headers=auth("luutru.tinh")).json()
    assert repairs == {"data": [], "count": 0}
    failures = client.get("/api/v1/archive/fixity/checks", params=[("outcome", "mismatch"), ("outcome", "missing")],
                          headers=auth("quantri.tinh")).json()
    assert key in {c["key"] for c in failures["data"]}


def test_others_are_refused_and_bad_filters_get_a_clear_error(client: TestClient, auth: Auth) -> None:
    for path in ("/api/v1/archive/fixity", "/api/v1/archive/fixity/checks"):
        refused = client.get(path, headers=auth("tiepnhan.tranbien"))
        assert (refused.status_code, refused.json()["code"]) == (403, "archive_role_required"), path
    bad = client.get("/api/v1/archive/fixity/checks", params={"outcome": "fine"}, headers=auth("luutru.tinh"))
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_request")
    too_many = client.get("/api/v1/archive/fixity/checks", params={"limit": 501}, headers=auth("luutru.tinh"))
    assert too_many.status_code == 422
