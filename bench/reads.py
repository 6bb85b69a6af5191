"""Dossier reads per second and latency, with and without their access-log entry, at 1 and 32 clients.

Every read of a dossier or a document writes an access-log entry in a short write transaction of its own
(records.services.access.log_access). This measures what that costs: `logged` is the read use case as the
API runs it (`get_dossier`: access rule, dossier and linked dossiers, log entry, commit); `rule only` does the
same reads without the log entry, as reads did before the log existed. Clients
are spread like bench.transitions' service layer (one process on SQLite, several on PostgreSQL).
Run: `make bench` (or `python -m bench.reads --seconds 8`).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.common import percentile, print_table
from bench.transitions import CORES, PROCESSES, Result, _run_processes, _settings, hand_back, prepared, ready

VARIANTS = ("logged", "rule only")


def _read_worker(url: str, data_dir: str, variant: str, codes: list[list[str]], seconds: float, barrier: Any,
                 out: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from infra.wiring import build_backends
    from records.access import Action
    from records.services.access import require
    from records.services.catalogue import load_principal
    from records.services.dossiers import get_dossier

    backends = build_backends(_settings(url, data_dir))
    officer = load_principal(uow=backends.uow(), username="xuly.tranbien")

    def read(code: str) -> None:
        if variant == "logged":
            get_dossier(uow=backends.uow(), clock=backends.clock, actor=officer, code=code)
        else:
            with backends.uow() as uow:
                require(uow, officer, code, Action.READ, now=backends.clock.now())
                uow.dossiers.children(code)

    def client(rotation: list[str]) -> tuple[int, list[float], int]:
        latencies: list[float] = []
        start_at = ready(barrier)
        deadline = start_at + seconds
        turn = 0
        while time.time() < deadline:
            measured = time.time() >= start_at
            began = time.perf_counter()
            read(rotation[turn % len(rotation)])
            turn += 1
            if measured:
                latencies.append((time.perf_counter() - began) * 1000)
        return len(latencies), latencies, 0

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        results = list(pool.map(client, codes))
    backends.close()
    hand_back(out, results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--clients", default="1,32")
    args = parser.parse_args(argv)
    client_counts = [int(c) for c in args.clients.split(",")]
    results: list[Result] = []
    for backend in args.backends.split(","):
        with prepared(backend, client_counts) as (url, data_dir, codes):
            for variant in VARIANTS:
                for clients in client_counts:
                    done, latencies, _ = _run_processes(_read_worker, (url, data_dir, variant), codes[:clients],
                                                        args.seconds, PROCESSES[backend])
                    result = Result(backend, variant, clients, done, args.seconds, latencies, 0)
                    results.append(result)
                    print(f"  {backend:8} {variant:9} {clients:3} clients: {result.rate:7.0f}/s "
                          f"p99 {percentile(latencies, 0.99):6.1f} ms", flush=True)
    print_table(f"Dossier reads ({args.seconds:.0f} s per row, {CORES} cores): with the access-log entry each read "
                "writes, and the access rule alone", ["backend", "read", "clients", "reads/s", "p50 ms", "p99 ms"],
                [[r.backend, r.layer, r.clients, f"{r.rate:.0f}", f"{percentile(r.latencies_ms, 0.5):.1f}",
                  f"{percentile(r.latencies_ms, 0.99):.1f}"] for r in results])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
