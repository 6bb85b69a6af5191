"""ASGI entry point for process managers (uvicorn/gunicorn workers): settings come from HOSO_* variables."""

from api.app import create_app

app = create_app()
