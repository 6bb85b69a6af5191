"""Short-lived signed links to a dossier's result documents, for the applicant (no account, no token).

A link names the document and the instant it expires (Unix seconds) and carries a keyed digest of both
(records.ports.Signer, purpose RESULT_LINK_PURPOSE): changing either voids it, and only the server can
make one. Lookups hand out fresh links; an old one simply runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from records.ports import Signer

RESULT_LINK_PURPOSE = "result-link"
RESULT_LINK_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class SignedLink:
    document_id: str
    expires: int  # Unix seconds
    signature: str

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


class LinkCheck(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # not made by this server for this document and expiry (tampered, guessed)
    EXPIRED = "expired"


def _message(document_id: str, expires: int) -> str:
    return f"{document_id}:{expires}"


def sign_result_link(signer: Signer, document_id: str, now: datetime,
                     lifetime: timedelta = RESULT_LINK_LIFETIME) -> SignedLink:
    expires = int((now + lifetime).timestamp())
    return SignedLink(document_id, expires, signer.digest(RESULT_LINK_PURPOSE, _message(document_id, expires)))


def check_result_link(signer: Signer, document_id: str, expires: int, signature: str, now: datetime) -> LinkCheck:
    """The signature first (constant time), then the expiry: a tampered expiry is invalid, not expired."""
    if not signature.isascii():  # a hex digest is ASCII; anything else was never signed here
        return LinkCheck.INVALID
    if not signer.verify(RESULT_LINK_PURPOSE, _message(document_id, expires), signature.lower()):
        return LinkCheck.INVALID
    if now.timestamp() >= expires:
        return LinkCheck.EXPIRED
    return LinkCheck.VALID
