"""The worker's side of the request id: a task sent with the Celery header `hoso_request_id` (the outbox sends it
with every task) runs with `records.correlation.request_id` set, so its log lines carry the id of the HTTP request
that caused it. Also hands Celery's logging set-up over to hoso's (JSON lines, quiet libraries)."""

from __future__ import annotations

import logging
import time
from contextvars import Token
from typing import Any

from celery import Task
from celery.signals import setup_logging, task_postrun, task_prerun

from infra.logs import configure_logging
from infra.settings import Settings
from records.correlation import request_id

log = logging.getLogger("hoso.workers")
REQUEST_ID_HEADER = "hoso_request_id"
_running: dict[str, tuple[Token[str | None], float]] = {}  # task id -> (the id to restore, start time)
# Beat tasks that run every few seconds and mostly find nothing to do: their start and success are DEBUG lines,
# so that an idle worker's log stays quiet (a failure is still logged at WARNING).
QUIET_TASKS = frozenset({"hoso.dispatch_outbox", "hoso.requeue_stuck_documents"})


def _level(name: str | None, state: str | None = "SUCCESS") -> int:
    if state not in (None, "SUCCESS"):
        return logging.WARNING
    return logging.DEBUG if name in QUIET_TASKS else logging.INFO


def request_id_of(task: Task) -> str | None:
    """The header as the worker sees it: Celery puts custom message headers on the task's request."""
    found = task.request.get(REQUEST_ID_HEADER)
    if found is None:
        headers = task.request.get("headers") or {}
        found = headers.get(REQUEST_ID_HEADER) if isinstance(headers, dict) else None
    return str(found) if found else None


def _task_started(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    if task is None or task_id is None:
        return
    token = request_id.set(request_id_of(task))
    _running[task_id] = (token, time.perf_counter())
    log.log(_level(task.name), "task %s started", task.name, extra={"task_id": task_id, "task_name": task.name})


def _task_finished(task_id: str | None = None, task: Task | None = None, state: str | None = None,
                   **_: Any) -> None:
    if task_id is None or task_id not in _running:
        return
    token, started = _running.pop(task_id)
    name = task.name if task is not None else None
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    log.log(_level(name, state), "task %s finished: %s", name, state,
            extra={"task_id": task_id, "task_name": name, "state": state, "duration_ms": elapsed_ms})
    request_id.reset(token)


def install_task_telemetry(settings: Settings) -> None:
    """Connects the signal receivers (once per process, whatever the number of apps built)."""

    def _logging(**_: Any) -> None:
        configure_logging(settings.log_level, settings.log_format)

    setup_logging.connect(_logging, weak=False, dispatch_uid="hoso-setup-logging")
    task_prerun.connect(_task_started, weak=False, dispatch_uid="hoso-task-prerun")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="hoso-task-postrun")
