"""The intake receipt, issued again at the desk: a new secret that voids the old one, as JSON or as the paper
the applicant takes home."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from infra.wiring import Backends
from records.receipts import ALPHABET
from tests.api.helpers import intake, move
from tests.api.test_public_lookup import GROUP_PROCEDURE, look_up
from tests.support.factories import LAND_OFFICE

Auth = Callable[[str], dict[str, str]]
SECRET = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{2}}")


def receipt(client: TestClient, headers: dict[str, str], code: str, *, format: str | None = None,
            **extra: str) -> Any:
    params = {"format": format} if format else {}
    return client.post(f"/api/v1/dossiers/{code}/receipt", params=params, headers={**headers, **extra})


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def test_a_new_receipt_voids_the_old_secret(client: TestClient, auth: Auth) -> None:
    """GIVEN an applicant who lost the receipt WHEN the desk issues a new one THEN the new secret opens the
    dossier and the old one no longer does."""
    desk = auth("tiepnhan.tranbien")
    created = intake(client, desk)
    response = receipt(client, desk, created["code"], format="json")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["dossier_code"] == created["code"] and SECRET.fullmatch(body["receipt_secret"])
    assert body["receipt_secret"] != created["receipt_secret"]
    assert look_up(client, created["code"], created["receipt_secret"]).status_code == 404
    assert look_up(client, created["code"], body["receipt_secret"]).status_code == 200


def test_the_receipt_pdf_shows_the_code_the_new_secret_and_where_to_look(client: TestClient, auth: Auth,
                                                                         backends: Backends) -> None:
    desk = auth("tiepnhan.tranbien")
    created = intake(client, desk)
    response = receipt(client, desk, created["code"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text = pdf_text(response.content)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert created["code"] in text and created["applicant"]["name"] in text
    assert "/tra-cuu" in text
    with backends.uow() as uow:
        procedure = uow.procedures.get(created["procedure_code"])
    assert procedure is not None
    assert procedure.required_papers[0].name[:30] in text.replace("\n", " ")
    printed = SECRET.findall(text)
    assert len(printed) == 1 and printed[0] != created["receipt_secret"]
    assert look_up(client, created["code"], printed[0]).status_code == 200  # the paper's secret works
    english = pdf_text(receipt(client, desk, created["code"], **{"Accept-Language": "en"}).content)
    assert "DOSSIER RECEIPT" in english and created["code"] in english


def test_a_group_receipt_lists_its_linked_dossiers(client: TestClient, auth: Auth) -> None:
    desk = auth("tiepnhan.tranbien")
    created = intake(client, desk, procedure=GROUP_PROCEDURE)
    text = pdf_text(receipt(client, desk, created["code"]).content)
    for linked in created["group"]["dossiers"]:
        assert linked["code"] in text
    child = created["group"]["dossiers"][0]["code"]
    refused = receipt(client, auth("quantri.tinh"), child, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "receipt_is_for_group"
    assert refused.json()["detail"] == {"group_code": created["code"]}


@pytest.mark.parametrize(("username", "status", "code"), [
    ("lanhdao.tranbien", 200, None),  # a leader of the receiving agency
    ("quantri.tinh", 200, None),  # an administrator
    ("xuly.tranbien", 403, "not_the_receiving_desk"),  # reads it, but is not the desk
    ("motcua.tanphu", 404, "dossier_not_found"),  # may not even know it exists
])
def test_only_the_receiving_desk_issues_receipts(client: TestClient, auth: Auth, username: str, status: int,
                                                 code: str | None) -> None:
    created = intake(client, auth("tiepnhan.tranbien"))
    response = receipt(client, auth(username), created["code"], format="json")
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["code"] == code
        assert look_up(client, created["code"], created["receipt_secret"]).status_code == 200  # unchanged


def test_an_agency_on_the_route_reads_the_dossier_but_issues_no_receipt(client: TestClient, auth: Auth) -> None:
    desk, commune, land = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
    code = intake(client, desk)["code"]
    move(client, desk, code, "processing")
    move(client, commune, code, "transferred", target_agency_code=LAND_OFFICE)
    refused = receipt(client, land, code, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_the_receiving_desk"


def test_a_receipt_needs_a_signed_in_officer(client: TestClient, auth: Auth) -> None:
    created = intake(client, auth("tiepnhan.tranbien"))
    assert client.post(f"/api/v1/dossiers/{created['code']}/receipt").status_code == 401
    bad_format = receipt(client, auth("tiepnhan.tranbien"), created["code"], format="docx")
    assert bad_format.status_code == 422
