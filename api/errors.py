"""One error model, one table from exceptions to responses. Routes never build HTTPException by hand."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.edges import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from records.disposition import ReauthenticationFailed
from records.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RateLimited,
    StaleVersion,
    ValidationFailed,
)
from records.holds import OnHold

log = logging.getLogger("hoso.api")


class ErrorPublic(BaseModel):
    """Every error answer: a stable code for programs, a message for people, details for both."""

    code: str
    message: str
    detail: dict[str, Any] = {}


class RequestTooLarge(DomainError):
    code = "payload_too_large"
    message_vi = "Dữ liệu gửi lên quá lớn."
    message_en = "The request body is too large."


class PreconditionRequired(DomainError):
    code = "precondition_required"
    message_vi = "Thiếu hoặc sai tiêu đề If-Match."
    message_en = "The If-Match header is missing or malformed."


STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (OnHold, 423),
    (ReauthenticationFailed, 403),
    (NotFound, 404),
    (ValidationFailed, 422),
    (InvalidTransition, 409),
    (PermissionDenied, 403),
    (AuthenticationFailed, 401),
    (StaleVersion, 412),
    (Conflict, 409),
    (RequestTooLarge, 413),
    (PreconditionRequired, 428),
    (RateLimited, 429),
]

# A few codes have a more precise HTTP status than their error class.
STATUS_BY_CODE: dict[str, int] = {"unsupported_type": 415, "file_too_large": 413, "backend_unavailable": 503,
                                 "search_unavailable": 503,
                                 "destruction_not_started": 503, "destruction_failed": 503, "deposit_failed": 503}

_HTTP_CODES = {
    404: ("not_found", "Không tìm thấy địa chỉ này.", "No such address."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed."),
    401: ("unauthenticated", "Chưa đăng nhập.", "Not signed in."),
    413: (RequestTooLarge.code, RequestTooLarge.message_vi, RequestTooLarge.message_en),
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic} for status in (401, 403, 404, 409, 412, 413, 422)
}
ERROR_RESPONSES[503] = {"model": ErrorPublic, "description": "a backend (storage, search) does not answer: try again"}
# Routes that take If-Match: a malformed one is refused.
IF_MATCH_RESPONSES: dict[int | str, dict[str, Any]] = {428: {"model": ErrorPublic}}
# The public endpoints: no sign-in, refusals by the link or the lookup rules, throttling.
PUBLIC_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}, 422: {"model": ErrorPublic},
    429: {"model": ErrorPublic, "description": "too many failed attempts; see the Retry-After header"},
}


def wants_english(request: Request) -> bool:
    return request.headers.get("accept-language", "vi").strip().lower().startswith("en")


def error_response(request: Request, status: int, code: str, message_vi: str, message_en: str,
                   detail: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorPublic(code=code, message=message_en if wants_english(request) else message_vi,
                       detail=detail or {})
    return JSONResponse(body.model_dump(), status_code=status, headers=headers,
                        media_type="application/json; charset=utf-8")


def status_for(exc: DomainError) -> int:
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 400


def headers_for(exc: DomainError, status: int) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after_seconds)}
    return None


def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = status_for(exc)
    return error_response(request, status, exc.code, exc.message_vi, exc.message_en, exc.detail,
                          headers_for(exc, status))


def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "type": e.get("type", ""), "msg": e.get("msg", "")}
              for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        return error_response(request, 400, "malformed_json", "Dữ liệu JSON không đúng cú pháp.",
                              "The JSON body is malformed.", {"errors": errors})
    return error_response(request, 422, "invalid_request", "Dữ liệu gửi lên không hợp lệ.",
                          "The request data is not valid.", {"errors": errors})


def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, vi, en = _HTTP_CODES.get(exc.status_code, ("http_error", "Yêu cầu không hợp lệ.", "Bad request."))
    return error_response(request, exc.status_code, code, vi, en, headers=getattr(exc, "headers", None))


def _out_of_range_handler(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold (a number past its integer type, text past its column) that no schema
    constraint caught: the caller's input, not a fault of the service."""
    log.warning("out-of-range value on %s %s: %s", request.method, request.url.path, exc)
    return error_response(request, 422, "value_out_of_range", "Giá trị gửi lên vượt quá giới hạn cho phép.",
                          "A value in the request is out of the allowed range.")


def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # Answered by Starlette's outermost error middleware, past api.edges.SecurityHeaders: the headers go on here.
    return error_response(request, 500, "internal_error", "Lỗi hệ thống; sự cố đã được ghi lại.",
                          "Internal error; it has been logged.",
                          headers={**SECURITY_HEADERS, "content-security-policy": CONTENT_SECURITY_POLICY})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(DataError, _out_of_range_handler)
    app.add_exception_handler(OverflowError, _out_of_range_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
