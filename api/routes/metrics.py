"""Prometheus metrics for the operator. Readable from the networks in `metrics_allow` (loopback by default:
the connecting peer, X-Forwarded-For is not trusted here) or with `Authorization: Bearer <metrics_token>`."""

from __future__ import annotations

import hmac
import os
from ipaddress import ip_address

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from api.deps import BackendsDep
from api.errors import ErrorPublic
from infra.metrics import OperationsCollector
from infra.settings import Settings
from records.errors import PermissionDenied

router = APIRouter(tags=["health"])


class MetricsForbidden(PermissionDenied):
    code = "metrics_forbidden"
    message_vi = ("Không được đọc số liệu giám sát từ địa chỉ này: thêm mạng vào HOSO_METRICS_ALLOW "
                  "hoặc gửi mã HOSO_METRICS_TOKEN.")
    message_en = "Metrics are not readable from this address: add its network to HOSO_METRICS_ALLOW or send " \
                 "the HOSO_METRICS_TOKEN bearer token."


def may_read_metrics(settings: Settings, peer: str | None, authorization: str | None) -> bool:
    if settings.metrics_token and authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                              settings.metrics_token.encode()):
            return True
    try:
        address = ip_address(peer or "")
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_allow)


@router.get("/metrics", summary="Prometheus metrics (operators)", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, 403: {"model": ErrorPublic}})
def metrics(request: Request, backends: BackendsDep) -> Response:
    settings = backends.settings
    if not may_read_metrics(settings, request.client.host if request.client else None,
                            request.headers.get("authorization")):
        raise MetricsForbidden(detail={"client": request.client.host if request.client else None})
    registry: CollectorRegistry = request.app.state.http_metrics.registry  # holds the operations collector too
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several API processes (gunicorn -w N): their request histograms are summed from the shared directory.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(OperationsCollector(settings, backends.engine))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
