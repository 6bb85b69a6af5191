"""Blob keys and download file names, shared by every blob store so that a key valid on one is valid on all."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_KEY_BYTES = 1024  # S3's limit on an object key; the local store keeps it too


def check_key(key: str) -> str:
    """Returns `key` if it is a safe relative POSIX path, else raises ValueError.

    A key is `/`-separated names, none empty, none starting with `.` (that also refuses `.` and `..`, and
    leaves the dot names free for the stores' own temporary files), without backslashes, NUL or other
    control characters, and at most 1024 bytes of UTF-8.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("a blob key must be a non-empty string")
    if len(key.encode("utf-8", errors="surrogatepass")) > MAX_KEY_BYTES:
        raise ValueError(f"a blob key has at most {MAX_KEY_BYTES} bytes: {key[:80]!r}…")
    if "\\" in key or any(unicodedata.category(char) == "Cc" for char in key):
        raise ValueError(f"a blob key has no backslash or control character: {key!r}")
    for name in key.split("/"):
        if not name or name.startswith("."):
            raise ValueError(f"a blob key is a relative path of names that are not empty and do not start "
                             f"with '.': {key!r}")
    return key


def attachment_disposition(filename: str) -> str:
    """A Content-Disposition header that downloads as `filename`, Vietnamese letters included (RFC 6266).

    Browsers read the UTF-8 `filename*` (RFC 5987); `filename` is a plain-ASCII fallback with the
    diacritics removed ("Đơn đăng ký.pdf" → "Don dang ky.pdf").
    """
    return f'attachment; filename="{_ascii_fallback(filename)}"; filename*=UTF-8\'\'{quote(filename, safe="")}'


def _ascii_fallback(filename: str) -> str:
    # đ/Đ are letters of their own, not d with a mark, so NFKD leaves them whole.
    decomposed = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    safe = "".join(char if " " <= char <= "~" and char not in '"\\' else "_" for char in plain)
    return safe or "download"
