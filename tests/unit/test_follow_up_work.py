"""Follow-up work has one owner: use cases record it in the outbox; no route starts it by hand."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from api.idempotency import BodyDigest

API = Path(__file__).resolve().parents[2] / "api"


def test_no_route_touches_the_task_queue() -> None:
    """`backends.tasks` (the task queue) is for the outbox dispatcher only: a route that used it would start work
    that is lost when the broker is down."""
    offenders = [f"{path.relative_to(API.parent)}:{node.lineno}" for path in sorted(API.rglob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if (isinstance(node, ast.Attribute) and node.attr in {"tasks", "dispatch_outbox", "kick_outbox"})
                 or (isinstance(node, ast.keyword) and node.arg == "tasks")]
    assert offenders == []


BODY = (b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"don.pdf\"\r\n\r\n%PDF-1.7 paper\r\n"
        b"--BOUNDARY--\r\n")


def _digest(body: bytes, boundary: str, chunk: int) -> str:
    digest = BodyDigest(f"multipart/form-data; boundary={boundary}")
    for start in range(0, len(body), chunk):
        digest.update(body[start:start + chunk])
    return digest.hexdigest()


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 4096])
def test_a_retried_upload_with_a_new_boundary_is_the_same_request(chunk: int) -> None:
    first = _digest(BODY.replace(b"BOUNDARY", b"a1b2c3d4"), "a1b2c3d4", 4096)
    assert _digest(BODY.replace(b"BOUNDARY", b"ffee0099"), "ffee0099", chunk) == first
    assert _digest(BODY.replace(b"BOUNDARY", b"ffee0099").replace(b"paper", b"other"), "ffee0099", chunk) != first
