"""All configuration: one pydantic-settings class, HOSO_ prefix, checked at start."""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import date
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ingest.budget import ProcessingBudget
from records.archival_files import DepositRule

MIN_SECRET_LENGTH = 32


class Mode(StrEnum):
    EMBEDDED = "embedded"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    mode: Mode = Mode.EMBEDDED
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file in data_dir
    secret_key: str = ""  # empty in embedded mode: a random key kept in data_dir/secret.key
    access_token_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    max_json_bytes: int = Field(default=1_000_000, ge=1024)
    # Working calendar overrides for days decided by the government each year.
    extra_holidays: list[date] = Field(default_factory=list)
    extra_working_days: list[date] = Field(default_factory=list)
    national_day_extra: str = "before"
    celery_broker_url: str = ""  # empty: in-process worker (embedded); redis://... in production
    # Object storage: empty endpoint keeps originals under data_dir/blobs; set it for MinIO/S3.
    s3_endpoint: str = ""  # host:port, e.g. minio:9000
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "hoso"
    s3_secure: bool = False
    s3_region: str | None = None
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1024)
    # Search: the embedded tantivy index in data_dir/search, or Elasticsearch when a URL is set.
    es_url: str = ""
    es_index: str = "hoso-dossiers"
    # Background jobs: "celery" (a worker; embedded: started by `hoso serve`) or "inline" (run at once).
    tasks: Literal["celery", "inline"] = "celery"
    # Outbound webhooks: how long a subscriber may take to answer one delivery.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Re-index a dossier after every move (keeps the state filter exact) or only on transfers and uploads.
    index_on_every_move: bool = True
    log_level: str = "INFO"
    # Observability (README "Vận hành / Operations"): JSON log lines by default, plain text for development;
    # who may read /metrics: these client networks (the connecting peer, not X-Forwarded-For), or a bearer token.
    log_format: Literal["json", "text"] = "json"
    metrics_allow: list[IPv4Network | IPv6Network] = [IPv4Network("127.0.0.0/8"),
                                                      IPv6Network("::1/128")]
    metrics_token: str = ""
    readiness_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # The archive. A replica blob store (a second directory, or a second bucket on the S3 endpoint) is written on every
    # put; the fixity check restores damaged blobs from it. Empty: no replica.
    replica_dir: Path | None = None
    replica_s3_bucket: str = ""
    s3_object_lock: bool = True  # create the bucket with S3 object lock (legal holds, retention)
    fixity_rate_mb_s: float = Field(default=50.0, ge=0)  # 0: as fast as the disk allows
    fixity_budget_seconds: float = Field(default=600.0, gt=0)  # one scheduled run; the next one continues
    deposit_dir: Path | None = None  # where approved deposits write their packages; empty: data_dir/deposits
    # Archival files are due for deposit to the agency archive this many days after their EndDate, and (kept
    # permanently) to the historical archive by the end of the year this many years after it (Law on Archives 2011).
    deposit_agency_days: int = Field(default=365, ge=1, le=36500)
    deposit_historical_years: int = Field(default=10, ge=1, le=100)
    # Workers (see README "Workers: shutdown, stuck documents, scheduling"). A large document is read in chunks of at
    # most ocr_chunk_pages pages / ~ocr_chunk_seconds, its progress saved and the rest sent to the back of the queue.
    ocr_chunk_pages: int = Field(default=50, ge=1, le=10_000)
    ocr_chunk_seconds: float = Field(default=20.0, gt=0, le=3600)
    # A document in progress whose worker showed no sign of life (a heartbeat on every few pages) for this long is
    # stuck: the sweeper (every stuck_sweep_seconds) re-queues it, and retry accepts it.
    document_lease_seconds: float = Field(default=300.0, ge=2, le=86_400)
    stuck_sweep_seconds: float = Field(default=60.0, ge=1, le=3600)
    # A document still `queued` this long after its processing was last sent is sent again (the broker may have lost
    # the message: a Redis restart without persistence); a duplicate message does nothing more.
    document_queued_seconds: float = Field(default=900.0, ge=2, le=7 * 86_400)
    # A document-processing task's hard time limit (the soft one, 90% of it, lets it fail cleanly); the Redis
    # visibility timeout is twice the longest task, so a task still running is never handed to a second worker.
    task_time_limit_seconds: float = Field(default=900.0, ge=10, le=86_400)
    worker_concurrency: int = Field(default=2, ge=1, le=64)  # processes per worker (`hoso worker --concurrency`)
    # Edges. X-Forwarded-For is believed only from these peers (IPs or CIDRs, e.g. ["10.0.0.5", "10.1.0.0/16"];
    # env: HOSO_TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16); empty: the connecting address is the client, the header is
    # ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Orphan sweeper: staging/temp files and unreferenced blobs older than this are removed.
    orphan_grace_minutes: int = Field(default=24 * 60, ge=1, le=365 * 24 * 60)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _check_trusted_proxies(cls, value: object) -> list[str]:
        entries = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        cleaned = [str(entry).strip() for entry in entries if str(entry).strip()]
        for entry in cleaned:
            ipaddress.ip_network(entry, strict=False)  # ValueError names the bad entry
        return cleaned
    # Backups (`hoso backup`): where `hoso backups` and the admin API look for them; empty: data_dir/backups.
    backup_dir: Path | None = None
    # Processing budget of one document (ingest.budget), checked at upload and in the worker alike.
    budget_max_pages: int = Field(default=2_000, ge=1, le=100_000)
    budget_max_page_pixels: int = Field(default=150_000_000, ge=1_000_000)
    budget_max_image_bytes: int = Field(default=64 * 1024**3, ge=1024**2)
    budget_max_stream_bytes: int = Field(default=256 * 1024**2, ge=1024**2)
    budget_cpu_seconds_base: float = Field(default=120.0, gt=0)
    budget_cpu_seconds_per_page: float = Field(default=30.0, gt=0)
    budget_tool_memory_mb: int = Field(default=2048, ge=256)  # RLIMIT_AS of each Tesseract / renderer run
    budget_tool_seconds: float = Field(default=120.0, gt=0)  # one Tesseract / renderer run, wall clock

    @property
    def processing_budget(self) -> ProcessingBudget:
        return ProcessingBudget(
            max_pages=self.budget_max_pages, max_page_pixels=self.budget_max_page_pixels,
            max_render_pixels=min(ProcessingBudget.max_render_pixels, self.budget_max_page_pixels),
            max_image_bytes=self.budget_max_image_bytes, max_stream_bytes=self.budget_max_stream_bytes,
            max_streams_bytes=max(ProcessingBudget.max_streams_bytes, self.budget_max_stream_bytes),
            cpu_seconds_base=self.budget_cpu_seconds_base, cpu_seconds_per_page=self.budget_cpu_seconds_per_page,
            tool_memory_bytes=self.budget_tool_memory_mb * 1024**2, render_timeout_s=self.budget_tool_seconds)

    @property
    def deposit_rule(self) -> DepositRule:
        return DepositRule(self.deposit_agency_days, self.deposit_historical_years)

    @field_validator("national_day_extra")
    @classmethod
    def _check_national_day(cls, value: str) -> str:
        if value not in {"before", "after"}:
            raise ValueError("national_day_extra must be 'before' or 'after'")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.mode is Mode.PRODUCTION:
            problems = production_problems(self)
            if problems:
                raise ValueError(refusal_message(problems))
        return self

    @property
    def effective_backup_dir(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def effective_deposit_dir(self) -> Path:
        return self.deposit_dir or self.data_dir / "deposits"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hoso.sqlite3').resolve()}"

    def signing_key(self) -> str:
        """The token signing key. Embedded installs make one on first start and keep it in data_dir."""
        if self.secret_key:
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ValueError(f"HOSO_SECRET_KEY must have at least {MIN_SECRET_LENGTH} characters")
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it a moment ago
                pass
            else:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_hex(32))
        return path.read_text().strip()


