"""The Idempotency-Key header on creating POSTs: a retried request gets the first answer and does nothing twice.

A pure ASGI middleware: the key is claimed (per principal) before the route runs, the body is hashed as it streams
past (uploads are never held in memory), and the answer is kept once the route has answered. A retry with the
same key and the same request gets that answer again with `Idempotent-Replayed: true`; the same key with another
request gets 422 `idempotency_key_reused`; a retry while the first request still runs gets 409
`idempotency_key_in_progress`. A server error (5xx) forgets the key, so the client may try again."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from infra.backends import Backends
from records.errors import DomainError, ValidationFailed
from records.idempotency import KeyState, StoredAnswer, valid_key
from records.integrations import looks_like_service_token
from records.services.idempotency import claim_key, keep_answer, key_in_progress, key_reused, release_key

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEPT_ANSWER_BYTES = 1 << 20
# The POSTs that create or change something once: intake, uploads, transitions, shares, extensions, webhooks,
# integrations, officer accounts, document retries and webhook replays.
IDEMPOTENT_POSTS = [re.compile(p) for p in (
    r"^/api/v1/dossiers$",
    r"^/api/v1/dossiers/[^/]+/(documents|transitions|shares|extensions)$",
    r"^/api/v1/documents/[^/]+/retry$",
    r"^/api/v1/webhooks$",
    r"^/api/v1/webhooks/[^/]+/replay$",
    r"^/api/v1/webhooks/deliveries/[^/]+/replay$",
    r"^/api/v1/integrations$",
    r"^/api/v1/users$",
)]
NOT_REPLAYED_HEADERS = {"content-length", "date", "server", "set-cookie", "x-request-id"}


def applies_to(path: str) -> bool:
    return any(p.match(path) for p in IDEMPOTENT_POSTS)


class BodyDigest:
    """SHA-256 of a request body as it streams past. A multipart body's boundary is left out: a client that retries
    an upload draws a new boundary, and the request is still the same."""

    MARKER = b"\x00boundary\x00"

    def __init__(self, content_type: str) -> None:
        boundary = ""
        if content_type.lower().startswith("multipart/"):
            for part in content_type.split(";")[1:]:
                name, _, value = part.strip().partition("=")
                if name.lower() == "boundary":
                    boundary = value.strip('"')
        self._boundary = boundary.encode("latin-1")
        self._tail = b""
        self._digest = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        if not self._boundary:
            self._digest.update(chunk)
            return
        data = (self._tail + chunk).replace(self._boundary, self.MARKER)
        keep = len(self._boundary) - 1  # the start of a boundary split across two chunks
        self._tail = data[-keep:] if keep and len(data) > keep else data
        self._digest.update(data[:len(data) - len(self._tail)])

    def hexdigest(self) -> str:
        self._digest.update(self._tail)
        self._tail = b""
        return self._digest.hexdigest()


def principal_of(backends: Backends, authorization: str) -> str | None:
    """Whom the key belongs to: the officer named by the bearer token, or the service token itself (hashed).
    None when there is no usable credential: the route answers 401 and nothing is recorded."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    if looks_like_service_token(token):
        return "service:" + hashlib.sha256(token.encode()).hexdigest()
    try:
        return "user:" + backends.tokens.subject(token)
    except Exception:
        return None


def _problem(scope: Scope, receive: Receive, error: DomainError, status: int) -> Any:
    return error_response(Request(scope, receive), status, error.code, error.message_vi, error.message_en,
                          error.detail)


