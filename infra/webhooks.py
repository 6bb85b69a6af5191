"""The WebhookSender port over HTTP (httpcore): one POST, one deadline for all of it, no redirects, the
answer's body unread.

httpx and httpcore time each connect, read and write on its own, so an endpoint that trickles its answer a
byte at a time could hold a worker for ever. Here every socket operation of a post gets only what is left of
one deadline: `timeout_seconds` bounds the whole post, whatever the endpoint does.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore

from records.webhooks import DeliveryError


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose reads and writes may not run past the deadline of the post it serves."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the webhook deadline has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float) -> None:
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the webhook deadline has passed")
        stream = self._backend.connect_tcp(host, port, left if timeout is None else min(timeout, left),
                                           local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        raise httpcore.UnsupportedProtocol("webhooks are posted over TCP only")


class HttpWebhookSender:
    """Posts over a fresh connection each time (no pooled connection outlives the post and its deadline);
    the TLS settings (system certificates via certifi) are built once. A subscriber that hangs or trickles
    costs at most `timeout_seconds`."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._ssl_context = httpcore.default_ssl_context()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """Safe to repeat from hoso's side (receivers deduplicate by the X-Hoso-Event-Id header). Raises
        DeliveryError on timeouts and on anything else that keeps the endpoint from answering."""
        deadline = time.monotonic() + self._timeout
        extensions = {"timeout": {"connect": self._timeout, "read": self._timeout, "write": self._timeout,
                                  "pool": self._timeout}}
        try:
            with (httpcore.ConnectionPool(ssl_context=self._ssl_context, max_connections=1, retries=0,
                                          network_backend=_DeadlineBackend(deadline)) as pool,
                  pool.stream("POST", url, headers=list(headers.items()), content=body,
                              extensions=extensions) as response):
                return response.status
        except httpcore.TimeoutException as exc:
            raise DeliveryError(f"timeout: {type(exc).__name__}") from exc
        except Exception as exc:  # refused, reset, TLS, malformed answer or URL: the endpoint was not reached
            raise DeliveryError(f"unreachable: {type(exc).__name__}: {exc}"[:300]) from exc

    def close(self) -> None:
        """Nothing is held between posts."""
