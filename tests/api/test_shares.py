"""Explicit shares and integration accounts: a specialised system pulls the papers shared with its agency and
attaches its result, with no one re-typing anything; expired, revoked or foreign access reads nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.access_log import AccessLogFilter
from records.clock import FixedClock
from tests.api.helpers import intake, move
from tests.api.test_documents import APPLICATION, upload
from tests.support.factories import LAND_OFFICE
from tests.support.papers import born_digital_pdf

Auth = Callable[[str], dict[str, str]]
LAND_REGISTRY = "HT.DATDAI.H19"
TAX = "HT.THUE.H19"


def in_days(clock: FixedClock, days: float) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


def service_token(client: TestClient, admin: dict[str, str], agency: str, *scopes: str) -> tuple[str, dict[str, Any]]:
    response = client.post("/api/v1/integrations", headers=admin, json={
        "name": f"Hệ thống {agency}", "agency_code": agency, "scopes": list(scopes)})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created["token"], created


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def land_dossier_at_the_land_office(client: TestClient, auth: Auth) -> tuple[str, dict[str, Any]]:
    desk, commune = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    code = intake(client, desk)["code"]
    paper = upload(client, desk, code, born_digital_pdf(APPLICATION), "don-dang-ky.pdf",
                   document_type="application_form").json()
    move(client, desk, code, "processing")
    move(client, commune, code, "transferred", target_agency_code=LAND_OFFICE)
    move(client, auth("xuly.vpdkdd"), code, "processing")
    return code, paper


def test_the_land_registry_pulls_shared_papers_and_attaches_its_result(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> None:
    """GIVEN a land dossier held by the land office, and the land registry system's service token
    WHEN the land office shares the dossier with the registry for 30 days, allowing it to attach
    THEN the registry's token lists the share, downloads the application, attaches its cadastral extract;
    the land office sees the result with the registry named as its source; the access log shows the share."""
    admin, land = auth("quantri.tinh"), auth("xuly.vpdkdd")
    code, paper = land_dossier_at_the_land_office(client, auth)
    token, account = service_token(client, admin, LAND_REGISTRY, "read", "attach")
    registry = bearer(token)
    assert client.get(f"/api/v1/dossiers/{code}", headers=registry).status_code == 404  # not shared yet

    share = client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "Cập nhật cơ sở dữ liệu đất đai",
        "expires_at": in_days(clock, 30), "allow_attach": True})
    assert share.status_code == 201, share.text
    shared = share.json()
    assert (shared["status"], shared["whole_dossier"], shared["grantor_agency_code"]) == ("active", True, LAND_OFFICE)

    received = client.get("/api/v1/shares/received", headers=registry).json()
    assert [s["dossier_code"] for s in received["data"]] == [code]
    seen = client.get(f"/api/v1/dossiers/{code}", headers=registry).json()
    assert seen["access_reason"] == "share" and seen["next_states"] == []
    assert [d["id"] for d in client.get(f"/api/v1/dossiers/{code}/documents", headers=registry).json()["data"]] == [
        paper["id"]]
    original = client.get(f"/api/v1/documents/{paper['id']}/original", headers=registry)
    assert original.status_code == 200 and original.content.startswith(b"%PDF")
    found = client.get("/api/v1/search", params={"q": "thua dat so 342"}, headers=registry).json()
    assert [hit["dossier_code"] for hit in found["data"]] == [code]

    extract = born_digital_pdf([["TRÍCH LỤC BẢN ĐỒ ĐỊA CHÍNH", "Thửa đất số 342, tờ bản đồ số 60"]])
    attached = upload(client, registry, code, extract, "trich-luc.pdf", document_type="other",
                      title="Trích lục bản đồ địa chính", is_result="true")
    assert attached.status_code == 202, attached.text
    result = attached.json()
    assert (result["uploaded_by"], result["uploaded_agency_code"], result["is_result"]) == (
        account["username"], LAND_REGISTRY, True)
    titles = [d["title"] for d in client.get(f"/api/v1/dossiers/{code}/documents", headers=land).json()["data"]]
    assert "Trích lục bản đồ địa chính" in titles
    # The token never moves the dossier: it has no officer's roles.
    assert client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "resolved"},
                       headers=registry).status_code == 403

    with backends.uow() as uow:
        log, _ = uow.access_log.find(AccessLogFilter(document_id=paper["id"], username=account["username"]))
    assert {(e.action.value, e.reason, e.share_id, e.principal_kind) for e in log} >= {
        ("download", "share", shared["id"], "integration")}


def test_a_read_only_share_and_a_read_only_token_attach_nothing(client: TestClient, auth: Auth,
                                                                clock: FixedClock) -> None:
    admin, land = auth("quantri.tinh"), auth("xuly.vpdkdd")
    code, _paper = land_dossier_at_the_land_office(client, auth)
    attacher, _ = service_token(client, admin, LAND_REGISTRY, "read", "attach")
    reader, _ = service_token(client, admin, LAND_REGISTRY, "read")
    client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "Đối chiếu", "expires_at": in_days(clock, 7)})
    refused = upload(client, bearer(attacher), code, born_digital_pdf([["x"]]), "x.pdf")
    assert refused.status_code == 403 and refused.json()["code"] == "share_read_only"
    client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "Cập nhật", "expires_at": in_days(clock, 7),
        "allow_attach": True})
    refused = upload(client, bearer(reader), code, born_digital_pdf([["y"]]), "y.pdf")
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    assert len(client.get(f"/api/v1/dossiers/{code}/documents", headers=land).json()["data"]) == 1


def test_a_document_share_lends_that_document_only(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    """GIVEN a dossier with an application and a land certificate WHEN only the certificate is shared with the
    tax system THEN the tax officers read the certificate, and neither the dossier nor the application."""
    desk = auth("tiepnhan.tranbien")
    code = intake(client, desk)["code"]
    application = upload(client, desk, code, born_digital_pdf(APPLICATION), "don.pdf").json()
    certificate = upload(client, desk, code, born_digital_pdf([["GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT"]]),
                         "gcn.pdf", document_type="land_certificate").json()
    token, _ = service_token(client, auth("quantri.tinh"), TAX, "read")
    tax = bearer(token)
    share = client.post(f"/api/v1/dossiers/{code}/shares", headers=desk, json={
        "grantee_agency_code": TAX, "purpose": "Xác định nghĩa vụ tài chính", "expires_at": in_days(clock, 10),
        "document_ids": [certificate["id"]]}).json()
    assert share["whole_dossier"] is False and share["document_ids"] == [certificate["id"]]

    assert client.get(f"/api/v1/documents/{certificate['id']}/original", headers=tax).status_code == 200
    assert client.get(f"/api/v1/documents/{application['id']}/original", headers=tax).status_code == 404
    assert client.get(f"/api/v1/dossiers/{code}", headers=tax).status_code == 404
    assert client.get("/api/v1/search", params={"q": "chung nhan"}, headers=tax).json()["count"] == 0


def test_expired_and_revoked_shares_read_nothing(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    desk, land = auth("tiepnhan.tranbien"), auth("xuly.vpdkdd")
    code, paper = land_dossier_at_the_land_office(client, auth)
    token, _ = service_token(client, auth("quantri.tinh"), LAND_REGISTRY, "read")
    registry = bearer(token)
    share = client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "Đối chiếu", "expires_at": in_days(clock, 1)}).json()
    assert client.get(f"/api/v1/documents/{paper['id']}", headers=registry).status_code == 200

    clock.advance(timedelta(days=1, seconds=1))
    assert client.get(f"/api/v1/documents/{paper['id']}", headers=registry).status_code == 404
    assert client.get("/api/v1/search", params={"q": "thua dat"}, headers=registry).json()["count"] == 0
    assert client.get("/api/v1/shares/received", headers=registry).json()["count"] == 0
    expired = client.get(f"/api/v1/shares/{share['id']}", headers=land).json()
    assert expired["status"] == "expired"

    again = client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "Đối chiếu lại", "expires_at": in_days(clock, 5)}).json()
    assert client.get(f"/api/v1/dossiers/{code}", headers=registry).status_code == 200
    # Only the granting agency revokes: not the grantee, not the commune that merely took part.
    assert client.post(f"/api/v1/shares/{again['id']}/revoke", json={}, headers=desk).status_code == 403
    revoked = client.post(f"/api/v1/shares/{again['id']}/revoke", json={"reason": "Đã xong"}, headers=land)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert client.post(f"/api/v1/shares/{again['id']}/revoke", json={}, headers=land).json()["revoke_reason"] == (
        "Đã xong")  # repeating it changes nothing
    assert client.get(f"/api/v1/dossiers/{code}", headers=registry).status_code == 404
    assert client.get(f"/api/v1/dossiers/{code}/documents", headers=registry).status_code == 404


def test_bad_shares_are_refused_and_write_nothing(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    desk, land, stranger = auth("tiepnhan.tranbien"), auth("xuly.vpdkdd"), auth("motcua.tanphu")
    code, paper = land_dossier_at_the_land_office(client, auth)
    other = intake(client, desk)["code"]
    foreign = upload(client, desk, other, born_digital_pdf([["khác"]]), "khac.pdf").json()

    def share(headers: dict[str, str], **body: Any) -> Any:
        payload = {"grantee_agency_code": LAND_REGISTRY, "purpose": "Đối chiếu", "expires_at": in_days(clock, 5),
                   **body}
        return client.post(f"/api/v1/dossiers/{code}/shares", headers=headers, json=payload)

    cases = [
        (share(land, grantee_agency_code="999.99.99.H19"), 422, "unknown_grantee_agency"),
        (share(land, grantee_agency_code=LAND_OFFICE), 422, "grantee_already_participant"),
        (share(land, expires_at=in_days(clock, -1)), 422, "expiry_in_past"),
        (share(land, expires_at=in_days(clock, 400)), 422, "expiry_too_far"),
        (share(land, purpose="   "), 422, "purpose_required"),
        (share(land, document_ids=[paper["id"]], allow_attach=True), 422, "attach_needs_whole_dossier"),
        (share(land, document_ids=[foreign["id"]]), 404, "document_not_found"),
        (share(land, expires_at="2026-04-01T00:00:00"), 422, "invalid_request"),
        (share(stranger), 404, "dossier_not_found"),
        (share(auth("xuly.congan")), 404, "dossier_not_found"),
        (share(auth("luutru.tinh")), 404, "dossier_not_found"),
    ]
    for response, status, error in cases:
        assert (response.status_code, response.json()["code"]) == (status, error), response.text
    assert client.get(f"/api/v1/dossiers/{code}/shares", headers=land).json()["count"] == 0
    assert client.get(f"/api/v1/dossiers/{code}/shares", headers=stranger).status_code == 404


def test_service_tokens_are_made_by_admins_and_stop_when_revoked_or_rotated(
        client: TestClient, auth: Auth, clock: FixedClock) -> None:
    admin, land = auth("quantri.tinh"), auth("xuly.vpdkdd")
    code, _paper = land_dossier_at_the_land_office(client, auth)
    client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "Đối chiếu", "expires_at": in_days(clock, 5)})
    refused = client.post("/api/v1/integrations", headers=land, json={
        "name": "x", "agency_code": LAND_REGISTRY, "scopes": ["read"]})
    assert refused.status_code == 403
    bad = client.post("/api/v1/integrations", headers=admin, json={
        "name": "x", "agency_code": LAND_REGISTRY, "scopes": ["delete"]})
    assert bad.status_code == 422
    token, account = service_token(client, admin, LAND_REGISTRY, "read")
    listed = client.get("/api/v1/integrations", headers=admin).json()
    assert account["id"] in [a["id"] for a in listed["data"]] and "token" not in listed["data"][0]
    assert client.get(f"/api/v1/dossiers/{code}", headers=bearer(token)).status_code == 200

    rotated = client.post(f"/api/v1/integrations/{account['id']}/rotate", headers=admin).json()
    assert rotated["token"] != token
    stale = client.get(f"/api/v1/dossiers/{code}", headers=bearer(token))
    assert stale.status_code == 401 and stale.json()["code"] == "invalid_token"
    assert client.get(f"/api/v1/dossiers/{code}", headers=bearer(rotated["token"])).status_code == 200

    client.post(f"/api/v1/integrations/{account['id']}/revoke", headers=admin)
    gone = client.get(f"/api/v1/dossiers/{code}", headers=bearer(rotated["token"]))
    assert gone.status_code == 401 and gone.json()["code"] == "token_revoked"
    forged = bearer(rotated["token"][:-4] + "AAAA")
    assert client.get("/api/v1/shares/received", headers=forged).status_code == 401


def test_a_token_of_another_agency_reads_nothing(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    """GIVEN a share with the land registry WHEN the tax system's token asks for the dossier, its papers or a
    search THEN it learns nothing: 404s and empty results, as for a code that does not exist."""
    land = auth("xuly.vpdkdd")
    code, paper = land_dossier_at_the_land_office(client, auth)
    client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "Đối chiếu", "expires_at": in_days(clock, 5)})
    token, _ = service_token(client, auth("quantri.tinh"), TAX, "read", "attach")
    tax = bearer(token)
    for path in (f"/api/v1/dossiers/{code}", f"/api/v1/dossiers/{code}/documents",
                 f"/api/v1/documents/{paper['id']}", f"/api/v1/documents/{paper['id']}/text"):
        response = client.get(path, headers=tax)
        assert response.status_code == 404, path
    assert upload(client, tax, code, born_digital_pdf([["z"]]), "z.pdf").status_code == 404
    assert client.get("/api/v1/search", params={"q": "Nguyễn Thị Lan"}, headers=tax).json()["count"] == 0
    assert client.get("/api/v1/shares/received", headers=tax).json() == {"data": [], "count": 0}


def test_expiry_must_carry_a_timezone(client: TestClient, auth: Auth) -> None:
    land = auth("xuly.vpdkdd")
    code, _ = land_dossier_at_the_land_office(client, auth)
    naive = datetime(2026, 3, 10, 9, 0).isoformat()
    response = client.post(f"/api/v1/dossiers/{code}/shares", headers=land, json={
        "grantee_agency_code": LAND_REGISTRY, "purpose": "x", "expires_at": naive})
    assert response.status_code == 422
