"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.edges import SecurityHeaders
from api.errors import install_error_handlers
from api.idempotency import IdempotencyKeys, document_idempotency
from api.limits import BodySizeLimit
from api.reports.receipt_pdf import LOOKUP_PAGE_PATH
from api.routes import (
    access_log,
    agencies,
    alerts,
    archival_files,
    archive,
    archive_alerts,
    archive_checks,
    auth,
    backups,
    documents,
    dossiers,
    health,
    integrations,
    metrics,
    procedures,
    public,
    receipts,
    search,
    shares,
    stats,
    users,
    webhooks,
)
from api.telemetry import install_telemetry
from infra.settings import Settings
from infra.wiring import Backends, build_backends

STATIC_DIR = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for module in (auth, agencies, procedures, dossiers, receipts, documents, shares, access_log, search, alerts,
                   stats, users, integrations, webhooks, public, archive_alerts, archive, archival_files,
                   archive_checks, backups):
        router.include_router(module.router)
    return router


def create_app(settings: Settings | None = None, *, backends: Backends | None = None) -> FastAPI:
    """Builds the app. Pass `backends` to share already-built ones (tests, the embedded server)."""
    settings = settings or (backends.settings if backends else Settings())
    owned = backends is None
    built = backends or build_backends(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            built.close()

    app = FastAPI(
        title="hoso — Hồ sơ một cửa",
        version="0.1.0",
        description="Hồ sơ thủ tục hành chính một cửa, một cửa liên thông: tiếp nhận, xử lý, lưu trữ. "
                    "Dossier records and e-archive service for Vietnamese one-stop administration.",
        lifespan=lifespan,
    )
    app.state.backends = built
    install_error_handlers(app)
    app.add_middleware(IdempotencyKeys)  # inside the body limit: it reads what the limit lets through
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_json_bytes)
    app.add_middleware(SecurityHeaders)
    install_telemetry(app, built)
    if settings.trusted_proxies:
        # X-Forwarded-For only from a trusted proxy: the right-most address in it that is not itself trusted.
        # Added last, so outermost: telemetry and the access log see the client it finds.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(api_router())
    document_idempotency(app)
    app.mount("/ui", StaticFiles(directory=STATIC_DIR, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    @app.get(LOOKUP_PAGE_PATH, include_in_schema=False)
    def lookup_page() -> RedirectResponse:
        """The address printed on the receipt: the citizens' lookup page (no sign-in)."""
        return RedirectResponse("/ui/tra-cuu.html")

    return app
