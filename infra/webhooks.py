"""The WebhookSender port over HTTP (httpx): one POST, a hard timeout, no redirects, the answer's body unread."""

from __future__ import annotations

import httpx

from records.webhooks import DeliveryError


class HttpWebhookSender:
    """Posts with a connection pool per process. A subscriber that hangs costs at most `timeout_seconds`."""

    def __init__(self, timeout_seconds: float) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
                                    follow_redirects=False, trust_env=False)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """Safe to repeat from hoso's side (receivers deduplicate by the X-Hoso-Event-Id header). Raises
        DeliveryError on timeouts and connection failures."""
        try:
            with self._client.stream("POST", url, content=body, headers=headers) as response:
                return response.status_code
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timeout: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"unreachable: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._client.close()
