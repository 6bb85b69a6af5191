"""Shared fixtures.

`backends` runs every test that uses it twice: once on SQLite and once on PostgreSQL (when
HOSO_TEST_PG_URL is set; `make test` sets it). Reference data (the Đồng Nai demo agencies, procedures and
officers) is loaded once per database; each test then runs inside a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from api.app import create_app
from infra.demo import load_demo
from infra.jobs import InlineTaskQueue
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.access import Principal
from records.clock import FixedClock
from records.services.catalogue import load_principal
from search.tantivy_index import TantivyIndex
from storage.blobs import LocalBlobStore
from tests.support.databases import fresh_database
from tests.support.factories import MONDAY_9AM

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
DEMO_PASSWORD = "demo-password-for-tests"

BACKEND_PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKEND_PARAMS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    """A migrated database with the demo reference data, shared by the session (one per backend)."""
    directory: Path = tmp_path_factory.mktemp(f"db-{request.param}")
    with fresh_database(request.param, directory) as url:
        settings = Settings(database_url=url, data_dir=directory, secret_key=TEST_SECRET, tasks="inline")
        built = build_backends(settings)
        load_demo(built, password=DEMO_PASSWORD, with_dossiers=False)
        yield built
        built.close()


@pytest.fixture
def backends(database: Backends, tmp_path: Path) -> Iterator[Backends]:
    """The shared database inside an outer transaction that is rolled back after the test, with a blob store of the
    test's own (what a rolled-back test stored, such as an audit checkpoint, must not outlive it)."""
    engine: Engine = database.engine
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, expire_on_commit=False, autoflush=False,
                           join_transaction_mode="create_savepoint")
    scoped = replace(database, session_factory=factory, clock=FixedClock(MONDAY_9AM), search=TantivyIndex(None),
                     blobs=LocalBlobStore(tmp_path / "blobs"))
    scoped.tasks = InlineTaskQueue(scoped)  # jobs run at once, inside the test's transaction
    yield scoped
    outer.rollback()
    connection.close()


@pytest.fixture
def committed_backends(database: Backends) -> Iterator[Backends]:
    """Real, committed transactions on separate connections (for concurrency tests); cleaned after."""
    yield replace(database, clock=FixedClock(MONDAY_9AM))
    from sqlalchemy import delete

    from storage.models import DossierCounterRow, DossierRow

    with database.engine.begin() as conn:
        conn.execute(delete(DossierRow))
        conn.execute(delete(DossierCounterRow))


@pytest.fixture
def clock(backends: Backends) -> FixedClock:
    assert isinstance(backends.clock, FixedClock)
    return backends.clock


@pytest.fixture
def principal(backends: Backends) -> Callable[[str], Principal]:
    def load(username: str) -> Principal:
        return load_principal(uow=backends.uow(), username=username)

    return load


@pytest.fixture
def client(backends: Backends) -> Iterator[TestClient]:
    with TestClient(create_app(backends=backends)) as test_client:
        yield test_client


@pytest.fixture
def auth(backends: Backends, principal: Callable[[str], Principal]) -> Callable[[str], dict[str, str]]:
    """Bearer headers for a demo officer (tokens issued directly; the login flow has its own tests)."""

    def headers(username: str) -> dict[str, str]:
        token = backends.tokens.issue(principal(username), now=None).token
        return {"Authorization": f"Bearer {token}"}

    return headers
