"""The edges every caller meets: whose address X-Forwarded-For may name, and the security headers on every answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.wiring import Backends
from tests.support.factories import TRAN_BIEN

LOOKUP = "/api/v1/public/lookup"
PROXY = "10.20.0.5"


def fail_lookups(client: TestClient, times: int, **headers: str) -> list[int]:
    return [client.post(LOOKUP, json={"code": f"{TRAN_BIEN}-260301-{n:04d}", "secret": "2222-2222-22"},
                        headers=headers).status_code for n in range(times)]


def app_trusting(backends: Backends, proxies: list[str]) -> TestClient:
    settings = backends.settings.model_copy(update={"trusted_proxies": proxies})
    return TestClient(create_app(backends=replace(backends, settings=settings)), client=(PROXY, 41000))


@pytest.fixture
def behind_proxy(backends: Backends) -> Iterator[TestClient]:
    with app_trusting(backends, ["10.20.0.0/24"]) as client:
        yield client


def test_a_forged_forwarded_for_does_not_escape_the_per_address_limit(backends: Backends) -> None:
    """GIVEN no trusted proxy WHEN one address sends a new X-Forwarded-For with every guess THEN its failures still
    add up and the 31st guess is refused."""
    with TestClient(create_app(backends=backends), client=("198.51.100.9", 40000)) as client:
        answers = [client.post(LOOKUP, json={"code": f"{TRAN_BIEN}-260301-{n:04d}", "secret": "2222-2222-22"},
                               headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(31)]
    assert answers == [404] * 30 + [429]


def test_a_peer_that_is_not_a_trusted_proxy_cannot_forward_addresses(backends: Backends) -> None:
    """GIVEN a trusted proxy configured WHEN another peer sends X-Forwarded-For THEN the header is ignored."""
    with app_trusting(backends, ["10.99.0.1"]) as client:
        answers = [client.post(LOOKUP, json={"code": f"{TRAN_BIEN}-260301-{n:04d}", "secret": "2222-2222-22"},
                               headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(31)]
    assert answers[-1] == 429


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(behind_proxy: TestClient,
                                                                              backends: Backends) -> None:
    """GIVEN a proxy in 10.20.0.0/24 WHEN it forwards 'forged, real, another trusted proxy' THEN the real address is
    counted (the forged left-most entry is not), and a different client behind the same proxy is not held back."""
    chain = {"X-Forwarded-For": "203.0.113.250, 198.51.100.77, 10.20.0.9"}
    assert fail_lookups(behind_proxy, 30, **chain) == [404] * 30
    assert fail_lookups(behind_proxy, 1, **chain) == [429]
    with backends.uow() as uow:
        counted = {c.key: c.failures for c in uow.attempt_limits.get_many(
            ["lookup:client:198.51.100.77", "lookup:client:203.0.113.250", f"lookup:client:{PROXY}"])}
    assert counted == {"lookup:client:198.51.100.77": 30}
    assert fail_lookups(behind_proxy, 1, **{"X-Forwarded-For": "198.51.100.78"}) == [404]


EXPECTED_HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


@pytest.mark.parametrize("path", ["/ui/", "/ui/app.js", "/ui/tra-cuu.html", "/api/v1/dossiers", "/healthz",
                                  "/api/v1/no-such-thing", "/openapi.json"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


def test_errors_and_downloads_carry_them_too(client: TestClient) -> None:
    refused = client.post(LOOKUP, content=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413 and refused.headers["x-frame-options"] == "DENY"
    invalid = client.post(LOOKUP, json={"code": 1})
    assert invalid.status_code == 422 and invalid.headers["x-content-type-options"] == "nosniff"


def test_the_ui_pages_hold_no_inline_script_or_style() -> None:
    """A strict CSP would break inline code; the pages load only modules and a stylesheet from 'self'."""
    from api.app import STATIC_DIR

    for page in STATIC_DIR.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        for opening in html.split("<script")[1:]:
            assert "src=" in opening.split(">", 1)[0], page.name
        assert "<style" not in html and " style=" not in html and " onclick=" not in html, page.name
    for script in [*STATIC_DIR.glob("*.js"), *STATIC_DIR.glob("views/*.js")]:
        code = script.read_text(encoding="utf-8")
        assert "innerHTML" not in code and "eval(" not in code and "new Function" not in code, script.name


def test_even_an_internal_error_carries_them(backends: Backends) -> None:
    app = create_app(backends=backends)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
