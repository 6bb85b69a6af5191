"""A broken or unwritable search index: searches answer 503 `search_unavailable`, writes go on, index tasks retry,
and `hoso reindex` catches up after the repair — telling a permission problem from a damaged or foreign index."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.cli import main
from infra.jobs import InlineTaskQueue
from infra.wiring import Backends
from records.search import SearchUnavailable
from records.services.catalogue import load_principal
from records.services.search import reindex_all
from search.tantivy_index import TantivyIndex
from tests.api.helpers import intake
from workers.tasks import TRANSIENT

Auth = Callable[[str], dict[str, str]]
DESK = "tiepnhan.tranbien"


@contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    """The directory cannot be written: read-only for a normal user; immutable for root (who ignores modes)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(directory)], capture_output=True).returncode != 0:
            pytest.skip("root, and chattr +i is not allowed here: cannot make a directory unwritable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)


def damage(directory: Path) -> None:
    for segment in [*directory.glob("*.term"), *directory.glob("*.idx"), *directory.glob("*.store")]:
        segment.write_bytes(b"\0garbage\0" * 4)


def found(client: TestClient, headers: dict[str, str], code: str) -> bool:
    response = client.get("/api/v1/search", params={"q": code}, headers=headers)
    assert response.status_code == 200, response.text
    return any(hit["dossier_code"] == code for hit in response.json()["data"])


@pytest.fixture
def on_disk(backends: Backends, tmp_path: Path) -> Backends:
    scoped = replace(backends, search=TantivyIndex(tmp_path / "index", writer_heap_bytes=15_000_000,
                                                   lock_wait_seconds=2))
    scoped.tasks = InlineTaskQueue(scoped)
    return scoped


@pytest.mark.slow
def test_a_damaged_index_answers_503_while_writes_go_on_and_reindex_catches_up(on_disk: Backends, auth: Auth,
                                                                               tmp_path: Path) -> None:
    headers = auth(DESK)
    with TestClient(create_app(backends=on_disk)) as client:
        before = intake(client, headers)["code"]
        assert found(client, headers, before)
        damage(tmp_path / "index")
        on_disk.search = TantivyIndex(tmp_path / "index", writer_heap_bytes=15_000_000)  # a restarted process

        refused = client.get("/api/v1/search", params={"q": before}, headers=headers)
        assert refused.status_code == 503 and refused.json()["code"] == "search_unavailable"
        assert "tìm kiếm" in refused.json()["message"]
        english = client.get("/api/v1/search", params={"q": before}, headers={**headers, "Accept-Language": "en"})
        assert "Search is unavailable" in english.json()["message"]
        with pytest.raises(SearchUnavailable) as broken:
            on_disk.search.check()
        assert broken.value.detail["reason"] == "damaged"

        during = intake(client, headers)["code"]  # writes go on
        moved = client.post(f"/api/v1/dossiers/{during}/transitions", json={"to": "processing"}, headers=headers)
        assert moved.status_code in (200, 409), moved.text

        shutil.rmtree(tmp_path / "index")  # the repair `hoso reindex` advises for a damaged index
        assert reindex_all(uow=on_disk.uow(), index=on_disk.search) >= 2
        on_disk.search.check()
        assert found(client, headers, before) and found(client, headers, during)


@pytest.mark.slow
def test_an_unwritable_index_keeps_writes_going_and_is_caught_up_after_the_fix(on_disk: Backends, auth: Auth,
                                                                               tmp_path: Path) -> None:
    headers = auth(DESK)
    directory = tmp_path / "index"
    with TestClient(create_app(backends=on_disk)) as client:
        intake(client, headers)
        with unwritable(directory):
            with pytest.raises(SearchUnavailable) as refused:
                on_disk.search.check()
            assert refused.value.detail["reason"] == "permission"
            during = intake(client, headers)["code"]  # 201: the dossier is kept, only not yet searchable
            assert not found(client, headers, during)
        assert reindex_all(uow=on_disk.uow(), index=on_disk.search) >= 2
        assert found(client, headers, during)


def test_index_tasks_retry_a_search_outage() -> None:
    assert issubclass(SearchUnavailable, TRANSIENT)


@pytest.mark.slow
def test_hoso_reindex_tells_a_permission_error_from_another_schema(committed_backends: Backends, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    principal = load_principal(uow=committed_backends.uow(), username=DESK)
    headers = {"Authorization": f"Bearer {committed_backends.tokens.issue(principal, now=None).token}"}
    committed_backends.tasks = InlineTaskQueue(committed_backends)
    with TestClient(create_app(backends=committed_backends)) as client:
        intake(client, headers)
    data_dir = tmp_path / "data"
    (data_dir / "search").mkdir(parents=True)
    monkeypatch.setenv("HOSO_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOSO_DATABASE_URL", committed_backends.settings.effective_database_url)
    monkeypatch.setenv("HOSO_SECRET_KEY", committed_backends.settings.signing_key())

    with unwritable(data_dir / "search"):
        assert main(["reindex"]) == 1
    permission = capsys.readouterr().err
    assert "do NOT delete" in permission and "KHÔNG xóa" in permission and "Delete that directory" not in permission

    import tantivy

    shutil.rmtree(data_dir / "search")
    (data_dir / "search").mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("something_else", stored=True)
    tantivy.Index(builder.build(), path=str(data_dir / "search"))
    assert main(["reindex"]) == 1
    schema = capsys.readouterr().err
    assert "another schema" in schema and "lược đồ khác" in schema

    shutil.rmtree(data_dir / "search")
    assert main(["reindex"]) == 0
    assert "reindexed" in capsys.readouterr().out
