"""Papers of a dossier: upload, processing to searchable text, the read side, and bad input."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pikepdf
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from infra.wiring import Backends
from records.blobs import original_key
from tests.api.helpers import intake, move
from tests.support.papers import born_digital_pdf, corpus_scan

Auth = Callable[[str], dict[str, str]]

APPLICATION = [
    ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
     "ĐƠN ĐĂNG KÝ CẤP GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "Người sử dụng đất: Nguyễn Thị Lan"],
    ["Thông tin thửa đất:", "Thửa đất số 342, tờ bản đồ số 60", "Địa chỉ: khu phố 5, phường Trấn Biên"],
]


def upload(client: TestClient, headers: dict[str, str], code: str, content: bytes, filename: str,
           **form: str) -> Any:
    return client.post(f"/api/v1/dossiers/{code}/documents", headers=headers,
                       files={"file": (filename, content, "application/octet-stream")}, data=form)


def test_a_born_digital_application_becomes_searchable_by_page(client: TestClient, auth: Auth,
                                                               backends: Backends) -> None:
    """GIVEN an application form PDF with a text layer WHEN it is uploaded to a land dossier
    THEN it is indexed, its text is read page by page, and a diacritic-less search finds page 2."""
    desk = auth("tiepnhan.tranbien")
    code = intake(client, desk)["code"]
    content = born_digital_pdf(APPLICATION)
    response = upload(client, desk, code, content, "don-dang-ky.pdf", document_type="application_form",
                      title="Đơn đăng ký cấp GCN")
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["status"] == "queued" and response.headers["Location"] == created["links"]["self"]
    document = client.get(created["links"]["self"], headers=desk).json()
    assert (document["status"], document["page_count"], document["links"]["searchable_pdf"]) == ("indexed", 2, None)
    assert "text" not in document  # metadata never carries the text
    text = client.get(document["links"]["text"], headers=desk).json()
    assert [p["source"] for p in text["pages"]] == ["text_layer", "text_layer"]
    assert "Thửa đất số 342, tờ bản đồ số 60" in text["pages"][1]["text"]
    original = client.get(document["links"]["original"], headers=desk)
    assert original.status_code == 200 and original.content == content
    assert "filename*=UTF-8''don-dang-ky.pdf" in original.headers["content-disposition"]
    thumb = client.get(f"{document['links']['self']}/pages/1/thumbnail.png", headers=desk)
    assert thumb.status_code == 200 and thumb.content.startswith(b"\x89PNG")

    found = client.get("/api/v1/search", params={"q": "thua dat so 342"}, headers=desk).json()
    assert [hit["dossier_code"] for hit in found["data"]][:1] == [code]
    pages = {(h["document_id"], h["page_number"]) for h in found["data"][0]["highlights"]}
    assert (document["id"], 2) in pages
    assert found["facets"]["document_type"] == {"application_form": 1}


def test_the_same_paper_twice_is_reported_not_stored_again(client: TestClient, auth: Auth,
                                                           backends: Backends) -> None:
    desk = auth("tiepnhan.tranbien")
    code = intake(client, desk)["code"]
    content = born_digital_pdf(APPLICATION)
    first = upload(client, desk, code, content, "don.pdf").json()
    again = upload(client, desk, code, content, "ban-sao-don.pdf")
    assert again.status_code == 409 and again.json()["code"] == "duplicate_document"
    assert again.json()["detail"]["document_id"] == first["id"]
    assert client.get(f"/api/v1/dossiers/{code}/documents", headers=desk).json()["count"] == 1
    assert backends.blobs.exists(original_key(first["sha256"]))


@pytest.mark.parametrize(("content", "filename", "status", "code"), [
    (b"", "trong.pdf", 422, "empty_file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\0" * 64, "don.pdf", 422, "type_mismatch"),
    (b"PK\x03\x04" + b"\0" * 64, "ho-so.zip", 415, "unsupported_type"),
])
def test_unacceptable_files_are_refused_and_leave_nothing(client: TestClient, auth: Auth, backends: Backends,
                                                          content: bytes, filename: str, status: int,
                                                          code: str) -> None:
    desk = auth("tiepnhan.tranbien")
    dossier = intake(client, desk)["code"]
    response = upload(client, desk, dossier, content, filename)
    assert response.status_code == status and response.json()["code"] == code
    assert client.get(f"/api/v1/dossiers/{dossier}/documents", headers=desk).json()["count"] == 0
    staging = backends.settings.data_dir / "staging"
    assert not staging.exists() or not any(staging.iterdir())


def _encrypted_pdf() -> bytes:
    source = pikepdf.open(io.BytesIO(born_digital_pdf(APPLICATION)))
    out = io.BytesIO()
    source.save(out, encryption=pikepdf.Encryption(user="mat-khau", owner="chu-so-huu"))
    return out.getvalue()


@pytest.mark.parametrize(("content", "code"), [
    (_encrypted_pdf(), "encrypted_pdf"),
    (born_digital_pdf(APPLICATION)[:-400], "malformed_pdf"),
])
def test_a_broken_pdf_fails_with_a_reason_and_the_dossier_carries_on(client: TestClient, auth: Auth,
                                                                     content: bytes, code: str) -> None:
    desk = auth("tiepnhan.tranbien")
    dossier = intake(client, desk)["code"]
    broken = upload(client, desk, dossier, content, "hong.pdf").json()
    good = upload(client, desk, dossier, born_digital_pdf([["Giấy xác nhận tình trạng hôn nhân"]]), "gxn.pdf").json()
    failed = client.get(broken["links"]["self"], headers=desk).json()
    assert (failed["status"], failed["failure_code"]) == ("failed", code) and failed["failure_reason"]
    assert failed["links"]["retry"] == f"{broken['links']['self']}/retry"
    assert client.get(good["links"]["self"], headers=desk).json()["status"] == "indexed"
    retried = client.post(failed["links"]["retry"], headers=desk)
    assert retried.status_code == 202
    assert client.get(broken["links"]["self"], headers=desk).json()["status"] == "failed"  # still broken


def test_a_scan_is_recognised_and_gets_a_searchable_pdfa(client: TestClient, auth: Auth) -> None:
    """GIVEN a scanned Vietnamese paper WHEN it is uploaded THEN Tesseract reads it, a PDF/A with a text layer
    is made, and typing the person's name without diacritics finds the dossier on page 1."""
    desk = auth("tiepnhan.tranbien")
    code = intake(client, desk)["code"]
    scan, truth = corpus_scan("dev-0001")
    created = upload(client, desk, code, scan, "giay-xac-nhan.pdf", document_type="other").json()
    document = client.get(created["links"]["self"], headers=desk).json()
    assert document["status"] == "indexed", document
    text = client.get(document["links"]["text"], headers=desk).json()["pages"]
    assert text[0]["source"] == "ocr" and "040061101414" in text[0]["text"]  # the ID number, exact
    pdf = client.get(document["links"]["searchable_pdf"], headers=desk)
    assert pdf.status_code == 200
    with pikepdf.open(io.BytesIO(pdf.content)) as archived:
        meta = archived.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "B")
    layer = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "040061101414" in layer  # the invisible text layer carries what Tesseract read
    assert "TRỊNH TRỌNG SƠN" in truth
    found = client.get("/api/v1/search", params={"q": "trinh trong son"}, headers=desk).json()
    assert found["data"] and found["data"][0]["dossier_code"] == code
    assert found["data"][0]["highlights"][0]["page_number"] == 1


