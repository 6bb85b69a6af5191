"""The Celery application. Embedded installs queue through files in the data dir (no broker server);
production uses Redis. Backends are built once per worker process, on first use, from the settings."""

from __future__ import annotations

from pathlib import Path

from celery import Celery
from celery.schedules import crontab

from infra.settings import Settings
from infra.task_queue import DEFAULT_QUEUE, INDEX_QUEUE, OCR_QUEUE, WEBHOOK_QUEUE, broker_for
from workers.tasks import register
from workers.telemetry import install_task_telemetry

DEADLINE_SCAN_MINUTES = 10
WEBHOOK_RETRY_SECONDS = 30  # due retries are picked up this often (new events are sent at once)
OUTBOX_DISPATCH_SECONDS = 5.0  # follow-up work the after-commit kick could not send waits at most this long


def create_celery(settings: Settings) -> Celery:
    broker_url, transport_options = broker_for(settings)
    app = Celery("hoso", set_as_current=False)
    app.conf.update(
        broker_url=broker_url,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_prefetch_multiplier=1,
        task_default_queue=DEFAULT_QUEUE,
        task_routes={"hoso.process_document": {"queue": OCR_QUEUE}, "hoso.index_dossier": {"queue": INDEX_QUEUE},
                     "hoso.deliver_webhooks": {"queue": WEBHOOK_QUEUE}},
        timezone="Asia/Ho_Chi_Minh",
        enable_utc=True,
        beat_schedule={
            "scan-deadlines": {"task": "hoso.scan_deadlines",
                               "schedule": crontab(minute=f"*/{DEADLINE_SCAN_MINUTES}")},
            "deliver-webhooks": {"task": "hoso.deliver_webhooks", "schedule": float(WEBHOOK_RETRY_SECONDS),
                                 "options": {"queue": WEBHOOK_QUEUE, "expires": WEBHOOK_RETRY_SECONDS}},
            "dispatch-outbox": {"task": "hoso.dispatch_outbox", "schedule": OUTBOX_DISPATCH_SECONDS,
                                "options": {"queue": DEFAULT_QUEUE, "expires": OUTBOX_DISPATCH_SECONDS * 2}},
            "archive-upkeep": {"task": "hoso.archive_upkeep", "schedule": crontab(minute="*/15")},
            "fixity": {"task": "hoso.fixity", "schedule": crontab(minute=30)},
            "audit-checkpoint": {"task": "hoso.audit_checkpoint", "schedule": crontab(minute="*/10")},
            "audit-verify": {"task": "hoso.audit_verify", "schedule": crontab(hour=2, minute=15)},
            "requeue-stuck-documents": {"task": "hoso.requeue_stuck_documents",
                                        "schedule": settings.stuck_sweep_seconds,
                                        "options": {"expires": settings.stuck_sweep_seconds}},
            "sweep-orphans": {"task": "hoso.sweep_orphans", "schedule": crontab(minute=45)},
        },
        beat_schedule_filename=str(Path(settings.data_dir).resolve() / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
    )
    app.conf.hoso_settings = settings
    install_task_telemetry(settings)
    register(app)
    return app
