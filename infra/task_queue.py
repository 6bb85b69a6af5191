"""Sending tasks: the TaskQueue port over Celery. Only the broker settings are needed to send."""

from __future__ import annotations

import time
from typing import Any

from celery import Celery

from infra.settings import Settings
from records.blobs import BackendUnavailable
from records.correlation import current_request_id

OCR_QUEUE = "ocr"
INDEX_QUEUE = "index"
WEBHOOK_QUEUE = "webhooks"
DEFAULT_QUEUE = "default"
REQUEST_ID_HEADER = "hoso_request_id"  # the worker reads it to log under the request that caused the task
QUIET_AFTER_FAILURE_SECONDS = 5.0  # a broker that just failed is not tried again at once by every request


def broker_for(settings: Settings) -> tuple[str, dict[str, Any]]:
    """The broker URL and transport options: Redis when configured, else a folder of message files."""
    if settings.celery_broker_url:
        # A task not acknowledged (acks_late) within this time is handed to another worker: it must outlast the
        # longest task — a document chunk (bounded by the hard time limit) or a scheduled fixity run.
        longest = max(settings.task_time_limit_seconds, settings.fixity_budget_seconds)
        return settings.celery_broker_url, {"visibility_timeout": int(2 * longest)}
    folder = (settings.data_dir / "queue").resolve()
    processed, control = folder / "processed", folder / "control"
    for path in (processed, control):
        path.mkdir(parents=True, exist_ok=True)
    return "filesystem://", {"data_folder_in": str(folder), "data_folder_out": str(folder),
                             "processed_folder": str(processed), "control_folder": str(control),
                             "store_processed": False, "polling_interval": 0.5}


class CeleryTaskQueue:
    """Sends by task name, with JSON arguments (ids only), to the `ocr`, `index` and `webhooks` queues, with the
    current request id as the message header `hoso_request_id`. Only the outbox dispatcher calls it.

    A broker that cannot be reached fails fast (BackendUnavailable) and, for a few seconds after a failure, is
    not tried again: requests never wait on a broker that is down; the outbox keeps the work."""

    def __init__(self, settings: Settings) -> None:
        broker_url, options = broker_for(settings)
        self._app = Celery("hoso-sender", set_as_current=False)
        self._app.conf.update(broker_url=broker_url, broker_transport_options=options, task_serializer="json",
                              accept_content=["json"], broker_connection_retry_on_startup=True,
                              broker_connection_timeout=2.0, task_publish_retry=True,
                              task_publish_retry_policy={"max_retries": 1, "interval_start": 0.1,
                                                         "interval_step": 0.2, "interval_max": 0.2})
        self._quiet_until = 0.0

    def _send(self, name: str, args: list[str], queue: str) -> None:
        if time.monotonic() < self._quiet_until:
            raise BackendUnavailable("Hàng đợi tác vụ vừa không phản hồi.",
                                     f"the broker failed less than {QUIET_AFTER_FAILURE_SECONDS:.0f} s ago")
        request_id = current_request_id()
        try:
            self._app.send_task(name, args=args, queue=queue,
                                headers={REQUEST_ID_HEADER: request_id} if request_id else None)
        except Exception as error:
            self._quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
            raise BackendUnavailable("Không kết nối được hàng đợi tác vụ.",
                                     f"the task broker is unreachable: {type(error).__name__}: {error}") from error

    def process_document(self, document_id: str) -> None:
        self._send("hoso.process_document", [document_id], OCR_QUEUE)

    def index_dossier(self, dossier_code: str) -> None:
        self._send("hoso.index_dossier", [dossier_code], INDEX_QUEUE)

    def deliver_webhooks(self) -> None:
        self._send("hoso.deliver_webhooks", [], WEBHOOK_QUEUE)
