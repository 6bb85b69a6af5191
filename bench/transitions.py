"""Dossier transitions per second and latency, at 1 and 32 concurrent clients, on SQLite and PostgreSQL.

Two layers are measured:
- service: the transition use case on the real database (what every API call and worker runs), with
  clients spread over one process per core;
- http: the real API (uvicorn, one worker process per core) called over loopback with bearer tokens,
  If-Match, JSON, by client threads in separate processes.

Each client owns a rotation of DOSSIERS_PER_CLIENT dossiers in processing and moves them, one after the
other, processing ⇄ supplement_requested (each move a full transition: row lock, clock arithmetic, event
and hand-over written, commit). Spreading the moves over many dossiers is what a desk does; hammering one
row hundreds of times a second would only measure PostgreSQL's handling of dead row versions.
Run: `make bench` (or `python -m bench.transitions --seconds 8 --layers service,http`).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import bench_database, percentile, print_table

BENCH_PASSWORD = "benchmark-password"
SECRET = "benchmark-secret-key-0123456789abcdef0123"
CORES = os.cpu_count() or 2
WARM_UP_SECONDS = 5.0
DOSSIERS_PER_CLIENT = 25
# How the clients are deployed. SQLite is the embedded, single-process install: one process, whose threads
# queue for the one writer. PostgreSQL runs like production: several worker processes per core.
PROCESSES = {"sqlite": 1, "postgres": int(os.environ.get("HOSO_BENCH_PROCESSES", str(4 * CORES)))}


@dataclass
class Result:
    backend: str
    layer: str
    clients: int
    transitions: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.transitions / self.seconds if self.seconds else 0.0


def _settings(url: str, data_dir: str) -> Any:
    from infra.settings import Settings

    return Settings(database_url=url, data_dir=Path(data_dir), secret_key=SECRET, db_pool_size=40)


def prepare(url: str, data_dir: str, count: int) -> list[str]:
    """Reference data, and `count` dossiers in processing at phường Trấn Biên."""
    from infra.demo import load_demo
    from infra.wiring import build_backends
    from records.dossiers import Applicant, ApplicantKind, DossierState
    from records.services.catalogue import load_principal
    from records.services.dossiers import transition_dossier
    from records.services.intake import receive_dossier

    backends = build_backends(_settings(url, data_dir))
    load_demo(backends, password=BENCH_PASSWORD, with_dossiers=False)
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    codes = []
    for i in range(count):
        dossier = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                                     actor=desk, procedure_code="1.012756",
                                     applicant=Applicant(ApplicantKind.PERSON, "Nguyễn Văn Bench", f"075085{i:06d}"),
                                     signer=backends.signer).dossier
        transition_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                           code=dossier.code, to=DossierState.PROCESSING)
        codes.append(dossier.code)
    backends.close()
    return codes


def _service_worker(url: str, data_dir: str, codes: list[list[str]], seconds: float, barrier: Any,
                    out: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from infra.wiring import build_backends
    from records.dossiers import DossierState
    from records.services.catalogue import load_principal
    from records.services.dossiers import get_dossier, transition_dossier

    backends = build_backends(_settings(url, data_dir))
    officer = load_principal(uow=backends.uow(), username="xuly.tranbien")

    def client(rotation: list[str]) -> tuple[int, list[float], int]:
        latencies: list[float] = []
        errors = 0
        next_move = {}
        for code in rotation:
            current = get_dossier(uow=backends.uow(), clock=backends.clock, actor=officer, code=code).dossier.state
            next_move[code] = DossierState.PROCESSING if current is DossierState.SUPPLEMENT_REQUESTED else \
                DossierState.SUPPLEMENT_REQUESTED
        start_at = ready(barrier)
        deadline = start_at + seconds
        turn = 0
        while time.time() < deadline:
            code = rotation[turn % len(rotation)]
            turn += 1
            to = next_move[code]
            measured = time.time() >= start_at  # before that: warm-up, run but not recorded
            began = time.perf_counter()
            try:
                transition_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                                   actor=officer, code=code, to=to)
            except Exception as exc:  # counted and reported, never hidden
                errors += measured
                if errors == 1:
                    print(f"    first error: {type(exc).__name__}: {exc}"[:300], file=sys.stderr, flush=True)
            else:
                next_move[code] = DossierState.PROCESSING if to is DossierState.SUPPLEMENT_REQUESTED else \
                    DossierState.SUPPLEMENT_REQUESTED
            if measured:
                latencies.append((time.perf_counter() - began) * 1000)
        return len(latencies) - errors, latencies, errors

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        results = list(pool.map(client, codes))
    backends.close()
    hand_back(out, results)


def hand_back(out: Any, results: list[tuple[int, list[float], int]]) -> None:
    """A worker process's clients, summed: (moves done, every latency, errors)."""
    out.put((sum(r[0] for r in results), [x for r in results for x in r[1]], sum(r[2] for r in results)))


@contextmanager
def prepared(backend: str, client_counts: list[int]) -> Iterator[tuple[str, str, list[list[str]]]]:
    """A fresh database of `backend` with DOSSIERS_PER_CLIENT dossiers in processing per client: (url, data
    dir, one rotation of dossier codes per client)."""
    with bench_database(backend) as url, tempfile.TemporaryDirectory() as data_dir:
        flat = prepare(url, data_dir, max(client_counts) * DOSSIERS_PER_CLIENT)
        yield url, data_dir, [flat[i::max(client_counts)] for i in range(max(client_counts))]