def test_an_unrelated_agency_finds_nothing(client: TestClient, auth: Auth) -> None:
    desk, stranger = auth("tiepnhan.tranbien"), auth("motcua.tanphu")
    code = intake(client, desk)["code"]
    document = upload(client, desk, code, born_digital_pdf(APPLICATION), "don.pdf").json()
    for path in (document["links"]["self"], document["links"]["text"], document["links"]["original"],
                 f"/api/v1/dossiers/{code}/documents"):
        assert client.get(path, headers=stranger).status_code == 404, path
    found = client.get("/api/v1/search", params={"q": "Nguyễn Thị Lan"}, headers=stranger).json()
    assert found["count"] == 0 and found["data"] == []
    assert all(not counts for counts in found["facets"].values())
    assert upload(client, stranger, code, born_digital_pdf([["x"]]), "x.pdf").status_code == 404


def test_a_transfer_lets_the_land_office_find_and_read_the_papers(client: TestClient, auth: Auth) -> None:
    desk, commune, land = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
    code = intake(client, desk)["code"]
    document = upload(client, desk, code, born_digital_pdf(APPLICATION), "don.pdf").json()
    assert client.get("/api/v1/search", params={"q": "to ban do so 60"}, headers=land).json()["count"] == 0
    move(client, desk, code, "processing")
    move(client, commune, code, "transferred", target_agency_code="000.00.02.H19")
    found = client.get("/api/v1/search", params={"q": "to ban do so 60"}, headers=land).json()
    assert [h["dossier_code"] for h in found["data"]] == [code]
    assert client.get(document["links"]["text"], headers=land).status_code == 200
