"""Integration accounts: service tokens for the specialised systems (land registry, tax, civil registry,
residence, health insurance) that pull a dossier's papers and attach their results without anyone re-typing.

A token reads `hsi_<account id>_<secret>`. Only a SHA-256 digest of the secret is stored: the secret has 256
random bits, so a fast digest is enough, and the token is shown once, when it is made or rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from records.access import Scope

TOKEN_PREFIX = "hsi_"
_TOKEN = re.compile(r"^hsi_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")


def looks_like_service_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


@dataclass(frozen=True)
class IntegrationAccount:
    id: str
    name: str
    agency_code: str
    scopes: frozenset[Scope]
    token_digest: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    @property
    def username(self) -> str:
        """How the account appears in the access log and the dossier history."""
        return f"integration:{self.id}"


@dataclass(frozen=True)
class IssuedServiceToken:
    account: IntegrationAccount
    token: str  # shown once


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token(account_id: str | None = None) -> tuple[str, str, str]:
    """(account id, token, digest of its secret)."""
    account_id = account_id or uuid.uuid4().hex
    secret = secrets.token_urlsafe(32)
    return account_id, f"{TOKEN_PREFIX}{account_id}_{secret}", digest(secret)


def parse_token(token: str) -> tuple[str, str] | None:
    """(account id, secret), or None when the token is not shaped like a service token."""
    match = _TOKEN.fullmatch(token)
    return (match.group(1), match.group(2)) if match else None


def secret_matches(account: IntegrationAccount, secret: str) -> bool:
    return hmac.compare_digest(account.token_digest, digest(secret))
