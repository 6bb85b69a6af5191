"""Readiness: every backend this process is configured to use, each checked with a short timeout, so an operator
(or a load balancer) sees which one is down. The checks read and write nothing a user can see: the write checks
create and remove a probe file; object stores and search clusters are only read (a probe object would stay
forever in a versioned, object-locked bucket)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import urllib3
from kombu.connection import Connection
from minio import Minio
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from infra.settings import Settings
from infra.task_queue import broker_for
from records.search import SearchIndex
from storage.migrate import current_heads


class NotReady(Exception):
    """A check's failure: a stable code and a short message (no secrets, no stack trace)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    code: str | None
    message: str
    seconds: float


Check = Callable[[], str]  # returns a short "ok" description, raises NotReady (or anything) when not ready


def readiness_checks(settings: Settings, engine: Engine, search: SearchIndex) -> dict[str, Check]:
    timeout = settings.readiness_timeout_seconds
    checks: dict[str, Check] = {"database": lambda: check_database(engine)}
    if settings.s3_endpoint:
        checks["blobs"] = lambda: check_bucket(settings, settings.s3_bucket, timeout)
        if settings.replica_s3_bucket:
            checks["blobs_replica"] = lambda: check_bucket(settings, settings.replica_s3_bucket, timeout)
    else:
        checks["blobs"] = lambda: check_directory(settings.data_dir / "blobs")
    if settings.replica_dir is not None and not settings.replica_s3_bucket:
        replica = settings.replica_dir
        checks["blobs_replica"] = lambda: check_directory(replica)
    if settings.es_url:
        checks["search"] = lambda: check_elasticsearch(settings.es_url, settings.es_index, timeout)
    else:
        checks["search"] = lambda: check_tantivy(search, settings.data_dir / "search")
    checks["broker"] = lambda: check_broker(settings, timeout)
    return checks


def run_checks(checks: dict[str, Check], timeout: float) -> list[CheckResult]:
    """Runs the checks side by side; one that has not answered within `timeout` seconds counts as down."""
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    started = time.monotonic()
    futures = {name: pool.submit(_timed, check) for name, check in checks.items()}
    results = []
    try:
        for name, future in futures.items():
            remaining = max(0.0, timeout - (time.monotonic() - started))
            try:
                message, seconds = future.result(timeout=remaining)
            except FutureTimeout:
                results.append(CheckResult(name, False, "timeout", f"no answer within {timeout:g} s", timeout))
            except NotReady as error:
                results.append(CheckResult(name, False, error.code, error.message,
                                           time.monotonic() - started))
            except Exception as error:
                results.append(CheckResult(name, False, "unavailable", _short(error), time.monotonic() - started))
            else:
                results.append(CheckResult(name, True, None, message, seconds))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung client must not hold the answer back
    return results


def _timed(check: Check) -> tuple[str, float]:
    started = time.monotonic()
    message = check()
    return message, time.monotonic() - started


def _short(error: BaseException) -> str:
    text_ = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text_}"[:200]


def check_database(engine: Engine) -> str:
    try:
        conn = engine.connect()
    except SQLAlchemyError as error:
        raise NotReady("unavailable", _short(getattr(error, "orig", None) or error)) from error
    try:
        if not inspect(conn).has_table("alembic_version"):
            raise NotReady("schema_missing", "the database has no hoso schema; run `hoso migrate`")
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as error:
        raise NotReady("unavailable", _short(getattr(error, "orig", None) or error)) from error
    finally:
        conn.close()
    if revision not in current_heads():
        raise NotReady("schema_behind", f"database schema at {revision}; run `hoso migrate`")
    return f"schema {revision}"


def check_directory(directory: Path) -> str:
    """The directory exists (or can be made) and a file can be created in it and removed."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".readyz-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise NotReady("not_writable", f"{directory}: {error.strerror or error}") from error
    return "writable"


def check_bucket(settings: Settings, bucket: str, timeout: float) -> str:
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout, read=timeout),
                               retries=urllib3.Retry(total=0))
    client = Minio(settings.s3_endpoint, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key,
                   secure=settings.s3_secure, region=settings.s3_region, http_client=http)
    try:
        exists = client.bucket_exists(bucket)
    except urllib3.exceptions.HTTPError as error:
        raise NotReady("unreachable", f"{settings.s3_endpoint}: {_short(error)}") from error
    finally:
        http.clear()
    # A fresh install has no bucket until its first upload makes it (with object lock): reachable is ready.
    return f"bucket {bucket}" if exists else f"bucket {bucket} not created yet (made on the first upload)"


def check_tantivy(search: SearchIndex, directory: Path) -> str:
    try:
        count = search.count()
    except Exception as error:
        raise NotReady("not_readable", _short(error)) from error
    check_directory(directory)
    return f"{count} dossiers"


def check_elasticsearch(url: str, index: str, timeout: float) -> str:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False)
    try:
        count = int(client.count(index=index)["count"])
        settings: dict[str, Any] = client.indices.get_settings(index=index, flat_settings=True).body
    except Exception as error:
        raise NotReady("unavailable", _short(error)) from error
    finally:
        client.close()
    for name, body in settings.items():
        values = body.get("settings", {})
        if any(str(values.get(f"index.blocks.{b}", "false")) == "true" for b in ("write", "read_only",
                                                                                   "read_only_allow_delete")):
            raise NotReady("not_writable", f"index {name} refuses writes (index.blocks)")
    return f"{count} dossiers"


def check_broker(settings: Settings, timeout: float) -> str:
    url, options = broker_for(settings)
    if url.startswith("filesystem://"):
        return check_directory(Path(options["data_folder_in"]))
    if url.startswith(("redis://", "rediss://", "unix://")):
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        except redis.RedisError as error:
            raise NotReady("unreachable", _short(error)) from error
        finally:
            client.close()
        return "ping"
    with Connection(url, connect_timeout=timeout) as conn:  # type: ignore[no-untyped-call]
        try:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        except Exception as error:
            raise NotReady("unreachable", _short(error)) from error
    return "connected"
