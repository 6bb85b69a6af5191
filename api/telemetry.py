"""Per-request telemetry: the request id (X-Request-ID), one access log line and the latency histogram.

A plain ASGI middleware (not BaseHTTPMiddleware) so the request id set here is the one the route, its
threadpool work and its log lines see."""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.backends import Backends
from infra.metrics import OperationsCollector
from records.correlation import request_id

log = logging.getLogger("hoso.access")
REQUEST_ID_HEADER = "x-request-id"
# What a caller (a proxy, another service) may hand us as a request id: short, printable, no spaces or quotes.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
PROBES = frozenset({"/metrics", "/healthz", "/readyz"})  # scraped every few seconds: logged at DEBUG when fine
UNMATCHED = "unmatched"  # paths no route knows: one label, so scanners cannot blow up the series count


class HttpMetrics:
    """The API's own series, in the app's registry (one per app: tests build many apps in one process)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.latency = Histogram("hoso_http_request_duration_seconds",
                                 "Time to answer a request, by route template and status class",
                                 ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=registry)


def incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1").strip()
            if WELL_FORMED_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's full path template ("/api/v1/dossiers/{code}"), never the raw path."""
    # FastAPI keeps included routers nested: the route object knows only its own part of the path, the
    # "effective route" FastAPI puts in the scope knows the whole (a test pins this against upgrades).
    effective = scope.get("fastapi", {}).get("effective_route_context") if isinstance(scope.get("fastapi"),
                                                                                       dict) else None
    for source in (effective, scope.get("route")):
        template = getattr(source, "path_format", None) or getattr(source, "path", None)
        if isinstance(template, str) and template:
            return template
    if scope.get("endpoint") is not None and str(scope.get("root_path", "")).endswith("/ui"):  # the static mount
        return "/ui/{path}"
    return UNMATCHED


class RequestTelemetry:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_request_id(scope)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The id stays set: the app's last-resort handler logs the error right after, in this same task.
            self._record(scope, 500, started)
            raise
        self._record(scope, status, started)
        request_id.reset(token)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = route_template(scope)
        method = str(scope.get("method", ""))
        self.metrics.latency.labels(method, route, f"{status // 100}xx").observe(elapsed)
        client = scope.get("client")
        level = logging.DEBUG if route in PROBES and status < 400 else logging.INFO
        log.log(level, "%s %s %d %.1f ms", method, route, status, elapsed * 1000,
                 extra={"method": method, "route": route, "path": scope.get("path", ""), "status": status,
                        "duration_ms": round(elapsed * 1000, 1), "client": client[0] if client else None})


def install_telemetry(app: FastAPI, backends: Backends) -> None:
    """Request ids, access lines and the /metrics registry (the request histogram and the operations figures)."""
    disable_created_metrics()  # type: ignore[no-untyped-call] # the *_created series only double what Prometheus stores anyway
    registry = CollectorRegistry(auto_describe=False)
    metrics = HttpMetrics(registry)
    registry.register(OperationsCollector(backends.settings, backends.engine))
    app.state.http_metrics = metrics
    app.add_middleware(RequestTelemetry, metrics=metrics)
