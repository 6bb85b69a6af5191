"""The hostile corpus through upload and processing (inline queue): every file is refused at upload with a code,
or accepted and then `failed` with a named reason — never a 5xx, never past its limit — and the dossier carries on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from infra.wiring import Backends
from tests.api.helpers import intake
from tests.api.test_documents import upload
from tests.support.hostile import CASES, HostileCase, Target
from tests.support.papers import born_digital_pdf, corpus_scan

Auth = Callable[[str], dict[str, str]]

# A tighter budget than the default so the files that just exceed it are cheap to build; a real scan fits.
TIGHT = {"budget_max_page_pixels": 20_000_000, "budget_max_stream_bytes": 16 * 1024**2}
TARGET = Target(max_pages=2_000, max_page_pixels=20_000_000, max_stream_bytes=16 * 1024**2)
WITHIN_SECONDS = 60.0  # each upload, processing included, answers within this (a hang would be caught here)


@pytest.fixture
def tight(backends: Backends) -> Iterator[Backends]:
    original = backends.settings
    backends.settings = original.model_copy(update=TIGHT)
    yield backends
    backends.settings = original


def _with_cpu_budget(backends: Backends, seconds: float) -> None:
    backends.settings = backends.settings.model_copy(update={
        "budget_tool_seconds": seconds, "budget_cpu_seconds_base": seconds, "budget_cpu_seconds_per_page": seconds})
    backends.recognizer = None  # the recognizer takes its options from the budget


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_file_is_refused_or_fails_with_a_named_reason(client: TestClient, auth: Auth, tight: Backends,
                                                               case: HostileCase) -> None:
    """GIVEN a file built to hurt the worker or to pass for something else WHEN it is uploaded and processed
    THEN it is refused with its code (nothing kept) or ends `failed` with its reason, within a bounded time,
    and a normal paper uploaded next to it is indexed."""
    if case.cpu_seconds is not None:
        _with_cpu_budget(tight, case.cpu_seconds)
    desk = auth("tiepnhan.tranbien")
    dossier = intake(client, desk)["code"]
    content = case.build(TARGET)
    started = time.monotonic()
    response = upload(client, desk, dossier, content, case.filename)
    assert time.monotonic() - started < WITHIN_SECONDS
    assert response.status_code < 500, response.text
    body = response.json()
    if case.refused is not None:
        assert (response.status_code, body["code"]) == case.refused, body
        assert not body["message"].isascii()  # Vietnamese first (English with Accept-Language: en)
        assert client.get(f"/api/v1/dossiers/{dossier}/documents", headers=desk).json()["count"] == 0
        staging = tight.settings.data_dir / "staging"
        assert not staging.exists() or not any(staging.iterdir())
    else:
        assert response.status_code == 202, body
        document = client.get(body["links"]["self"], headers=desk).json()
        assert (document["status"], document["failure_code"]) == ("failed", case.failed), document
        assert document["failure_reason"] and document["links"]["retry"]
    good = upload(client, desk, dossier, born_digital_pdf([["Giấy xác nhận tình trạng hôn nhân, Trần Văn Bình"]]),
                  "gxn.pdf").json()
    assert client.get(good["links"]["self"], headers=desk).json()["status"] == "indexed"


def test_a_document_over_its_cpu_budget_is_named_and_retried_with_a_larger_one(client: TestClient, auth: Auth,
                                                                              tight: Backends) -> None:
    """GIVEN a page that costs seconds to draw, over a 1-second budget WHEN the budget is raised and the
    officer retries THEN the same document is processed to the end (no longer `budget_cpu`)."""
    slow = next(case for case in CASES if case.failed == "budget_cpu")
    _with_cpu_budget(tight, 1.0)
    desk = auth("tiepnhan.tranbien")
    dossier = intake(client, desk)["code"]
    created = upload(client, desk, dossier, slow.build(TARGET), slow.filename).json()
    assert client.get(created["links"]["self"], headers=desk).json()["failure_code"] == "budget_cpu"
    _with_cpu_budget(tight, 120.0)
    assert client.post(f"{created['links']['self']}/retry", headers=desk).status_code == 202
    document = client.get(created["links"]["self"], headers=desk).json()
    assert document["failure_code"] != "budget_cpu" and document["status"] == "indexed", document


def test_a_real_scan_fits_the_budget_at_upload_and_in_the_worker(client: TestClient, auth: Auth,
                                                                 tight: Backends) -> None:
    """GIVEN the same tight budget WHEN a real scanned page is uploaded THEN it passes upload and is OCR'd."""
    desk = auth("tiepnhan.tranbien")
    dossier = intake(client, desk)["code"]
    scan, _ = corpus_scan()
    created = upload(client, desk, dossier, scan, "ban-quet.pdf")
    assert created.status_code == 202, created.text
    document = client.get(created.json()["links"]["self"], headers=desk).json()
    assert (document["status"], document["page_count"]) == ("indexed", 1), document
