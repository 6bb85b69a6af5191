"""Password hashing (argon2id), bearer tokens (JWT, HS256) and keyed digests (HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from records.access import Principal
from records.errors import AuthenticationFailed

TOKEN_ALGORITHM = "HS256"
TOKEN_AUDIENCE = "hoso-api"


class Argon2Hasher:
    """argon2id with the library's defaults (RFC 9106 low-memory profile)."""

    def __init__(self) -> None:
        self._hasher = _Argon2()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenService:
    def __init__(self, secret_key: str, lifetime: timedelta) -> None:
        self._secret = secret_key
        self._lifetime = lifetime

    def issue(self, principal: Principal, *, now: datetime | None = None) -> IssuedToken:
        issued = now or datetime.now(UTC)
        expires = issued + self._lifetime
        claims = {
            "sub": principal.username,
            "agency": principal.agency_code,
            "roles": sorted(r.value for r in principal.roles),
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "aud": TOKEN_AUDIENCE,
        }
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=TOKEN_ALGORITHM), expires)

    def subject(self, token: str) -> str:
        """The username in a valid token. Raises AuthenticationFailed for a bad or expired one."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=[TOKEN_ALGORITHM], audience=TOKEN_AUDIENCE,
                                options={"require": ["sub", "exp"]})
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationFailed("Phiên đăng nhập đã hết hạn.", "The session has expired.",
                                       code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed(code="invalid_token") from exc
        return str(claims["sub"])


class HmacSigner:
    """The Signer port: HMAC-SHA256 under a key derived from the server secret for each purpose, so that a
    digest made for one purpose (a receipt secret) is worthless for another (a download link)."""

    def __init__(self, secret_key: str) -> None:
        self._root = secret_key.encode()
        self._keys: dict[str, bytes] = {}

    def _key(self, purpose: str) -> bytes:
        key = self._keys.get(purpose)
        if key is None:
            key = self._keys[purpose] = hmac.new(self._root, f"hoso:{purpose}".encode(), hashlib.sha256).digest()
        return key

    def digest(self, purpose: str, message: str) -> str:
        return hmac.new(self._key(purpose), message.encode(), hashlib.sha256).hexdigest()

    def verify(self, purpose: str, message: str, digest: str) -> bool:
        return hmac.compare_digest(self.digest(purpose, message), digest)
