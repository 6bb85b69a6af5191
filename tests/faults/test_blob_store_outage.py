"""The S3 server becomes unreachable: an upload answers a clear 503 and writes nothing; what needs no blob goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from infra.demo import load_demo
from infra.demo_lien_thong import text_pdf
from infra.settings import Settings
from infra.wiring import build_backends
from records.services.catalogue import load_principal
from storage.models import BlobRecordRow, DocumentRow
from tests.support.databases import fresh_database
from tests.support.factories import LAND_FIRST_CERTIFICATE, cccd
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, running_moto_server

SECRET = "s3-outage-test-secret-key-0123456789abcdef"
pytestmark = pytest.mark.slow


def _paper(title: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("giay-to.pdf", text_pdf([[title]]), "application/pdf")}


def test_an_upload_while_s3_is_unreachable_answers_503_and_leaves_no_row_no_file(tmp_path: Path) -> None:
    """GIVEN a deployment on S3 where one paper is already stored WHEN the S3 server stops and an officer uploads a
    second paper THEN the answer is 503 `backend_unavailable` (in Vietnamese, or English when asked), and no
    document row, registry row or staged file is left; receiving a new dossier still works."""
    with fresh_database("sqlite", tmp_path) as url:
        with running_moto_server() as endpoint:
            settings = Settings(database_url=url, data_dir=tmp_path / "data", secret_key=SECRET, tasks="inline",
                                s3_endpoint=endpoint, s3_access_key=S3_ACCESS_KEY, s3_secret_key=S3_SECRET_KEY,
                                s3_bucket="hoso-outage")
            backends = build_backends(settings)
            load_demo(backends, password="outage-test-password", with_dossiers=False)
            token = backends.tokens.issue(load_principal(uow=backends.uow(), username="tiepnhan.tranbien")).token
            headers = {"Authorization": f"Bearer {token}"}
            client = TestClient(create_app(backends=backends))
            intake = client.post("/api/v1/dossiers", headers=headers, json={
                "procedure_code": LAND_FIRST_CERTIFICATE,
                "applicant": {"name": "Trần Văn Bình", "id_number": cccd(), "phone": "0912000222"}})
            assert intake.status_code == 201, intake.text
            code = intake.json()["code"]
            first = client.post(f"/api/v1/dossiers/{code}/documents", headers=headers,
                                files=_paper("ĐƠN ĐỀ NGHỊ CẤP GIẤY CHỨNG NHẬN"))
            assert first.status_code == 202, first.text
        # the server is gone now
        try:
            with backends.session_factory() as session:
                documents_before = session.scalar(select(func.count()).select_from(DocumentRow))
                blobs_before = session.scalar(select(func.count()).select_from(BlobRecordRow))

            refused = client.post(f"/api/v1/dossiers/{code}/documents", headers=headers,
                                  files=_paper("BẢN SAO CĂN CƯỚC CÔNG DÂN"))

            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "backend_unavailable"
            assert "thử lại sau" in refused.json()["message"]
            in_english = client.post(f"/api/v1/dossiers/{code}/documents", files=_paper("BẢN SAO CĂN CƯỚC"),
                                     headers={**headers, "Accept-Language": "en"})
            assert in_english.status_code == 503 and "try again later" in in_english.json()["message"]
            with backends.session_factory() as session:
                assert session.scalar(select(func.count()).select_from(DocumentRow)) == documents_before
                assert session.scalar(select(func.count()).select_from(BlobRecordRow)) == blobs_before
            staging = settings.data_dir / "staging"
            assert not staging.exists() or not any(staging.iterdir()), "the staged upload was removed"
            listed = client.get(f"/api/v1/dossiers/{code}/documents", headers=headers)
            assert [d["id"] for d in listed.json()["data"]] == [first.json()["id"]]

            other = client.post("/api/v1/dossiers", headers=headers, json={
                "procedure_code": LAND_FIRST_CERTIFICATE,
                "applicant": {"name": "Lê Thị Hoa", "id_number": cccd(), "phone": "0912000333"}})
            assert other.status_code == 201, other.text
        finally:
            client.close()
            backends.close()
