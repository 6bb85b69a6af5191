"""The demo data shows liên thông working: `make run` loads a land dossier shared with the land registry
system (whose service token is left in the data dir) and a "3 in 1" group with its linked dossiers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.demo import load_demo
from infra.demo_lien_thong import TOKEN_FILE
from infra.jobs import InlineTaskQueue
from infra.settings import Settings
from infra.wiring import build_backends
from records.services.catalogue import load_principal
from tests.conftest import TEST_SECRET
from tests.support.databases import fresh_database


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    directory = tmp_path_factory.mktemp("demo")
    with fresh_database("sqlite", directory) as url:
        backends = build_backends(Settings(database_url=url, data_dir=directory, secret_key=TEST_SECRET))
        backends.tasks = InlineTaskQueue(backends)  # the papers are read at once, as the worker would
        summary = load_demo(backends, password="demo-password-for-tests")
        # six stories, the 3-in-1 group and its three linked dossiers, two birth registrations closed six years ago
        assert summary.dossiers_created == 12
        desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
        with TestClient(create_app(backends=backends)) as client:
            yield client, directory, {"Authorization": f"Bearer {backends.tokens.issue(desk).token}"}
        backends.close()


def test_the_land_registry_system_pulls_the_shared_land_dossier_with_its_demo_token(
        demo: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, directory, _desk = demo
    token = (directory / TOKEN_FILE).read_text().strip()
    registry = {"Authorization": f"Bearer {token}"}
    shares = client.get("/api/v1/shares/received", headers=registry).json()
    assert shares["count"] == 1 and shares["data"][0]["allow_attach"] is True
    code = shares["data"][0]["dossier_code"]
    papers = client.get(f"/api/v1/dossiers/{code}/documents", headers=registry).json()["data"]
    assert [(p["status"], p["document_type"]) for p in papers] == [("indexed", "application_form")]
    text = client.get(f"/api/v1/documents/{papers[0]['id']}/text", headers=registry).json()
    assert "Trần Thị Bích Ngọc" in text["pages"][0]["text"]
    assert (directory / TOKEN_FILE).stat().st_mode & 0o077 == 0  # readable by its owner only


def test_the_three_in_one_group_has_its_linked_dossiers_at_their_agencies(
        demo: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, _directory, desk = demo
    groups = client.get("/api/v1/dossiers", params={"procedure_code": "2.001023"}, headers=desk).json()["data"]
    assert len(groups) == 1
    group = client.get(f"/api/v1/dossiers/{groups[0]['code']}", headers=desk).json()["group"]
    assert [(d["receiving_agency_code"], d["state"]) for d in group["dossiers"]] == [
        ("000.60.01.H19", "resolved"), ("HT.CUTRU.H19", "processing"), ("HT.BHYT.H19", "received")]
    assert (group["total"], group["done"]) == (3, 1)
    found = client.get("/api/v1/search", params={"q": "nguyen minh an"}, headers=desk).json()
    assert groups[0]["code"] in [hit["dossier_code"] for hit in found["data"]]


def test_the_archivist_finds_the_demo_archive_ready(demo: tuple[TestClient, Path, dict[str, str]]) -> None:
    """The ward's archivist opens the archive page's data: two dossiers due under the 5-year schedule, and the
    archival file of their year."""
    client, _directory, _desk = demo
    token = client.post("/api/v1/auth/token", data={"username": "luutru.tranbien",
                                                    "password": "demo-password-for-tests"}).json()["access_token"]
    archivist = {"Authorization": f"Bearer {token}"}
    due = client.get("/api/v1/archive/retention/due", headers=archivist).json()
    assert due["count"] == 2 and {d["end_action"] for d in due["data"]} == {"destroy"}
    files = client.get("/api/v1/archive/files", headers=archivist).json()["data"]
    assert [(f["doc_total"], len(f["dossier_codes"])) for f in files] == [(2, 2)]
