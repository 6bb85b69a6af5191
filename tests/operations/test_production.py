"""Production mode refuses to start with default secrets: a short or placeholder secret key, MinIO's own credentials,
a default password in a URL, demo accounts that still have the demo password. The refusal names every problem, in
Vietnamese and English, and the command exits non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.cli import main
from infra.demo import DEMO_PASSWORD, agency_from_dict, read_json
from infra.production import production_refusal
from infra.settings import Mode, Settings
from infra.wiring import build_backends
from records.access import Role
from records.services.catalogue import create_user, import_agencies
from tests.support.databases import fresh_database

GOOD = {"mode": "production", "secret_key": "9f4c1e7a2b8d3f6a0c5e9b1d7a3f8c2e4b6d0a9f1c3e5b7d",
        "database_url": "postgresql://hoso:Xq7-long-db-password@db:5432/hoso",
        "celery_broker_url": "redis://redis:6379/0", "s3_endpoint": "minio:9000",
        "s3_access_key": "hoso-app", "s3_secret_key": "Kd83-jd8s-Qp2m-x7Zt"}


def _refusal(**changes: object) -> str:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**GOOD, **changes})  # type: ignore[arg-type]
    return str(refused.value)


def test_safe_production_settings_are_accepted() -> None:
    assert Settings(**GOOD).mode is Mode.PRODUCTION  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", "short", "change-me-change-me-change-me-change-me", "a" * 64])
def test_a_default_or_weak_secret_key_is_refused(key: str) -> None:
    message = _refusal(secret_key=key)
    assert "HOSO_SECRET_KEY phải là một chuỗi ngẫu nhiên" in message and "must be a random value" in message


@pytest.mark.parametrize(("access", "secret"), [("minioadmin", "minioadmin"), ("hoso-app", "minioadmin"),
                                                ("minioadmin", "Kd83-jd8s-Qp2m-x7Zt"), ("hoso-app", "short")])
def test_minio_default_credentials_are_refused(access: str, secret: str) -> None:
    message = _refusal(s3_access_key=access, s3_secret_key=secret)
    assert "không dùng minioadmin" in message and "never minioadmin" in message


def test_a_demo_password_in_a_url_or_for_the_admin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "HOSO_DATABASE_URL" in _refusal(database_url="postgresql://hoso:hoso-demo-2025@db:5432/hoso")
    monkeypatch.setenv("HOSO_ADMIN_PASSWORD", DEMO_PASSWORD)
    assert "HOSO_ADMIN_PASSWORD" in _refusal()


def test_every_problem_is_named_at_once() -> None:
    message = _refusal(secret_key="x", s3_secret_key="minioadmin", celery_broker_url="")
    assert message.count("  - ") == 3 and "Từ chối khởi động" in message and "refusing to start" in message


def test_the_command_exits_non_zero_with_both_languages(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**GOOD, "s3_secret_key": "minioadmin"}.items():
        monkeypatch.setenv(f"HOSO_{name.upper()}", value)
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "Từ chối khởi động ở chế độ production" in err and "refusing to start in production mode" in err
    assert "minioadmin" in err and "Value error" not in err


def test_demo_accounts_with_the_demo_password_stop_a_production_start(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        backends = build_backends(Settings(database_url=url, data_dir=tmp_path, secret_key=GOOD["secret_key"],
                                           tasks="inline"))
        try:
            import_agencies(uow=backends.uow(), agencies=[agency_from_dict(a) for a in read_json("agencies.json")],
                            clock=backends.clock)
            for username, password in (("quantri.tinh", DEMO_PASSWORD), ("tiepnhan.tranbien", "a-changed-password")):
                create_user(uow=backends.uow(), hasher=backends.hasher, username=username, full_name=username,
                            agency_code="000.00.00.H19", roles=[Role.ADMIN], password=password)
            assert production_refusal(backends) is None  # embedded mode: the demo is fine
            backends.settings = backends.settings.model_copy(update={"mode": Mode.PRODUCTION})
            refusal = production_refusal(backends)
        finally:
            backends.close()
    assert refusal is not None
    assert "tài khoản mẫu vẫn dùng mật khẩu mẫu" in refusal and "demo accounts still use the demo password" in refusal
    assert "quantri.tinh" in refusal and "tiepnhan.tranbien" not in refusal
