"""What every response carries at the edge: security headers, and the client address behind trusted proxies only."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The UI is static ES modules and a stylesheet from 'self': no inline script, style or handler. Thumbnails are
# blob: object URLs; the favicon is a data: URL. Nobody may frame hoso (clickjacking on the officers' screens).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
                           "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from a CDN and start them with an inline script.
DOCS_CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
                                "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
                                "https://fonts.googleapis.com; "
                                "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
                                "font-src 'self' https://fonts.gstatic.com; worker-src 'self' blob:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
SECURITY_HEADERS: dict[str, str] = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class SecurityHeaders:
    """Adds the security headers to every HTTP response (errors, static files and downloads included); a header a
    route set itself (e.g. a stricter Referrer-Policy) is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CONTENT_SECURITY_POLICY if scope.get("path") in DOCS_PATHS else CONTENT_SECURITY_POLICY
        wanted = {**SECURITY_HEADERS, "content-security-policy": policy}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name.encode("latin-1"), value.encode("latin-1"))
                            for name, value in wanted.items() if name.encode("latin-1") not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
