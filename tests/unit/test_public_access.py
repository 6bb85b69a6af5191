"""The rules behind the citizens' lookup: the receipt secret as people type it, signed result links, and the
counting of failed attempts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from infra.security import HmacSigner
from records.attempts import AttemptLimit, AttemptPolicy, retry_after_seconds
from records.receipts import (
    ALPHABET,
    RECEIPT_PURPOSE,
    new_receipt_secret,
    normalize_dossier_code,
    normalize_secret,
    receipt_message,
)
from records.result_links import RESULT_LINK_LIFETIME, LinkCheck, check_result_link, sign_result_link
from tests.support.factories import MONDAY_9AM

SIGNER = HmacSigner("unit-test-secret-key-that-is-long-enough-0123")
DOCUMENT = "5f0c3b2a9d8e4f61a7b3c2d1e0f9a8b7"


def test_a_new_secret_is_readable_aloud_and_free_of_look_alikes() -> None:
    secrets = {new_receipt_secret() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert re.fullmatch(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{2}}", secret)
    assert not set("01ILO") & set(ALPHABET)


@pytest.mark.parametrize("typed", ["7KQ4-M9XA-TC", "7kq4-m9xa-tc", "7KQ4M9XATC", " 7kq4 m9xa tc ", "7KQ4_M9XA\tTC"])
def test_the_secret_is_the_same_however_it_is_typed(typed: str) -> None:
    assert normalize_secret(typed) == "7KQ4M9XATC"
    assert receipt_message("000.60.01.H19-260302-0001", typed) == "000.60.01.H19-260302-0001:7KQ4M9XATC"


def test_a_dossier_code_is_compared_in_upper_case() -> None:
    assert normalize_dossier_code("  000.60.01.h19-260302-0001 ") == "000.60.01.H19-260302-0001"


def test_a_signed_link_opens_its_document_until_it_runs_out() -> None:
    link = sign_result_link(SIGNER, DOCUMENT, MONDAY_9AM)
    assert link.expires_at == MONDAY_9AM + RESULT_LINK_LIFETIME == MONDAY_9AM + timedelta(minutes=10)
    assert re.fullmatch(r"[0-9a-f]{64}", link.signature)

    def check(at: datetime, signature: str = link.signature) -> LinkCheck:
        return check_result_link(SIGNER, DOCUMENT, link.expires, signature, at)

    assert check(MONDAY_9AM) is LinkCheck.VALID
    assert check(MONDAY_9AM + timedelta(minutes=9, seconds=59)) is LinkCheck.VALID
    assert check(MONDAY_9AM + timedelta(minutes=10)) is LinkCheck.EXPIRED
    assert check(MONDAY_9AM, signature=link.signature.upper()) is LinkCheck.VALID


def test_a_link_changed_in_any_part_is_invalid_not_expired() -> None:
    link = sign_result_link(SIGNER, DOCUMENT, MONDAY_9AM)
    later = MONDAY_9AM + timedelta(hours=2)
    assert check_result_link(SIGNER, DOCUMENT, link.expires + 7200, link.signature, MONDAY_9AM) is LinkCheck.INVALID
    assert check_result_link(SIGNER, "0" * 32, link.expires, link.signature, MONDAY_9AM) is LinkCheck.INVALID
    assert check_result_link(SIGNER, DOCUMENT, link.expires, link.signature[:-1] + "0", later) is LinkCheck.INVALID
    assert check_result_link(SIGNER, DOCUMENT, link.expires, "chữ-ký", MONDAY_9AM) is LinkCheck.INVALID
    other_server = HmacSigner("another-server-secret-key-that-is-long-enough")
    assert check_result_link(other_server, DOCUMENT, link.expires, link.signature, MONDAY_9AM) is LinkCheck.INVALID


def test_a_digest_made_for_a_receipt_is_no_link_signature() -> None:
    """Per-purpose keys: what the database stores for receipts cannot be replayed as a download link."""
    expires = int((MONDAY_9AM + timedelta(minutes=5)).timestamp())
    receipt_digest = SIGNER.digest(RECEIPT_PURPOSE, f"{DOCUMENT}:{expires}")
    assert check_result_link(SIGNER, DOCUMENT, expires, receipt_digest, MONDAY_9AM) is LinkCheck.INVALID


POLICY = AttemptPolicy(max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=10))


def test_the_failure_that_reaches_the_limit_locks_the_key() -> None:
    limit = AttemptLimit("lookup:code:X", window_started_at=MONDAY_9AM)
    for minute in range(3):
        assert not limit.locked(MONDAY_9AM + timedelta(minutes=minute))
        limit.fail(MONDAY_9AM + timedelta(minutes=minute), POLICY)
    assert limit.failures == 3
    assert limit.locked_until == MONDAY_9AM + timedelta(minutes=12)
    assert limit.retry_after_seconds(MONDAY_9AM + timedelta(minutes=2, seconds=30)) == 570
    assert not limit.locked(MONDAY_9AM + timedelta(minutes=12))


def test_a_lock_that_ran_out_or_a_finished_window_starts_the_count_over() -> None:
    limit = AttemptLimit("k", window_started_at=MONDAY_9AM)
    limit.fail(MONDAY_9AM, POLICY)
    limit.fail(MONDAY_9AM + timedelta(minutes=16), POLICY)  # the first failure's window is over
    assert (limit.failures, limit.window_started_at) == (1, MONDAY_9AM + timedelta(minutes=16))

    locked = AttemptLimit("k", window_started_at=MONDAY_9AM, failures=3,
                          locked_until=MONDAY_9AM + timedelta(minutes=5))
    locked.fail(MONDAY_9AM + timedelta(minutes=6), POLICY)
    assert (locked.failures, locked.locked_until) == (1, None)


def test_the_longest_lock_decides_when_to_come_back() -> None:
    now = MONDAY_9AM
    limits = [AttemptLimit("a", now, 5, now + timedelta(seconds=30)), AttemptLimit("b", now, 2, None),
              AttemptLimit("c", now, 30, now + timedelta(minutes=14, seconds=0.5))]
    assert retry_after_seconds(limits, now) == 841
    assert retry_after_seconds([], now) == 0
