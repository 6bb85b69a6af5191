"""Logging for the API, the workers and the command line: one JSON object per line (or plain text for development),
every line carrying the request id of the user action it belongs to, and chatty libraries kept quiet."""

from __future__ import annotations

import logging
import sys
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

from records.correlation import current_request_id

LogFormat = Literal["json", "text"]

# Libraries that log every font table, PDF object, image chunk, HTTP request or broker heartbeat at INFO/DEBUG.
# They stay at WARNING unless the log level is DEBUG.
NOISY_LOGGERS = (
    "fontTools", "fpdf", "pikepdf", "PIL", "pdfminer", "pypdf", "pypdfium2", "ocrmypdf",
    "celery", "kombu", "amqp", "redis",
    "uvicorn.access",  # hoso writes its own access line, with the request id and the route
    "httpx", "httpcore", "urllib3", "elastic_transport", "elasticsearch", "botocore", "boto3", "s3transfer", "minio",
    "multipart", "python_multipart", "asyncio", "watchfiles",
    "alembic.runtime.migration",  # one line per migration step on every start; `hoso migrate` prints its own
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ["levelname", "name", "message", "request_id"]


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (records.correlation), unless the caller passed one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if "color_message" in record.__dict__:  # uvicorn's copy of the message with terminal colours
            del record.__dict__["color_message"]
        celery_state = sys.modules.get("celery._state")  # in a worker: which task wrote the line
        task = celery_state.get_current_task() if celery_state is not None else None
        if task is not None and getattr(record, "task_id", None) is None:
            record.task_id = task.request.id
            record.task_name = task.name
        return True


def json_formatter() -> logging.Formatter:
    """time, level, logger, message, request_id, then any `extra={...}` ids (document_id, dossier_code, task_id)."""
    return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"}, timestamp="time",
                         json_ensure_ascii=False)


def configure_logging(level: str = "INFO", log_format: LogFormat = "json") -> None:
    """Replaces the root logger's handlers with one on stderr. Safe to call again (the last call wins)."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    logging.captureWarnings(True)  # Python warnings become log lines too (JSON like the rest)
    quiet = logging.WARNING if numeric > logging.DEBUG else logging.NOTSET
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers would print a second, plain copy of each line.
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