class IdempotencyKeys:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not applies_to(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        key = headers.get(HEADER.lower())
        if key is None:
            await self.app(scope, receive, send)
            return
        if not valid_key(key):
            error = ValidationFailed("Khoá Idempotency-Key cần 1-255 ký tự ASCII nhìn thấy được.",
                                     "The Idempotency-Key needs 1 to 255 visible ASCII characters.",
                                     code="invalid_idempotency_key")
            await _problem(scope, receive, error, 422)(scope, receive, send)
            return
        backends: Backends = scope["app"].state.backends
        principal = await run_in_threadpool(principal_of, backends, headers.get("authorization", ""))
        if principal is None:
            await self.app(scope, receive, send)
            return
        request_hash = hashlib.sha256(f"POST {scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
                                      .encode()).hexdigest()
        existing = await run_in_threadpool(lambda: claim_key(uow=backends.uow(), clock=backends.clock,
                                                             principal=principal, key=key, request_hash=request_hash))
        if existing is not None:
            await self._answer_again(scope, receive, send, existing, request_hash)
            return
        await self._run_first(scope, receive, send, backends, principal, key)

    async def _answer_again(self, scope: Scope, receive: Receive, send: Send, existing: Any,
                            request_hash: str) -> None:
        if existing.state is KeyState.IN_PROGRESS or existing.answer is None:
            await _problem(scope, receive, key_in_progress(), 409)(scope, receive, send)
            return
        body_hash = await _drained_hash(receive, BodyDigest(_content_type(scope)))
        if not existing.same_request(request_hash, body_hash):
            await _problem(scope, receive, key_reused(), 422)(scope, receive, send)
            return
        answer: StoredAnswer = existing.answer
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
        raw += [(b"content-length", str(len(answer.body)).encode()), (REPLAYED_HEADER.lower().encode(), b"true")]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": answer.body})

    async def _run_first(self, scope: Scope, receive: Receive, send: Send, backends: Backends, principal: str,
                         key: str) -> None:
        digest = BodyDigest(_content_type(scope))
        body_done = False

        async def hashing_receive() -> Message:
            nonlocal body_done
            message = await receive()
            if message["type"] == "http.request" and not body_done:
                digest.update(message.get("body", b""))
                body_done = not message.get("more_body", False)
            return message

        status = 500
        kept_headers: list[tuple[str, str]] = []
        body = bytearray()
        too_big = False

        async def keeping_send(message: Message) -> None:
            nonlocal status, too_big
            if message["type"] == "http.response.start":
                status = message["status"]
                kept_headers.extend((k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
                                    if k.decode("latin-1").lower() not in NOT_REPLAYED_HEADERS)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                too_big = too_big or len(body) > MAX_KEPT_ANSWER_BYTES
            await send(message)

        def forget() -> None:
            release_key(uow=backends.uow(), principal=principal, key=key)

        try:
            await self.app(scope, hashing_receive, keeping_send)
        except BaseException:
            await run_in_threadpool(forget)
            raise
        if status >= 500 or status == 401 or too_big:
            await run_in_threadpool(forget)
            return
        if not body_done:  # the route answered without reading everything (an early refusal): hash the rest
            async for chunk in _rest(receive):
                digest.update(chunk)
        answer = StoredAnswer(status, kept_headers, bytes(body))
        await run_in_threadpool(lambda: keep_answer(uow=backends.uow(), principal=principal, key=key,
                                                    body_hash=digest.hexdigest(), answer=answer))


async def _rest(receive: Receive) -> Any:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            return str(value.decode("latin-1"))
    return ""


async def _drained_hash(receive: Receive, digest: BodyDigest) -> str:
    async for chunk in _rest(receive):
        digest.update(chunk)
    return digest.hexdigest()


def document_idempotency(app: FastAPI) -> None:
    """Adds the optional Idempotency-Key header parameter to each covered operation of the OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            post = operations.get("post")
            if post is not None and applies_to(path):
                post.setdefault("parameters", []).append({
                    "name": HEADER, "in": "header", "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    "description": "Khoá chống lặp: gửi lại cùng khoá thì nhận lại câu trả lời đầu tiên, không làm "
                                   "lại (giữ 24 giờ). A retry with the same key gets the first answer back "
                                   "(`Idempotent-Replayed: true`) and does nothing twice; another request with "
                                   "the key: 422 `idempotency_key_reused`; while the first still runs: 409 "
                                   "`idempotency_key_in_progress`."})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
