"""Prometheus figures computed when /metrics is scraped: broker queue depths and what the database knows
(documents, OCR, index lag, fixity, audit verification, outbox). Workers run in other processes and machines;
reading the shared state at scrape time gives every API process the same, complete answer."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from infra.settings import Settings
from infra.task_queue import DEFAULT_QUEUE, INDEX_QUEUE, OCR_QUEUE, WEBHOOK_QUEUE, broker_for
from storage.operations import OCR_RATE_WINDOW, OperationsSnapshot, read_operations

log = logging.getLogger("hoso.metrics")
QUEUES = (DEFAULT_QUEUE, OCR_QUEUE, INDEX_QUEUE, WEBHOOK_QUEUE)
REDIS_PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport keeps priorities 3, 6, 9 in "<queue>\x06\x16<n>"
REDIS_PRIORITY_STEPS = (3, 6, 9)
BROKER_TIMEOUT_SECONDS = 2.0
DATABASE_FIGURES_TTL_SECONDS = 10.0
DAMAGED = frozenset({"mismatch", "missing", "unrepaired"})


def queue_depths(settings: Settings) -> dict[str, int]:
    """Messages waiting in each hoso queue (not counting the ones a worker holds). Raises OSError or
    redis.RedisError when the broker cannot be read."""
    url, options = broker_for(settings)
    if url.startswith("filesystem://"):
        folder = Path(options["data_folder_in"])
        depths = dict.fromkeys(QUEUES, 0)
        for name in (entry.name for entry in folder.iterdir()):
            # kombu names each message "<time>_<uuid>.<queue>.msg"
            queue = name.partition(".")[2].removesuffix(".msg")
            if queue in depths and name.endswith(".msg"):
                depths[queue] += 1
        return depths
    client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT_SECONDS,
                                  socket_connect_timeout=BROKER_TIMEOUT_SECONDS)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                pipe.llen(queue)
                for step in REDIS_PRIORITY_STEPS:
                    pipe.llen(f"{queue}{REDIS_PRIORITY_SEPARATOR}{step}")
            lengths = pipe.execute()
    finally:
        client.close()
    per_queue = 1 + len(REDIS_PRIORITY_STEPS)
    return {queue: int(sum(lengths[i * per_queue:(i + 1) * per_queue])) for i, queue in enumerate(QUEUES)}


class OperationsCollector(Collector):
    """A custom collector: each scrape reads the broker afresh, and the database figures (cached a few seconds).
    A part that cannot be read is left out of that scrape and flagged in `hoso_metrics_errors` (the scrape never
    fails)."""

    def __init__(self, settings: Settings, engine: Engine, clock: Callable[[], datetime] | None = None,
                 cache_seconds: float = DATABASE_FIGURES_TTL_SECONDS) -> None:
        self._settings = settings
        self._engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, OperationsSnapshot] | None = None
        self._lock = threading.Lock()

    def _snapshot(self) -> OperationsSnapshot:
        """The database figures, re-read at most every `cache_seconds` (they scan the page and blob tables:
        see bench.metrics_scrape); concurrent scrapes wait for one read instead of each starting their own."""
        with self._lock:
            cached = self._cached
            if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
                return cached[1]
            snapshot = read_operations(self._engine, self._clock())
            self._cached = (time.monotonic(), snapshot)
            return snapshot

    def describe(self) -> Iterable[Metric]:
        return []  # no fixed list: the collector is only ever registered once per app registry

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily("hoso_metrics_errors", "Parts that could not be read in this scrape (1 = failed)",
                                   labels=["source"])
        try:
            depths = queue_depths(self._settings)
        except (OSError, redis.RedisError) as error:
            log.warning("queue depth unavailable: %s", error)
            errors.add_metric(["broker"], 1)
        else:
            errors.add_metric(["broker"], 0)
            depth = GaugeMetricFamily("hoso_queue_depth", "Tasks waiting in each broker queue", labels=["queue"])
            for queue, count in depths.items():
                depth.add_metric([queue], count)
            yield depth
        try:
            snapshot = self._snapshot()
        except SQLAlchemyError as error:
            log.warning("database figures unavailable: %s", type(error).__name__)
            errors.add_metric(["database"], 1)
        else:
            errors.add_metric(["database"], 0)
            yield from _database_metrics(snapshot)
        yield errors


def _database_metrics(s: OperationsSnapshot) -> Iterator[Metric]:
    docs = GaugeMetricFamily("hoso_documents", "Documents by processing status", labels=["status"])
    for status in ("queued", "extracting", "ocr", "indexed", "failed"):
        docs.add_metric([status], s.documents_by_status.get(status, 0))
    yield docs
    failed = GaugeMetricFamily("hoso_document_failures", "Documents that ended failed, by reason code",
                               labels=["code"])
    for code, count in sorted(s.failures_by_code.items()):
        failed.add_metric([code], count)
    yield failed
    yield CounterMetricFamily("hoso_ocr_pages", "Pages whose text was recognised by OCR (use rate() for pages/s)",
                              value=s.ocr_pages)
    yield GaugeMetricFamily("hoso_ocr_pages_per_second",
                            f"OCR pages of documents indexed in the last {int(OCR_RATE_WINDOW.total_seconds())} s, "
                            "per second", value=s.ocr_pages_recent / OCR_RATE_WINDOW.total_seconds())
    yield GaugeMetricFamily("hoso_index_lag_documents", "Documents processed but not yet searchable",
                            value=s.index_lag_documents)
    yield GaugeMetricFamily("hoso_index_lag_oldest_seconds",
                            "How long the oldest processed-but-unindexed document has waited (0: none)",
                            value=s.index_lag_oldest_seconds or 0.0)
    blobs = GaugeMetricFamily("hoso_fixity_blobs", "Stored blobs by the outcome of their last fixity check",
                              labels=["outcome"])
    for outcome in ("ok", "repaired", "mismatch", "missing", "unrepaired", "unchecked"):
        blobs.add_metric([outcome], s.fixity_blobs_by_outcome.get(outcome, 0))
    yield blobs
    yield GaugeMetricFamily("hoso_fixity_damaged_blobs", "Blobs whose last check found them damaged or missing",
                            value=sum(v for k, v in s.fixity_blobs_by_outcome.items() if k in DAMAGED))
    yield GaugeMetricFamily("hoso_fixity_checked_blobs", "Blobs checked at least once",
                            value=sum(v for k, v in s.fixity_blobs_by_outcome.items() if k != "unchecked"))
    yield from _timestamp("hoso_fixity_last_check_timestamp_seconds", "When a blob was last checked",
                          s.fixity_last_check_at)
    yield from _timestamp("hoso_fixity_last_full_pass_timestamp_seconds",
                          "When the fixity check last finished a pass over every blob", s.fixity_last_pass_at)
    if s.audit_last_verified_at is not None:
        yield from _timestamp("hoso_audit_verify_last_run_timestamp_seconds",
                              "When the audit chain was last recomputed", s.audit_last_verified_at)
        yield GaugeMetricFamily("hoso_audit_verify_checked_entries", "Entries the last verification checked",
                                value=s.audit_last_checked or 0)
        yield GaugeMetricFamily("hoso_audit_verify_intact", "1 if the last verification found the chain intact",
                                value=1 if s.audit_last_intact else 0)
    if s.outbox is not None:
        yield GaugeMetricFamily("hoso_outbox_pending", "Follow-up work recorded but not yet sent to the broker",
                                value=s.outbox.pending)
        yield GaugeMetricFamily("hoso_outbox_oldest_pending_seconds", "Age of the oldest unsent outbox row (0: none)",
                                value=s.outbox.oldest_age_seconds or 0.0)


def _timestamp(name: str, documentation: str, at: datetime | None) -> Iterator[Metric]:
    if at is not None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        yield GaugeMetricFamily(name, documentation, value=at.timestamp())
