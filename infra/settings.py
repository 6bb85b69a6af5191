"""All configuration: one pydantic-settings class, HOSO_ prefix, checked at start."""

from __future__ import annotations

import os
import secrets
from datetime import date
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ValueError("HOSO_SECRET_KEY must be set to a random value of 32+ characters in production")
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise ValueError("production mode needs HOSO_DATABASE_URL pointing at PostgreSQL")
            if not self.celery_broker_url:
                raise ValueError("production mode needs HOSO_CELERY_BROKER_URL (Redis)")
            if not self.s3_endpoint:
                raise ValueError("production mode needs HOSO_S3_ENDPOINT (MinIO/S3) for the originals")
        return self

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