def ready(barrier: Any) -> float:
    """Waits until every client of every process is set up; returns when measuring starts (after warm-up)."""
    barrier.wait()
    return time.time() + WARM_UP_SECONDS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_worker(base: str, token: str, codes: list[list[str]], seconds: float, barrier: Any,
                 out: Any) -> None:
    """HTTP clients on the standard library's http.client: light enough not to be the bottleneck."""
    import http.client
    import json
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    address = urlsplit(base)

    def client(rotation: list[str]) -> tuple[int, list[float], int]:
        latencies: list[float] = []
        errors = 0
        connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
        auth = {"Authorization": f"Bearer {token}"}
        known: dict[str, tuple[str, str]] = {}  # code -> (ETag version, next move)
        for code in rotation:
            connection.request("GET", f"/api/v1/dossiers/{code}", headers=auth)
            current = connection.getresponse()
            state = json.loads(current.read())["state"]
            known[code] = (current.headers["ETag"].strip('"'),
                           "processing" if state == "supplement_requested" else "supplement_requested")
        start_at = ready(barrier)
        deadline = start_at + seconds
        turn = 0
        while time.time() < deadline:
            code = rotation[turn % len(rotation)]
            turn += 1
            version, to = known[code]
            measured = time.time() >= start_at  # before that: warm-up, run but not recorded
            began = time.perf_counter()
            connection.request("POST", f"/api/v1/dossiers/{code}/transitions", body=json.dumps({"to": to}),
                               headers={**auth, "If-Match": f'"{version}"', "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if measured:
                latencies.append((time.perf_counter() - began) * 1000)
            if response.status == 200:
                known[code] = (response.headers["ETag"].strip('"'),
                               "processing" if to == "supplement_requested" else "supplement_requested")
            else:
                errors += measured
        connection.close()
        return len(latencies) - errors, latencies, errors

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        results = list(pool.map(client, codes))
    hand_back(out, results)


def _run_processes(target: Any, args_for: Any, codes: list[list[str]], seconds: float,
                   processes: int) -> tuple[int, list[float], int]:
    groups = [codes[i::processes] for i in range(min(processes, len(codes)))]
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    barrier = ctx.Barrier(len(codes))  # every client thread, in every process
    workers = [ctx.Process(target=target, args=(*args_for, group, seconds, barrier, out)) for group in groups]
    for worker in workers:
        worker.start()
    collected = [out.get(timeout=seconds + WARM_UP_SECONDS + 300) for _ in workers]
    for worker in workers:
        worker.join()
    return sum(c[0] for c in collected), [x for c in collected for x in c[1]], sum(c[2] for c in collected)


def run_service(backend: str, url: str, data_dir: str, codes: list[list[str]], clients: int,
                seconds: float) -> Result:
    done, latencies, errors = _run_processes(_service_worker, (url, data_dir), codes[:clients], seconds,
                                             PROCESSES[backend])
    return Result(backend, "service", clients, done, seconds, latencies, errors)


def run_http(backend: str, url: str, data_dir: str, codes: list[list[str]], clients: int,
             seconds: float) -> Result:
    port = _free_port()
    env = {**os.environ, "HOSO_DATABASE_URL": url, "HOSO_DATA_DIR": data_dir, "HOSO_SECRET_KEY": SECRET,
           "HOSO_DB_POOL_SIZE": "40", "HOSO_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(1 if backend == "sqlite" else CORES), "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import httpx

        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "xuly.tranbien", "password": BENCH_PASSWORD}).json()["access_token"]
        done, latencies, errors = _run_processes(_http_worker, (base, token), codes[:clients], seconds, CORES)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return Result(backend, "http", clients, done, seconds, latencies, errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--layers", default="service,http")
    parser.add_argument("--clients", default="1,32")
    args = parser.parse_args(argv)
    client_counts = [int(c) for c in args.clients.split(",")]
    results: list[Result] = []
    for backend in args.backends.split(","):
        with prepared(backend, client_counts) as (url, data_dir, codes):
            for layer in args.layers.split(","):
                runner = run_service if layer == "service" else run_http
                for clients in client_counts:
                    result = runner(backend, url, data_dir, codes, clients, args.seconds)
                    results.append(result)
                    print(f"  {backend:8} {layer:7} {clients:3} clients: {result.rate:7.0f}/s "
                          f"p99 {percentile(result.latencies_ms, 0.99):6.1f} ms  errors {result.errors}",
                          flush=True)
    print_table(
        f"Dossier transitions ({args.seconds:.0f} s per row, {CORES} cores; targets on PostgreSQL: "
        "≥ 500 transitions/s, p99 ≤ 100 ms at 32 clients)",
        ["backend", "layer", "clients", "transitions/s", "p50 ms", "p99 ms", "errors"],
        [[r.backend, r.layer, r.clients, f"{r.rate:.0f}", f"{percentile(r.latencies_ms, 0.5):.1f}",
          f"{percentile(r.latencies_ms, 0.99):.1f}", r.errors] for r in results])
    return 0


if __name__ == "__main__":
    sys.exit(main())