# Values that must never guard a production install: the MinIO image's own defaults, placeholders from examples
# and the demo data's shared password.
KNOWN_DEFAULT_SECRETS = frozenset({"minioadmin", "changeme", "change-me", "secret", "password", "hoso",
                                   "hoso-demo-2025", "admin", "admin123", "123456", "12345678"})
MIN_S3_SECRET_LENGTH = 12


def _looks_default(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in KNOWN_DEFAULT_SECRETS or "change-me" in lowered or "changeme" in lowered


def production_problems(settings: Settings) -> list[tuple[str, str]]:
    """What makes these settings unsafe for production: (Vietnamese, English) per problem; empty when none."""
    problems: list[tuple[str, str]] = []
    key = settings.secret_key
    if len(key) < MIN_SECRET_LENGTH or _looks_default(key) or len(set(key)) < 10:
        problems.append(("HOSO_SECRET_KEY phải là một chuỗi ngẫu nhiên từ 32 ký tự trở lên "
                         "(ví dụ: python -c 'import secrets; print(secrets.token_hex(32))')",
                         "HOSO_SECRET_KEY must be a random value of 32+ characters "
                         "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')"))
    if not settings.database_url or settings.database_url.startswith("sqlite"):
        problems.append(("chế độ production cần HOSO_DATABASE_URL trỏ tới PostgreSQL",
                         "production mode needs HOSO_DATABASE_URL pointing at PostgreSQL"))
    if not settings.celery_broker_url:
        problems.append(("chế độ production cần HOSO_CELERY_BROKER_URL (Redis)",
                         "production mode needs HOSO_CELERY_BROKER_URL (Redis)"))
    if not settings.s3_endpoint:
        problems.append(("chế độ production cần HOSO_S3_ENDPOINT (MinIO/S3) để lưu bản gốc",
                         "production mode needs HOSO_S3_ENDPOINT (MinIO/S3) for the originals"))
    elif (_looks_default(settings.s3_access_key) or _looks_default(settings.s3_secret_key)
          or len(settings.s3_secret_key) < MIN_S3_SECRET_LENGTH):
        problems.append(("HOSO_S3_ACCESS_KEY/HOSO_S3_SECRET_KEY đang là mật khẩu mặc định hoặc quá ngắn "
                         f"(cần khóa bí mật từ {MIN_S3_SECRET_LENGTH} ký tự, không dùng minioadmin)",
                         "HOSO_S3_ACCESS_KEY/HOSO_S3_SECRET_KEY are the default credentials or too short "
                         f"(the secret needs {MIN_S3_SECRET_LENGTH}+ characters, never minioadmin)"))
    for name, url in (("HOSO_DATABASE_URL", settings.database_url), ("HOSO_CELERY_BROKER_URL",
                                                                     settings.celery_broker_url)):
        password = _url_password(url)
        if password is not None and _looks_default(password):
            problems.append((f"mật khẩu trong {name} là mật khẩu mặc định", f"the password in {name} is a default one"))
    admin_password = os.environ.get("HOSO_ADMIN_PASSWORD")
    if admin_password is not None and _looks_default(admin_password):
        problems.append(("HOSO_ADMIN_PASSWORD là mật khẩu mặc định/mẫu",
                         "HOSO_ADMIN_PASSWORD is a default/demo password"))
    return problems


def refusal_message(problems: list[tuple[str, str]]) -> str:
    lines = ["Từ chối khởi động ở chế độ production vì cấu hình chưa an toàn / "
             "refusing to start in production mode with unsafe settings:"]
    lines += [f"  - {vi} / {en}" for vi, en in problems]
    return "\n".join(lines)


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password if url else None
    except ValueError:
        return None
