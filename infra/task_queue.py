"""Sending tasks: the TaskQueue port over Celery. Only the broker settings are needed to send."""

from __future__ import annotations

from typing import Any

from celery import Celery

from infra.settings import Settings

OCR_QUEUE = "ocr"
INDEX_QUEUE = "index"
WEBHOOK_QUEUE = "webhooks"
DEFAULT_QUEUE = "default"


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
    """Sends by task name, with JSON arguments (ids only), to the `ocr`, `index` and `webhooks` queues."""

    def __init__(self, settings: Settings) -> None:
        broker_url, options = broker_for(settings)
        self._app = Celery("hoso-sender", set_as_current=False)
        self._app.conf.update(broker_url=broker_url, broker_transport_options=options, task_serializer="json",
                              accept_content=["json"], broker_connection_retry_on_startup=True)

    def process_document(self, document_id: str) -> None:
        self._app.send_task("hoso.process_document", args=[document_id], queue=OCR_QUEUE)

    def index_dossier(self, dossier_code: str) -> None:
        self._app.send_task("hoso.index_dossier", args=[dossier_code], queue=INDEX_QUEUE)

    def deliver_webhooks(self) -> None:
        self._app.send_task("hoso.deliver_webhooks", queue=WEBHOOK_QUEUE)
