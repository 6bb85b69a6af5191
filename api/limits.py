"""A body-size limit for JSON requests, enforced on the bytes actually received (chunked bodies too)."""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RequestTooLarge, error_response


class _TooLarge(StarletteHTTPException):
    """Raised from inside the app's body reading, so the app's own error handlers answer 413."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if headers.get("content-type", "").startswith("multipart/"):
            await self.app(scope, receive, send)  # uploads are streamed and limited by their own rules
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = RequestTooLarge(detail={"max_bytes": self.max_bytes})
        response = error_response(Request(scope, receive), 413, exc.code, exc.message_vi, exc.message_en,
                                  exc.detail)
        await response(scope, receive, send)
