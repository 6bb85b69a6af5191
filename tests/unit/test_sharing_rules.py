"""The core's rules for shares and service tokens, without I/O."""

from __future__ import annotations

from datetime import timedelta

import pytest

from records.access import Scope
from records.errors import ValidationFailed
from records.integrations import IntegrationAccount, looks_like_service_token, new_token, parse_token, secret_matches
from records.shares import MAX_SHARE_DAYS, Share, ShareStatus, check_share_terms
from tests.support.factories import MONDAY_9AM

NOW = MONDAY_9AM


@pytest.mark.parametrize(("terms", "code"), [
    ({"purpose": " "}, "purpose_required"),
    ({"purpose": "x" * 1001}, "purpose_too_long"),
    ({"expires_at": NOW}, "expiry_in_past"),
    ({"expires_at": NOW + timedelta(days=MAX_SHARE_DAYS, seconds=1)}, "expiry_too_far"),
    ({"expires_at": NOW.replace(tzinfo=None) + timedelta(days=1)}, "naive_datetime"),
    ({"whole_dossier": False, "allow_attach": True}, "attach_needs_whole_dossier"),
])
def test_share_terms_are_checked(terms: dict[str, object], code: str) -> None:
    given: dict[str, object] = {"purpose": "Đối chiếu", "expires_at": NOW + timedelta(days=30), "whole_dossier": True,
                                "allow_attach": False, **terms}
    with pytest.raises(ValidationFailed) as refused:
        check_share_terms(now=NOW, **given)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_a_share_is_active_until_it_expires_and_revoking_twice_changes_nothing() -> None:
    share = Share("s", "D", "A", "B", "Đối chiếu", "u", NOW, NOW + timedelta(days=1))
    assert share.status(NOW) is ShareStatus.ACTIVE and share.grant.active(NOW)
    assert share.status(NOW + timedelta(days=1)) is ShareStatus.EXPIRED
    assert share.revoke(by="u", at=NOW, reason=" xong ") and share.revoke_reason == "xong"
    assert not share.revoke(by="v", at=NOW + timedelta(hours=1), reason="again")
    assert (share.revoked_by, share.revoked_at, share.status(NOW)) == ("u", NOW, ShareStatus.REVOKED)


def test_a_service_token_matches_only_its_own_secret() -> None:
    account_id, token, digest = new_token()
    assert looks_like_service_token(token) and not looks_like_service_token("eyJhbGciOi")
    parsed = parse_token(token)
    assert parsed is not None and parsed[0] == account_id
    account = IntegrationAccount(account_id, "x", "HT.THUE.H19", frozenset({Scope.READ}), digest, "admin", NOW)
    assert secret_matches(account, parsed[1])
    assert not secret_matches(account, parsed[1][:-1] + ("A" if parsed[1][-1] != "A" else "B"))
    assert parse_token(token + "x") is None and parse_token("hsi_nothex_" + "a" * 43) is None
    assert account.usable(NOW) and not IntegrationAccount(
        account_id, "x", "HT.THUE.H19", frozenset(), digest, "admin", NOW, expires_at=NOW).usable(NOW)
