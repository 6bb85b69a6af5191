"""The one place that picks and builds backends from settings (the composition root).

`Backends` (infra.backends) is re-exported here for the entry points."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from infra.backends import Backends
from infra.jobs import InlineTaskQueue
from infra.security import Argon2Hasher, HmacSigner, TokenService
from infra.settings import Settings
from infra.task_queue import CeleryTaskQueue
from infra.webhooks import HttpWebhookSender
from records.blobs import BlobStore
from records.calendar import WorkingCalendar
from records.search import SearchIndex
from search.tantivy_index import TantivyIndex
from storage.blobs import LocalBlobStore, ReplicatedBlobStore, S3BlobStore
from storage.db import make_engine, make_session_factory

__all__ = ["Backends", "build_backends", "build_blob_store", "build_calendar", "build_search_index", "opened_backends"]


def build_blob_store(settings: Settings) -> BlobStore:
    primary = _store(settings, settings.s3_bucket, settings.data_dir / "blobs")
    if settings.replica_s3_bucket and settings.s3_endpoint:
        return ReplicatedBlobStore(primary, _store(settings, settings.replica_s3_bucket, None))
    if settings.replica_dir is not None:
        return ReplicatedBlobStore(primary, LocalBlobStore(settings.replica_dir.resolve()))
    return primary


def _store(settings: Settings, bucket: str, directory: Path | None) -> BlobStore:
    if settings.s3_endpoint:
        return S3BlobStore(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, bucket,
                           secure=settings.s3_secure, region=settings.s3_region, object_lock=settings.s3_object_lock)
    assert directory is not None
    return LocalBlobStore(directory.resolve())


def build_search_index(settings: Settings) -> SearchIndex:
    if settings.es_url:
        from search.elastic_index import ElasticsearchIndex

        return ElasticsearchIndex(settings.es_url, settings.es_index)
    return TantivyIndex((settings.data_dir / "search").resolve())


def build_calendar(settings: Settings) -> WorkingCalendar:
    return WorkingCalendar.from_config(extra_holidays=settings.extra_holidays,
                                       extra_working_days=settings.extra_working_days,
                                       national_day_extra=settings.national_day_extra)


def build_backends(settings: Settings) -> Backends:
    engine = make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
    backends = Backends(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        calendar=build_calendar(settings),
        hasher=Argon2Hasher(),
        tokens=TokenService(settings.signing_key(), timedelta(minutes=settings.access_token_minutes)),
        signer=HmacSigner(settings.signing_key()),
        blobs=build_blob_store(settings),
        tasks=CeleryTaskQueue(settings),
        search=build_search_index(settings),
        webhooks=HttpWebhookSender(settings.webhook_timeout_seconds),
    )
    if settings.tasks == "inline":
        backends.tasks = InlineTaskQueue(backends)
    return backends


@contextmanager
def opened_backends(settings: Settings) -> Iterator[Backends]:
    """The backends for one command-line command, closed afterwards."""
    backends = build_backends(settings)
    try:
        yield backends
    finally:
        backends.close()
