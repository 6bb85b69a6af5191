"""ASGI entry point for process managers (uvicorn/gunicorn workers): settings come from HOSO_* variables."""

from api.app import create_app
from infra.logs import configure_logging
from infra.settings import Settings

settings = Settings()
configure_logging(settings.log_level, settings.log_format)
app = create_app(settings)
