"""A real HTTP server for webhook tests: a subscriber's endpoint on a free port of 127.0.0.1, in a thread.

It records every request it gets and answers as the test tells it: a status (200, 500, ...), a hang
(nothing sent back for a while), or a trickle (the status line one byte at a time, for a while). Use the
`webhook_receiver` fixture (import it into the test module) or `running_receiver()`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class WebhookReceiver:
    """Answers 200 until told otherwise. `hang(seconds)` and `trickle(seconds)` stall each answer; stopping the
    server releases stalled handlers at once."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._status = 200
        self._stall: tuple[str, float] | None = None
        self._arrived = threading.Condition()
        self._stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver._record(ReceivedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                                 body))
                receiver._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        return self.url_for("hoso")

    def url_for(self, receiver_name: str) -> str:
        """An address of this server for one subscriber (tell subscribers apart by `request.path`)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/{receiver_name}"

    def to(self, receiver_name: str) -> list[ReceivedRequest]:
        """The requests made to `url_for(receiver_name)` so far."""
        return [r for r in self.requests if r.path == f"/hooks/{receiver_name}"]

    def answer(self, status: int) -> None:
        self._status, self._stall = status, None

    def hang(self, seconds: float) -> None:
        """Send nothing back for `seconds` (then the current status)."""
        self._stall = ("hang", seconds)

    def trickle(self, seconds: float) -> None:
        """Send the status line a byte every 50 ms for `seconds`: each read is quick, the whole answer is not."""
        self._stall = ("trickle", seconds)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """The requests so far, once there are at least `count` (or the timeout has passed)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, request: ReceivedRequest) -> None:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        status, stall = self._status, self._stall
        try:
            if stall is not None and stall[0] == "hang":
                self._stopping.wait(stall[1])
            elif stall is not None:
                line = f"HTTP/1.0 {status} Slow\r\n".encode()
                ends = time.monotonic() + stall[1]
                while time.monotonic() < ends and not self._stopping.is_set():
                    handler.wfile.write(line[:1])
                    handler.wfile.flush()
                    line = line[1:] or b" "
                    time.sleep(0.05)
                return
            handler.send_response(status)
            handler.send_header("Content-Type", "text/plain")
            handler.end_headers()
            handler.wfile.write(b"ok" if status < 300 else b"not ok")
        except OSError:
            pass  # the client gave up first


@contextlib.contextmanager
def running_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as receiver:
        yield receiver
