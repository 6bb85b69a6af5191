"""Outbox dispatch latency: from a use case's commit to its follow-up task starting in a worker.

The path measured is the one every intake, upload and transition takes: the outbox row is written in the
change's transaction, the unit of work's after-commit hook runs the dispatcher (claim the row, send it to Redis
with its request id header, mark it sent), and a real Celery worker (the hoso app, one process, `index` queue)
takes the task; a `task_prerun` signal in the worker notes the instant the task starts.
Anchors measured in the same run, against the same Redis and worker:
- bare Celery: `send_task("hoso.index_dossier")` straight to the broker, to the same task start (what routes did
  before the outbox; it loses the work when the broker is down);
- raw Redis: one LPUSH and BRPOP round trip on the same server (the floor of any Redis-backed queue).
Run: `make bench` (or `python -m bench.outbox --samples 200 --databases sqlite,postgres`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.common import bench_database, percentile, print_table
from tests.support.redis_server import OwnRedis

STARTED_LIST = "bench:started"
SECRET = "benchmark-secret-key-0123456789abcdef0123"


def run_worker(database_url: str, broker_url: str, data_dir: str) -> None:
    """The worker process: the hoso Celery app, noting when each task starts."""
    from celery.signals import task_prerun

    from infra.settings import Settings
    from workers.app import create_celery

    settings = Settings(database_url=database_url, data_dir=Path(data_dir), secret_key=SECRET,
                        celery_broker_url=broker_url, log_level="WARNING")
    app = create_celery(settings)
    notes = redis.Redis.from_url(broker_url)

    @task_prerun.connect  # type: ignore[untyped-decorator]
    def started(args: tuple[object, ...] | None = None, **_: object) -> None:
        notes.lpush(STARTED_LIST, json.dumps({"arg": (args or [""])[0], "at": time.time()}))

    app.worker_main(["worker", "--loglevel", "WARNING", "--pool", "solo", "--queues", "index",
                     "--without-heartbeat", "--without-gossip", "--without-mingle"])


def _wait_started(notes: redis.Redis, argument: str, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = notes.brpop([STARTED_LIST], timeout=5)
        if item is None:
            continue
        note = json.loads(item[1])
        if note["arg"] == argument:
            return float(note["at"])
    raise TimeoutError(f"task for {argument} did not start")


def measure(kind: str, samples: int) -> list[list[object]]:
    from celery import Celery

    from infra.settings import Settings
    from infra.wiring import build_backends
    from records.outbox import index_dossier_later

    with tempfile.TemporaryDirectory(prefix="hoso-bench-outbox-") as directory, bench_database(kind) as url:
        server = OwnRedis(Path(directory))
        server.start()
        worker = subprocess.Popen([sys.executable, "-m", "bench.outbox", "--worker", url, server.url, directory],
                                  env={**os.environ, "PYTHONPATH": os.getcwd()}, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        backends = build_backends(Settings(database_url=url, data_dir=Path(directory), secret_key=SECRET,
                                           celery_broker_url=server.url))
        notes = redis.Redis.from_url(server.url)
        sender = Celery("bench-anchor", set_as_current=False)
        sender.conf.update(broker_url=server.url, task_serializer="json")
        try:
            sender.send_task("hoso.index_dossier", args=["WARM-UP"], queue="index")
            _wait_started(notes, "WARM-UP", timeout=60)
            outbox: list[float] = []
            bare: list[float] = []
            raw: list[float] = []
            for n in range(samples):
                code = f"BENCH-OUTBOX-{n}"
                with backends.uow() as uow:
                    uow.begin_write()
                    index_dossier_later(uow.outbox, code)
                    committed = time.time()
                    uow.commit()  # the after-commit hook dispatches
                outbox.append(_wait_started(notes, code) - committed)
                code = f"BENCH-BARE-{n}"
                sent = time.time()
                sender.send_task("hoso.index_dossier", args=[code], queue="index")
                bare.append(_wait_started(notes, code) - sent)
                start = time.perf_counter()
                notes.lpush("bench:raw", b"x")
                notes.brpop(["bench:raw"], timeout=5)
                raw.append(time.perf_counter() - start)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            backends.close()
            server.stop()
    rows: list[list[object]] = []
    for name, values in (("outbox: commit → task start", outbox), ("anchor: bare send_task → task start", bare),
                         ("anchor: raw Redis LPUSH+BRPOP", raw)):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        rows.append([kind, name, samples, f"{p50:.1f}", f"{p99:.1f}"])
    outbox_p50, outbox_p99 = percentile(outbox, 0.5), percentile(outbox, 0.99)
    for name, values in (("bare send_task", bare), ("raw Redis", raw)):
        rows.append([kind, f"ratio outbox / {name}", "", f"{outbox_p50 / percentile(values, 0.5):.1f}×",
                     f"{outbox_p99 / percentile(values, 0.99):.1f}×"])
    return rows


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        run_worker(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    rows: list[list[object]] = []
    for kind in args.databases.split(","):
        rows += measure(kind, args.samples)
    print_table("Outbox dispatch latency (ms), one message at a time, worker on Redis",
                ["database", "path", "samples", "p50 ms", "p99 ms"], rows)


if __name__ == "__main__":
    main()
