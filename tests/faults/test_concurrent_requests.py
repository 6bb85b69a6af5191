"""Many officers at once, over HTTP, on SQLite and PostgreSQL: one If-Match wins once, intake codes stay unique,
and one Idempotency-Key creates one dossier."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.services.catalogue import load_principal
from tests.support.databases import fresh_database
from tests.support.factories import LAND_FIRST_CERTIFICATE, cccd

CONCURRENT = 50
SECRET = "concurrency-test-secret-key-0123456789abcdef"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def committed_backends(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    """A database of these tests' own, with real commits on separate connections (the audit chain they write
    must not meet other tests' dossier codes)."""
    directory = tmp_path_factory.mktemp(f"concurrent-{request.param}")
    with fresh_database(request.param, directory) as url:
        built = build_backends(Settings(database_url=url, data_dir=directory, secret_key=SECRET, tasks="inline"))
        load_demo(built, password="concurrent-test-password", with_dossiers=False)
        yield built
        built.close()


@pytest.fixture
def client(committed_backends: Backends) -> Iterator[TestClient]:
    with TestClient(create_app(backends=committed_backends)) as test_client:
        yield test_client


def _headers(backends: Backends, username: str = "tiepnhan.tranbien") -> dict[str, str]:
    token = backends.tokens.issue(load_principal(uow=backends.uow(), username=username)).token
    return {"Authorization": f"Bearer {token}"}


def _intake_body() -> dict[str, Any]:
    return {"procedure_code": LAND_FIRST_CERTIFICATE,
            "applicant": {"name": "Nguyễn Thị Lan", "id_number": cccd(), "phone": "0912000111"}}


def test_fifty_concurrent_transitions_with_one_if_match_exactly_one_wins(committed_backends: Backends,
                                                                         client: TestClient) -> None:
    """GIVEN 50 officers who all read version 1 WHEN they all move the dossier at once THEN one move is made and
    the 49 others get 412 `stale_version`."""
    headers = _headers(committed_backends)
    created = client.post("/api/v1/dossiers", json=_intake_body(), headers=headers)
    assert created.status_code == 201, created.text
    code, etag = created.json()["code"], created.headers["ETag"]

    def move(_: int) -> tuple[int, str]:
        answer = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "processing"},
                             headers={**headers, "If-Match": etag})
        return answer.status_code, answer.json().get("code", "")

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = Counter(pool.map(move, range(CONCURRENT)))
    assert outcomes[(200, code)] == 1 and outcomes[(412, "stale_version")] == CONCURRENT - 1, outcomes
    history = client.get(f"/api/v1/dossiers/{code}/history", headers=headers).json()["data"]
    assert [e["to_state"] for e in history].count("processing") == 1


def test_fifty_concurrent_intakes_at_one_desk_get_fifty_unique_codes(committed_backends: Backends,
                                                                     client: TestClient) -> None:
    headers = _headers(committed_backends)

    def receive(_: int) -> tuple[int, str]:
        answer = client.post("/api/v1/dossiers", json=_intake_body(), headers=headers)
        return answer.status_code, answer.json().get("code", answer.text)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(receive, range(CONCURRENT)))
    assert {status for status, _ in answers} == {201}, answers
    assert len({code for _, code in answers}) == CONCURRENT


def test_concurrent_retries_with_one_idempotency_key_create_one_dossier(committed_backends: Backends,
                                                                        client: TestClient) -> None:
    """GIVEN a flaky link that makes the client send one intake ten times at once with one key THEN one dossier is
    opened; every answer is that dossier (first or replayed) or 409 `idempotency_key_in_progress`."""
    headers = {**_headers(committed_backends), "Idempotency-Key": "c0ffee-intake-0001"}
    body = _intake_body()

    def send(_: int) -> tuple[int, str, str]:
        answer = client.post("/api/v1/dossiers", json=body, headers=headers)
        return answer.status_code, answer.json().get("code", ""), answer.headers.get("Idempotent-Replayed", "")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, range(10)))
    firsts = [a for a in answers if a[0] == 201 and not a[2]]
    assert len(firsts) == 1, answers
    code = firsts[0][1]
    assert all(a == (201, code, "true") or a[:2] == (409, "idempotency_key_in_progress") for a in answers
               if a is not firsts[0]), answers
    listed = client.get("/api/v1/dossiers", params={"applicant_id_number": body["applicant"]["id_number"]},
                        headers=headers).json()
    assert listed["count"] == 1
