"""Peak memory of the API while it receives a 500 MB upload (target: RSS growth ≤ 64 MB).

Starts the real server (uvicorn, embedded settings), resets the kernel's peak-RSS counter of the server
process (/proc/PID/clear_refs), streams a 500 MB file to `POST /api/v1/dossiers/{code}/documents` with
chunked transfer encoding, and reads the peak (VmHWM) afterwards. Run: `python -m bench.upload_memory`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import print_table
from infra.demo import DEMO_PASSWORD

MIB = 1024 * 1024


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _multipart(size: int, boundary: str) -> Iterator[bytes]:
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ban-quet-lon.pdf\"\r\n"
           f"Content-Type: application/pdf\r\n\r\n").encode()
    yield b"%PDF-1.7\n"
    block = (b"% hoso upload benchmark filler " * 40000)[:MIB]
    sent = 9
    while sent < size:
        piece = block[: min(MIB, size - sent)]
        sent += len(piece)
        yield piece
    yield f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"document_type\"\r\n\r\nother\r\n".encode()
    yield f"--{boundary}--\r\n".encode()


def _ready_connection(port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 60
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        try:
            connection.request("GET", "/readyz")
            connection.getresponse().read()
            return connection
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def run(size_mb: int) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory(prefix="hoso-upload-bench-") as data_dir:
        env = {**os.environ, "HOSO_DATA_DIR": data_dir, "HOSO_LOG_LEVEL": "WARNING"}
        env.pop("HOSO_DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "infra.cli", "load-demo", "--no-dossiers"], env=env, check=True,
                       capture_output=True)
        port = 8765
        server = subprocess.Popen([sys.executable, "-m", "infra.cli", "serve", "--no-worker", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            connection = _ready_connection(port)
            connection.request("POST", "/api/v1/auth/token",
                               body=f"username=tiepnhan.tranbien&password={DEMO_PASSWORD}",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            token = json.loads(connection.getresponse().read())["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            connection.request("POST", "/api/v1/dossiers", headers={**auth, "Content-Type": "application/json"},
                               body=json.dumps({"procedure_code": "1.012756",
                                                "applicant": {"name": "Nguyễn Văn An", "id_number": "075085001234"}}))
            code = json.loads(connection.getresponse().read())["code"]
            before = _status_kib(server.pid, "VmRSS")
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            boundary = "hosoBenchBoundary7MA4YWxkTrZu0gW"
            started = time.perf_counter()
            connection.request("POST", f"/api/v1/dossiers/{code}/documents", body=_multipart(size_mb * MIB, boundary),
                               headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                               encode_chunked=True)
            response = connection.getresponse()
            body = response.read()
            seconds = time.perf_counter() - started
            if response.status != 202:
                raise RuntimeError(f"upload answered {response.status}: {body[:300]!r}")
            peak = _status_kib(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return before, peak, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=500)
    args = parser.parse_args(argv)
    before, peak, seconds = run(args.size_mb)
    growth = (peak - before) / 1024
    print_table(f"Upload of {args.size_mb} MB through the API (target: RSS growth ≤ 64 MB)",
                ["upload MB", "RSS before MB", "peak RSS MB", "growth MB", "seconds", "MB/s"],
                [[args.size_mb, f"{before / 1024:.0f}", f"{peak / 1024:.0f}", f"{growth:.1f}", f"{seconds:.1f}",
                  f"{args.size_mb / seconds:.0f}"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
