"""The deployment files in infra/deploy are checked without a Docker daemon (none on these machines): the compose
file against the compose specification's JSON schema (as shipped, offline, by the check-jsonschema package), every
service command against the real `hoso` command line, every HOSO_* variable against the real settings, and the
Dockerfile against what the Makefile installs. `docker compose config` runs too where the compose plugin exists."""

from __future__ import annotations

import importlib.resources
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from api.routes.health import router as health_router
from infra.cli import build_parser
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "infra" / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / "env.example"
HOSO_SERVICES = {"migrate", "api", "worker-ocr", "worker-index", "worker-webhooks", "beat"}
# Variables hoso reads that are not fields of Settings.
OTHER_HOSO_VARIABLES = {"HOSO_ADMIN_PASSWORD", "HOSO_IMAGE"}
SAFE_VALUES = {"HOSO_SECRET_KEY": "5b0e9c7f3a1d8e2b6c4f0a9d7e3b1c5f8a2d6e0b4c9f7a3d",
               "HOSO_DB_PASSWORD": "Pg-7x9-Qm2-long",
               "MINIO_ROOT_USER": "hoso-root", "MINIO_ROOT_PASSWORD": "Mn-4k8-Zr6-long",
               "HOSO_S3_ACCESS_KEY": "hoso-app", "HOSO_S3_SECRET_KEY": "S3-9d2-Lp5-long"}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # resolves anchors and `<<` merges
    return loaded


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} (enough for these files); `$$` stays a dollar."""
    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3) or ""
        if name in env and env[name] != "":
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {rest}")
        return rest if op == ":-" else ""

    return re.sub(r"(?<!\$)\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", one, value)


def _service_env(service: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    return {name: _interpolate(str(value), env) for name, value in (service.get("environment") or {}).items()}


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((importlib.resources.files("check_jsonschema.builtin_schemas") / "vendor" /
                         "compose-spec.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_class(schema).iter_errors(_compose()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_the_deployment_has_every_part_the_issue_names() -> None:
    services = _compose()["services"]
    assert HOSO_SERVICES | {"postgres", "redis", "minio", "minio-init", "elasticsearch", "elasticsearch-init"} <= set(
        services)
    queues = {s: services[s]["command"][services[s]["command"].index("--queues") + 1]
              for s in ("worker-ocr", "worker-index", "worker-webhooks")}
    assert queues == {"worker-ocr": "ocr", "worker-index": "index", "worker-webhooks": "webhooks,default"}
    init = "\n".join(services["minio-init"]["command"])
    assert "mb --ignore-existing --with-lock" in init and "version enable" in init
    template = services["elasticsearch-init"]["volumes"][0].split(":")[0]
    assert json.loads((DEPLOY / template).read_text())["index_patterns"] == ["hoso-dossiers*"]
    for name in HOSO_SERVICES:
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", sorted(HOSO_SERVICES))
def test_each_service_runs_a_real_hoso_command(name: str) -> None:
    command = _compose()["services"][name]["command"]
    assert command[0] == "hoso"
    parsed = build_parser().parse_args(command[1:])  # exits (fails the test) on an unknown command or option
    assert callable(parsed.func)


def test_every_hoso_variable_is_a_real_setting_and_the_result_passes_production_checks() -> None:
    fields = {f"HOSO_{name.upper()}" for name in Settings.model_fields}
    services = _compose()["services"]
    named = {name for service in HOSO_SERVICES for name in services[service]["environment"]}
    named |= set(re.findall(r"\$\{(HOSO_[A-Z0-9_]+)", COMPOSE.read_text(encoding="utf-8")))
    named |= {line.split("=")[0].lstrip("# ") for line in ENV_EXAMPLE.read_text().splitlines()
              if re.match(r"#? ?HOSO_[A-Z_]+=", line)}
    unknown = {name for name in named if name.startswith("HOSO_")} - fields - OTHER_HOSO_VARIABLES - {
        "HOSO_DB_PASSWORD"}  # compose-only: the database password inside HOSO_DATABASE_URL
    assert not unknown, f"not settings of hoso: {sorted(unknown)}"

    env = _service_env(services["api"], SAFE_VALUES)
    settings = Settings(**{name.removeprefix("HOSO_").lower(): value for name, value in env.items()})
    assert settings.mode == "production" and settings.s3_object_lock and settings.es_url

    placeholders = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
                        if line and not line.startswith("#"))
    env = _service_env(services["api"], placeholders)
    with pytest.raises(ValidationError, match="HOSO_SECRET_KEY"):  # the example's placeholders never start
        Settings(**{name.removeprefix("HOSO_").lower(): value for name, value in env.items()})


def test_a_missing_secret_stops_compose_before_anything_starts() -> None:
    api_env = _compose()["services"]["api"]["environment"]
    for secret in ("HOSO_SECRET_KEY", "HOSO_DB_PASSWORD", "HOSO_S3_SECRET_KEY"):
        with pytest.raises(KeyError, match=secret):
            _service_env({"environment": api_env}, {k: v for k, v in SAFE_VALUES.items() if k != secret})


def test_the_dockerfile_builds_what_the_makefile_installs() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    base = re.search(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert base is not None and re.fullmatch(r"python:3\.11-slim-(bookworm|trixie)", base.group(1))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    make_packages = re.search(r"^APT_PACKAGES := (.+)$", makefile, re.MULTILINE)
    assert make_packages is not None
    installed = re.search(r"--no-install-recommends \\\n\s+(.+?)\s*\\\n", dockerfile)
    assert installed is not None
    assert set(make_packages.group(1).split()) <= set(installed.group(1).split())
    for source in re.findall(r"^COPY (\S+)", dockerfile, re.MULTILINE):
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    assert re.search(r"^RUN pip install \.", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "/readyz" in dockerfile and "/readyz" in {route.path for route in health_router.routes}  # type: ignore[attr-defined]


@pytest.mark.skipif(shutil.which("docker") is None or subprocess.run(
    ["docker", "compose", "version"], capture_output=True, check=False).returncode != 0,
    reason="the docker compose plugin is not installed here; the schema test above checks the file")
def test_docker_compose_config_accepts_the_file() -> None:
    completed = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
                               env={**SAFE_VALUES, "PATH": "/usr/bin:/bin:/usr/local/bin"}, capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
