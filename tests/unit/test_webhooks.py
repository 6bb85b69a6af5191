"""Webhook rules without I/O: the retry schedule, signatures as a receiver checks them, subscriber URLs."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest

from records.errors import ValidationFailed
from records.webhooks import (
    FIRST_RETRY,
    LONGEST_RETRY,
    SECRET_PREFIX,
    EventType,
    checked_event_types,
    checked_url,
    new_secret,
    retry_delay,
    sign,
    url_problem,
    verify,
)

SECRET = "whsec_unit-test-secret"
BODY = b'{"id":"e1","type":"dossier.state_changed"}'
NOW = 1_772_416_800  # 2 March 2026, 09:00 in Vietnam


@pytest.mark.parametrize("attempts", range(0, 16))
def test_retry_delay_doubles_up_to_a_cap_with_jitter_in_its_upper_half(attempts: int) -> None:
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    rng = random.Random(attempts)
    delays = [retry_delay(attempts, rng=rng) for _ in range(200)]
    assert all(base / 2 <= d <= base for d in delays)
    assert len(set(delays)) > 150  # jittered: concurrent failures do not retry in step


def test_retry_delay_grows_then_stops_growing() -> None:
    lowest = [retry_delay(n, rng=_Extreme(0.0)) for n in range(1, 16)]
    highest = [retry_delay(n, rng=_Extreme(1.0)) for n in range(1, 16)]
    assert highest[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert all(later >= earlier for earlier, later in itertools.pairwise(highest))
    assert max(highest) == LONGEST_RETRY and highest[-1] == LONGEST_RETRY
    assert lowest[-1] == LONGEST_RETRY / 2


class _Extreme(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def test_a_signature_verifies_with_the_secret_and_the_exact_body() -> None:
    header = sign(SECRET, NOW, BODY)
    assert header.startswith(f"t={NOW},v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, BODY, now=NOW + 60)


@pytest.mark.parametrize(("secret", "body", "now"), [
    (SECRET, BODY.replace(b"e1", b"e2"), NOW),  # tampered body
    (SECRET, BODY + b" ", NOW),  # one byte more
    ("whsec_another-secret", BODY, NOW),  # wrong secret
    (SECRET, BODY, NOW + 301),  # stale: replayed more than five minutes later
    (SECRET, BODY, NOW - 301),  # from the future
])
def test_a_signature_is_refused_when_anything_differs(secret: str, body: bytes, now: int) -> None:
    assert not verify(secret, sign(SECRET, NOW, BODY), body, now=now)


@pytest.mark.parametrize("header", [
    "", "garbage", "t=abc,v1=00", f"v1={'0' * 64}", f"t={NOW}", f"t={NOW},v1=é", f"t={NOW},v1=" + "0" * 64,
    f"t={NOW + 1},{sign(SECRET, NOW, BODY).split(',')[1]}",  # the MAC of another timestamp
])
def test_a_malformed_or_forged_header_is_refused_without_raising(header: str) -> None:
    assert not verify(SECRET, header, BODY, now=NOW)


def test_a_header_with_spaces_after_the_comma_still_verifies() -> None:
    assert verify(SECRET, sign(SECRET, NOW, BODY).replace(",", ", "), BODY, now=NOW)


def test_secrets_are_long_random_and_prefixed() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith(SECRET_PREFIX) and len(s) == len(SECRET_PREFIX) + 43 for s in secrets)


@pytest.mark.parametrize(("url", "plain_http", "problem"), [
    ("https://lienthong.dongnai.gov.vn/hoso/events", False, None),
    ("http://10.0.0.5:8080/hooks", True, None),
    ("http://localhost:9000/hooks", False, None),  # on the machine itself: nothing crosses a network
    ("http://127.0.0.1:9000/hooks", False, None),
    ("http://[::1]:9000/hooks", False, None),
    ("http://10.0.0.5:8080/hooks", False, "https_required"),
    ("ftp://files.dongnai.gov.vn/in", True, "scheme"),
    ("javascript:alert(1)", True, "scheme"),
    ("lienthong.dongnai.gov.vn/hooks", True, "scheme"),
    ("https://user:password@lienthong.dongnai.gov.vn/", True, "credentials"),
    ("https://token@lienthong.dongnai.gov.vn/", True, "credentials"),
    ("https:///hooks", True, "host"),
    ("https://lienthong.dongnai.gov.vn:99999/", True, "port"),
    ("https://sở.vn/hooks", True, "not_ascii"),
    ("https://a.vn/x\r\nX-Injected: 1", True, "not_ascii"),
    ("https://a.vn/a b", True, "not_ascii"),
    ("", True, "not_ascii"),
    ("https://a.vn/" + "x" * 1987, True, None),  # 2000 characters
    ("https://a.vn/" + "x" * 1988, True, "too_long"),
])
def test_subscriber_urls(url: str, plain_http: bool, problem: str | None) -> None:
    assert url_problem(url, allow_plain_http=plain_http) == problem


def test_a_refused_url_is_not_echoed_in_the_error() -> None:
    with pytest.raises(ValidationFailed) as refused:
        checked_url("https://admin:s3cret@lienthong.dongnai.gov.vn/", allow_plain_http=True)
    assert refused.value.code == "invalid_webhook_url" and refused.value.detail == {"reason": "credentials"}
    assert "s3cret" not in str(refused.value) + refused.value.message_vi + refused.value.message_en


def test_event_types_default_to_all_and_unknown_ones_are_named() -> None:
    assert checked_event_types(None) == frozenset(EventType)
    assert checked_event_types(["dossier.state_changed"]) == {EventType.DOSSIER_STATE_CHANGED}
    with pytest.raises(ValidationFailed) as unknown:
        checked_event_types(["dossier.state_changed", "dossier.deleted"])
    assert unknown.value.code == "unknown_event_type" and unknown.value.detail["event_types"] == ["dossier.deleted"]
    with pytest.raises(ValidationFailed) as empty:
        checked_event_types([])
    assert empty.value.code == "event_types_required"
