"""Idempotency-Key: a retried creating request gets the first answer back and nothing is done twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from infra.demo_lien_thong import text_pdf
from infra.wiring import Backends
from records.services.idempotency import claim_key
from tests.support.factories import LAND_FIRST_CERTIFICATE, cccd

Auth = Callable[[str], dict[str, str]]


def _body() -> dict[str, Any]:
    return {"procedure_code": LAND_FIRST_CERTIFICATE,
            "applicant": {"name": "Trần Văn Bình", "id_number": cccd(), "phone": "0912000222"}}


def _count(client: TestClient, headers: dict[str, str], id_number: str) -> int:
    found = client.get("/api/v1/dossiers", params={"applicant_id_number": id_number}, headers=headers).json()
    return int(found["count"])


def test_a_retried_intake_gets_the_first_answer_and_opens_one_dossier(client: TestClient, auth: Auth) -> None:
    headers = {**auth("tiepnhan.tranbien"), "Idempotency-Key": "intake-7f3a"}
    body = _body()
    first = client.post("/api/v1/dossiers", json=body, headers=headers)
    again = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the receipt secret too: the applicant's slip stays valid
    assert again.headers["Location"] == first.headers["Location"] and again.headers["ETag"] == first.headers["ETag"]
    assert _count(client, headers, body["applicant"]["id_number"]) == 1


def test_the_same_key_with_another_request_is_refused_and_does_nothing(client: TestClient, auth: Auth) -> None:
    headers = {**auth("tiepnhan.tranbien"), "Idempotency-Key": "intake-reused"}
    assert client.post("/api/v1/dossiers", json=_body(), headers=headers).status_code == 201
    other = _body()
    refused = client.post("/api/v1/dossiers", json=other, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "idempotency_key_reused"
    assert _count(client, headers, other["applicant"]["id_number"]) == 0


def test_keys_belong_to_one_officer(client: TestClient, auth: Auth) -> None:
    body = _body()
    mine = client.post("/api/v1/dossiers", json=body, headers={**auth("tiepnhan.tranbien"), "Idempotency-Key": "k1"})
    theirs = client.post("/api/v1/dossiers", json=body, headers={**auth("quantri.tinh"), "Idempotency-Key": "k1"})
    assert mine.status_code == 201 and theirs.status_code in (201, 403, 422)
    assert "Idempotent-Replayed" not in theirs.headers


def test_a_retry_while_the_first_request_runs_gets_409(client: TestClient, auth: Auth, backends: Backends) -> None:
    claim_key(uow=backends.uow(), clock=backends.clock, principal="user:tiepnhan.tranbien", key="in-flight",
              request_hash="the first request")
    body = _body()
    answer = client.post("/api/v1/dossiers", json=body,
                         headers={**auth("tiepnhan.tranbien"), "Idempotency-Key": "in-flight"})
    assert answer.status_code == 409 and answer.json()["code"] == "idempotency_key_in_progress"
    assert _count(client, auth("tiepnhan.tranbien"), body["applicant"]["id_number"]) == 0


def test_a_retried_upload_and_transition_are_replayed_not_refused(client: TestClient, auth: Auth) -> None:
    headers = auth("tiepnhan.tranbien")
    created = client.post("/api/v1/dossiers", json=_body(), headers=headers)
    code = created.json()["code"]
    paper = {"file": ("don.pdf", text_pdf([["ĐƠN ĐỀ NGHỊ"]]), "application/pdf")}
    upload = [client.post(f"/api/v1/dossiers/{code}/documents", files=paper,
                          headers={**headers, "Idempotency-Key": "upload-1"}) for _ in range(2)]
    assert [u.status_code for u in upload] == [202, 202]  # not 409 duplicate_document the second time
    assert upload[0].json()["id"] == upload[1].json()["id"] and upload[1].headers["Idempotent-Replayed"] == "true"
    move = {**headers, "If-Match": created.headers["ETag"], "Idempotency-Key": "move-1"}
    moves = [client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "processing"}, headers=move)
             for _ in range(2)]
    assert [m.status_code for m in moves] == [200, 200]  # not 412: the retry is the same move, made once
    history = client.get(f"/api/v1/dossiers/{code}/history", headers=headers).json()["data"]
    assert [e["to_state"] for e in history].count("processing") == 1


def test_a_malformed_key_is_refused(client: TestClient, auth: Auth) -> None:
    answer = client.post("/api/v1/dossiers", json=_body(),
                         headers={**auth("tiepnhan.tranbien"), "Idempotency-Key": "x" * 300})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_idempotency_key"


def test_the_openapi_document_names_the_header(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/dossiers", "/api/v1/dossiers/{code}/documents", "/api/v1/dossiers/{code}/transitions",
                 "/api/v1/dossiers/{code}/shares"):
        names = [p["name"] for p in paths[path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
