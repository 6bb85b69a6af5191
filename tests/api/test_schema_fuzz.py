"""Schemathesis against the app's own OpenAPI document: generated requests to every operation, as an officer at a
one-stop desk and as the province's administrator, on SQLite. No answer is a 5xx, and every answer matches what the
document says (status codes, content types, body schemas).

Bounded: a few examples per operation (HOSO_FUZZ_EXAMPLES, default 6), no shrinking, no stored database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.services.catalogue import load_principal
from tests.support.databases import fresh_database

SECRET = "schema-fuzz-secret-key-0123456789abcdefghij"
EXAMPLES = int(os.environ.get("HOSO_FUZZ_EXAMPLES", "6"))
ROLES = {"officer": "motcua.tanphu", "admin": "quantri.tinh"}
schemathesis.experimental.OPEN_API_3_1.enable()  # FastAPI writes OpenAPI 3.1
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Backends]]:
    directory: Path = tmp_path_factory.mktemp("schema-fuzz")
    with fresh_database("sqlite", directory) as url:
        backends = build_backends(Settings(database_url=url, data_dir=directory, secret_key=SECRET, tasks="inline",
                                           max_upload_bytes=1024 * 1024))
        load_demo(backends, password="schema-fuzz-password", with_dossiers=True)
        yield create_app(backends=backends), backends
        backends.close()


@pytest.fixture(scope="module")
def app_schema(fuzzed: tuple[FastAPI, Backends]) -> schemathesis.BaseSchema:
    return schemathesis.from_asgi("/openapi.json", fuzzed[0])


schema = schemathesis.from_pytest_fixture("app_schema")


def bearer(backends: Backends, role: str) -> dict[str, str]:
    principal = load_principal(uow=backends.uow(), username=ROLES[role])
    return {"Authorization": f"Bearer {backends.tokens.issue(principal, now=None).token}"}


FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@schema.parametrize()
@FUZZ_SETTINGS
def test_as_an_officer_no_server_error_and_no_answer_outside_the_schema(
        case: schemathesis.Case, fuzzed: tuple[FastAPI, Backends]) -> None:
    case.call_and_validate(headers=bearer(fuzzed[1], "officer"), checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@FUZZ_SETTINGS
def test_as_an_administrator_no_server_error_and_no_answer_outside_the_schema(
        case: schemathesis.Case, fuzzed: tuple[FastAPI, Backends]) -> None:
    case.call_and_validate(headers=bearer(fuzzed[1], "admin"), checks=CHECKS)
