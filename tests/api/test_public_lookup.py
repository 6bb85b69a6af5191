"""The citizens' side: looking a dossier up with the receipt, throttled guessing, and result downloads through
short-lived signed links — all without an account, all in the access log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.access_log import READ_KINDS, AccessEntry, AccessKind, AccessLogFilter
from records.clock import FixedClock
from records.result_links import sign_result_link
from tests.api.helpers import intake, move
from tests.api.test_documents import upload
from tests.support.factories import BIRTH_REGISTRATION, TRAN_BIEN
from tests.support.papers import born_digital_pdf

Auth = Callable[[str], dict[str, str]]
LOOKUP = "/api/v1/public/lookup"
GROUP_PROCEDURE = "2.001023"  # birth registration + permanent residence + health-insurance card ("3 in 1")
LINKED_PROCEDURES = ["1.001193", "1.004194", "1.011450"]
BIRTH_CERTIFICATE = born_digital_pdf([["GIẤY KHAI SINH", "Họ, chữ đệm, tên: Trần Gia Hân"]])
APPLICATION = born_digital_pdf([["TỜ KHAI ĐĂNG KÝ KHAI SINH", "Người yêu cầu: Nguyễn Thị Lan"]])


def look_up(client: TestClient, code: str, secret: str, **headers: str) -> Any:
    return client.post(LOOKUP, json={"code": code, "secret": secret}, headers=headers)


def access_entries(backends: Backends, **wanted: Any) -> list[AccessEntry]:
    """The reads recorded (the writes in the same log are left out)."""
    wanted.setdefault("actions", READ_KINDS)
    with backends.uow() as uow:
        entries, _ = uow.access_log.find(AccessLogFilter(**wanted))
    return entries


def resolved_with_result(client: TestClient, auth: Auth) -> tuple[dict[str, Any], str, str]:
    """A birth registration resolved at phường Trấn Biên, holding an application (not a result) and the birth
    certificate (a result). Returns the intake answer, the application's id and the certificate's id."""
    desk, officer = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    created = intake(client, desk, procedure=BIRTH_REGISTRATION)
    code = created["code"]
    application = upload(client, desk, code, APPLICATION, "to-khai.pdf", title="Tờ khai đăng ký khai sinh")
    move(client, desk, code, "processing")
    certificate = upload(client, officer, code, BIRTH_CERTIFICATE, "giay-khai-sinh.pdf", title="Giấy khai sinh",
                         document_type="decision", is_result="true")
    assert application.status_code == certificate.status_code == 202, certificate.text
    return created, application.json()["id"], certificate.json()["id"]


def test_the_receipt_shows_state_and_appointment_date_and_nothing_personal(client: TestClient, auth: Auth,
                                                                           backends: Backends) -> None:
    """GIVEN a dossier just received at the desk WHEN the applicant looks it up with the code and the secret
    from the receipt THEN they see its state and appointment date, and no personal data."""
    created = intake(client, auth("tiepnhan.tranbien"))
    response = look_up(client, created["code"], created["receipt_secret"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    found = response.json()
    assert (found["code"], found["state"]) == (created["code"], "received")
    assert datetime.fromisoformat(found["due_at"]) == datetime.fromisoformat(created["due_at"])
    with backends.uow() as uow:
        procedure, desk = uow.procedures.get(created["procedure_code"]), uow.agencies.get(TRAN_BIEN)
    assert procedure is not None and desk is not None
    assert (found["procedure_name"], found["agency_name"]) == (procedure.name, desk.name)
    assert found["late"] is False and found["linked"] == [] and found["results"] == []
    applicant = created["applicant"]
    for personal in (applicant["name"], applicant["id_number"], applicant["phone"], created["subject"],
                     "Nguyễn Thị Thu Hằng", "tiepnhan.tranbien"):
        assert personal not in response.text

    [logged] = access_entries(backends, dossier_code=created["code"], actions=frozenset({AccessKind.PUBLIC_LOOKUP}))
    assert (logged.principal_kind, logged.username, logged.agency_code) == ("citizen", "citizen", None)
    assert (logged.reason, logged.client) == ("receipt_secret", "testclient")


def test_the_secret_may_be_typed_in_lower_case_without_dashes(client: TestClient, auth: Auth) -> None:
    created = intake(client, auth("tiepnhan.tranbien"))
    typed = created["receipt_secret"].replace("-", "").lower()
    assert look_up(client, created["code"].lower(), f" {typed[:5]} {typed[5:]} ").status_code == 200


def test_an_unknown_code_and_a_wrong_secret_answer_alike(client: TestClient, auth: Auth, backends: Backends) -> None:
    """Nothing in the answer says whether the dossier exists."""
    created = intake(client, auth("tiepnhan.tranbien"))
    wrong_secret = look_up(client, created["code"], "2222-2222-22")
    unknown_code = look_up(client, f"{TRAN_BIEN}-260302-9999", created["receipt_secret"])
    assert wrong_secret.status_code == unknown_code.status_code == 404
    assert wrong_secret.json() == unknown_code.json()
    assert wrong_secret.json()["code"] == "lookup_failed" and wrong_secret.json()["detail"] == {}
    assert created["code"] not in wrong_secret.text
    english = look_up(client, created["code"], "2222-2222-22", **{"Accept-Language": "en"}).json()
    assert english["code"] == "lookup_failed" and "No dossier matches" in english["message"]
    assert access_entries(backends, dossier_code=created["code"], actions=frozenset({AccessKind.PUBLIC_LOOKUP})) == []


def test_five_wrong_secrets_lock_the_code_even_for_the_right_one(client: TestClient, auth: Auth,
                                                                 clock: FixedClock) -> None:
    created = intake(client, auth("tiepnhan.tranbien"))
    code, secret = created["code"], created["receipt_secret"]
    for _ in range(5):
        assert look_up(client, code, "2222-2222-22").status_code == 404
    locked = look_up(client, code, secret)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "900"
    assert locked.json()["code"] == "too_many_attempts" and locked.json()["detail"] == {"retry_after_seconds": 900}
    assert "15 phút" in locked.json()["message"]

    clock.advance(timedelta(minutes=14))
    assert look_up(client, code, secret).headers["retry-after"] == "60"
    clock.advance(timedelta(minutes=1))
    assert look_up(client, code, secret).status_code == 200


def test_a_code_that_does_not_exist_is_locked_the_same_way(client: TestClient) -> None:
    made_up = f"{TRAN_BIEN}-260302-9998"
    answers = [look_up(client, made_up, "2222-2222-22").status_code for _ in range(6)]
    assert answers == [404] * 5 + [429]


def test_failures_are_kept_although_the_request_fails(client: TestClient, backends: Backends) -> None:
    made_up = f"{TRAN_BIEN}-260302-9997"
    look_up(client, made_up, "2222-2222-22")
    look_up(client, made_up, "3333-3333-33")
    with backends.uow() as uow:
        counters = {c.key: c.failures for c in uow.attempt_limits.get_many(
            [f"lookup:code:{made_up}", "lookup:client:testclient"])}
    assert counters == {f"lookup:code:{made_up}": 2, "lookup:client:testclient": 2}


def test_thirty_failures_from_one_address_lock_that_address(client: TestClient, auth: Auth,
                                                            clock: FixedClock) -> None:
    """GIVEN one address guessing at many codes WHEN it fails 30 times within 15 minutes THEN it is refused
    even for a right code and secret — a success in between does not wipe its failures — while another
    address is not held back."""
    created = intake(client, auth("tiepnhan.tranbien"))
    code, secret = created["code"], created["receipt_secret"]
    for number in range(29):
        assert look_up(client, f"{TRAN_BIEN}-260301-{number:04d}", "2222-2222-22").status_code == 404
    assert look_up(client, code, secret).status_code == 200
    assert look_up(client, f"{TRAN_BIEN}-260301-0099", "2222-2222-22").status_code == 404  # the 30th
    refused = look_up(client, code, secret)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "900"

    other = TestClient(client.app, client=("203.0.113.7", 40000))
    assert look_up(other, code, secret).status_code == 200
    clock.advance(timedelta(minutes=15))
    assert look_up(client, code, secret).status_code == 200


@pytest.mark.parametrize("body", [{"code": "000.60.01.H19-260302-0001"}, {"secret": "2222-2222-22"},
                                  {"code": "x" * 61, "secret": "2222-2222-22"},
                                  {"code": "000.60.01.H19-260302-0001", "secret": ""}])
def test_incomplete_lookups_are_refused_before_anything_is_counted(client: TestClient, backends: Backends,
                                                                   body: dict[str, str]) -> None:
    response = client.post(LOOKUP, json=body)
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    with backends.uow() as uow:
        assert uow.attempt_limits.get_many(["lookup:client:testclient"]) == []


def test_a_resolved_dossiers_result_downloads_through_a_signed_link(client: TestClient, auth: Auth,
                                                                    backends: Backends, clock: FixedClock) -> None:
    """GIVEN a birth registration with the birth certificate attached as its result WHEN it is resolved THEN
    the lookup offers a 10-minute link to the certificate only, which downloads without signing in."""
    created, application_id, certificate_id = resolved_with_result(client, auth)
    code, secret = created["code"], created["receipt_secret"]
    assert look_up(client, code, secret).json()["results"] == []  # not resolved yet: nothing to download

    move(client, auth("xuly.tranbien"), code, "resolved")
    found = look_up(client, code, secret).json()
    assert found["state"] == "resolved" and found["resolved_at"]
    [result] = found["results"]
    assert (result["title"], result["media_type"], result["size_bytes"]) == (
        "Giấy khai sinh", "application/pdf", len(BIRTH_CERTIFICATE))
    assert result["dossier_code"] == code
    assert result["download_url"].startswith(f"/api/v1/public/documents/{certificate_id}/download?expires=")
    expires_at = clock.now() + timedelta(minutes=10)
    assert datetime.fromisoformat(result["expires_at"]) == expires_at
    assert parse_qs(urlsplit(result["download_url"]).query)["expires"] == [str(int(expires_at.timestamp()))]

    download = client.get(result["download_url"])
    assert download.status_code == 200, download.text
    assert download.content == BIRTH_CERTIFICATE
    assert "giay-khai-sinh.pdf" in download.headers["content-disposition"]
    assert download.headers["cache-control"] == "no-store"
    [logged] = access_entries(backends, document_id=certificate_id, actions=frozenset({AccessKind.DOWNLOAD}))
    assert (logged.principal_kind, logged.username, logged.reason) == ("citizen", "citizen", "signed_link")
    assert (logged.dossier_code, logged.client) == (code, "testclient")
    assert access_entries(backends, document_id=application_id) == []

    move(client, auth("tiepnhan.tranbien"), code, "result_returned")
    assert [r["title"] for r in look_up(client, code, secret).json()["results"]] == ["Giấy khai sinh"]


def _with_query(url: str, **changes: str) -> str:
    path, _, query = url.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()} | changes
    return f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items())}"


def test_a_tampered_or_made_up_link_is_refused_and_reveals_nothing(client: TestClient, auth: Auth,
                                                                   backends: Backends) -> None:
    created, application_id, certificate_id = resolved_with_result(client, auth)
    move(client, auth("xuly.tranbien"), created["code"], "resolved")
    url = look_up(client, created["code"], created["receipt_secret"]).json()["results"][0]["download_url"]
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    tampered = [
        _with_query(url, signature=flipped),
        _with_query(url, expires=str(expires + 3600)),  # a longer life is not for the taking
        _with_query(url, signature="không-phải-hex"),
        url.replace(certificate_id, application_id),  # the same signature on another document
        url.replace(certificate_id, "0" * 32),
    ]
    for address in tampered:
        refused = client.get(address)
        assert refused.status_code == 403, address
        assert refused.json()["code"] == "link_invalid" and refused.json()["detail"] == {}
        assert created["code"] not in refused.text and "Giấy khai sinh" not in refused.text
    missing = client.get(f"/api/v1/public/documents/{certificate_id}/download")
    assert missing.status_code == 422
    assert access_entries(backends, actions=frozenset({AccessKind.DOWNLOAD}), dossier_code=created["code"]) == []


def test_a_link_runs_out_after_ten_minutes(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    created, _, _ = resolved_with_result(client, auth)
    move(client, auth("xuly.tranbien"), created["code"], "resolved")
    url = look_up(client, created["code"], created["receipt_secret"]).json()["results"][0]["download_url"]
    clock.advance(timedelta(minutes=9, seconds=59))
    assert client.get(url).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = client.get(url)
    assert expired.status_code == 403 and expired.json()["code"] == "link_expired"
    english = client.get(url, headers={"Accept-Language": "en"}).json()
    assert "expired" in english["message"]
    fresh = look_up(client, created["code"], created["receipt_secret"]).json()["results"][0]["download_url"]
    assert client.get(fresh).status_code == 200


def test_a_validly_signed_link_opens_only_results_of_resolved_dossiers(client: TestClient, auth: Auth,
                                                                       backends: Backends, clock: FixedClock) -> None:
    """Even a genuine signature (say, one the server made before a document was withdrawn from the results)
    opens neither a paper that is not a result nor a result before its dossier is resolved."""
    created, application_id, certificate_id = resolved_with_result(client, auth)

    def signed(document_id: str) -> str:
        link = sign_result_link(backends.signer, document_id, clock.now())
        return f"/api/v1/public/documents/{document_id}/download?expires={link.expires}&signature={link.signature}"

    early = client.get(signed(certificate_id))
    assert early.status_code == 403 and early.json()["code"] == "link_invalid"
    move(client, auth("xuly.tranbien"), created["code"], "resolved")
    not_a_result = client.get(signed(application_id))
    assert not_a_result.status_code == 403 and not_a_result.json()["code"] == "link_invalid"
    assert client.get(signed(certificate_id)).status_code == 200


def test_a_3_in_1_lookup_follows_each_linked_dossier(client: TestClient, auth: Auth, backends: Backends) -> None:
    """GIVEN a birth registration received together with permanent residence and a health-insurance card
    WHEN the parent looks the group dossier up THEN the three linked dossiers' progress is shown."""
    created = intake(client, auth("tiepnhan.tranbien"), procedure=GROUP_PROCEDURE)
    response = look_up(client, created["code"], created["receipt_secret"])
    assert response.status_code == 200, response.text
    found = response.json()
    linked = found["linked"]
    assert len(linked) == 3
    assert sorted(d["code"] for d in linked) == sorted(d["code"] for d in created["group"]["dossiers"])
    with backends.uow() as uow:
        names = [uow.procedures.get(code).name for code in LINKED_PROCEDURES]  # type: ignore[union-attr]
    assert sorted(d["procedure_name"] for d in linked) == sorted(names)
    for progress in linked:
        assert set(progress) == {"code", "procedure_name", "agency_name", "state", "due_at", "resolved_at", "late"}
        assert progress["state"] == "received" and progress["agency_name"] and progress["due_at"]
    assert "Nguyễn Thị Lan" not in response.text

    logged = access_entries(backends, actions=frozenset({AccessKind.PUBLIC_LOOKUP}))
    assert sorted(e.dossier_code or "" for e in logged) == sorted([created["code"], *(d["code"] for d in linked)])
    # the receipt belongs to the group: its secret opens no linked dossier on its own
    assert look_up(client, linked[0]["code"], created["receipt_secret"]).status_code == 404


def test_the_public_endpoints_need_no_token_and_ignore_one(client: TestClient, auth: Auth) -> None:
    created = intake(client, auth("tiepnhan.tranbien"))
    with_token = client.post(LOOKUP, json={"code": created["code"], "secret": created["receipt_secret"]},
                             headers=auth("motcua.tanphu"))
    assert with_token.status_code == 200
    assert re.fullmatch(r"[0-9A-Z.\-]+", with_token.json()["code"])
