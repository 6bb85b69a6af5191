"""Domain errors. Each carries a stable machine-readable code and a message in Vietnamese and English.

The API maps these to HTTP responses in one table (api/errors.py); nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    code = "domain_error"
    message_vi = "Yêu cầu không hợp lệ."
    message_en = "The request is not valid."

    def __init__(
        self,
        message_vi: str | None = None,
        message_en: str | None = None,
        *,
        code: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.message_vi = message_vi or type(self).message_vi
        self.message_en = message_en or type(self).message_en
        self.code = code or type(self).code
        self.detail = detail or {}
        super().__init__(f"{self.code}: {self.message_en}")


class NotFound(DomainError):
    code = "not_found"
    message_vi = "Không tìm thấy."
    message_en = "Not found."


class ValidationFailed(DomainError):
    code = "validation_failed"
    message_vi = "Dữ liệu không hợp lệ."
    message_en = "The data is not valid."


class InvalidTransition(DomainError):
    code = "invalid_transition"
    message_vi = "Không thể chuyển hồ sơ sang trạng thái này."
    message_en = "The dossier cannot move to this state."


class PermissionDenied(DomainError):
    code = "forbidden"
    message_vi = "Bạn không có quyền thực hiện thao tác này."
    message_en = "You are not allowed to do this."


class AuthenticationFailed(DomainError):
    code = "unauthenticated"
    message_vi = "Chưa đăng nhập hoặc phiên đăng nhập không hợp lệ."
    message_en = "Not signed in, or the session is not valid."


class StaleVersion(DomainError):
    code = "stale_version"
    message_vi = "Hồ sơ đã được người khác cập nhật; hãy tải lại rồi thử lại."
    message_en = "The dossier was changed by someone else; reload it and try again."


class Conflict(DomainError):
    code = "conflict"
    message_vi = "Dữ liệu bị trùng hoặc xung đột."
    message_en = "The data conflicts with what is already stored."


class RateLimited(DomainError):
    """Too many failed attempts in a short time (guessing): try again after `retry_after_seconds`."""

    code = "too_many_attempts"
    message_vi = "Bạn đã thử sai quá nhiều lần. Vui lòng thử lại sau."
    message_en = "Too many failed attempts. Please try again later."

    def __init__(self, retry_after_seconds: int, message_vi: str | None = None, message_en: str | None = None,
                 *, code: str | None = None) -> None:
        self.retry_after_seconds = max(1, retry_after_seconds)
        super().__init__(message_vi, message_en, code=code,
                         detail={"retry_after_seconds": self.retry_after_seconds})
